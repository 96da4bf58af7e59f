"""Prompts and fixed wording: the files in `prompts/`, read once, and the messages sent to the model.

Every reply the code writes itself (declines, "方案未写明…", the evidence line) comes from
`prompts/replies.yaml` through `reply`, in the question's language and script; every message to the
model starts with the same system prompt (`system.txt`), so llama.cpp keeps it in its prefix cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from rag.config import PROJECT_ROOT, Settings
from rag.excerpts import Block, Meaning, build_blocks, prompt_lines
from rag.followup import QUESTION_SEP
from rag.llm import Usage
from rag.text import normalize, to_traditional

PROMPTS = PROJECT_ROOT / "prompts"
CHAT_WRAP_TOKENS = 10  # the chat template's tokens around a user message (<|im_start|>user … assistant)


@cache
def prompt_file(name: str) -> str:
    return (PROMPTS / name).read_text(encoding="utf-8")


@cache
def replies() -> dict:
    return yaml.safe_load(prompt_file("replies.yaml"))


def reply(key: str, lang: str, **values: Any) -> str:
    """A fixed reply of `prompts/replies.yaml` in the question's language (and script)."""
    text = replies()[key]["en" if lang == "english" else "zh"].format(**values)
    return to_traditional(text) if lang == "traditional" else text


DECLINE_REPLIES = ("decline", "decline_place", "decline_number", "decline_answer_type")


def is_decline_reply(text: str) -> bool:
    """`text` opens like one of the fixed declines (either language, either script): a reply that
    answered nothing, so a follow-up's search does not read it."""
    opened = normalize(text).strip()
    heads = (replies()[key][lang].split("{")[0] for key in DECLINE_REPLIES for lang in ("zh", "en"))
    return any(head and opened.startswith(normalize(head)) for head in heads)


def system_message() -> dict[str, str]:
    return {"role": "system", "content": prompt_file("system.txt").strip()}


def answer_messages(
    blocks: list[Block], question: str, lang: str, show_empty: bool = False, kind: str = ""
) -> list[dict[str, str]]:
    """The answer prompt: the numbered clause excerpts, then the question (prompts/user.txt);
    blocks without an excerpt only with `show_empty`. `kind` (default: the question) says whether
    the responsible units and the document's facts are asked for."""
    language = prompt_file("language_en.txt").strip() if lang == "english" else ""
    lines = prompt_lines(blocks, kind or question, show_empty)
    user = prompt_file("user.txt").format(clauses="\n".join(lines), question=question, language_instruction=language)
    return [system_message(), {"role": "user", "content": user.strip()}]


def translation_messages(english: str) -> list[dict[str, str]]:
    """English question → Chinese query (prompts/translate.txt), under the answer's system prompt."""
    return [
        system_message(),
        {"role": "user", "content": prompt_file("translate.txt").strip().format(question=english)},
    ]


QUESTION_SLOT = "\x00question\x00"  # where the question goes in prompts/translate.txt


def translation_prefix_messages() -> list[dict[str, str]]:
    """The start of every translation prompt, up to the question: the prefix cache holds it, so an
    English question's first call processes only the question (~28 tokens fewer)."""
    head = prompt_file("translate.txt").strip().format(question=QUESTION_SLOT).split(QUESTION_SLOT)[0]
    return [system_message(), {"role": "user", "content": head}]


def with_previous(question: str, previous: str) -> str:
    """A follow-up ("那广东省的行动计划呢？") means nothing to the model without the earlier question;
    `previous` may be a chain of them (`followup.previous_question_chain`), oldest first. They come
    before the turn: told them after it, the model answered the earlier question again."""
    earlier = [q.strip() for q in previous.split(QUESTION_SEP) if q.strip()]
    if len(earlier) > 1:
        return prompt_file("followup_chain.txt").strip().format(question=question, previous="；".join(earlier))
    return prompt_file("followup.txt").strip().format(question=question, previous="".join(earlier))


