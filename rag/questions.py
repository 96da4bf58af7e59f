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

from rag.text import script_of

CONTROL_TOKENS = re.compile(
    r"<\|[^|>]{1,40}\|>\s*(?:system|user|assistant)?|\[/?INST\]|<</?SYS>>|</?s>|</?(?:system|assistant|user)>", re.I
)
ROLE_PREFIX = re.compile(r"(?im)^\s*(?:system|assistant|系统|系統|助手)\s*[:：]")
INJECTION = re.compile(
    r"(忽略|无视|無視|忘记|忘記|不要遵守|跳过)(以上|之前|前面|上述|所有|全部)?的?(指令|指示|规则|規則|设定|要求|提示)"
    r"|ignore (?:all |the )?(?:previous|above|prior) (?:instructions|rules|prompts?)"
    r"|disregard (?:all |the )?(?:previous|above) |you are now |act as |pretend to be "
    r"|你现在是|你現在是|扮演|假装你是|假裝你是"
    r"|(?:显示|告诉我|输出|打印|重复)(?:你的)?(?:系统)?提示(?:词)?|system prompt",
    re.IGNORECASE,
)
QUESTION_MARKER = re.compile(
    r"什么|多少|哪|吗|如何|怎么|怎样|是否|有没有|谁|几|呢|\b(?:what|which|how|who|when|where|why|is|are|does|do)\b",
    re.IGNORECASE,
)
SEGMENT = re.compile(r"[，。！？；,!?;\n]+|\.\s")
GREETING = re.compile(
    r"^(你好|您好|嗨|哈喽|早上好|下午好|晚上好|谢谢|謝謝|多谢|再见|再見|你是谁|你是誰|你能做什么|你会什么|"
    r"hi|hello|hey|thanks|thank you|bye|who are you|what can you do)[\s!！。.?？~～,，]*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QuestionCheck:
    kind: str  # "ok" | "empty" | "too_long" | "greeting" | "off_topic" (nothing left but an injection attempt)
    text: str  # the question as it goes on (control tokens and injection phrases removed)
    language: str  # "simplified" | "traditional" | "english"
    injection: bool = False
    length: int = 0


def check_question(raw: str, max_chars: int) -> QuestionCheck:
    text = unicodedata.normalize("NFC", raw or "")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    length = len(text)
    if not text:
        return QuestionCheck("empty", "", "simplified")
    if length > max_chars:
        return QuestionCheck("too_long", text[:max_chars], script_of(text[:max_chars]), length=length)
    language = script_of(text)
    if GREETING.match(text):
        return QuestionCheck("greeting", text, language)
    injection = bool(CONTROL_TOKENS.search(text) or ROLE_PREFIX.search(text) or INJECTION.search(text))
    cleaned = ROLE_PREFIX.sub(" ", CONTROL_TOKENS.sub("。", text))
    # drop every sentence segment that carries an instruction to the model; keep the real question
    segments = [seg for seg in SEGMENT.split(cleaned) if seg.strip() and not INJECTION.search(seg)]
    asking = [seg for seg in segments if QUESTION_MARKER.search(seg)]
    segments = asking or segments  # after an injection, its payload ("写一首诗") is not the question
    cleaned = "，".join(seg.strip() for seg in segments) if injection else cleaned
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" ，,。.;；:")
    if not re.search(r"[\w\u4e00-\u9fff]", cleaned):
        cleaned = ""
    if not cleaned:
        return QuestionCheck("off_topic", text, language, injection=injection)
    return QuestionCheck("ok", cleaned, language, injection=injection)
