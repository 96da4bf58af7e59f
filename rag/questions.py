"""What arrives from a user, checked before anything else: empty, too long, chit-chat, injection.

Injection text ("忽略以上指令…", "ignore previous instructions", fake <|im_start|>system tags)
is not obeyed anywhere: chat-template control tokens and fake role markers are removed so they
cannot open a new turn, the question goes into the user message as data under fixed rules, and
whatever the model writes is still checked against the cited clauses. We record that an
attempt was seen, and strip the instruction phrases so they do not steer retrieval either.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from rag.lexicon import LEXICON_DIR, LexiconError, compile_pattern, read_lexicon_file
from rag.text import script_of

CONTROL_TOKENS = re.compile(
    r"<\|[^|>]{1,40}\|>\s*(?:system|user|assistant)?|\[/?INST\]|<</?SYS>>|</?s>|</?(?:system|assistant|user)>", re.I
)
SEGMENT = re.compile(r"[，。！？；,!?;\n]+|\.\s")
QUESTIONS_FILE = LEXICON_DIR / "questions.yaml"


@dataclass(frozen=True)
class MessageRules:
    """The patterns of `data/lexicon/questions.yaml`."""

    role_prefix: re.Pattern
    injection: re.Pattern
    question_marker: re.Pattern
    greeting: re.Pattern


@cache
def load_message_rules() -> MessageRules:
    raw = read_lexicon_file(QUESTIONS_FILE)
    where = str(QUESTIONS_FILE)
    try:
        return MessageRules(
            **{name: compile_pattern(raw[name], f"{where}: {name}") for name in MessageRules.__annotations__}
        )
    except KeyError as exc:
        raise LexiconError(f"{where}: missing entry {exc}") from None


@dataclass(frozen=True)
class QuestionCheck:
    kind: str  # "ok" | "empty" | "too_long" | "greeting" | "off_topic" (nothing left but an injection attempt)
    text: str  # the question as it goes on (control tokens and injection phrases removed)
    language: str  # "simplified" | "traditional" | "english"
    injection: bool = False
    length: int = 0


def question_char_limit(language: str, max_chars: int, max_chars_english: int | None = None) -> int:
    """How many characters a question in `language` may have (English: `max_chars_english`, when given)."""
    return max_chars_english if language == "english" and max_chars_english is not None else max_chars


def check_question(raw: str, max_chars: int, max_chars_english: int | None = None) -> QuestionCheck:
    """`max_chars` characters at most, or `max_chars_english` (default: the same) for an English
    question, which takes more characters to ask the same."""
    text = unicodedata.normalize("NFC", raw or "")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    length = len(text)
    if not text:
        return QuestionCheck("empty", "", "simplified")
    language = script_of(text)
    limit = question_char_limit(language, max_chars, max_chars_english)
    if length > limit:
        return QuestionCheck("too_long", text[:limit], language, length=length)
    rules = load_message_rules()
    if rules.greeting.match(text):
        return QuestionCheck("greeting", text, language)
    injection = bool(CONTROL_TOKENS.search(text) or rules.role_prefix.search(text) or rules.injection.search(text))
    cleaned = rules.role_prefix.sub(" ", CONTROL_TOKENS.sub("。", text))
    # drop every sentence segment that carries an instruction to the model; keep the real question
    segments = [seg for seg in SEGMENT.split(cleaned) if seg.strip() and not rules.injection.search(seg)]
    asking = [seg for seg in segments if rules.question_marker.search(seg)]
    segments = asking or segments  # after an injection, its payload ("写一首诗") is not the question
    cleaned = "，".join(seg.strip() for seg in segments) if injection else cleaned
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" ，,。.;；:")
    if not re.search(r"[\w\u4e00-\u9fff]", cleaned):
        cleaned = ""
    if not cleaned:
        return QuestionCheck("off_topic", text, language, injection=injection)
    return QuestionCheck("ok", cleaned, language, injection=injection)
