"""What happens to the model's text before anyone sees it: an ordered list of small checks.

Each check is a function `(draft, context) -> reason | None`; the first reason ends the model's
answer and an extractive one (quoted from the clauses) replaces it, named after the reason
("extractive-refusal", "extractive-off-topic"…) — except a loop, where the sentences written
before it began go on through the checks ("llm-trimmed"), as do the whole sentences of an answer
stopped before its end (at its token limit, past the time budget, after unsupported sentences).
The checks on the raw text run first; then code
renumbers the citations and drops unsupported sentences (`cite_answer`, `ground_answer`), and the
checks on that grounded text run. Add a check by writing one function and listing it here.
`nothing_supported` runs the same citing and grounding on a stream's whole sentences so far, so
that the model can be stopped once its answer is bound to be quoted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rag.citations import cite_answer, formal_titles
from rag.excerpts import Block, Meaning, idf_weight, turn_first
from rag.extractive import EXTRACTIVE, extractive_answer, extractive_parts
from rag.factcheck import (
    before_loop,
    ground_answer,
    has_content,
    is_degenerate,
    is_refusal,
    misses_answer_type,
    off_topic,
    topic_terms,
    whole_sentences,
)


@dataclass(frozen=True)
class CheckContext:
    """What the checks read besides the answer: the prompt's blocks and what was asked."""

    blocks: list[Block]
    question: str  # what is asked, as the checks read it (the focus; English as typed)
    query: str  # the retrieval's normalised query (English: expanded with Chinese terms)
    english: bool
    idf: dict[str, float]
    similarity: Callable[[str, list[str]], list[float]] | None = None
    parts: list[str] | None = None  # the sub-questions of a multi-part question
    prefer_final: bool = False  # no draft asked for: a figure must stand in the final plan it cites
    kind_text: str = ""  # the words saying what kind of answer is wanted (default: `question`)
    preferred_docs: tuple[str, ...] = ()  # the documents the question names: a quote comes from them if it can
    named_docs: tuple[str, ...] = ()  # the documents of the places the question names: its facts stand there
    previous: str = ""  # a follow-up's earlier questions: a multi-part one's parts are quoted with them
    turn_words: frozenset[str] = frozenset()  # a follow-up's own topic words: they choose its quote first
    meaning: Meaning | None = None  # English: the quote is chosen by closeness in meaning too

    @property
    def kind(self) -> str:
        return self.kind_text or self.question


@dataclass
class Draft:
    """The model's answer on its way through the checks."""

    raw: str
    answer: str = ""  # cited and grounded
    cited: list[Block] = field(default_factory=list)
    removed: int = 0  # sentences grounding dropped
    trimmed: bool = False  # cut where the model began to loop, or at its token limit


Check = Callable[[Draft, CheckContext], str | None]


def empty(d: Draft, ctx: CheckContext) -> str | None:
    return "empty" if not d.raw.strip() else None


def refusal(d: Draft, ctx: CheckContext) -> str | None:
    return "refusal" if is_refusal(d.raw) else None


def repetition(d: Draft, ctx: CheckContext) -> str | None:
    return "repetition" if is_degenerate(d.raw) else None


def uncited(d: Draft, ctx: CheckContext) -> str | None:
    return "uncited" if not d.cited else None


def no_content(d: Draft, ctx: CheckContext) -> str | None:
    if has_content(d.answer, ctx.question):
        return None
    return "ungrounded" if d.removed else "no-content"


def no_figure(d: Draft, ctx: CheckContext) -> str | None:
    return "no-figure" if misses_answer_type(ctx.kind, d.answer) else None


def off_topic_answer(d: Draft, ctx: CheckContext) -> str | None:
    terms = topic_terms(ctx.query, ctx.blocks, ctx.idf)
    return "off-topic" if off_topic(d.answer, terms, ctx.kind) else None


RAW_CHECKS: tuple[Check, ...] = (empty, refusal, repetition)
GROUNDED_CHECKS: tuple[Check, ...] = (no_content, no_figure, off_topic_answer)


