"""Index build/load: staleness, corruption, interrupted builds, and no pickle anywhere."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rag.config import PROJECT_ROOT
from rag.excerpts import clause_pieces
from rag.index import (
    CHUNKS,
    MANIFEST,
    PARTS,
    PARTS_DENSE,
    PIECES,
    PIECES_DENSE,
    POINTER,
    IndexCorrupt,
    IndexMissing,
    IndexStale,
    build_index,
    ensure_index,
    load_index,
)
from rag.text import normalize, split_sentences


@pytest.fixture(scope="module")
def built(tmp_path_factory, settings, embedder):
    """One real index over a private copy of data/, built once for this module."""
    root = tmp_path_factory.mktemp("built")
    shutil.copytree(settings.data_dir, root / "data")
    s = replace(settings, data_dir=root / "data", index_dir=root / "index")
    build_index(s, embedder=embedder, show_progress=False)
    return s


@pytest.fixture
def copy_of(built, tmp_path):
    shutil.copytree(built.data_dir, tmp_path / "data")
    shutil.copytree(built.index_dir, tmp_path / "index")
    return replace(built, data_dir=tmp_path / "data", index_dir=tmp_path / "index")


def current_build(s) -> Path:
    return s.index_dir / (s.index_dir / POINTER).read_text().strip()


def test_built_index_loads_and_holds_every_clause(built):
    index = load_index(built)
    assert len(index.clauses) == 191 and index.dense.ntotal == len(index.chunks)
    assert index.manifest.fingerprint["chunker"]
    assert set(index.manifest.files) == {
        "documents.json",
        "clauses.json",
        "chunks.json",
        "dense.faiss",
        PARTS,
        PARTS_DENSE,
        PIECES,
        PIECES_DENSE,
    }
    # every clause is searched by parts too, the long ones cut at sentences
    parts = index.parts
    assert parts is not None and parts.dense.ntotal == len(parts.chunks) == index.manifest.n_parts
    assert {p.clause_id for p in parts.chunks} == set(index.clause_by_id)
    assert len(parts.chunks) > len(index.clauses)
    assert max(len(p.text) for p in parts.chunks if "#" in p.chunk_id) <= built.search_part_chars


def test_a_manifest_listing_only_one_of_the_part_files_is_corrupt(copy_of):
    import json

    manifest = current_build(copy_of) / MANIFEST
    data = json.loads(manifest.read_text())
    del data["files"][PARTS_DENSE]
    manifest.write_text(json.dumps(data))
    with pytest.raises(IndexCorrupt, match="only one of"):
        load_index(copy_of)


@pytest.mark.parametrize("change", ["older format", "no pieces"])
def test_an_index_of_an_older_format_or_without_its_pieces_is_not_used(copy_of, change):
    import json

    manifest = current_build(copy_of) / MANIFEST
    data = json.loads(manifest.read_text())
    if change == "older format":
        data["format"] = 2
    else:
        del data["files"][PIECES], data["files"][PIECES_DENSE]
    manifest.write_text(json.dumps(data))
    with pytest.raises(IndexStale if change == "older format" else IndexCorrupt, match="rag.ingest"):
        load_index(copy_of)


def test_a_changed_part_length_makes_the_index_stale(copy_of):
    with pytest.raises(IndexStale, match="search_part_chars changed"):
        load_index(replace(copy_of, search_part_chars=copy_of.search_part_chars + 50))


def test_no_pickle_is_written(built):
    for path in built.index_dir.rglob("*"):
        if path.is_file():
            assert path.suffix not in {".pkl", ".pickle"}
            assert path.read_bytes()[:2] != b"\x80\x04", f"{path} looks like a pickle"


def test_missing_index_says_what_to_run(corpus_copy):
    with pytest.raises(IndexMissing, match="python -m rag.ingest"):
        load_index(corpus_copy)


def test_changed_document_makes_the_index_stale_and_ensure_rebuilds(copy_of, embedder):
    doc = copy_of.data_dir / "yuancheng-quality-plan.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\n（四）新增条款。加强质量宣传。\n", encoding="utf-8")
    with pytest.raises(IndexStale, match="documents changed"):
        load_index(copy_of)
    index = ensure_index(copy_of, embedder=embedder)
    assert "yuancheng-plan/4.4" in index.clause_by_id
    assert load_index(copy_of).manifest.n_clauses == 192


def test_every_clause_piece_is_embedded_as_an_answer_would_embed_it(built, embedder):
    index = load_index(built)
    pieces = index.pieces
    assert pieces is not None and len(pieces.texts) == len(set(pieces.texts)) == index.manifest.n_pieces
    assert pieces.vectors.shape == (len(pieces.texts), index.dense.d)
    stored = set(pieces.texts)
    assert all(p in stored for c in index.clauses for p in clause_pieces(c.body, c.text))
    # as answers ask for them: normalised, every sentence a quote may take among them (most of the
    # clauses are written in another script or form than their normalised one)
    assert all(normalize(p) == p for p in pieces.texts)
    assert {normalize(s) for c in index.clauses for s in split_sentences(c.text)} <= stored
    some = pieces.texts[:: max(1, len(pieces.texts) // 8)]
    fresh = embedder.embed_passages(some)
    rows = [pieces.texts.index(t) for t in some]
    assert np.allclose(np.sum(fresh * pieces.vectors[rows], axis=1), 1.0, atol=1e-3)


@pytest.mark.parametrize("name", [CHUNKS, PARTS_DENSE, PIECES_DENSE])
@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
def test_damaged_file_is_reported_never_used(copy_of, damage, name):
    target = current_build(copy_of) / name
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:1000])
    elif damage == "flip":
        data = bytearray(target.read_bytes())
        data[500] ^= 0x01
        target.write_bytes(bytes(data))
    else:
        target.unlink()
    with pytest.raises(IndexCorrupt, match="python -m rag.ingest"):
        load_index(copy_of)


def test_unreadable_manifest_or_pointer_is_reported(copy_of):
    (current_build(copy_of) / MANIFEST).write_text("{not json")
    with pytest.raises(IndexCorrupt, match="manifest"):
        load_index(copy_of)
    (copy_of.index_dir / POINTER).write_text("../../etc\n")
    with pytest.raises(IndexCorrupt, match="does not name a build folder"):
        load_index(copy_of)


def test_corrupt_index_is_rebuilt_by_ensure(copy_of, embedder):
    (current_build(copy_of) / CHUNKS).write_bytes(b"[]")
    index = ensure_index(copy_of, embedder=embedder)
    assert len(index.clauses) == 191


def test_ingestion_killed_midway_leaves_the_previous_index_in_service(copy_of):
    before = load_index(copy_of).manifest.built_at
    doc = copy_of.data_dir / "yuancheng-quality-plan.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\n（四）再加一条。\n", encoding="utf-8")
    env = {**os.environ, "RAG_DATA_DIR": str(copy_of.data_dir), "RAG_INDEX_DIR": str(copy_of.index_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.ingest"], cwd=PROJECT_ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    # wait until it is embedding (it says so), then kill it hard
    deadline = time.time() + 120
    for line in proc.stderr:
        if "embedding" in line or time.time() > deadline:
            break
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    index = load_index(copy_of, check_fresh=False)
    assert index.manifest.built_at == before and len(index.clauses) == 191
    with pytest.raises(IndexStale):  # and it knows it is behind the documents
        load_index(copy_of)
