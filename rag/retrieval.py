"""HybridRetriever: a `QueryAnalysis` (rag/query.py) → dense (e5 + FAISS) and BM25 (jieba)
candidates → reciprocal-rank fusion → place/version preference → metadata filters → one entry per
clause. A multi-part question is ranked once per part, a comparison once per compared document,
and the lists are merged. The retriever ranks; whether the clauses answer is decided in
rag/answerability.py.

`HybridRetriever.retrieve(analysis)` is the typed entry point used by the answer pipeline;
`search(text)` analyses plain text first (and decides), for tools, tests and LangChain's
`invoke()` (`_get_relevant_documents`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr

from rag.answerability import Decision, EvidenceJudge
from rag.clauses import Clause
from rag.confidence import ConfidenceModel, QueryFeatures
from rag.config import Settings, get_settings
from rag.documents import DocumentInfo
from rag.followup import is_followup
from rag.index import CorpusIndex
from rag.lexicon import load_lexicon
from rag.query import QueryAnalysis, QueryAnalyzer, place_mentions, region_names, version_preference
from rag.text import tokens

__all__ = [
    "HybridRetriever",
    "RetrievalFilters",
    "RetrievalResult",
    "ScoredClause",
    "place_mentions",
    "version_preference",
]


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
    clause: Clause
    document: DocumentInfo
    score: float  # fused score after preferences (higher is better)
    dense: float  # best cosine of any of its chunks
    bm25: float  # best BM25 score of any of its chunks
    best_chunk: str  # chunk_id that scored best

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
    # the decision (rag/answerability.py), filled in by `decide`
    decline_reason: str = ""
    confidence: float = 1.0
    declined: bool = False
    features: QueryFeatures | None = None
    decision: Decision | None = None
    part_decisions: list[Decision] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class HybridRetriever(BaseRetriever):
    """Dense + BM25 over clause chunks, fused by reciprocal rank; a LangChain retriever."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: CorpusIndex
    embedder: Any
    settings: Settings = Field(default_factory=get_settings)
    confidence_model: ConfidenceModel | None = None
    filters: RetrievalFilters = Field(default_factory=RetrievalFilters)
    k: int | None = None
    use_dense: bool = True
    use_bm25: bool = True
    _idf: dict[str, float] = PrivateAttr(default_factory=dict)
    _analyzer: QueryAnalyzer = PrivateAttr()
    _judge: EvidenceJudge = PrivateAttr()

    def model_post_init(self, context: Any) -> None:
        if not (self.use_dense or self.use_bm25):
            raise ValueError("HybridRetriever needs at least one of use_dense / use_bm25")
        if self.confidence_model is None:
            self.confidence_model = ConfidenceModel.load()
        self._idf = _idf_table(self.index.chunk_tokens)
        texts = [c.text for c in self.index.clauses]
        self._analyzer = QueryAnalyzer(self.index.documents, texts, self._idf)
        titles = [d.title for d in self.index.documents.values()]
        self._judge = EvidenceJudge(
            texts,
            titles,
            self._idf,
            self.confidence_model,
            threshold=self.settings.decline_threshold,
            topic_words=self._analyzer.topic_words,
        )

    @property
    def analyzer(self) -> QueryAnalyzer:
        return self._analyzer

    @property
    def judge(self) -> EvidenceJudge:
        return self._judge

    # -- LangChain interface: a thin wrapper over search()
    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        result = self.search(query)
        return [
            LCDocument(page_content=s.clause.text, metadata={**s.to_contract(), "confidence": result.confidence})
            for s in result.clauses
        ]

    # -- plain text in: analyse, retrieve, decide
    def search(
        self,
        query: str,
        filters: RetrievalFilters | None = None,
        k: int | None = None,
        focus: str | None = None,
        context: str | None = None,
    ) -> RetrievalResult:
        """Top-k clauses for `query`, with the decision. `context` is the user's previous question
        when `query` is a follow-up (`focus` is accepted for older callers and means the same turn)."""
        text = focus or query
        analysis = self._analyzer.analyze(text, previous=context, is_followup=bool(context) and is_followup(text))
        return self.decide(self.retrieve(analysis, filters, k))

    def decide(self, result: RetrievalResult) -> RetrievalResult:
        """Fill in the answerability decision (rag/answerability.py), per part for several parts."""
        analysis = result.analysis
        decision = self._judge.decide(analysis, result.clauses, result.dense)
        if result.parts:
            result.part_decisions = []
            for part, ranked in zip(analysis.parts, result.parts, strict=True):
                d = self._judge.decide(analysis, ranked, result.dense, ask=part.text)
                before = result.part_decisions[-1] if result.part_decisions else None
                if part.continues and before is not None and before.declined and not d.declined:
                    # "…怎么申请？找哪家银行？": a continuation of a part the plans do not answer
                    d = Decision(True, before.reason, d.confidence, d.features, "rule")
                result.part_decisions.append(d)
            # a multi-part question is declined only when no part is answered
            if any(not d.declined for d in result.part_decisions):
                decision = max((d for d in result.part_decisions if not d.declined), key=lambda d: d.confidence)
        result.decision = decision
        result.features = decision.features
        result.confidence = decision.confidence
        result.declined = decision.declined
        result.decline_reason = decision.reason
        return result

    # -- the typed API
    def retrieve(
        self, analysis: QueryAnalysis, filters: RetrievalFilters | None = None, k: int | None = None
    ) -> RetrievalResult:
        """Top-k clauses for an analysed question: one ranking, or one per part / compared document."""
        t0 = time.perf_counter()
        filters = filters or self.filters
        k = k or self.k or self.settings.top_k
        preferred = set(analysis.preferred_docs)
        text = analysis.search_text or analysis.normalized
        ranked, dense = self._rank(text, preferred, analysis.wants_draft, filters, k, self._whole_question(analysis))
        parts: list[list[ScoredClause]] = []
        if analysis.multi_part:
            prefix = f"{analysis.previous} " if analysis.is_followup and analysis.previous else ""
            parts = [
                self._rank(prefix + p.search_text, preferred, analysis.wants_draft, filters, k)[0]
                for p in analysis.parts
            ]
            ranked = _merge(parts, k)
        sides: dict[str, list[ScoredClause]] = {}
        if analysis.compare_docs:
            topic = _without_names(text, [self.index.documents[d] for d in analysis.compare_docs])
            for doc_id in analysis.compare_docs:
                side = RetrievalFilters(doc_ids=(doc_id,)) if filters.allows(self.index.documents[doc_id]) else None
                if side is not None:
                    sides[doc_id] = self._rank(topic, {doc_id}, True, side, self.settings.compare_slots)[0]
            ranked = _interleave_documents(
                _merge([*sides.values(), ranked], k), set(sides), self.settings.compare_slots
            )
        if len(ranked) < k:
            ranked += self._fill(ranked, filters, k - len(ranked), dense)
        return RetrievalResult(
            query=analysis.question,
            normalized_query=text,
            clauses=ranked[:k],
            preferred_docs=sorted(preferred),
            filters=filters,
            seconds=time.perf_counter() - t0,
            analysis=analysis,
            dense=dense,
            parts=parts,
            sides=sides,
            extra={"compared_docs": sorted(sides)} if sides else {},
        )

    def _whole_question(self, analysis: QueryAnalysis) -> str:
        """The whole question, when the search text is its focus without the asker's context: a
        second, lighter query, so that context which does name the topic is not lost."""
        if analysis.language == "english" or not analysis.context_terms or self.settings.context_query_weight <= 0:
            return ""
        prefix = f"{analysis.previous} " if analysis.is_followup and analysis.previous else ""
        return prefix + analysis.repaired

    def _rank(
        self,
        text: str,
        preferred: set[str],
        wants_draft: bool,
        filters: RetrievalFilters,
        k: int,
        whole_question: str = "",
    ) -> tuple[list[ScoredClause], np.ndarray]:
        """One fused ranking of `text` (and, lighter, of `whole_question`): (clauses, dense cosine of
        every chunk to `text`)."""
        n = len(self.index.chunks)
        dense_scores = np.zeros(n, dtype=np.float32)
        bm25_scores = np.zeros(n, dtype=np.float64)
        ranks: list[list[int]] = []
        weights: list[float] = []
        queries = [(text, 1.0)] + ([(whole_question, self.settings.context_query_weight)] if whole_question else [])
        for query, weight in queries:
            qtokens = tokens(query)
            if self.use_dense:
                qvec = self.embedder.embed_query(query)
                sims, ids = self.index.dense.search(qvec[None, :], n)
                if query is text:
                    dense_scores[ids[0]] = sims[0]
                ranks.append(list(ids[0][: self.settings.candidate_k]))
                weights.append(weight * self.settings.dense_weight)
            if self.use_bm25 and qtokens:
                scores = np.asarray(self.index.bm25.get_scores(qtokens))
                if query is text:
                    bm25_scores = scores
                order = np.argsort(-scores, kind="stable")
                ranks.append([int(i) for i in order[: self.settings.candidate_k] if scores[i] > 0])
                weights.append(weight * self.settings.bm25_weight)

        fused: dict[int, float] = {}
        for ranking, weight in zip(ranks, weights, strict=True):
            for rank, idx in enumerate(ranking):
                fused[int(idx)] = fused.get(int(idx), 0.0) + weight / (self.settings.rrf_k + rank + 1)

        best: dict[str, ScoredClause] = {}
        unpreferred: dict[str, float] = {}  # score without place/version preference, per clause
        for idx, score in fused.items():
            chunk = self.index.chunks[idx]
            clause = self.index.clause_by_id[chunk.clause_id]
            info = self.index.documents[clause.doc_id]
            if not filters.allows(info):
                continue
            if clause.is_heading_only:
                score *= self.settings.heading_only_factor
            unpreferred[clause.clause_id] = max(unpreferred.get(clause.clause_id, 0.0), score)
            if clause.doc_id in preferred:
                score *= self.settings.jurisdiction_boost
            if info.is_draft and not wants_draft:
                score *= self.settings.draft_factor
            prev = best.get(clause.clause_id)
            if prev is None:
                best[clause.clause_id] = ScoredClause(
                    clause, info, score, float(dense_scores[idx]), float(bm25_scores[idx]), chunk.chunk_id
                )
            else:  # parts of one clause: keep the clause once, with its best part's scores
                prev.dense = max(prev.dense, float(dense_scores[idx]))
                prev.bm25 = max(prev.bm25, float(bm25_scores[idx]))
                if score > prev.score:
                    prev.score, prev.best_chunk = score, chunk.chunk_id
        ranked = sorted(best.values(), key=lambda s: (-s.score, s.clause.order))
        if unpreferred:  # a preference reorders; it never hides the best match of another document
            winner = max(unpreferred, key=unpreferred.get)
            pos = next(i for i, s in enumerate(ranked) if s.clause.clause_id == winner)
            keep = self.settings.keep_best_within - 1
            if pos > keep:
                ranked.insert(keep, ranked.pop(pos))
        return ranked[:k], dense_scores

    def _fill(
        self, have: list[ScoredClause], filters: RetrievalFilters, need: int, dense: np.ndarray
    ) -> list[ScoredClause]:
        """Top up to k with the allowed clauses nearest by cosine (the report wants ≥ 10)."""
        seen = {s.clause.clause_id for s in have}
        extra: list[ScoredClause] = []
        for idx in np.argsort(-dense, kind="stable"):
            chunk = self.index.chunks[int(idx)]
            clause = self.index.clause_by_id[chunk.clause_id]
            info = self.index.documents[clause.doc_id]
            if clause.clause_id in seen or not filters.allows(info):
                continue
            seen.add(clause.clause_id)
            extra.append(ScoredClause(clause, info, 0.0, float(dense[idx]), 0.0, chunk.chunk_id))
            if len(extra) == need:
                break
        return extra

    @property
    def decline_threshold(self) -> float:
        """RAG_DECLINE_THRESHOLD when set (>= 0), else the threshold calibrated with the model."""
        return self._judge.threshold

    @property
    def idf(self) -> dict[str, float]:
        """Inverse document frequency of each token over the clause chunks."""
        return self._idf


