"""Question analysis: one typed `QueryAnalysis` per question, read by every later stage
(retrieval, the answerability decision, prompting, grounding).

People do not write like the plans: "我家在韶关做陶瓷的，听说市里对创牌子的企业有奖励？具体咋讲的"
carries who is asking, filler, typos of pinyin input, sometimes two questions or a comparison, and
sometimes English. The analysis, by cheap rules over the corpus's own vocabulary, in steps:

- **script and language**, and the places, documents and versions the question names
  (rag/places.py: place names from `data/catalog.yaml`, other vocabulary from `data/lexicon/*.yaml`);
- **English**: translated into a Chinese query by the local model (one short call), with the
  glossary's terms added; the glossary alone when the model is unavailable;
- **typo repair** (rag/typo.py): 河原→河源, 标准话→标准化, 检侧→检测;
- **focus** and **parts** (rag/focus.py): the segments that ask, filler and the asker's context
  removed; "计量这块要干啥？哪个部门负责？" → two sub-questions, each retrieved and answered;
- **compare**: the documents on each side ("征求意见稿和正式方案", "东莞和源城区");
- **follow-ups**: a turn that leans on the previous one is read together with it; one that names
  no place or version of its own is also searched by the previous reply, where "it"/"这项" is named;
  one naming a topic of its own (`turn_words`) is also searched alone, and its words choose the
  excerpts and quotes first.

Any step that fails falls back to the plain question; analysis never raises for user text.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from rag.documents import DocumentInfo
from rag.focus import QuestionReader, SubQuestion
from rag.followup import is_followup
from rag.glossary import chinese_term_groups
from rag.lexicon import Lexicon, load_lexicon
from rag.places import (
    PlaceReading,
    named_by_title,
    place_mentions,
    read_places,
    region_names,
    version_preference,
    without_versions,
)
from rag.text import normalize, script_of
from rag.typo import CJK_RUN, TypoRepairer, fuzzy_syllable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueryAnalysis:
    question: str  # as checked (control tokens and injection phrases removed)
    language: str  # "simplified" | "traditional" | "english"
    normalized: str  # NFKC + simplified
    repaired: str  # normalized, typos repaired (English: the Chinese translation, repaired)
    repairs: tuple[tuple[str, str], ...] = ()
    translation: str = ""  # English questions: the Chinese query
    translation_method: str = ""  # "model" | "glossary" | ""
    glossary_terms: tuple[tuple[str, ...], ...] = ()  # English: alternatives per English word
    focus: str = ""  # the information need: asking segments, filler removed, context words the plans use
    ask: str = ""  # what must be answered: the focus without the personal context's words
    asking: str = ""  # the segments that ask (Chinese): what kind of answer is wanted is read here only
    context_terms: tuple[str, ...] = ()  # words of the personal context that the plans use
    places: tuple[str, ...] = ()  # doc_ids whose region the question (or its context) names
    other_places: tuple[str, ...] = ()  # uncovered places it names, when it names no covered one
    versions: tuple[str, ...] = ()  # doc_ids its version words or years point to
    wants_draft: bool = False
    answer_type: str = ""  # first matching lexicon answer type of the focus
    asks_current: bool = False  # the state today ("现在有多少")
    asks_national: bool = False  # the national level ("全国")
    parts: tuple[SubQuestion, ...] = ()  # two or more when the question asks several things
    compare_docs: tuple[str, ...] = ()  # the documents on each side of a comparison
    compare_words: bool = False  # it uses comparing words (和, 哪个高…), whether or not both sides were found
    place_groups: tuple[frozenset[str], ...] = ()  # the named places' documents, one set per place
    previous: str = ""  # the user's previous question (and those it leaned on, `followup.QUESTION_SEP` apart)
    # the reply to it, when this follow-up names no place or version of its own: what "it", "这项"
    # or "其中" points to is named there (a turn naming another side asks about that side instead)
    previous_answer: str = ""
    # the earlier questions as a follow-up is searched with: without their place and version words
    # when this turn names its own ("省里的计划是怎么讲的？" after a question about 源城区 is about
    # the province: the earlier question gives the topic, not the place)
    earlier_topic: str = ""
    # a follow-up's own topic words ("制定" of "标准制定方面的数呢？"): the excerpts it is answered from
    # are chosen by them first, the earlier questions' words breaking ties (RAG_TURN_WORDS_FIRST)
    turn_words: tuple[str, ...] = ()
    is_followup: bool = False
    search_text: str = ""  # what retrieval embeds and BM25-matches
    seconds: float = 0.0
    notes: tuple[str, ...] = ()  # what fell back, for diagnostics

    @property
    def preferred_docs(self) -> tuple[str, ...]:
        """Documents to prefer: a version within a named place, else the place, else the version.
        Per place: "省里2016年的计划和源城区方案" prefers the 2016 provincial plan and Yuancheng's."""
        named, versions = set(self.places), set(self.versions)
        if not (named and versions):
            return tuple(sorted(named | versions))
        chosen = {d for group in self.place_groups for d in (group & versions or group)}
        return tuple(sorted(chosen if chosen & versions else named))

    @property
    def kind_text(self) -> str:
        """The words that say what kind of answer is wanted (a figure, a department, the document's
        date): the asking segments, not the statements around them ("以前要拿去质监部门备案，
        以后怎么改？" asks no department), English as typed."""
        if self.language == "english":
            return self.question
        return self.asking or self.ask or self.focus

    @property
    def named_docs(self) -> tuple[str, ...]:
        """The documents of the places the question names, when it compares nothing: an answer's
        facts must stand there ("东莞打算新增几个？" is not answered by the province's figure). With
        comparing words a side may be named in a way place detection misses ("省行动计划和东莞…")."""
        return () if self.compare_docs or self.compare_words else self.places

    @property
    def multi_part(self) -> bool:
        return len(self.parts) > 1

    @property
    def earlier_questions(self) -> str:
        """The earlier questions a follow-up is read with ("" when it stands alone, history or not):
        its parts are quoted with them ("有没有时间节点" is about the previous topic) and searched with
        `earlier_topic`."""
        return self.previous if self.is_followup else ""

    def english_of(self, ask: str) -> str:
        """The English words behind `ask` ("" for a Chinese question): a part's own English text when
        `ask` is one, else the whole English question (`ask` is its translation or a side's topic)."""
        if self.language != "english":
            return ""
        return ask if ask and ask in self.normalized else self.normalized

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "repaired": self.repaired,
            "repairs": [list(r) for r in self.repairs],
            "translation": self.translation,
            "translation_method": self.translation_method,
            "focus": self.focus,
            "ask": self.ask,
            "asking": self.asking,
            "places": list(self.places),
            "versions": list(self.versions),
            "answer_type": self.answer_type,
            "asks_current": self.asks_current,
            "asks_national": self.asks_national,
            "parts": [p.text for p in self.parts],
            "compare_docs": list(self.compare_docs),
            "is_followup": self.is_followup,
            "turn_words": list(self.turn_words),
            "kept_previous_answer": bool(self.previous_answer),
            "search_text": self.search_text,
            "seconds": round(self.seconds, 4),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class _Reading:
    """The language-dependent middle of an analysis: the Chinese text and what it asks."""

    translation: str  # English: the Chinese query
    method: str  # translation method: "model" | "glossary" | ""
    groups: tuple[tuple[str, ...], ...]  # English: the glossary's alternatives per English word
    repaired: str
    repairs: tuple[tuple[str, str], ...]
    focus: str
    context_terms: tuple[str, ...]
    ask: str
    asking: str
    parts: tuple[SubQuestion, ...]
    notes: tuple[str, ...]


