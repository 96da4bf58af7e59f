"""Conversation history: reading the earlier turns, and telling whether a turn leans on them.

A turn is a follow-up when it points back with 那/这/该/其中…, is too short to stand alone
(`is_followup`, cues from `data/lexicon/followup.yaml`), or names no topic of its own
(`QueryAnalyzer.leans_on_previous`, which needs the plans' vocabulary). A follow-up to a
follow-up carries the earlier questions it leaned on (`previous_question_chain`). What is done
with them lives elsewhere: the retriever searches each part with `QueryAnalysis.earlier_topic`
(the earlier questions without the places a turn naming its own replaces); the quotes and the
judge read `QueryAnalysis.earlier_questions`. `condense_with_llm` is the LLM rewrite that
`python -m bench.followup` compares with this cheap reading.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rag.lexicon import LEXICON_DIR, LexiconError, compile_pattern, read_lexicon_file
from rag.text import normalize

FOLLOWUP_FILE = "followup.yaml"
QUESTION_SEP = "\n"  # between the questions of a chain of previous ones (rag.places reads the latest place)
STANDALONE_MIN_CHARS = 12  # a question shorter than this (after normalising) rarely stands alone


@dataclass(frozen=True)
class FollowupCues:
    """How a turn shows it leans on the previous one, read once from `data/lexicon/followup.yaml`."""

    starts: re.Pattern  # matched at the start of the turn ("那东莞呢？")
    refers_back: re.Pattern  # searched anywhere in it ("这项由谁负责？")


@cache
def load_followup_cues(directory: Path = LEXICON_DIR) -> FollowupCues:
    path = directory / FOLLOWUP_FILE
    data = read_lexicon_file(path)
    for key in ("starts", "refers_back"):
        if not isinstance(data.get(key), list) or not data[key]:
            raise LexiconError(f"{path}: {key} must be a non-empty list of patterns")
    return FollowupCues(
        starts=compile_pattern("^(" + "|".join(map(str, data["starts"])) + ")", f"{path}: starts"),
        refers_back=compile_pattern("(" + "|".join(map(str, data["refers_back"])) + ")", f"{path}: refers_back"),
    )


@dataclass(frozen=True)
class Turn:
    role: str  # "user" | "assistant"
    content: str

    @classmethod
    def from_dict(cls, data: dict) -> Turn:
        role = str(data.get("role", "")).strip()
        if role not in {"user", "assistant"}:
            raise ValueError(f"history turn role must be 'user' or 'assistant', got {role!r}")
        return cls(role, str(data.get("content", "")))


def parse_history(history: list | None) -> list[Turn]:
    """Accept the contract's [{"role", "content"}] list (or Gradio's [[user, bot], …] pairs)."""
    turns: list[Turn] = []
    for item in history or []:
        if isinstance(item, dict):
            turns.append(Turn.from_dict(item))
        elif isinstance(item, list | tuple) and len(item) == 2:
            user, bot = item
            if user:
                turns.append(Turn("user", str(user)))
            if bot:
                turns.append(Turn("assistant", str(bot)))
        else:
            raise ValueError("history must be a list of {'role': …, 'content': …} objects")
    return turns


def is_followup(question: str) -> bool:
    """Leans on the previous turn: starts or points back with a follow-up word, or is too short to stand alone."""
    cues = load_followup_cues()
    q = normalize(question).strip()
    return bool(cues.starts.match(q) or cues.refers_back.search(q) or len(q) < STANDALONE_MIN_CHARS)


def condense_with_llm(question: str, history: list[Turn], backend, template: str, max_tokens: int = 60) -> str:
    """The LLM rewrite (measured against the cheap method by `python -m bench.followup`)."""
    if not history:
        return question
    lines = "\n".join(f"{'用户' if t.role == 'user' else '助手'}：{t.content}" for t in history[-4:])
    prompt = template.format(history=lines, question=question)
    out = "".join(backend.stream([{"role": "user", "content": prompt}], max_tokens, 0.0)).strip()
    out = out.splitlines()[0].strip() if out else ""
    return out or question


def previous_question_chain(history: list[Turn], leans_on_previous: Callable[[str], bool], limit: int) -> list[str]:
    """The user's last question, preceded by the earlier ones it leans on: in "东莞对食品安全有什么
    要求？" → "哪个部门负责？" → "有时限吗？", the previous question names no topic of its own, so it
    is read with the one before it. At most `limit` questions, oldest first (empty: none). The
    caller joins them with `QUESTION_SEP`, so the latest one naming a place is the place that
    carries over (rag/places.py), not all of them."""
    questions = [t.content.strip() for t in history if t.role == "user" and t.content.strip()]
    if not questions:
        return []
    chain = [questions[-1]]
    for earlier in reversed(questions[:-1]):
        if len(chain) >= limit or not leans_on_previous(chain[0]):
            break
        chain.insert(0, earlier)
    return chain


CITATION_MARK = re.compile(r"\[\d+\]")


def previous_answer(history: list[Turn]) -> str | None:
    """The assistant's reply to the user's last question, if the history has one (without its
    citation marks "[1]", which say nothing to a search)."""
    last_user = max((i for i, t in enumerate(history) if t.role == "user" and t.content.strip()), default=None)
    if last_user is None:
        return None
    replies = [t.content.strip() for t in history[last_user + 1 :] if t.role == "assistant" and t.content.strip()]
    return CITATION_MARK.sub("", replies[-1]).strip() if replies else None