def _merge(lists: list[list[ScoredClause]], k: int) -> list[ScoredClause]:
    """Round-robin over several rankings, each clause once: every part keeps its best clauses on top."""
    out: list[ScoredClause] = []
    seen: set[str] = set()
    for i in range(max((len(x) for x in lists), default=0)):
        for ranked in lists:
            if i < len(ranked) and ranked[i].clause.clause_id not in seen:
                seen.add(ranked[i].clause.clause_id)
                out.append(ranked[i])
    return out[: max(k, 0)] if k else out


def _without_names(text: str, documents: list[DocumentInfo]) -> str:
    """The topic of a comparison: the text without the compared documents' place and version words,
    so each side is searched for the topic alone."""
    lexicon = load_lexicon()
    out = text
    for d in documents:
        for name in sorted(region_names(d), key=len, reverse=True):
            out = out.replace(name, " ")
    for word in sorted((*lexicon.draft_words, *lexicon.final_words), key=len, reverse=True):
        out = out.replace(word, " ")
    return " ".join(out.split()) or text


def _interleave_documents(ranked: list[ScoredClause], docs: set[str], slots: int) -> list[ScoredClause]:
    """For a comparison, put each compared document's best `slots` clauses first (round-robin)."""
    per_doc = {d: [s for s in ranked if s.clause.doc_id == d][:slots] for d in sorted(docs)}
    head: list[ScoredClause] = []
    for i in range(slots):
        layer = [clauses[i] for clauses in per_doc.values() if i < len(clauses)]
        head += sorted(layer, key=lambda s: -s.score)
    chosen = {id(s) for s in head}
    return head + [s for s in ranked if id(s) not in chosen]


def _idf_table(chunk_tokens: list[list[str]]) -> dict[str, float]:
    n = len(chunk_tokens)
    df: dict[str, int] = {}
    for toks in chunk_tokens:
        for t in set(toks):
            df[t] = df.get(t, 0) + 1
    # unseen tokens get log(n + 1): rarer than anything in the corpus
    return {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()} | {"": math.log(n + 1)}
