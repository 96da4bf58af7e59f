"""The hybrid ranker: dense (e5 + FAISS) and BM25 (jieba) candidates, over the whole clauses and
over every clause's short parts → fusion of the clauses they point to (ranks and scores) →
filters and place/version preference. A multi-part question is ranked once
per part, a comparison once per compared document, and the lists are merged; a short list is
topped up by cosine (reports want k clauses). It ranks; rag/answerability.py decides.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from rag.query import QueryAnalysis
from rag.retrieve.candidates import CandidateSearch
from rag.retrieve.combine import interleave_documents, merge_rankings, without_names
from rag.retrieve.dense import DenseSearch
from rag.retrieve.fuse import Ranking, fuse
from rag.retrieve.prefer import (
    ChunkScores,
    Preference,
    ScoreFactors,
    keep_best_match,
    rank_clauses,
    successors_first,
)
from rag.retrieve.sparse import SparseSearch
from rag.retrieve.types import RetrievalFilters, RetrievalResult, ScoredClause

# (ranking, ask, the English original or "", places, kind or None: read from the ask) -> old rank of the clause moved
# up, or None: the evidence judge's `promote_stating`, so that a compared side or a part of a
# multi-part question leads with the clause stating what is asked
Promote = Callable[[list[ScoredClause], str, str, int, str | None], int | None]


class HybridRanker:
    """Implements `Retriever` over a `CorpusIndex` (chunks, clauses, documents, FAISS and BM25)."""

    def __init__(
        self,
        index: Any,
        embedder: Any,
        settings: Any,
        use_dense: bool = True,
        use_bm25: bool = True,
        promote: Promote | None = None,
    ) -> None:
        if not (use_dense or use_bm25):
            raise ValueError("HybridRetriever needs at least one of use_dense / use_bm25")
        self.index = index
        self.settings = settings
        self.factors = ScoreFactors.from_settings(settings)
        embed = lru_cache(maxsize=32)(embedder.embed_query) if use_dense else None  # one vector per query text
        # (search, the units its rows are, whether its scores are the clauses' own): the whole
        # clauses' scores are what the decision reads; the parts only add rankings
        self.searches: list[tuple[CandidateSearch, list, bool]] = []
        units = [(index.chunks, index.dense, index, True)]
        if index.parts is not None and settings.search_part_chars > 0:  # 0: off, whatever the index holds
            units.append((index.parts.chunks, index.parts.dense, index.parts, False))
        for chunks, vectors, bm25_holder, own in units:
            if use_dense:
                self.searches.append((DenseSearch(vectors, embed, len(chunks)), chunks, own))
            if use_bm25:
                self.searches.append((SparseSearch(bm25_holder), chunks, own))
        self.weights = {"dense": settings.dense_weight, "bm25": settings.bm25_weight}
        self.promote = promote
        self._successors: dict[str, str] | None = None  # superseded clause -> successor clause, on first use

    # -- one ranking
    def _candidates(self, queries: list[tuple[str, float]]) -> tuple[list[Ranking], ChunkScores]:
        """(weighted clause rankings of every query and search, each with its clauses' best chunk
        scores; whole-clause chunk scores of the first query)."""
        n = len(self.index.chunks)
        found_scores = {"dense": np.zeros(n, dtype=np.float32), "bm25": np.zeros(n, dtype=np.float64)}
        rankings: list[Ranking] = []
        for position, (query, weight) in enumerate(queries):
            for search, chunks, own in self.searches:
                found = search.search(query, self.settings.candidate_k)
                if found is None:
                    continue
                if position == 0 and own:
                    found_scores[found.source] = found.scores
                best: dict[str, float] = {}  # best first: a clause's first chunk is its best
                for i, score in zip(found.ranking, found.ranking_scores, strict=True):
                    best.setdefault(chunks[i].clause_id, score)
                rankings.append((list(best), weight * self.weights[found.source], list(best.values())))
        return rankings, ChunkScores(found_scores["dense"], found_scores["bm25"])

    def rank(
        self,
        text: str,
        preference: Preference,
        filters: RetrievalFilters,
        k: int,
        whole_question: str = "",
        previous_answer: str = "",
        turn: str = "",
    ) -> tuple[list[ScoredClause], np.ndarray]:
        """One fused ranking of `text` (and, lighter, of `whole_question`; of the reply a follow-up
        leans on; of a follow-up's own `turn` when it names a topic): (clauses, dense cosine of
        every chunk to `text`)."""
        queries = [(text, 1.0)]
        if whole_question:
            queries.append((whole_question, self.settings.context_query_weight))
        if previous_answer and self.settings.previous_answer_weight > 0:
            queries.append((previous_answer, self.settings.previous_answer_weight))
        if turn and self.settings.turn_query_weight > 0:
            queries.append((turn, self.settings.turn_query_weight))
        rankings, scores = self._candidates(queries)
        fused = fuse(rankings, self.settings.rrf_k, self.settings.score_fusion_weight)
        ranked, unpreferred = rank_clauses(fused, self.index, filters, preference, self.factors, scores)
        ranked = keep_best_match(ranked, unpreferred, self.factors.keep_best_within)[:k]
        return successors_first(ranked, self.successor_of, preference), scores.dense

    def successor_of(self, clause_id: str) -> str | None:
        """The aligned clause of the text that superseded `clause_id`'s document (rag/diff.py; the
        alignment is computed on first use, ~2 s here, then kept)."""
        if self._successors is None:
            from rag.diff import successor_map

            self._successors = successor_map(self.index)
        return self._successors.get(clause_id)

    # -- the question
    def run(self, analysis: QueryAnalysis, filters: RetrievalFilters, top_k: int) -> RetrievalResult:
        """Top-k clauses for an analysed question: one ranking, or one per part / compared document."""
        t0 = time.perf_counter()
        preference = Preference(frozenset(analysis.preferred_docs), analysis.wants_draft)
        text = analysis.search_text or analysis.normalized
        ranked, dense = self.rank(
            text,
            preference,
            filters,
            top_k,
            self._second_query(analysis),
            analysis.previous_answer,
            # a turn naming a topic of its own, searched alone too (an English one's search text is
            # the question with its translation and glossary terms, which it would only repeat)
            analysis.focus if analysis.turn_words and analysis.language != "english" else "",
        )
        parts = self._rank_parts(analysis, preference, filters, top_k)
        if parts:
            ranked = merge_rankings(parts, top_k)
        sides = self._rank_sides(analysis, text, filters)
        if sides:
            merged = merge_rankings([*sides.values(), ranked], top_k)
            ranked = interleave_documents(merged, set(sides), self.settings.compare_slots)
        if len(ranked) < top_k:
            ranked += self.fill(ranked, filters, top_k - len(ranked), dense)
        if chinese := _translated_focus(analysis):
            dense = self._decision_dense(chinese, dense)
        return RetrievalResult(
            query=analysis.question,
            normalized_query=text,
            clauses=ranked[:top_k],
            preferred_docs=sorted(preference.docs),
            filters=filters,
            seconds=time.perf_counter() - t0,
            analysis=analysis,
            dense=dense,
            parts=parts,
            sides=sides,
            extra={"compared_docs": sorted(sides)} if sides else {},
        )

    def _decision_dense(self, chinese: str, searched: np.ndarray) -> np.ndarray:
        """The whole clauses' cosines to an English question's Chinese focus alone, for the
        decision: its calibration was fitted mostly on Chinese questions (215 of the 246 of dev and
        users-dev), and the cosines of the mixed English-and-Chinese search text run lower for the
        same clauses (0.85-0.89 for answerable English questions on users-dev-6, where Chinese
        ones reach 0.91), so most answerable English questions fell below its threshold."""
        for search, _, own in self.searches:
            if own and isinstance(search, DenseSearch) and chinese.strip():
                return search.search(chinese, 1).scores
        return searched

    def _second_query(self, analysis: QueryAnalysis) -> str:
        """A second, lighter query: the whole question, when the search text is its focus without
        the asker's context, so that context which does name the topic is not lost; for an English
        question (searched with the question and its translation), the translation's focus alone."""
        if self.settings.context_query_weight <= 0:
            return ""
        if analysis.language == "english":
            return _translated_focus(analysis)
        if not analysis.context_terms:
            return ""
        return _followup_prefix(analysis) + analysis.repaired

    def _rank_parts(
        self, analysis: QueryAnalysis, preference: Preference, filters: RetrievalFilters, k: int
    ) -> list[list[ScoredClause]]:
        """One ranking per sub-question (none for a single question)."""
        if not analysis.multi_part:
            return []
        prefix = _followup_prefix(analysis)
        rankings = [self.rank(prefix + p.search_text, preference, filters, k)[0] for p in analysis.parts]
        if self.promote:  # each part's prompt clauses include one stating what that part asks, if any does
            for part, ranked in zip(analysis.parts, rankings, strict=True):
                self.promote(ranked, part.text, analysis.english_of(part.text), self.settings.prompt_k_part, None)
        return rankings

    def _rank_sides(
        self, analysis: QueryAnalysis, text: str, filters: RetrievalFilters
    ) -> dict[str, list[ScoredClause]]:
        """One ranking per compared document the filters allow, of the topic without the sides' names."""
        documents = self.index.documents
        if not analysis.compare_docs:
            return {}
        topic = without_names(text, [documents[d] for d in analysis.compare_docs])
        slots = self.settings.compare_slots
        depth = max(slots, self.settings.evidence_search_k) if self.promote else slots
        sides: dict[str, list[ScoredClause]] = {}
        for doc_id in analysis.compare_docs:
            if filters.allows(documents[doc_id]):
                only = RetrievalFilters(doc_ids=(doc_id,))
                preference = Preference(frozenset({doc_id}), wants_draft=True)
                side = self.rank(topic, preference, only, depth)[0]
                if self.promote:  # each side's first clause states the asked-for figure, if one of them does
                    self.promote(side, topic, analysis.english_of(topic), 1, analysis.answer_type)
                sides[doc_id] = side[:slots]
        return sides

    def fill(
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


def _translated_focus(analysis: QueryAnalysis) -> str:
    """An English question's Chinese focus when the model translated it; "" otherwise: the
    glossary's terms are no question, and an English follow-up's focus ("谁负责这个？") means
    nothing without the earlier question, which is English (it keeps the mixed search text)."""
    if analysis.language != "english" or analysis.translation_method != "model" or analysis.earlier_topic:
        return ""
    return analysis.focus


def _followup_prefix(analysis: QueryAnalysis) -> str:
    """The earlier questions' topic and a space, when this turn is a follow-up: parts are searched with it."""
    return f"{analysis.earlier_topic} " if analysis.earlier_topic else ""
