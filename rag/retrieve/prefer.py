"""From fused clause scores to a clause ranking: filters drop documents, title-only clauses weigh
less, the documents the question points to (place, version) weigh more, drafts less unless asked
for; a clause appears once, with the best cosine and BM25 score of its chunks.

A preference only reorders: the best match ignoring preferences stays within the top few, so a
question naming 东莞 still sees the provincial clause that answers it best. Unless a draft is asked
for, a superseded text's clause never ranks above its aligned successor's clause (rag/diff.py's
alignment): the two say nearly the same, and the draft factor alone does not outweigh a wording
that happens to match the question better once scores, not only ranks, are fused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from rag.clauses import Clause
from rag.documents import DocumentInfo
from rag.retrieve.types import RetrievalFilters, ScoredClause


@dataclass(frozen=True)
class Preference:
    """What the question prefers: documents by place/version, and whether drafts are wanted."""

    docs: frozenset[str]
    wants_draft: bool


@dataclass(frozen=True)
class ScoreFactors:
    """The score factors of the settings (RAG_JURISDICTION_BOOST …)."""

    jurisdiction_boost: float
    heading_only_factor: float
    draft_factor: float
    keep_best_within: int

    @classmethod
    def from_settings(cls, settings: Any) -> ScoreFactors:
        return cls(
            settings.jurisdiction_boost,
            settings.heading_only_factor,
            settings.draft_factor,
            settings.keep_best_within,
        )


@dataclass(frozen=True)
class ChunkScores:
    """Every chunk's cosine and BM25 score for the main query (zeros where a search did not run)."""

    dense: np.ndarray
    bm25: np.ndarray


def preferred_score(
    score: float, clause: Clause, info: DocumentInfo, preference: Preference, factors: ScoreFactors
) -> tuple[float, float]:
    """(score without the place/version preference, score with it and the draft factor)."""
    if clause.is_heading_only:
        score *= factors.heading_only_factor
    plain = score
    if clause.doc_id in preference.docs:
        score *= factors.jurisdiction_boost
    if info.is_draft and not preference.wants_draft:
        score *= factors.draft_factor
    return plain, score


def rank_clauses(
    fused: dict[str, float],
    index: Any,
    filters: RetrievalFilters,
    preference: Preference,
    factors: ScoreFactors,
    scores: ChunkScores,
) -> tuple[list[ScoredClause], dict[str, float]]:
    """(clauses by preferred score, best first; each clause's score without preference) from fused
    clause scores. `index` has rows_of, clause_by_id and documents (rag.index.CorpusIndex)."""
    ranked: list[ScoredClause] = []
    unpreferred: dict[str, float] = {}
    for clause_id, fused_score in fused.items():
        clause = index.clause_by_id[clause_id]
        info = index.documents[clause.doc_id]
        if not filters.allows(info):
            continue
        plain, score = preferred_score(fused_score, clause, info, preference, factors)
        unpreferred[clause_id] = plain
        rows = index.rows_of[clause_id]
        best_row = max(rows, key=lambda r: scores.dense[r])  # parts of one clause: its best part's scores
        dense, bm25 = float(scores.dense[best_row]), max(float(scores.bm25[r]) for r in rows)
        ranked.append(ScoredClause(clause, info, score, dense, bm25, index.chunks[best_row].chunk_id))
    return sorted(ranked, key=lambda s: (-s.score, s.clause.order)), unpreferred


def successors_first(
    ranked: list[ScoredClause], successor_of: Callable[[str], str | None], preference: Preference
) -> list[ScoredClause]:
    """Each clause of a superseded document ranked above its aligned successor clause (both in
    `ranked`) has that clause moved to just before it, with its score — unless a draft is asked
    for, or the question points to the superseded document and not to its successor ("2023年")."""
    if preference.wants_draft:
        return ranked
    ranked = list(ranked)
    for old in [s for s in ranked if s.document.superseded_by]:
        if old.document.doc_id in preference.docs and old.document.superseded_by not in preference.docs:
            continue
        new_id = successor_of(old.clause.clause_id)
        at = {s.clause.clause_id: i for i, s in enumerate(ranked)}
        if new_id is None or new_id not in at:
            continue
        i, j = at[old.clause.clause_id], at[new_id]
        if j > i:
            ranked.insert(i, replace(ranked.pop(j), score=old.score))
    return ranked


def keep_best_match(ranked: list[ScoredClause], unpreferred: dict[str, float], within: int) -> list[ScoredClause]:
    """Move the best clause by unpreferred score up to position `within` if preferences pushed it lower."""
    if not unpreferred:
        return ranked
    winner = max(unpreferred, key=unpreferred.get)
    pos = next(i for i, s in enumerate(ranked) if s.clause.clause_id == winner)
    keep = within - 1
    if pos > keep:
        ranked.insert(keep, ranked.pop(pos))
    return ranked