def _glossary_words(groups: Any) -> list[str]:
    """The Chinese alternatives of every glossary group, in order, each once."""
    return list(dict.fromkeys(t for g in groups for t in g))


class QueryAnalyzer:
    """Builds a `QueryAnalysis` from a question (and the previous question of a conversation).

    `translate(english) -> chinese` is the model call for English questions (None: glossary only)."""

    def __init__(
        self,
        documents: dict[str, DocumentInfo],
        corpus_texts: list[str],
        idf: dict[str, float],
        translate: Callable[[str], str] | None = None,
        lexicon: Lexicon | None = None,
    ) -> None:
        self.documents = documents
        self.lexicon = lexicon or load_lexicon()
        self.translate = translate
        names = {n for d in documents.values() for n in region_names(d, self.lexicon)}
        self.place_names = frozenset(names | {n for p in self.lexicon.other_places for n in (p, p + "市")})
        levels = {n for group in self.lexicon.level_names.values() for n in group}
        # what names a place, longest first (源城区 before 源城): taken out of the earlier questions
        # a turn naming another place is searched with
        self.side_names = tuple(sorted(self.place_names | levels, key=len, reverse=True))
        self.repairer = TypoRepairer(corpus_texts + [d.title for d in documents.values()], names)
        self.idf = idf
        self.reader = QuestionReader(self.lexicon, idf, self.place_names)

    def topic_words(self, text: str) -> list[str]:
        """Words of `text` that the plans use and that say what it is about."""
        return self.reader.topic_words(text)

    def names_no_topic(self, question: str) -> bool:
        """Says which place or version, or what kind of answer, but not what about ("草稿里写的是几家？",
        "省里那份又是咋写的？"): typos repaired and place and version words set aside, no
        word of it is one the plans use about something (a piece of a place name, 城区 of 源城区,
        is none). Chinese only: the plans' words are. Known limit: a broad turn ("韶关方案有哪些主要
        措施？") and a topic the plans never use (个人所得税) name none either."""
        if script_of(question) == "english":
            return False
        return not self.own_topic_words(question)

    def own_topic_words(self, text: str) -> list[str]:
        """The topic words `text` names itself: typos repaired, version words and the pieces of the
        place names it names set aside (城区 of 源城区 is none)."""
        repaired = self.repairer.repair(normalize(text))[0]
        rest = without_versions(repaired, list(self.documents.values()), self.lexicon)
        places = [p for p in self.place_names if p in rest]
        return [w for w in self.reader.topic_words(rest) if not any(w in p for p in places)]

    def _turn_words(self, ask: str) -> tuple[str, ...]:
        """A follow-up's own topic words (`own_topic_words` of what it asks), the words asking for
        a kind of answer ("由谁", "几家") aside: those say which sentence states the answer, which
        `excerpts.answer_states` reads, not what it is about."""
        plain = normalize(ask).lower()
        kinds = " ".join(m.group(0) for t in self.lexicon.answer_types for m in t.asks.finditer(plain))
        return tuple(w for w in self.own_topic_words(ask) if w not in kinds)

    def leans_on_previous(self, question: str) -> bool:
        """In a conversation, whether this turn is read with the previous question: it points back
        with a follow-up word or is too short to stand alone (`followup.is_followup`), or names no
        topic of its own. A short turn is read with it even when it names a topic and a question
        word: "有时限吗？", "资金从哪来？" ask about the previous question's topic."""
        return is_followup(question) or self.names_no_topic(question)

    # -- the one entry point
    def analyze(
        self,
        question: str,
        previous: str | None = None,
        is_followup: bool = False,
        translate: Callable[[str], str] | None = None,
        previous_answer: str | None = None,
    ) -> QueryAnalysis:
        """The analysis of `question`; when a step fails, the plain question (never an exception).
        `translate` (the caller's model) overrides the analyzer's own for this question;
        `previous_answer` is the reply to `previous`."""
        t0 = time.perf_counter()
        try:
            return self._analyze(question, previous, is_followup, t0, translate or self.translate, previous_answer)
        except Exception as exc:  # a bug in one step must not cost the user the answer
            log.exception("question analysis failed; using the plain question")
            plain = normalize(question).strip()
            search = f"{previous} {plain}" if previous and is_followup else plain
            return QueryAnalysis(
                question=question,
                language=script_of(question),
                normalized=plain,
                repaired=plain,
                focus=plain,
                ask=plain,
                previous=previous or "",
                is_followup=is_followup,
                search_text=search,
                seconds=time.perf_counter() - t0,
                notes=(f"analysis failed ({type(exc).__name__}): plain question used",),
            )

    def _analyze(
        self,
        question: str,
        previous: str | None,
        is_followup: bool,
        t0: float,
        translate: Callable[[str], str] | None,
        previous_answer: str | None = None,
    ) -> QueryAnalysis:
        language = script_of(question)
        normalized = normalize(question).strip()
        reading = self._read(language, normalized, translate)
        where = f"{normalized} {reading.repaired}"
        places = read_places(where, previous, self.documents, self.lexicon)
        english = language == "english"
        ask_text = f"{reading.focus} {normalized}" if english else (reading.asking or reading.focus)
        analysis = QueryAnalysis(
            question=question,
            language=language,
            normalized=normalized,
            repaired=reading.repaired,
            repairs=reading.repairs,
            translation=reading.translation,
            translation_method=reading.method,
            glossary_terms=reading.groups,
            focus=reading.focus,
            ask=reading.ask,
            asking=reading.asking,
            context_terms=reading.context_terms,
            places=tuple(sorted(places.named)),
            place_groups=places.groups(self.documents),
            other_places=places.others,
            versions=tuple(sorted(places.versions)),
            wants_draft=places.wants_draft,
            answer_type=self.reader.answer_type_of(ask_text),
            asks_current=bool(self.lexicon.current_state.search(ask_text.lower())),
            asks_national=bool(self.lexicon.national.search(ask_text.lower())),
            parts=reading.parts,
            previous=previous or "",
            previous_answer=(previous_answer or "") if previous and is_followup and not places.own else "",
            earlier_topic=self._earlier_topic(previous, places) if previous and is_followup else "",
            turn_words=self._turn_words(reading.ask or reading.repaired) if previous and is_followup else (),
            is_followup=is_followup,
            notes=reading.notes,
        )
        return self._finish(analysis, where, t0)

    # -- steps
    def _read(self, language: str, normalized: str, translate: Callable[[str], str] | None) -> _Reading:
        """Translate (English), repair typos, then read the focus and the parts."""
        english = language == "english"
        translation, method, notes, groups = "", "", [], ()
        if english:
            # the asking sentences first: a translation cut at its token cap keeps the question
            for_translation = self.reader.english_focus(normalized).for_translation
            translation, method, notes = self._translate(for_translation, translate)
            groups = tuple(tuple(g) for g in chinese_term_groups(normalized))
        chinese = translation if english else normalized
        try:
            repaired, repairs = self.repairer.repair(chinese)
        except Exception as exc:  # pragma: no cover - defensive: keep the plain question
            log.warning("typo repair failed: %s", exc)
            repaired, repairs, notes = chinese, [], [*notes, "typo repair failed"]
        # the translation keeps the English sentences' roles: its focus is read the same way
        found = self.reader.focus(repaired)
        focus, context_terms, ask = found.text, found.context_terms, "，".join(found.need)
        if english:
            asking = ""
            parts = self._english_parts(normalized)
        else:
            asking = "，".join(found.asking)
            statements = [s for s in found.need if s not in found.asking]
            parts = self.reader.parts(list(found.asking), statements)
        reading = (
            translation,
            method,
            groups,
            repaired,
            tuple(repairs),
            focus,
            context_terms,
            ask,
            asking,
            tuple(parts),
        )
        return _Reading(*reading, notes=tuple(notes))

    def _english_parts(self, english: str) -> list[SubQuestion]:
        """The English original decides the parts as well as the translation; each part is searched
        with the glossary's Chinese for its words."""
        return [
            replace(p, search_text=" ".join([p.text, *_glossary_words(chinese_term_groups(p.text))]))
            for p in self.reader.parts(self.reader.english_pieces(english))
        ]

    def _earlier_topic(self, previous: str, places: PlaceReading) -> str:
        """The earlier questions without the words naming a place or version, when this turn names
        its own: then it says which document, as `read_places` reads it, and they the topic."""
        if not places.own:
            return previous
        text = normalize(self._with_chinese_places(previous))
        text = without_versions(text, list(self.documents.values()), self.lexicon)
        for name in self.side_names:
            text = text.replace(name, " ")
        return " ".join(text.split())

    def _finish(self, analysis: QueryAnalysis, where: str, t0: float) -> QueryAnalysis:
        """The comparison's sides and the search text, once places and parts are known."""
        sides = self._sides(analysis, where)
        compare_words = bool(self.lexicon.compare.search(where.lower()))
        compare = len(sides) >= 2 and compare_words
        parts = analysis.parts
        if compare and any(self.lexicon.compare.search(p.text.lower()) for p in parts):
            parts = ()  # "对X有什么要求，省里和区里的说法一样吗？" is one question asked of two sides
        if analysis.language == "english":
            search = f"{analysis.normalized} {analysis.repaired}"
            search += " " + " ".join(_glossary_words(analysis.glossary_terms))
        else:
            search = analysis.focus
        if analysis.earlier_topic:
            search = f"{analysis.earlier_topic} {search}"
        return replace(
            analysis,
            compare_docs=sides if compare else (),
            compare_words=compare_words,
            parts=parts,
            search_text=search.strip(),
            seconds=time.perf_counter() - t0,
        )

    def _sides(self, analysis: QueryAnalysis, where: str) -> tuple[str, ...]:
        """The documents a comparison sets side by side: the preferred ones, and a document named
        by its title's year and own word beside another place ("省行动计划到2017年的目标和东莞的目标"), without
        a place's draft when that place also has a final text and no draft was asked for."""
        preferred = set(analysis.preferred_docs)
        named_regions = {self.documents[d].region for group in analysis.place_groups for d in group}
        preferred |= {d for d in named_by_title(where, self.documents) if self.documents[d].region not in named_regions}
        if not analysis.wants_draft:
            regions_with_final = {self.documents[d].region for d in preferred if not self.documents[d].is_draft}
            preferred = {
                d
                for d in preferred
                if not (self.documents[d].is_draft and self.documents[d].region in regions_with_final)
            }
        return tuple(sorted(preferred))

    def _translate(self, english: str, translate: Callable[[str], str] | None) -> tuple[str, str, list[str]]:
        """(Chinese query, "model" | "glossary", notes): the model's translation, else the glossary's terms."""
        note = ""
        if translate is not None:
            marked = self._marked_for_translation(english)
            try:
                chinese = normalize(translate(marked)).strip()
                if CJK_RUN.search(chinese):
                    return chinese, "model", []
                note = "translation had no Chinese: glossary used"
            except Exception as exc:  # the model is optional here: fall back, never fail the question
                log.warning("translation failed, using the glossary: %s", exc)
                note = f"translation failed ({type(exc).__name__}): glossary used"
        terms = [t for group in chinese_term_groups(english) for t in group]
        return " ".join(dict.fromkeys(terms)), "glossary", [note] if note else []

    def _with_chinese_places(self, text: str) -> str:
        """English place names ("Shaoguan", "Dongguan's") written as the Chinese ones."""
        for name, chinese_name in self.lexicon.english_places.items():
            text = re.sub(rf"\b{re.escape(name)}(?:'s)?\b", chinese_name, text, flags=re.IGNORECASE)
        return text

    def _marked_for_translation(self, english: str) -> str:
        """Place names and number scales go to the model already in Chinese: a 1.5B model turns
        "Shaoguan" into 广州 and "ten thousand" into 十万."""
        marked = self._with_chinese_places(english)
        for scale, chinese_unit in self.lexicon.english_numbers.items():
            marked = re.sub(rf"\b{re.escape(scale)}\b", chinese_unit, marked, flags=re.IGNORECASE)
        return marked


__all__ = [
    "QueryAnalysis",
    "QueryAnalyzer",
    "SubQuestion",
    "TypoRepairer",
    "fuzzy_syllable",
    "place_mentions",
    "region_names",
    "version_preference",
]