def evidence_chars(
    settings: Settings,
    skeleton: list[Block],
    question: str,
    lang: str,
    spent: int,
    compare: bool = False,
    kind: str = "",
) -> int:
    """Excerpt characters the answer's prompt may hold: the per-answer token budget, less what
    earlier calls of this answer processed (translation, judge) and the prompt's own text (clause
    labels, question, template; `skeleton` is the blocks without excerpts), converted with the
    model's measured characters per token. Every label counts, though the clauses left without an
    excerpt are not shown: the excerpts are chosen within this, so it must not depend on them. The
    floor is higher for a comparison, which quotes two documents."""
    fixed = sum(len(m["content"]) for m in answer_messages(skeleton, question, lang, show_empty=True, kind=kind)[1:])
    left = settings.prompt_token_budget - spent - CHAT_WRAP_TOKENS
    floor = settings.min_compare_evidence_chars if compare else settings.min_evidence_chars
    return max(floor, int(left * settings.chars_per_token) - fixed)


def generation_tokens(settings: Settings, usage: Usage, prompt_chars: int) -> int:
    """Tokens the answer may generate before all its calls (translation, judge, this prompt of
    `prompt_chars` characters, counted before it is sent; the system prompt is cached) have spent
    RAG_ANSWER_TIME_BUDGET_S on the slow reference CPU, where a generated token costs several
    prompt tokens' time; past them the model is stopped once its answer covers the question
    (rag/answer.py). Never fewer than RAG_MIN_ANSWER_TOKENS (a sentence or two), never more than
    RAG_MAX_NEW_TOKENS, which is all a budget of 0 (off) leaves: the budget then stops nothing."""
    s = settings
    if not s.answer_time_budget_s:
        return s.max_new_tokens
    prompt = usage.prompt_tokens + prompt_chars / s.chars_per_token
    seconds_left = s.answer_time_budget_s - prompt / s.reference_prompt_rate
    tokens = int(seconds_left * s.reference_generation_rate) - usage.completion_tokens
    return min(s.max_new_tokens, max(s.min_answer_tokens, tokens))


@dataclass(frozen=True)
class PromptPlan:
    """What the answer prompt is built from."""

    query: str  # the retrieval's normalised query (English: expanded with the plans' Chinese terms)
    asked_text: str  # what is asked as the checks read it: the focus; English as typed
    asked: str  # what the model is asked: typos repaired, filler left out, a follow-up with its context
    clauses: list  # the ranked clauses the prompt quotes
    parts: list[str] | None  # the answerable parts of a multi-part question
    compare: bool = False  # the question compares documents
    kind_text: str = ""  # the words saying what kind of answer is wanted (QueryAnalysis.kind_text)
    # a follow-up's own topic words (QueryAnalysis.turn_words; none with RAG_TURN_WORDS_FIRST=0): the
    # excerpts and quotes are chosen by them first
    turn_words: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return self.kind_text or self.asked_text


CLAUSES_SLOT = "\x00clauses\x00"  # where the blocks go in prompts/user.txt, to cut the text before it


def clause_prefix_messages(scored, excerpt: str) -> list[dict[str, str]]:
    """The start of every answer prompt whose block 1 is `scored` with an excerpt that begins with
    `excerpt`, up to its last character: what the clause prefix cache (`rag.prefix_cache`) holds."""
    template = prompt_file("user.txt").format(clauses=CLAUSES_SLOT, question="", language_instruction="")
    head = template.strip().split(CLAUSES_SLOT)[0]
    block = Block(1, scored, excerpt)
    return [system_message(), {"role": "user", "content": f"{head}{block.document_header(False)}\n{block.opening()}"}]


def evidence_blocks(
    settings: Settings,
    plan: PromptPlan,
    lang: str,
    spent: int,
    parent_text: Callable,
    idf: dict[str, float] | None = None,
    meaning: Meaning | None = None,
) -> list[Block]:
    """The clauses' excerpts within what is left of this answer's prompt-token budget (`spent`
    tokens went to earlier calls of the answer: translation, judge); `idf` weighs the query's words,
    `meaning` (English) the excerpts' closeness in meaning to the question."""
    skeleton = [Block(i, s, "") for i, s in enumerate(plan.clauses, 1)]
    chars = evidence_chars(settings, skeleton, plan.asked, lang, spent, plan.compare, plan.kind)
    turn_words = frozenset(plan.turn_words)
    return build_blocks(plan.clauses, plan.query, chars, parent_text, plan.kind, idf, turn_words, meaning)
