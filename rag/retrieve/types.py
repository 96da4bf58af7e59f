"""The retrieval stage's types: what may be returned (`RetrievalFilters`), one ranked clause
(`ScoredClause`), one question's result (`RetrievalResult`), and the `Retriever` interface every
ranking implementation offers (rag/retrieve/hybrid.py is the one in use).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from rag.answerability import Decision
from rag.clauses import Clause
from rag.confidence import QueryFeatures
from rag.documents import DocumentInfo
from rag.query import QueryAnalysis


@dataclass(frozen=True)
class RetrievalFilters:
    """Hard constraints on which clauses may be returned (empty = no constraint)."""

    regions: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    include_drafts: bool = True

    def allows(self, info: DocumentInfo) -> bool:
        return (
            (not self.regions or info.region in self.regions)
            and (not self.doc_ids or info.doc_id in self.doc_ids)
            and (not self.kinds or info.kind in self.kinds)
            and (not self.statuses or any(info.has_status(s) for s in self.statuses))
            and (self.include_drafts or not info.is_draft)
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RetrievalFilters:
        """Accepts {"region": "东莞市" | [...], "doc_id": ..., "kind": ..., "status": ..., "include_drafts": bool}."""
        data = dict(data or {})

        def as_tuple(*keys: str) -> tuple[str, ...]:
            for key in keys:
                value = data.pop(key, None)
                if value:
                    return (value,) if isinstance(value, str) else tuple(value)
            return ()

        filters = cls(
            regions=as_tuple("region", "regions"),
            doc_ids=as_tuple("doc_id", "doc_ids"),
            kinds=as_tuple("kind", "kinds"),
            statuses=as_tuple("status", "statuses"),
            include_drafts=bool(data.pop("include_drafts", True)),
        )
        if data:
            raise ValueError(f"unknown filter(s): {', '.join(sorted(data))}")
        return filters

    def to_dict(self) -> dict[str, Any]:
        return {
            "regions": list(self.regions),
            "doc_ids": list(self.doc_ids),
            "kinds": list(self.kinds),
            "statuses": list(self.statuses),
            "include_drafts": self.include_drafts,
        }


@dataclass
class ScoredClause:
    """One clause in a ranking, with the scores that put it there."""

    clause: Clause
    document: DocumentInfo
    score: float  # fused score after preferences (higher is better); 0 for a top-up by cosine
    dense: float  # best cosine of any of its chunks
    bm25: float  # best BM25 score of any of its chunks
    best_chunk: str  # chunk_id of its chunk with the best cosine

    def to_contract(self) -> dict[str, Any]:
        """The clause object of ../shared/eval-format.md, plus `score`."""
        return {
            "clause_id": self.clause.clause_id,
            "doc_id": self.clause.doc_id,
            "doc_title": self.document.title,
            "label": self.clause.label,
            "text": self.clause.text,
            "score": round(self.score, 6),
        }


@dataclass
class RetrievalResult:
    query: str
    normalized_query: str  # what was searched (the analysis's search text)
    clauses: list[ScoredClause]
    preferred_docs: list[str]
    filters: RetrievalFilters
    seconds: float
    analysis: QueryAnalysis | None = None
    dense: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    parts: list[list[ScoredClause]] = field(default_factory=list)  # per sub-question, when several
    sides: dict[str, list[ScoredClause]] = field(default_factory=dict)  # per compared document
    # the decision, filled in by `EvidenceJudge.decide_result` (rag/answerability.py)
    decline_reason: str = ""
    confidence: float = 1.0
    declined: bool = False
    features: QueryFeatures | None = None
    decision: Decision | None = None
    part_decisions: list[Decision] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class Retriever(Protocol):
    """Ranks the clauses for an analysed question; deciding whether they answer is not its job
    (rag/answerability.py). The result's `clauses` are the ranking; `dense` (every chunk's cosine
    to the question) and the per-part and per-side lists are what the decision reads."""

    def run(self, analysis: QueryAnalysis, filters: RetrievalFilters, top_k: int) -> RetrievalResult: ...
