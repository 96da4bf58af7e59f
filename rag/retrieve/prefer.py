"""From fused chunk scores to a clause ranking: filters drop documents, title-only clauses weigh
less, the documents the question points to (place, version) weigh more, drafts less unless asked
for; a clause split into chunks appears once, with its best chunk's scores.

A preference only reorders: the best match ignoring preferences stays within the top few, so a
question naming 东莞 still sees the provincial clause that answers it best.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    fused: dict[int, float],
    index: Any,
    filters: RetrievalFilters,
    preference: Preference,
    factors: ScoreFactors,
    scores: ChunkScores,
) -> tuple[list[ScoredClause], dict[str, float]]:
    """(clauses by preferred score, best first; each clause's best score without preference).
    `index` has chunks, clause_by_id and documents (rag.index.CorpusIndex)."""
    best: dict[str, ScoredClause] = {}
    unpreferred: dict[str, float] = {}
    for idx, fused_score in fused.items():
        chunk = index.chunks[idx]
        clause = index.clause_by_id[chunk.clause_id]
        info = index.documents[clause.doc_id]
        if not filters.allows(info):
            continue
        plain, score = preferred_score(fused_score, clause, info, preference, factors)
        unpreferred[clause.clause_id] = max(unpreferred.get(clause.clause_id, 0.0), plain)
        dense, bm25 = float(scores.dense[idx]), float(scores.bm25[idx])
        prev = best.get(clause.clause_id)
        if prev is None:
            best[clause.clause_id] = ScoredClause(clause, info, score, dense, bm25, chunk.chunk_id)
        else:  # parts of one clause: keep the clause once, with its best part's scores
            prev.dense = max(prev.dense, dense)
            prev.bm25 = max(prev.bm25, bm25)
            if score > prev.score:
                prev.score, prev.best_chunk = score, chunk.chunk_id
    return sorted(best.values(), key=lambda s: (-s.score, s.clause.order)), unpreferred


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
