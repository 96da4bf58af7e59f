"""`HybridRetriever`: the retrieval stage as a LangChain `BaseRetriever`, and the one object the
answer pipeline holds for analysing, retrieving and deciding.

It assembles the three stages over one index and delegates to them: question analysis
(`QueryAnalyzer`, rag/query.py), ranking (`HybridRanker`, rag/retrieve/hybrid.py) and the decision
(`EvidenceJudge`, rag/answerability.py). `retrieve(analysis)` is the typed entry point used by
the answer pipeline; `search(text)` analyses plain text first (and decides), for tools, tests and
LangChain's `invoke()` (`_get_relevant_documents`).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr

from rag.answerability import EvidenceJudge
from rag.confidence import ConfidenceModel
from rag.config import Settings, get_settings
from rag.index import CorpusIndex
from rag.query import QueryAnalysis, QueryAnalyzer
from rag.retrieve.hybrid import HybridRanker
from rag.retrieve.sparse import idf_table
from rag.retrieve.types import RetrievalFilters, RetrievalResult


class HybridRetriever(BaseRetriever):
    """Dense + BM25 over clause chunks, fused by reciprocal rank and score; a LangChain retriever."""

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
    _ranker: HybridRanker = PrivateAttr()
    _analyzer: QueryAnalyzer = PrivateAttr()
    _judge: EvidenceJudge = PrivateAttr()

    def model_post_init(self, context: Any) -> None:
        if self.confidence_model is None:
            self.confidence_model = ConfidenceModel.load()
        self._idf = idf_table(self.index.chunk_tokens)
        texts = [c.text for c in self.index.clauses]
        self._analyzer = QueryAnalyzer(self.index.documents, texts, self._idf)
        self._judge = EvidenceJudge(
            texts,
            [d.title for d in self.index.documents.values()],
            self._idf,
            self.confidence_model,
            threshold=self.settings.decline_threshold,
            topic_words=self._analyzer.topic_words,
            evidence_search_k=self.settings.evidence_search_k,
        )
        self._ranker = HybridRanker(
            self.index, self.embedder, self.settings, self.use_dense, self.use_bm25, self._judge.promote_stating
        )

    @property
    def analyzer(self) -> QueryAnalyzer:
        return self._analyzer

    @property
    def judge(self) -> EvidenceJudge:
        return self._judge

    @property
    def ranker(self) -> HybridRanker:
        return self._ranker

    @property
    def decline_threshold(self) -> float:
        """RAG_DECLINE_THRESHOLD when set (>= 0), else the threshold calibrated with the model."""
        return self._judge.threshold

    @property
    def idf(self) -> dict[str, float]:
        """Inverse document frequency of each token over the clause chunks."""
        return self._idf

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
        previous_answer: str | None = None,
    ) -> RetrievalResult:
        """Top-k clauses for `query`, with the decision. `context` is the user's previous question
        (or several, oldest first, `followup.QUESTION_SEP` apart) when `query` is a follow-up,
        `previous_answer` the reply to it (`focus` is accepted for older callers and means the same
        turn)."""
        text = focus or query
        analysis = self._analyzer.analyze(
            text,
            previous=context,
            is_followup=bool(context) and self._analyzer.leans_on_previous(text),
            previous_answer=previous_answer,
        )
        return self.decide(self.retrieve(analysis, filters, k))

    def decide(self, result: RetrievalResult) -> RetrievalResult:
        """Fill in the answerability decision (rag/answerability.py), per part for several parts."""
        return self._judge.decide_result(result)

    # -- the typed API
    def retrieve(
        self, analysis: QueryAnalysis, filters: RetrievalFilters | None = None, k: int | None = None
    ) -> RetrievalResult:
        """Top-k clauses for an analysed question (the retriever's own filters and k by default)."""
        return self._ranker.run(analysis, filters or self.filters, k or self.k or self.settings.top_k)
