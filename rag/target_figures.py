"""The figures of a target sentence and what each one measures, read by code (no model).

Every figure of a sentence — an Arabic number, or a Chinese numeral followed by a unit (三届,
read with cn2an) — is either *taken* or *skipped* with a stated reason (`SKIP_REASONS`); the
indicator of a taken figure is the text before it ("食品抽检合格率达到98.5%以上" → 食品抽检合格率),
or, when that is only an action word, the action word and the text after it ("设立10000名以上首席质量官"
→ 设立首席质量官). The vocabulary is `data/lexicon/targets.yaml`. `rag.targets` turns these into
target records; `rag.diff` compares them between two versions of a plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from rag.lexicon import LEXICON_DIR, LexiconError
from rag.text import chinese_number, split_sentences

LEXICON_FILE = LEXICON_DIR / "targets.yaml"
SEGMENT_PUNCT = "，,：:；;。"
LIST_MARK = "、"
ARABIC = re.compile(r"\d+(?:\.\d+)?")
CLAUSE_NUMBER = re.compile(r"^\s*[（(]?\d{1,2}[)）]?[、.．]")
SKIP_REASONS = (
    "target year",  # the 2025 of 到2025年: the record's year
    "year",
    "part of a name",  # PM2.5, "4+5"
    "clause number",
    "no unit or comparator",
    "Chinese numeral without comparator",  # 一次验收合格率, 近三届: part of a word or a past fact
    "no target context",  # no target year applies and no comparator stands next to it
)
# A target sentence ends at 。；; or a line break, never at ！？!?: "PM2?5" (PM2.5 as one source
# mis-encodes it) is one figure. These are hidden from the shared splitter by private-use stand-ins.
_HIDE_ENDS = str.maketrans("！？!?", "\ue000\ue001\ue002\ue003")
_SHOW_ENDS = str.maketrans("\ue000\ue001\ue002\ue003", "！？!?")


@dataclass(frozen=True)
class TargetLexicon:
    sentence_trigger: re.Pattern
    target_year: re.Pattern
    name_figure: re.Pattern
    year_figure: re.Pattern
    cjk_numeral: re.Pattern
    ordinal_prefix: str
    units: tuple[str, ...]
    comparator_before: dict[str, str]
    comparator_after: dict[str, str]
    comparator_words: dict[str, str]
    leading_verbs: tuple[str, ...]
    strip_start: tuple[str, ...]
    strip_end: tuple[str, ...]
    question: re.Pattern


@cache
def target_lexicon(path: Path = LEXICON_FILE) -> TargetLexicon:
    """The targets vocabulary, read once; LexiconError names the file and the entry at fault."""
    if not path.is_file():
        raise LexiconError(f"{path}: missing (the targets vocabulary; restore it from git)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return _target_lexicon(raw)
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path}: not valid YAML ({exc})") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise LexiconError(f"{path}: missing or malformed entry {exc}") from None
    except re.error as exc:
        raise LexiconError(f"{path}: bad pattern ({exc})") from None


def _by_length(words) -> tuple[str, ...]:
    """Longest first, so the longest match wins."""
    return tuple(sorted(words, key=len, reverse=True))


def _target_lexicon(raw: dict) -> TargetLexicon:
    return TargetLexicon(
        sentence_trigger=re.compile(raw["sentence_trigger"]),
        target_year=re.compile(raw["target_year"]),
        name_figure=re.compile(raw["name_figure"]),
        year_figure=re.compile(raw["year_figure"]),
        cjk_numeral=re.compile(raw["cjk_numeral"]),
        ordinal_prefix=raw["ordinal_prefix"],
        units=_by_length(str(u) for u in raw["units"]),
        comparator_before=dict(sorted(raw["comparator_before"].items(), key=lambda kv: -len(kv[0]))),
        comparator_after=raw["comparator_after"],
        comparator_words=raw["comparator_words"],
        leading_verbs=_by_length(raw["leading_verbs"]),
        strip_start=_by_length(raw["indicator_strip_start"]),
        strip_end=_by_length(raw["indicator_strip_end"]),
        question=re.compile(raw["question"]),
    )


def target_sentences(text: str) -> list[str]:
    """The sentences of `text` a target is read from: `rag.text.split_sentences`, except that
    ！？!? do not end a sentence (see `_HIDE_ENDS`)."""
    return [s.translate(_SHOW_ENDS) for s in split_sentences(text.translate(_HIDE_ENDS))]


@dataclass(frozen=True)
class Figure:
    """One number found in a target sentence, and what became of it."""

    text: str  # as written, with its unit and comparator words ("98.5%以上")
    start: int  # span in the (normalised) sentence, number through comparator
    end: int
    number: str  # the numeral as written ("98.5", "三")
    value: float
    unit: str
    comparator: str  # ">=", ">", "=", "≈", "<=", "<" or "" when none is written
    skipped: str = ""  # a SKIP_REASONS entry, or "" when taken as a target


def format_value(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _cjk_value(numeral: str) -> float:
    value = chinese_number(numeral)
    if value is None:
        raise ValueError(f"not a number: {numeral}")
    return value


def find_figures(sentence: str, has_year: bool, lexicon: TargetLexicon | None = None) -> list[Figure]:
    """Every figure of a (normalised) sentence, each taken or skipped with its reason.

    `has_year`: a target year applies to the sentence (its own or its clause's), which makes a
    figure with a unit a target even when no comparator word stands next to it."""
    lex = lexicon or target_lexicon()
    text = sentence
    covered: list[tuple[int, int, str]] = []
    for m in lex.target_year.finditer(text):
        covered.append((m.start(1), m.end(1), "target year"))
    for m in lex.name_figure.finditer(text):
        covered.append((m.start(), m.end(), "part of a name"))
    for m in lex.year_figure.finditer(text):
        if not any(a <= m.start() < b for a, b, _ in covered):
            covered.append((m.start(), m.end(), "year"))
    numeral = CLAUSE_NUMBER.match(text)
    if numeral:
        covered.append((numeral.start(), numeral.end(), "clause number"))
    in_target = bool(lex.target_year.search(text)) or has_year or "力争" in text
    figures: list[Figure] = []
    candidates = [(m, False) for m in ARABIC.finditer(text)] + [(m, True) for m in lex.cjk_numeral.finditer(text)]
    for m, cjk in sorted(candidates, key=lambda mc: mc[0].start()):
        start, end = m.start(), m.end()
        unit, pos = _unit_at(text, end, lex)
        if cjk and (
            not unit or unit == "%" or text[max(0, start - len(lex.ordinal_prefix)) : start] == lex.ordinal_prefix
        ):
            continue  # a Chinese numeral without a unit is a word (一批, 统一), not a figure
        after, pos = _after_comparator(text, pos, lex)
        before = _before_comparator(text[:start], lex)
        comparator = after or before
        value = _cjk_value(m.group()) if cjk else float(m.group())
        skipped = next((why for a, b, why in covered if a <= start < b), "")
        if not skipped and not unit and not comparator:
            skipped = "no unit or comparator"
        if not skipped and cjk and not comparator:
            skipped = "Chinese numeral without comparator"
        if not skipped and not (in_target or after or before):
            skipped = "no target context"
        figures.append(Figure(text[start:pos].strip(), start, pos, m.group(), value, unit, comparator or "=", skipped))
    return figures


def _unit_at(text: str, pos: int, lex: TargetLexicon) -> tuple[str, int]:
    rest = text[pos:]
    stripped = rest.lstrip()
    gap = len(rest) - len(stripped)
    for unit in lex.units:
        if stripped.startswith(unit):
            return unit, pos + gap + len(unit)
    return "", pos


def _after_comparator(text: str, pos: int, lex: TargetLexicon) -> tuple[str, int]:
    rest = text[pos:]
    stripped = rest.lstrip()
    for word, comparator in lex.comparator_after.items():
        if stripped.startswith(word):
            return comparator, pos + len(rest) - len(stripped) + len(word)
    return "", pos


def _before_comparator(before: str, lex: TargetLexicon) -> str:
    tail = before.rstrip()
    return next((c for word, c in lex.comparator_before.items() if tail.endswith(word)), "")


# ----------------------------------------------------------------------------- indicators
def _strip(text: str, lex: TargetLexicon) -> str:
    """An indicator without the year phrase, comparator words, joining words and punctuation."""
    text = lex.target_year.sub("", text)
    text = re.sub(r"\s+", "", text).strip("，,、：:；;。 ")
    changed = True
    while changed and text:
        changed = False
        for word in lex.comparator_before:
            if text.endswith(word):
                text, changed = text[: -len(word)], True
        for word in lex.strip_end:
            if text.endswith(word):
                text, changed = text[: -len(word)], True
        for word in lex.strip_start:
            if text.startswith(word):
                text, changed = text[len(word) :], True
        text = text.strip("，,、：:；;。 ")
    return text


def _leading_verbs(text: str, lex: TargetLexicon) -> str:
    """The action words an indicator starts with ("累计推动…" → "累计推动")."""
    verbs = ""
    while True:
        verb = next((v for v in lex.leading_verbs if text[len(verbs) :].startswith(v)), "")
        if not verb:
            return verbs
        verbs += verb


def _segments(sentence: str, figures: list[Figure]) -> list[tuple[int, int, bool]]:
    """(start, end, continues a list) pieces of a sentence: split at commas, and at 、 right after a figure."""
    ends = {f.end for f in figures}
    pieces, start, listed = [], 0, False
    for i, ch in enumerate(sentence):
        after_figure = ch == LIST_MARK and sentence[:i].rstrip() and len(sentence[:i].rstrip()) in ends
        if ch in SEGMENT_PUNCT or after_figure:
            pieces.append((start, i, listed))
            start, listed = i + 1, bool(after_figure)
    pieces.append((start, len(sentence), listed))
    return pieces


def indicators(sentence: str, figures: list[Figure], lexicon: TargetLexicon | None = None) -> dict[int, str]:
    """Indicator of each taken figure (by its start)."""
    lex = lexicon or target_lexicon()
    taken = [f for f in figures if not f.skipped]
    out: dict[int, str] = {}
    list_verb = ""
    for seg_start, seg_end, continues_list in _segments(sentence, figures):
        inside = [f for f in taken if seg_start <= f.start < seg_end]
        if not inside:
            list_verb = "" if not continues_list else list_verb
            continue
        cursor = seg_start
        for i, f in enumerate(inside):
            next_start = inside[i + 1].start if i + 1 < len(inside) else seg_end
            before = _strip(sentence[cursor : f.start], lex)
            verbs = _leading_verbs(before, lex)
            if before and before != verbs:
                indicator, cursor = before, f.end
            else:
                indicator, cursor = before + _strip(sentence[f.end : next_start], lex), next_start
            if i == 0 and not continues_list:
                list_verb = _leading_verbs(indicator, lex)
            elif list_verb and not _leading_verbs(indicator, lex):
                indicator = list_verb + indicator  # "完成10个…和20个…": the second item is also 完成
            out[f.start] = indicator or sentence[seg_start:seg_end].strip()
    return out
