"""What the pipeline hands out: the contract's prediction object and the events of a streamed answer.

`AnswerPipeline.stream()` yields one `Evidence` (what the answer will cite) before the model is
called, `Token`s while it writes, then one `Final` with the finished, checked `Prediction` (see
../shared/eval-format.md). The UI, the CLI and the evaluation all read these and nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from rag.llm import Usage
from rag.questions import QuestionCheck

if TYPE_CHECKING:
    from rag.excerpts import Block, Meaning


@dataclass
class Prediction:
    """The prediction object of ../shared/eval-format.md (plus diagnostics under `extra`)."""

    id: str
    question: str
    answer: str = ""
    declined: bool = False
    citations: list[dict[str, Any]] = field(default_factory=list)
    retrieved: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float | None] = field(default_factory=dict)
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def failure(cls, question_id: str, question: str, error: str, **fields: Any) -> Prediction:
        """The prediction of a question that could not be processed: `error` set, nothing answered.
        The one error path of the UI's API and the evaluation."""
        return cls(id=question_id, question=question, error=error, **fields)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        extra = d.pop("extra")
        return {**d, **({"extra": extra} if extra else {})}


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Evidence:
    """The clauses the answer will cite, known once retrieval and the decision are done (tens of
    milliseconds), long before the model's first token: the page shows them at once."""

    labels: tuple[str, ...]
    note: str  # "正在依据 … 回答…", in the question's language
    # the model names documents by the prompt's short names ("东莞2024方案"); the streamed text is
    # shown through this, so the reader sees the display titles the final answer will have
    rename: Callable[[str], str] = str


@dataclass(frozen=True)
class Final:
    prediction: Prediction


@dataclass
class AnswerTurn:
    """One answer in progress: the prediction being filled, the question's check, the model usage of
    all the answer's calls and its clock (timings are seconds from `t0`)."""

    pred: Prediction
    check: QuestionCheck
    usage: Usage = field(default_factory=Usage)  # every model call of this answer: translation, judge, answer
    t0: float = field(default_factory=time.perf_counter)
    meaning: Meaning | None = None  # English: how close clause text is in meaning to the question

    @property
    def lang(self) -> str:
        return self.check.language

    def elapsed(self) -> float:
        return round(time.perf_counter() - self.t0, 4)

    def first_token(self) -> None:
        if self.pred.timings.get("first_token_s") is None:
            self.pred.timings["first_token_s"] = self.elapsed()


def citation_object(block: Block) -> dict[str, Any]:
    """A cited clause: the contract's clause object (`ScoredClause.to_contract` without the score),
    plus what a citation card shows."""
    s = block.scored
    contract = s.to_contract()
    del contract["score"]
    return {
        **contract,
        "responsible": s.clause.responsible,
        "status": s.document.status,
        "superseded_by": s.document.superseded_by,
        "doc_kind": s.document.kind,
        "date": s.document.date,
        "excerpt": block.excerpt,
    }
