"""Clause rankings from fused clause scores (rag/retrieve/prefer.py): filters, title-only clauses,
place/version preference, drafts, one entry per clause, the best match kept in view."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rag.retrieve.prefer import (
    ChunkScores,
    Preference,
    ScoreFactors,
    keep_best_match,
    preferred_score,
    rank_clauses,
    successors_first,
)
from rag.retrieve.types import RetrievalFilters, ScoredClause

FACTORS = ScoreFactors(jurisdiction_boost=2.0, heading_only_factor=0.5, draft_factor=0.25, keep_best_within=2)
NO_PREFERENCE = Preference(frozenset(), wants_draft=False)


def scores(index, dense=0.5, bm25=1.0):
    n = len(index.chunks)
    return ChunkScores(np.full(n, dense, dtype=np.float32), np.full(n, bm25))


def position(index, clause_id):
    return next(i for i, c in enumerate(index.chunks) if c.chunk_id == clause_id)


def test_factors_apply_in_order_and_the_unpreferred_score_skips_the_preference(tiny_index):
    by_id, docs = tiny_index.clause_by_id, tiny_index.documents
    title_only = by_id["dg-draft/2"]  # "二、标准化。": a heading without text
    plain, score = preferred_score(
        1.0, title_only, docs["dg-draft"], Preference(frozenset({"dg-draft"}), False), FACTORS
    )
    assert plain == pytest.approx(0.5) and score == pytest.approx(0.5 * 2.0 * 0.25)
    plain, score = preferred_score(1.0, by_id["dg-draft/1"], docs["dg-draft"], Preference(frozenset(), True), FACTORS)
    assert plain == score == pytest.approx(1.0)  # a draft asked for is not discounted


def test_a_clause_in_two_chunks_carries_its_best_chunks_scores(tiny_index):
    second = len(tiny_index.chunks) - 1  # dg-plan/2#2
    dense = np.zeros(len(tiny_index.chunks), dtype=np.float32)
    dense[second] = 0.9
    bm25 = np.zeros(len(tiny_index.chunks))
    bm25[position(tiny_index, "dg-plan/2")] = 2.5
    ranked, unpreferred = rank_clauses(
        {"dg-plan/2": 0.3}, tiny_index, RetrievalFilters(), NO_PREFERENCE, FACTORS, ChunkScores(dense, bm25)
    )
    assert [s.clause.clause_id for s in ranked] == ["dg-plan/2"]
    assert ranked[0].best_chunk == "dg-plan/2#2" and ranked[0].dense == pytest.approx(0.9)
    assert ranked[0].bm25 == pytest.approx(2.5)  # the best of each score, whichever chunk has it
    assert unpreferred == {"dg-plan/2": pytest.approx(0.3)}


def test_filters_drop_documents_and_the_preferred_place_comes_first(tiny_index):
    fused = dict.fromkeys(("gd-plan/1", "dg-plan/1", "dg-draft/1"), 1.0)
    ranked, _ = rank_clauses(
        fused,
        tiny_index,
        RetrievalFilters(include_drafts=False),
        Preference(frozenset({"dg-plan"}), False),
        FACTORS,
        scores(tiny_index),
    )
    assert [s.clause.clause_id for s in ranked] == ["dg-plan/1", "gd-plan/1"]
    ranked, _ = rank_clauses(
        fused, tiny_index, RetrievalFilters(regions=("广东省",)), NO_PREFERENCE, FACTORS, scores(tiny_index)
    )
    assert [s.clause.clause_id for s in ranked] == ["gd-plan/1"]


def test_a_preference_never_pushes_the_best_match_out_of_the_top_few(tiny_index):
    cids = ["gd-plan/2", "dg-plan/1", "dg-plan/2", "gd-plan/1"]
    fused = dict(zip(cids, (1.0, 0.6, 0.55, 0.5), strict=True))
    preference = Preference(frozenset({"dg-plan"}), False)
    ranked, unpreferred = rank_clauses(fused, tiny_index, RetrievalFilters(), preference, FACTORS, scores(tiny_index))
    assert [s.clause.clause_id for s in ranked] == ["dg-plan/1", "dg-plan/2", "gd-plan/2", "gd-plan/1"]
    kept = keep_best_match(ranked, unpreferred, within=2)
    assert [s.clause.clause_id for s in kept] == ["dg-plan/1", "gd-plan/2", "dg-plan/2", "gd-plan/1"]
    assert keep_best_match([], {}, within=2) == []


def test_a_superseded_clause_does_not_rank_above_its_successor_unless_its_text_is_asked_for(tiny_index):
    """The draft's clause matched better; its aligned clause in the text that replaced it goes just
    before it, with its score (rag/diff.py aligns them; here a stand-in alignment)."""
    by_id, docs = tiny_index.clause_by_id, tiny_index.documents
    draft = replace(docs["dg-draft"], status="superseded", superseded_by="dg-plan")
    successor_of = {"dg-draft/1": "dg-plan/1"}.get

    def scored(cid, info, score):
        return ScoredClause(by_id[cid], info, score, 0.5, 1.0, cid)

    ranked = [scored("dg-draft/1", draft, 0.9), scored("gd-plan/1", docs["gd-plan"], 0.5)]
    ranked.append(scored("dg-plan/1", docs["dg-plan"], 0.4))
    moved = successors_first(ranked, successor_of, NO_PREFERENCE)
    assert [s.clause.clause_id for s in moved] == ["dg-plan/1", "dg-draft/1", "gd-plan/1"]
    assert moved[0].score == pytest.approx(0.9) and ranked[2].score == pytest.approx(0.4)  # the input is kept
    assert successors_first(ranked, successor_of, Preference(frozenset(), wants_draft=True)) == ranked
    # "东莞2023年的方案…" points to the draft, not to the plan that replaced it
    assert successors_first(ranked, successor_of, Preference(frozenset({"dg-draft"}), False)) == ranked
    both = Preference(frozenset({"dg-draft", "dg-plan"}), False)  # "东莞…": both, the final text first
    assert successors_first(ranked, successor_of, both)[0].clause.clause_id == "dg-plan/1"
    assert successors_first(ranked[:2], successor_of, NO_PREFERENCE) == ranked[:2]  # the successor not retrieved
