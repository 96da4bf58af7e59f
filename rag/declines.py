"""A decline, said with its reason, in the question's language (wording: prompts/replies.yaml).

When the plans deal with the topic but not with the detail asked (an amount, a procedure, today's
figure, the national level), the reply also quotes what they do state, cited
("方案只提到依法享受加计扣除，未规定比例[1]"); otherwise it names the nearest clauses.
"""

from __future__ import annotations

from collections.abc import Callable

from rag.config import Settings
from rag.documents import DocumentInfo
from rag.excerpts import Block, build_blocks
from rag.extractive import extractive_answer
from rag.prompting import replies, reply
from rag.retrieval import RetrievalResult
from rag.text import to_traditional

RELATED_SHOWN = 3  # nearest clauses named in a decline
DETAIL_KINDS = {"answer-type", "current", "national"}  # the topic is there, the detail asked is not


def decline_reply(
    result: RetrievalResult,
    lang: str,
    settings: Settings,
    documents: dict[str, DocumentInfo],
    parent_text: Callable,
) -> tuple[str, list[Block]]:
    """(reply, cited blocks) for a declined question; `result.decline_reason` is "kind:value"."""
    kind, _, value = result.decline_reason.partition(":")
    if kind == "place":
        return _other_place(value, lang, documents), []
    if kind in {"number", "term"}:
        text = reply("decline_number", lang, number=value)
    elif kind in DETAIL_KINDS:
        key = value if kind == "answer-type" else kind
        what = replies()["what"][key]["en" if lang == "english" else "zh"]
        text = reply("decline_answer_type", lang, what=what)
        stated = _what_the_plans_state(result, lang, settings, parent_text)
        if stated is not None:
            return text + "\n" + stated[0], stated[1]
    else:
        text = reply("decline", lang)
    related = [s.clause.label for s in result.clauses[:RELATED_SHOWN] if s.score > 0]
    if related:
        text += "\n" + reply("related", lang) + "\n" + "\n".join(f"- {label}" for label in related)
    return text, []


def _other_place(place: str, lang: str, documents: dict[str, DocumentInfo]) -> str:
    """The plans cover these regions, not `place` (region names from the catalog)."""
    regions = "、".join(dict.fromkeys(d.region for d in documents.values()))
    if lang == "english":
        regions = replies()["regions_en"]
    return reply("decline_place", lang, regions=regions, place=place)


def _what_the_plans_state(
    result: RetrievalResult, lang: str, settings: Settings, parent_text: Callable
) -> tuple[str, list[Block]] | None:
    """The top clause's best sentence, quoted and cited, under "the plans only state:"."""
    english = lang == "english"
    asked = result.normalized_query if english else result.analysis.focus
    chars = int(settings.prompt_token_budget * settings.chars_per_token)
    blocks = build_blocks(result.clauses[:1], result.normalized_query, chars, parent_text)
    if not blocks:
        return None
    kind = asked if english else result.analysis.kind_text
    quote, cited = extractive_answer(asked, result.normalized_query, blocks, english, sentences=1, kind=kind)
    if not cited:
        return None
    stated = reply("plans_state", lang) + "\n" + quote
    return (to_traditional(stated) if lang == "traditional" else stated), cited
