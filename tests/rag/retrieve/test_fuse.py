"""Reciprocal-rank fusion (rag/retrieve/fuse.py)."""

from __future__ import annotations

import pytest

from rag.retrieve.fuse import fuse


def test_a_chunk_both_searches_find_beats_one_either_finds_first():
    fused = fuse([([1, 2], 1.0), ([3, 2], 1.0)], rrf_k=20)
    assert max(fused, key=fused.get) == 2
    assert fused[1] == pytest.approx(1 / 21) and fused[2] == pytest.approx(1 / 22 + 1 / 22)


def test_weights_scale_a_ranking_and_first_seen_order_is_kept():
    fused = fuse([([5, 6], 2.0), ([6, 7], 0.5)], rrf_k=0)
    assert list(fused) == [5, 6, 7]
    assert fused[5] == pytest.approx(2.0) and fused[6] == pytest.approx(1.0 + 0.5)


def test_no_ranking_fuses_to_nothing():
    assert fuse([], rrf_k=20) == {}
    assert fuse([([], 1.0)], rrf_k=20) == {}
