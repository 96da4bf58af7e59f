"""The one question-answering pipeline: condense follow-up → retrieve → (prompt → generate →
cite → ground). The UI, the CLI (`python -m rag.ask`) and the evaluation all call
`AnswerPipeline`, and all get the contract's prediction object from it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from rag.config import Settings, get_settings
from rag.followup import condense_question, parse_history
from rag.index import CorpusIndex, ensure_index
from rag.retrieval import HybridRetriever, RetrievalFilters, RetrievalResult


@dataclass
class Prediction:
    """The prediction object of ../shared/eval-format.md (plus a few diagnostic extras)."""

    id: str
    question: str
    answer: str = ""
    declined: bool = False
    citations: list[dict[str, Any]] = field(default_factory=list)
    retrieved: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float | None] = field(default_factory=dict)
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        extra = d.pop("extra")
        return {**d, **({"extra": extra} if extra else {})}


class AnswerPipeline:
    """Holds the index, retriever (and later the generator); safe to share across requests."""

    def __init__(self, settings: Settings, index: CorpusIndex, retriever: HybridRetriever) -> None:
        self.settings = settings
        self.index = index
        self.retriever = retriever

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> AnswerPipeline:
        from rag.embedder import Embedder

        settings = settings or get_settings()
        embedder = Embedder(settings)
        index = ensure_index(settings, embedder=embedder)
        return cls(settings, index, HybridRetriever(index=index, embedder=embedder, settings=settings))

    def retrieve(self, question: str, history: list | None = None, filters: dict | None = None) -> RetrievalResult:
        turns = parse_history(history)
        standalone = condense_question(question, turns)
        focus = question if standalone != question else None
        result = self.retriever.search(standalone, RetrievalFilters.from_dict(filters), focus=focus)
        result.extra["standalone_question"] = standalone
        return result

    def predict(
        self,
        question: str,
        history: list | None = None,
        filters: dict | None = None,
        qid: str = "",
        retrieval_only: bool = False,
    ) -> Prediction:
        """One complete answer as the contract's prediction object."""
        t0 = time.perf_counter()
        pred = Prediction(id=qid, question=question)
        result = self.retrieve(question, history, filters)
        retrieval_s = time.perf_counter() - t0
        pred.retrieved = [s.to_contract() for s in result.clauses]
        pred.declined = result.declined
        pred.timings = {
            "retrieval_s": round(retrieval_s, 4),
            "first_token_s": None,
            "total_s": round(time.perf_counter() - t0, 4),
        }
        pred.extra = {
            "confidence": round(result.confidence, 4),
            "features": result.features.to_dict(),
            "standalone_question": result.extra["standalone_question"],
        }
        return pred
