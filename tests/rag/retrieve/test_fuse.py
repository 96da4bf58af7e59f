"""Rank and score fusion (rag/retrieve/fuse.py)."""

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


def test_without_scores_or_score_weight_it_is_reciprocal_rank_fusion():
    rankings = [(["a", "b"], 1.0, [9.0, 1.0]), (["b", "c"], 1.0)]
    assert fuse(rankings, rrf_k=20) == fuse([(["a", "b"], 1.0), (["b", "c"], 1.0)], rrf_k=20)
    assert fuse([(["b", "c"], 1.0)], rrf_k=20, score_weight=1.0) == fuse([(["b", "c"], 1.0)], rrf_k=20)


def test_a_decisive_first_keeps_its_margin_against_two_lesser_ranks():
    """BM25 finds "x" far above everything else; the dense search does not find it at all. Ranks
    alone put "y" (BM25's 2nd, a hair above the rest, and dense's last) above it; the margin does not."""
    bm25 = (["x", "y", "z", "w"], 1.0, [30.0, 8.0, 7.5, 7.0])
    dense = (["a", "b", "c", "d", "y"], 1.0, [0.88, 0.87, 0.86, 0.85, 0.84])
    ranks_only = fuse([bm25, dense], rrf_k=20)
    with_scores = fuse([bm25, dense], rrf_k=20, score_weight=1.0)
    assert ranks_only["y"] > ranks_only["x"] and with_scores["x"] > with_scores["y"]
    # a best score counts as much as a first rank, scaled by the ranking's weight
    assert with_scores["x"] - ranks_only["x"] == pytest.approx(1 / 21)
    assert with_scores["w"] == pytest.approx(ranks_only["w"])  # the last of its ranking: normalised to 0


def test_scores_that_do_not_differ_give_no_margin():
    from rag.retrieve.fuse import normalized

    assert normalized([2.0, 2.0]) == [0.0, 0.0]
    assert normalized([]) == []
    assert normalized([3.0, 1.0, 2.0]) == [1.0, 0.0, 0.5]
