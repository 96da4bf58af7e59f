"""Question analysis: one typed `QueryAnalysis` per question, read by every later stage
(retrieval, the answerability decision, prompting, grounding).

People do not write like the plans: "我家在韶关做陶瓷的，听说市里对创牌子的企业有奖励？具体咋讲的"
carries who is asking, filler, typos of pinyin input, sometimes two questions or a comparison, and
sometimes English. The analysis, by cheap rules over the corpus's own vocabulary:

- **script and language**, and the places, documents and versions the question names
  (place names from `data/catalog.yaml`, other vocabulary from `data/lexicon/*.yaml`);
- **typo repair**: a run of the question that the corpus does not contain, but that reads (in
  toneless pinyin, or with one near syllable) like a corpus word differing in one character, is
  replaced by that word: 河原→河源, 标准话→标准化, 检侧→检测 (pypinyin, with the input methods' fuzzy sounds);
- **focus**: the segments that ask, with filler removed; segments that only say who is asking
  ("我家在韶关做陶瓷的") contribute just the words the plans use (东莞), so a long question is not
  judged by words no plan would contain;
- **English**: translated into a Chinese query by the local model (one short call), with the
  glossary's terms added; the glossary alone when the model is unavailable;
- **parts**: "计量这块要干啥？哪个部门负责？" → two sub-questions, each retrieved and answered;
- **compare**: the documents on each side ("征求意见稿和正式方案", "东莞和源城区");
- **follow-ups**: a turn that leans on the previous one is read together with it.

Any step that fails falls back to the plain question; analysis never raises for user text.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import jieba
from jieba import posseg
from pypinyin import lazy_pinyin

from rag.documents import DocumentInfo
from rag.glossary import chinese_term_groups
from rag.lexicon import Lexicon, load_lexicon
from rag.text import GENERAL_RARE, general_share, normalize, script_of, tokens

log = logging.getLogger(__name__)

CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
SEGMENT = re.compile(r"[^，,。！!？?；;\n]+[，,。！!？?；;\n]*")
QUESTION_END = re.compile(r"[？?]")
FUNCTION_POS = set("vdprcu")  # jieba part-of-speech initials of words that join others
FUNCTION_CHARS = set("的了是在我你他她它们有和与就都也还吗呢啊吧呀么这那个一不要会能对把被给从")
REPAIR_LENGTHS = (4, 3, 2)  # corpus words of these lengths are repair targets, longest first
REPAIR_MIN_CORPUS_FREQ = 2  # a repair target occurs at least this often in the corpus (or is a place name)
# Pinyin input methods' "fuzzy sounds" (模糊音): syllables users confuse when typing by sound.
FUZZY_SOUNDS = (
    ("zh", "z"),
    ("ch", "c"),
    ("sh", "s"),
    ("iang", "ian"),
    ("uang", "uan"),
    ("ang", "an"),
    ("eng", "en"),
    ("ing", "in"),
)
FUZZY_INITIALS = (("l", "n"), ("h", "f"), ("r", "l"))
MAX_PARTS = 3
PLACE_SUFFIXES = "省市区县"
TOPIC_MIN_LEN = 2


@dataclass(frozen=True)
class SubQuestion:
    """One part of a multi-part question, as retrieval and the answer see it."""

    text: str  # the part as asked (simplified, repaired)
    search_text: str  # what retrieval uses for it (topic words carried over from an earlier part)
    answer_type: str = ""
    continues: bool = False  # names no topic of its own ("哪个部门负责？"): about the previous part's topic


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
    place_groups: tuple[frozenset[str], ...] = ()  # the named places' documents, one set per place
    previous: str = ""  # the user's previous question when this turn is a follow-up
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
    def multi_part(self) -> bool:
        return len(self.parts) > 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "repaired": self.repaired,
            "repairs": [list(r) for r in self.repairs],
            "translation": self.translation,
            "translation_method": self.translation_method,
            "focus": self.focus,
            "ask": self.ask,
            "places": list(self.places),
            "versions": list(self.versions),
            "answer_type": self.answer_type,
            "asks_current": self.asks_current,
            "asks_national": self.asks_national,
            "parts": [p.text for p in self.parts],
            "compare_docs": list(self.compare_docs),
            "is_followup": self.is_followup,
            "search_text": self.search_text,
            "seconds": round(self.seconds, 4),
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- places and versions
def region_names(info: DocumentInfo) -> set[str]:
    """ "河源市源城区" → 河源市源城区, 河源市, 河源, 源城区, 源城 (names of two characters or more)."""
    region = normalize(info.region)
    names = {region}
    for part in re.findall(rf"[^{PLACE_SUFFIXES}]+[{PLACE_SUFFIXES}]", region):
        names.update({part, part[:-1]})
    return {n for n in names if len(n) >= 2}


def place_mentions(
    text: str, documents: dict[str, DocumentInfo], lexicon: Lexicon | None = None
) -> tuple[set[str], list[str]]:
    """(doc_ids whose region `text` names, uncovered places it names when it names no covered one)."""
    lexicon = lexicon or load_lexicon()
    low = normalize(text).lower()
    for english, chinese in lexicon.english_places.items():
        if re.search(rf"\b{re.escape(english)}\b", low):
            low += " " + chinese
    named: set[str] = set()
    covered: set[str] = set()
    for info in documents.values():
        names = region_names(info)
        covered |= names
        if any(n in low for n in names) or any(n in low for n in lexicon.level_names.get(info.level, ())):
            named.add(info.doc_id)
    provinces = {d for d in named if documents[d].region.endswith("省")}
    if provinces and named - provinces:
        # "广东省东莞市…" names the city, not the province's own plan; "广东省和东莞…" names both
        cities = [normalize(documents[d].region)[:2] for d in named - provinces]
        if any(re.search(rf"(广东省?){c}", low) for c in cities):
            named -= provinces
    others = [p for p in lexicon.other_places if p in low and not any(p in c for c in covered)]
    return named, [] if named else others


def version_preference(text: str, documents: dict[str, DocumentInfo], lexicon: Lexicon | None = None) -> set[str]:
    """doc_ids the wording points to: drafts, final texts, or a year in a document's date/title.
    Asked for both a draft and a final text, the final texts are those of the drafts' regions."""
    lexicon = lexicon or load_lexicon()
    low = normalize(text).lower()
    wants_draft = any(w in low for w in lexicon.draft_words)
    wants_final = any(w in low for w in lexicon.final_words)
    years = set(re.findall(r"(?<!\d)(20\d\d)(?!\d)", low))
    draft_regions = {d.region for d in documents.values() if d.is_draft}
    preferred = set()
    for info in documents.values():
        final = not info.is_draft and info.kind != "interpretation"
        if wants_draft and wants_final and final and info.region not in draft_regions:
            final = False
        if (
            (wants_draft and info.is_draft)
            or (wants_final and final)
            or (years and any(y in info.date or y in info.title for y in years))
        ):
            preferred.add(info.doc_id)
    return preferred


