"""What a question asks: its focus, its parts and its topic words (a step of rag/query.py).

- **focus**: the segments that ask, with filler removed; segments that only say who is asking
  ("我家在韶关做陶瓷的") contribute just the words the plans use (韶关), so a long question is not
  judged by words no plan would contain;
- **parts**: "计量这块要干啥？哪个部门负责？" → two sub-questions, a bare one carrying the topic of
  the part before it;
- **topic words**: the question's words that the plans use and that are rare enough to say what
  it is about (not 质量, 企业, nor question words or places).

Question phrasing (markers, filler, joiners) comes from `data/lexicon/query.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.lexicon import Lexicon
from rag.text import normalize, tokens
from rag.typo import CJK_RUN

SEGMENT = re.compile(r"[^，,。！!？?；;\n]+[，,。！!？?；;\n]*")  # clauses, not sentences: commas end one too
ENGLISH_PIECE = re.compile(r"(?<=\?)\s+|\b(?:and also|also|additionally)\b,?", flags=re.I)
# an English sentence ends at ".", "?" or "!" before a capital letter, not after an abbreviation
# ("e.g. screws", "No. 3", "the U.S. Is", "Dr. Wang": a word with a period inside, or a capital and
# at most two more letters)
ENGLISH_SENTENCE_END = re.compile(
    r"(?<![A-Za-z]\.[A-Za-z]\.)(?<!\b[A-Z][a-z]\.)(?<!\b[A-Z][a-z]{2}\.)(?<=[.?!])\s+(?=[A-Z\"“])"
)
MAX_PARTS = 3
TOPIC_MIN_LEN = 2
TOPIC_MIN_IDF_SHARE = 0.25  # rarer than this share of the rarest word: a topic word (not 质量, 企业)
FILLER_PASSES = 3  # filler can stack: "你好，想问一下，听说…"


@dataclass(frozen=True)
class SubQuestion:
    """One part of a multi-part question, as retrieval and the answer see it."""

    text: str  # the part as asked (simplified, repaired)
    search_text: str  # what retrieval uses for it (topic words carried over from an earlier part)
    answer_type: str = ""
    continues: bool = False  # names no topic of its own ("哪个部门负责？"): about the previous part's topic


@dataclass(frozen=True)
class Focus:
    """The information need of a Chinese question."""

    text: str  # the need, with the context's plan words in front
    context_terms: tuple[str, ...]  # words of the personal context that the plans use (not in the need)
    asking: tuple[str, ...]  # the segments that ask something
    need: tuple[str, ...]  # the asking segments and the statements they lean on


@dataclass(frozen=True)
class EnglishFocus:
    """The sentences of an English question: those that ask, the statements they lean on, and
    the ones that only say who is asking ("I run a small workshop in Hengli.")."""

    asking: tuple[str, ...]
    need: tuple[str, ...]  # asking sentences and the statements they lean on, in order
    context: tuple[str, ...]

    @property
    def for_translation(self) -> str:
        """The asking sentences first, then the rest: a translation cut at its token cap keeps the
        question and loses the background (which, left out, lost answers on the dev sets)."""
        rest = [s for s in self.need if s not in self.asking]
        return " ".join([*self.asking, *rest, *self.context])


class QuestionReader:
    """Reads focus, parts and topic words from a question, by the lexicon and the corpus's IDF."""

    def __init__(self, lexicon: Lexicon, idf: dict[str, float], place_names: frozenset[str]) -> None:
        self.lexicon = lexicon
        self.idf = idf
        self.place_names = place_names
        self._topic_floor = TOPIC_MIN_IDF_SHARE * max(idf.values(), default=1.0)

    # -- words
    def _plan_word(self, token: str) -> bool:
        """A word of two characters or more that the plans use and that is no question word."""
        lx = self.lexicon
        return (
            len(token) >= TOPIC_MIN_LEN
            and bool(CJK_RUN.fullmatch(token))
            and token in self.idf
            and token not in lx.question_words
            and not lx.interrogative.match(token)
        )

    def _is_topic(self, token: str) -> bool:
        return self._plan_word(token) and self.idf[token] >= self._topic_floor and token not in self.place_names

    def topic_words(self, text: str) -> list[str]:
        """Words of `text` that the plans use and that say what it is about."""
        return [t for t in dict.fromkeys(tokens(text)) if self._is_topic(t)]

    def whole_topic_words(self, text: str) -> list[str]:
        """`topic_words` without the pieces of a longer word of `text` (城区 of 源城区, 责人 of 负责人)."""
        words = list(dict.fromkeys(tokens(text)))
        return [t for t in self.topic_words(text) if not any(t != w and t in w for w in words)]

    def plan_words(self, text: str) -> list[str]:
        """Words of `text` that the plans use at all (食品, 东莞, 品牌 — not 陶瓷店, 老板), question
        words aside: what a segment about the asker can tell retrieval."""
        return [t for t in dict.fromkeys(tokens(text)) if self._plan_word(t)]

    def answer_type_of(self, text: str) -> str:
        return self.lexicon.answer_type_of(normalize(text).lower())

    # -- segments and focus
    def strip_filler(self, segment: str) -> str:
        s = segment.strip(" ，,。！!；;\n")
        for _ in range(FILLER_PASSES):
            before = s
            for pattern in self.lexicon.filler:
                s = pattern.sub("", s).strip(" ，,。！!；;")
            if s == before:
                break
        return s

    def segments(self, text: str) -> list[tuple[str, bool]]:
        """(segment without filler, asks something) in order; empty segments dropped."""
        out = []
        for raw in SEGMENT.findall(text):
            asks = bool(self.lexicon.question_marker.search(raw))
            seg = self.strip_filler(raw)
            if seg:
                out.append((seg, asks))
        return out

    def focus(self, text: str) -> Focus:
        """A segment that says who is asking ("我家在韶关做陶瓷的": first person, no question) is
        context; a statement without "I" ("邻居说这种投入可以补贴"), or passing on what "I" heard
        ("朋友跟我说出了事都算我的"), carries the topic that a short ask ("真的吗？") refers to, so it
        stays in the need."""
        segments = self.segments(text)
        asking = [seg for seg, asks in segments if asks]
        lx = self.lexicon
        context = [
            seg
            for seg, asks in segments
            if not asks and lx.first_person.search(seg) and not lx.reported_speech.search(seg)
        ]
        need = [seg for seg, _ in segments if seg not in context]
        if not asking:  # no question marker anywhere ("东莞 品牌 扶持"): everything is the need
            asking = need or [s for s, _ in segments]
        need = need or asking
        context_terms = [t for seg in context for t in self.plan_words(seg)]
        joined = "，".join(need)
        extra = [t for t in dict.fromkeys(context_terms) if t not in joined]
        return Focus(" ".join([*extra, joined]).strip() or text, tuple(extra), tuple(asking), tuple(need))

    # -- parts
    def _pieces(self, asking: list[str]) -> list[str]:
        """Asking segments cut at joiners (另外, 还有); a bare topic ("储能这块呢？") joins the next piece."""
        lx = self.lexicon
        pieces: list[str] = []
        joined: set[int] = set()  # pieces that follow an explicit joiner: a new question
        for seg in asking:
            for k, p in enumerate(lx.part_joiner.split(seg)):
                if p and p.strip(" ，,") and (lx.question_marker.search(p) or self.topic_words(p)):
                    if k:
                        joined.add(len(pieces))
                    pieces.append(p.strip(" ，,"))
        for i in range(len(pieces) - 1):  # "储能这块呢？打算放在哪？" asks one thing about one topic
            bare_topic = not lx.question_marker.search(lx.topic_question.sub("", pieces[i]))
            if lx.topic_question.search(pieces[i]) and bare_topic and i + 1 not in joined:
                pieces[i + 1], pieces[i] = f"{pieces[i]}，{pieces[i + 1]}", ""
        return [p for p in pieces if p]

    def parts(self, asking: list[str], statements: list[str] | tuple[str, ...] = ()) -> list[SubQuestion]:
        """Sub-questions: asking segments or joined clauses that each ask something (none for one).
        `statements` are the segments of the need that ask nothing ("区里说要办个“产品医院”"): the
        asks lean on them ("这是干嘛的？能提供哪些服务？"): a part naming no topic of its own, when no
        part before it named one, is searched with their topic words."""
        pieces = self._pieces(asking)
        if len(pieces) < 2:
            return []
        parts: list[SubQuestion] = []
        lead = list(dict.fromkeys(t for s in statements for t in self.whole_topic_words(s)))
        carried: list[str] = []
        for p in pieces[:MAX_PARTS]:
            # words that say what kind of answer is wanted (部门, 负责, 多少钱) are not a topic
            own = [t for t in self.topic_words(p) if not any(at.asks.search(t) for at in self.lexicon.answer_types)]
            # a part naming no topic of its own is about the previous part's, or else the statements'
            words = [] if own else [t for t in (carried or lead) if t not in p]
            search = " ".join([*words, p])
            parts.append(SubQuestion(p, search, self.answer_type_of(p), continues=not own and bool(carried)))
            carried = own or carried
        # two pieces with the same topic words and no distinct ask are one question said twice
        if len({(tuple(self.topic_words(p.search_text)), p.answer_type) for p in parts}) < 2:
            return []
        return parts

    def english_focus(self, text: str) -> EnglishFocus:
        """The English counterpart of `focus`, by sentences: one with a "?" asks; one that asks
        nothing and says "I"/"we" without passing on what was heard is context."""
        lx = self.lexicon
        sentences = [s.strip() for s in ENGLISH_SENTENCE_END.split(text) if s.strip()]
        asking = [s for s in sentences if "?" in s]
        context = [
            s
            for s in sentences
            if s not in asking and lx.first_person.search(s.lower()) and not lx.reported_speech.search(s.lower())
        ]
        need = [s for s in sentences if s not in context]
        if not asking:  # no "?" anywhere: every sentence may carry the need
            asking, need, context = [], sentences, []
        return EnglishFocus(tuple(asking), tuple(need or sentences), tuple(context))

    @staticmethod
    def english_pieces(text: str) -> list[str]:
        """English sub-questions: sentences ending in "?" or joined by "and also" / "Also,"."""
        pieces = [p.strip() for p in ENGLISH_PIECE.split(text)]
        return [p for p in pieces if p]
