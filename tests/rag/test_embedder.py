"""The embedder's store of clause-text vectors (no model: a stand-in encodes)."""

from __future__ import annotations

import numpy as np
import pytest

import rag.embedder as embedder_module
from rag.embedder import PASSAGE_PREFIX, Embedder


class CountingModel:
    """Encodes a text as [len(text), 1], normalised; records what it was asked to encode."""

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts, **_):
        self.encoded += texts
        vectors = np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_clause_text_vectors_are_kept_for_later_questions(settings, monkeypatch):
    embedder = Embedder(settings)
    embedder._model = model = CountingModel()
    first = embedder.clause_text_vectors(["甲。", "乙乙。", "甲。"])
    assert model.encoded == [PASSAGE_PREFIX + "甲。", PASSAGE_PREFIX + "乙乙。"]  # a repeat is encoded once
    assert np.allclose(first, embedder.embed_passages(["甲。", "乙乙。", "甲。"]))
    model.encoded.clear()
    again = embedder.clause_text_vectors(["乙乙。", "丙丙丙。"])
    assert model.encoded == [PASSAGE_PREFIX + "丙丙丙。"] and np.allclose(again[0], first[1])
    assert embedder.clause_text_vectors([]).size == 0
    # a full store starts again rather than growing past its bound, and still answers for the texts
    # it held before (asked together with new ones)
    monkeypatch.setattr(embedder_module, "CLAUSE_TEXT_VECTORS_MAX", 3)
    mixed = embedder.clause_text_vectors(["甲。", "丁。"])
    assert set(embedder._clause_text_vectors) == {"丁。"} and np.allclose(mixed[0], first[0])
    embedder.clause_text_vectors(["一", "二", "三", "四"])  # more new texts than the bound: none kept
    assert len(embedder._clause_text_vectors) <= 3


def test_remembered_vectors_are_served_without_encoding(settings):
    embedder = Embedder(settings)
    embedder._model = model = CountingModel()
    kept = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    embedder.remember(["甲。", "乙乙。"], kept)
    got = embedder.clause_text_vectors(["乙乙。", "丙丙丙。", "甲。"])
    assert model.encoded == [PASSAGE_PREFIX + "丙丙丙。"]  # only the text the index did not hold
    assert np.allclose(got[0], kept[1]) and np.allclose(got[2], kept[0])
    with pytest.raises(ValueError, match="2 vectors for 1 texts"):
        embedder.remember(["甲。"], kept)