# --------------------------------------------------------------------------- typo repair
def _syllables(text: str) -> list[str]:
    return lazy_pinyin(text, errors=lambda chars: list(chars))


def _is_function_word(char: str) -> bool:
    """A verb, adverb, preposition, pronoun, conjunction or particle on its own (搞, 把, 正)."""
    return any(flag[:1] in FUNCTION_POS for _, flag in posseg.cut(char))


def fuzzy_syllable(syllable: str) -> str:
    """A syllable with the input methods' fuzzy distinctions folded (zh→z, ang→an, l→n …)."""
    for a, b in FUZZY_SOUNDS:
        if a in syllable:
            syllable = syllable.replace(a, b, 1)
    for a, b in FUZZY_INITIALS:
        if syllable.startswith(a):
            syllable = b + syllable[len(a) :]
    return syllable


class TypoRepairer:
    """Replaces runs of a question that the corpus never contains but that sound like a corpus word
    differing in one character (same toneless pinyin, or one syllable a letter off)."""

    def __init__(self, corpus_texts: Iterable[str], names: Iterable[str] = ()) -> None:
        texts = [normalize(t) for t in corpus_texts]
        self.corpus = "\n".join(texts)
        counts: Counter[str] = Counter()  # the corpus's words as jieba cuts them (not any character run)
        for text in texts:
            counts.update(w for w in jieba.cut_for_search(text) if len(w) in REPAIR_LENGTHS and CJK_RUN.fullmatch(w))
        words = Counter({w: c for w, c in counts.items() if c >= REPAIR_MIN_CORPUS_FREQ})
        for name in names:
            words[name] += REPAIR_MIN_CORPUS_FREQ
        self._words = set(words)
        self._by_sound: dict[str, list[tuple[str, int]]] = {}
        for word, count in words.items():
            if word[0] in FUNCTION_CHARS or word[-1] in FUNCTION_CHARS:
                continue
            key = " ".join(fuzzy_syllable(x) for x in _syllables(word))
            self._by_sound.setdefault(key, []).append((word, count))

    def _candidate(self, gram: str) -> str | None:
        key = " ".join(fuzzy_syllable(x) for x in _syllables(gram))
        best: tuple[int, str] | None = None
        for word, count in self._by_sound.get(key, []):
            diff = [i for i, (a, b) in enumerate(zip(gram, word, strict=True)) if a != b]
            if len(diff) != 1 or gram[diff[0]] in FUNCTION_CHARS:
                continue
            i = diff[0]
            rest = gram[1:] if i == 0 else gram[:-1] if i == len(gram) - 1 else ""
            if rest in self._words and _is_function_word(gram[i]):
                continue  # "搞质量" is 搞 + 质量 (a verb before a word), not a typo of 高质量
            if best is None or count > best[0]:
                best = (count, word)
        return best[1] if best else None

    def repair(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """(text with repairs, [(typed, repaired), …]); text unchanged where nothing is sure."""
        repairs: list[tuple[str, str]] = []
        out = []
        last = 0
        for m in CJK_RUN.finditer(text):
            run, start = m.group(0), m.start()
            # a repair replaces whole words as jieba cuts the run: "方案里" is not "方案例"
            bounds, pos = {0}, 0
            for word in jieba.lcut(run):
                pos += len(word)
                bounds.add(pos)
            i = 0
            pieces = []
            while i < len(run):
                for n in REPAIR_LENGTHS:
                    gram = run[i : i + n]
                    if len(gram) < n or i not in bounds or i + n not in bounds or gram in self.corpus:
                        continue
                    if general_share(gram) >= GENERAL_RARE:  # a real everyday word (任职), not a typo
                        continue
                    word = self._candidate(gram)
                    if word:
                        pieces.append(word)
                        repairs.append((gram, word))
                        i += n
                        break
                else:
                    pieces.append(run[i])
                    i += 1
            out.append(text[last:start] + "".join(pieces))
            last = m.end()
        out.append(text[last:])
        return "".join(out), repairs


# --------------------------------------------------------------------------- the analyzer
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
        names = {n for d in documents.values() for n in region_names(d)}
        self.place_names = frozenset(names | {n for p in self.lexicon.other_places for n in (p, p + "市")})
        self.repairer = TypoRepairer(corpus_texts + [d.title for d in documents.values()], names)
        self.idf = idf
        max_idf = max(idf.values(), default=1.0)
        self._topic_floor = 0.25 * max_idf  # rarer than this share of the rarest: a topic word (not 质量, 企业)

    # -- helpers
    def _is_topic(self, token: str) -> bool:
        lx = self.lexicon
        return (
            len(token) >= TOPIC_MIN_LEN
            and bool(CJK_RUN.fullmatch(token))
            and token in self.idf
            and self.idf[token] >= self._topic_floor
            and token not in lx.question_words
            and token not in self.place_names
            and not lx.interrogative.match(token)
        )

    def topic_words(self, text: str) -> list[str]:
        """Words of `text` that the plans use and that say what it is about."""
        return [t for t in dict.fromkeys(tokens(text)) if self._is_topic(t)]

    def plan_words(self, text: str) -> list[str]:
        """Words of `text` that the plans use at all (食品, 东莞, 品牌 — not 陶瓷店, 老板), question
        words aside: what a segment about the asker can tell retrieval."""
        lx = self.lexicon
        return [
            t
            for t in dict.fromkeys(tokens(text))
            if len(t) >= TOPIC_MIN_LEN
            and CJK_RUN.fullmatch(t)
            and t in self.idf
            and t not in lx.question_words
            and not lx.interrogative.match(t)
        ]

    def _strip_filler(self, segment: str) -> str:
        s = segment.strip(" ，,。！!；;\n")
        for _ in range(3):  # filler can stack: "你好，想问一下，听说…"
            before = s
            for pattern in self.lexicon.filler:
                s = pattern.sub("", s).strip(" ，,。！!；;")
            if s == before:
                break
        return s

    def _segments(self, text: str) -> list[tuple[str, bool]]:
        """(segment without filler, asks something) in order; empty segments dropped."""
        out = []
        for raw in SEGMENT.findall(text):
            asks = bool(self.lexicon.question_marker.search(raw))
            seg = self._strip_filler(raw)
            if seg:
                out.append((seg, asks))
        return out

    def _focus(self, text: str) -> tuple[str, list[str], list[str], list[str]]:
        """(focus, context words the plans use, asking segments, the need: asking segments and the
        statements they lean on). A segment that says who is asking ("我家在韶关做陶瓷的": first person,
        no question) is context; a statement without "I" ("邻居说这种投入可以补贴") carries the topic that a
        short ask ("真的吗？") refers to, so it stays in the need."""
        lx = self.lexicon
        segments = self._segments(text)
        asking = [seg for seg, asks in segments if asks]
        context = [seg for seg, asks in segments if not asks and lx.first_person.search(seg)]
        need = [seg for seg, _ in segments if seg not in context]
        if not asking:  # no question marker anywhere ("东莞 品牌 扶持"): everything is the need
            asking = need or [s for s, _ in segments]
        need = need or asking
        context_terms = [t for seg in context for t in self.plan_words(seg)]
        focus = "，".join(need)
        extra = [t for t in dict.fromkeys(context_terms) if t not in focus]
        return (" ".join([*extra, focus]).strip() or text), extra, asking, need

    def _parts(self, asking: list[str], text: str) -> list[SubQuestion]:
        """Split into sub-questions: asking segments or joined clauses that each ask something."""
        lx = self.lexicon
        pieces: list[str] = []
        joined: set[int] = set()  # pieces that follow an explicit joiner (另外, 还有): a new question
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
        pieces = [p for p in pieces if p]
        if len(pieces) < 2:
            return []
        parts: list[SubQuestion] = []
        carried: list[str] = []
        for p in pieces[:MAX_PARTS]:
            # words that say what kind of answer is wanted (部门, 负责, 多少钱) are not a topic
            own = [t for t in self.topic_words(p) if not any(at.asks.search(t) for at in lx.answer_types)]
            search = p if own or not carried else " ".join(carried) + " " + p
            parts.append(SubQuestion(p, search, self.answer_type_of(p), continues=not own and bool(carried)))
            carried = own or carried
        # two pieces with the same topic words and no distinct ask are one question said twice
        if len({(tuple(self.topic_words(p.search_text)), p.answer_type) for p in parts}) < 2:
            return []
        return parts

    def answer_type_of(self, text: str) -> str:
        return self.lexicon.answer_type_of(normalize(text).lower())

    def _translate(self, english: str, translate: Callable[[str], str] | None) -> tuple[str, str, list[str]]:
        if translate is not None:
            # place names go in already in Chinese: a 1.5B model turns "Shaoguan" into 广州
            marked = english
            for name, chinese_name in self.lexicon.english_places.items():
                marked = re.sub(rf"\b{re.escape(name)}(?:'s)?\b", chinese_name, marked, flags=re.IGNORECASE)
            try:
                chinese = normalize(translate(marked)).strip()
                if CJK_RUN.search(chinese):
                    return chinese, "model", []
                note = "translation had no Chinese: glossary used"
            except Exception as exc:  # the model is optional here: fall back, never fail the question
                log.warning("translation failed, using the glossary: %s", exc)
                note = f"translation failed ({type(exc).__name__}): glossary used"
        else:
            note = ""
        terms = [t for group in chinese_term_groups(english) for t in group]
        return " ".join(dict.fromkeys(terms)), "glossary", [note] if note else []

    # -- the one entry point
    def analyze(
        self,
        question: str,
        previous: str | None = None,
        is_followup: bool = False,
        translate: Callable[[str], str] | None = None,
    ) -> QueryAnalysis:
        """The analysis of `question`; when a step fails, the plain question (never an exception).
        `translate` (the caller's model) overrides the analyzer's own for this question."""
        t0 = time.perf_counter()
        try:
            return self._analyze(question, previous, is_followup, t0, translate or self.translate)
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
        self, question: str, previous: str | None, is_followup: bool, t0: float, translate: Callable[[str], str] | None
    ) -> QueryAnalysis:
        lx = self.lexicon
        language = script_of(question)
        normalized = normalize(question).strip()
        notes: list[str] = []
        translation, method, groups = "", "", ()
        if language == "english":
            translation, method, notes = self._translate(normalized, translate)
            groups = tuple(tuple(g) for g in chinese_term_groups(normalized))
            chinese = translation
        else:
            chinese = normalized
        try:
            repaired, repairs = self.repairer.repair(chinese)
        except Exception as exc:  # pragma: no cover - defensive: keep the plain question
            log.warning("typo repair failed: %s", exc)
            repaired, repairs, notes = chinese, [], [*notes, "typo repair failed"]
        if language == "english":
            focus, context_terms, asking, need = repaired, [], [repaired], [repaired]
            # the English original decides parts and answer type as well as the translation
            parts = [
                replace(
                    p, search_text=" ".join([p.text, *dict.fromkeys(t for g in chinese_term_groups(p.text) for t in g)])
                )
                for p in self._parts(self._english_pieces(normalized), normalized)
            ]
        else:
            focus, context_terms, asking, need = self._focus(repaired)
            parts = self._parts(asking, repaired)
        where = f"{normalized} {repaired}"
        named, others = place_mentions(where, self.documents, lx)
        versions = version_preference(where, self.documents, lx)
        if previous and not (named or versions):  # "在监管方面提出了什么？" after 韶关 keeps 韶关
            named, _ = place_mentions(previous, self.documents, lx)
            versions = version_preference(previous, self.documents, lx)
        wants_draft = any(w in where.lower() for w in lx.draft_words)
        if previous and not wants_draft and not (named or versions):
            wants_draft = any(w in normalize(previous).lower() for w in lx.draft_words)
        ask_text = f"{focus} {normalized}" if language == "english" else focus
        answer_type = self.answer_type_of(ask_text)
        analysis = QueryAnalysis(
            question=question,
            language=language,
            normalized=normalized,
            repaired=repaired,
            repairs=tuple(repairs),
            translation=translation,
            translation_method=method,
            glossary_terms=groups,
            focus=focus,
            ask="，".join(need) if language != "english" else repaired,
            context_terms=tuple(context_terms),
            places=tuple(sorted(named)),
            place_groups=tuple(
                frozenset(d for d in named if self.documents[d].region == region)
                for region in sorted({self.documents[d].region for d in named})
            ),
            other_places=tuple(others),
            versions=tuple(sorted(versions)),
            wants_draft=wants_draft,
            answer_type=answer_type,
            asks_current=bool(lx.current_state.search(ask_text.lower())),
            asks_national=bool(lx.national.search(ask_text.lower())),
            parts=tuple(parts),
            previous=previous or "",
            is_followup=is_followup,
            notes=tuple(notes),
        )
        sides = self._sides(analysis)
        compare = len(sides) >= 2 and bool(lx.compare.search(where.lower()))
        if compare and any(lx.compare.search(p.text.lower()) for p in parts):
            parts = []  # "对X有什么要求，省里和区里的说法一样吗？" is one question asked of two sides
        search = focus if language != "english" else f"{normalized} {repaired}"
        if language == "english":
            search += " " + " ".join(dict.fromkeys(t for g in groups for t in g))
        if previous and is_followup:
            search = f"{previous} {search}"
        return replace(
            analysis,
            compare_docs=sides if compare else (),
            parts=tuple(parts),
            search_text=search.strip(),
            seconds=time.perf_counter() - t0,
        )

    def _sides(self, analysis: QueryAnalysis) -> tuple[str, ...]:
        """The documents a comparison sets side by side: the preferred ones, without a place's draft
        when that place also has a final text and no draft was asked for."""
        preferred = set(analysis.preferred_docs)
        if not analysis.wants_draft:
            regions_with_final = {self.documents[d].region for d in preferred if not self.documents[d].is_draft}
            preferred = {
                d
                for d in preferred
                if not (self.documents[d].is_draft and self.documents[d].region in regions_with_final)
            }
        return tuple(sorted(preferred))

    @staticmethod
    def _english_pieces(text: str) -> list[str]:
        """English sub-questions: sentences ending in "?" or joined by "and also" / "Also,"."""
        pieces = [p.strip() for p in re.split(r"(?<=\?)\s+|\b(?:and also|also|additionally)\b,?", text, flags=re.I)]
        return [p for p in pieces if p]


__all__ = [
    "QueryAnalysis",
    "QueryAnalyzer",
    "SubQuestion",
    "TypoRepairer",
    "place_mentions",
    "region_names",
    "version_preference",
]