def _first_reason(checks: tuple[Check, ...], draft: Draft, ctx: CheckContext) -> str | None:
    return next((reason for check in checks if (reason := check(draft, ctx))), None)


def fallback(ctx: CheckContext, why: str) -> tuple[str, list[Block], str]:
    """The extractive answer (one quote per part for a multi-part question), named by `why`."""
    weight = idf_weight(ctx.idf) if ctx.idf else len  # rare words choose the quoted sentence
    weight = turn_first(weight, ctx.turn_words)  # a follow-up's own words before the earlier questions'
    # a question naming Dongguan's plan is not answered by quoting Shaoguan's
    blocks = [b for b in ctx.blocks if b.scored.document.doc_id in ctx.preferred_docs] or ctx.blocks
    if ctx.parts:
        answer, cited = extractive_parts(ctx.parts, blocks, ctx.english, weight, ctx.previous)
    else:
        answer, cited = extractive_answer(
            ctx.question, ctx.query, blocks, ctx.english, kind=ctx.kind, weight=weight, meaning=ctx.meaning
        )
    return answer, cited, f"{EXTRACTIVE}-{why}"


def nothing_supported(raw: str, ctx: CheckContext, min_dropped: int) -> bool:
    """Grounding drops at least `min_dropped` of the whole sentences the model has written so far
    and what it keeps says nothing, with no refusal or loop among them: were the model stopped
    here, its answer would be quoted as "ungrounded". A prediction, not a certainty — a later
    sentence might have stood — which is why the stream asks for two dropped sentences, and why
    it is not asked where a refusal or a second part could follow (rag/answer.py)."""
    whole = whole_sentences(raw)
    if min_dropped < 1 or not whole:
        return False
    draft = Draft(whole, trimmed=True)
    if _first_reason(RAW_CHECKS, draft, ctx) or not _cite_and_ground(draft, ctx):
        return False
    return draft.removed >= min_dropped and no_content(draft, ctx) == "ungrounded"


def _cite_and_ground(draft: Draft, ctx: CheckContext) -> bool:
    """Cite the draft's sentences and drop the unsupported ones; False when nothing could be cited."""
    formal = formal_titles(draft.raw, ctx.blocks)  # before citing and grounding, which read document names
    draft.answer, draft.cited = cite_answer(formal, ctx.blocks, similarity=ctx.similarity, question=ctx.question)
    if uncited(draft, ctx):
        return False
    draft.answer, draft.removed = ground_answer(draft.answer, draft.cited, ctx.prefer_final, ctx.named_docs)
    return True


def check_answer(raw: str, ctx: CheckContext, cut: bool = False) -> tuple[str, list[Block], str]:
    """(answer, cited blocks, route) — the model's answer if it survives the checks, else extractive.
    `cut`: the model was stopped before its end (at RAG_MAX_NEW_TOKENS, past the time budget, after
    unsupported sentences): its unfinished sentence is dropped."""
    whole = whole_sentences(raw) if cut else raw
    # trimmed only when that dropped something: a stop right after a sentence keeps the model's text
    draft = Draft(whole, trimmed=whole.rstrip() != raw.rstrip())
    raw = whole
    if reason := _first_reason(RAW_CHECKS, draft, ctx):  # on what the model wrote: a long title repeated is no loop
        kept = before_loop(raw) if reason == "repetition" else ""
        if not has_content(kept, ctx.question) or is_degenerate(kept):
            return fallback(ctx, reason)
        # what it wrote before it began to repeat itself is checked like any answer
        raw, draft = kept, Draft(kept, trimmed=True)
    if not _cite_and_ground(draft, ctx):
        return fallback(ctx, "uncited")
    if reason := _first_reason(GROUNDED_CHECKS, draft, ctx):
        return fallback(ctx, reason)
    if draft.removed or draft.trimmed:  # renumbering again drops citations of removed sentences
        renumbered = [Block(i, b.scored, b.excerpt, b.context) for i, b in enumerate(draft.cited, 1)]
        answer, cited = cite_answer(draft.answer, renumbered)
        return answer, cited, "llm-trimmed"
    return draft.answer, draft.cited, "llm"
