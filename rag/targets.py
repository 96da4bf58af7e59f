"""The plans' quantitative targets as typed records, read from the documents by code (no model).

    python -m rag.targets [--csv] [--doc DOC_ID] [--region R]

A *target sentence* is a sentence of a clause (split at 。；) that contains 到20xx年, 力争, 达到 or
以上 (`data/lexicon/targets.yaml`). Every figure in it — an Arabic number, or a Chinese numeral
followed by a unit (三届, read with cn2an) — is either *taken* as a `Target` (indicator, value,
unit, comparator, year, …) or *skipped* with a stated reason (a year, part of a name such as
PM2.5, a clause number, no unit, no target context). Nothing is dropped silently: the report
counts both, and a test checks that taken + skipped = found for every sentence.

The indicator is the text before the figure ("食品抽检合格率达到98.5%以上" → 食品抽检合格率), or,
when that is only an action word, the action word and the text after it ("设立10000名以上首席质量官"
→ 设立首席质量官). The year is the sentence's 到20xx年, else an earlier sentence's in the same
clause, else the nearest parent clause's (a goal bullet's year stands in its heading clause).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import yaml

from rag.clauses import Clause
from rag.documents import DocumentInfo
from rag.lexicon import LEXICON_DIR
from rag.text import normalize, to_traditional

LEXICON_FILE = LEXICON_DIR / "targets.yaml"
CSV_COLUMNS = ["indicator", "value", "unit", "comparator", "year", "region", "doc_id", "clause_id", "status"]
EXTRA_COLUMNS = ["figure", "doc_title", "label", "sentence"]
SENTENCE_SPLIT = re.compile(r"(?<=[。；;])|\n")
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
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    by_length = lambda words: tuple(sorted(words, key=len, reverse=True))  # noqa: E731 (longest match first)
    return TargetLexicon(
        sentence_trigger=re.compile(raw["sentence_trigger"]),
        target_year=re.compile(raw["target_year"]),
        name_figure=re.compile(raw["name_figure"]),
        year_figure=re.compile(raw["year_figure"]),
        cjk_numeral=re.compile(raw["cjk_numeral"]),
        ordinal_prefix=raw["ordinal_prefix"],
        units=by_length(str(u) for u in raw["units"]),
        comparator_before=dict(sorted(raw["comparator_before"].items(), key=lambda kv: -len(kv[0]))),
        comparator_after=raw["comparator_after"],
        comparator_words=raw["comparator_words"],
        leading_verbs=by_length(raw["leading_verbs"]),
        strip_start=by_length(raw["indicator_strip_start"]),
        strip_end=by_length(raw["indicator_strip_end"]),
        question=re.compile(raw["question"]),
    )


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


@dataclass(frozen=True)
class Target:
    """A quantitative target of one document, as the document states it."""

    indicator: str
    value: float
    unit: str
    comparator: str
    year: str  # "2025"; "" when no year stands in the sentence, its clause or a parent clause
    region: str
    doc_id: str
    clause_id: str
    status: str
    figure: str = ""  # as written in the sentence
    doc_title: str = ""
    label: str = ""
    sentence: str = ""

    @property
    def value_text(self) -> str:
        """The value as a plain number: 180, 98.5."""
        return format_value(self.value)

    def row(self) -> dict[str, str]:
        d = asdict(self)
        d["value"] = self.value_text
        return {k: str(d[k]) for k in CSV_COLUMNS + EXTRA_COLUMNS}

    def phrase(self) -> str:
        """The target worded as a target with its year: "到2025年，食品抽检合格率达到98.5%以上"."""
        words = target_lexicon().comparator_words
        figure = words.get(self.comparator or "=", words["="]).format(figure=self.value_text + self.unit)
        when = f"到{self.year}年，" if self.year else "（未写明年份）"
        return f"{when}{self.indicator}{figure}"


@dataclass
class SentenceReport:
    doc_id: str
    clause_id: str
    sentence: str
    figures: list[Figure] = field(default_factory=list)


@dataclass
class Extraction:
    """All targets, and per document how many target sentences and figures were found and taken."""

    targets: list[Target]
    sentences: list[SentenceReport]

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for s in self.sentences:
            c = out.setdefault(s.doc_id, {"sentences": 0, "figures": 0, "taken": 0, "skipped": 0})
            c["sentences"] += 1
            c["figures"] += len(s.figures)
            c["taken"] += sum(1 for f in s.figures if not f.skipped)
            c["skipped"] += sum(1 for f in s.figures if f.skipped)
        return out

    def skipped_reasons(self, doc_id: str | None = None) -> Counter[str]:
        return Counter(f.skipped for s in self.sentences if doc_id in (None, s.doc_id) for f in s.figures if f.skipped)


def format_value(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# ----------------------------------------------------------------------------- figures
def _cjk_value(numeral: str) -> float:
    import cn2an

    return float(cn2an.cn2an(numeral, "smart"))


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


# ----------------------------------------------------------------------------- extraction
def _year_in(text: str, lex: TargetLexicon) -> str:
    m = lex.target_year.search(normalize(text))
    return m.group(1) if m else ""


def _parent_year(clause: Clause, by_id: Mapping[str, Clause], lex: TargetLexicon) -> str:
    cid = clause.clause_id
    while "." in cid.split("/", 1)[-1]:
        cid = cid.rsplit(".", 1)[0]
        parent = by_id.get(cid)
        if parent and (year := _year_in(parent.text, lex)):
            return year
    return ""


def extract(documents: Mapping[str, DocumentInfo], clauses: Iterable[Clause]) -> Extraction:
    """Targets of every clause of every document, with the per-sentence account of every figure."""
    lex = target_lexicon()
    clauses = list(clauses)
    by_id = {c.clause_id: c for c in clauses}
    targets: list[Target] = []
    reports: list[SentenceReport] = []
    for clause in clauses:
        info = documents[clause.doc_id]
        inherited = _parent_year(clause, by_id, lex)
        clause_year = ""
        for raw in SENTENCE_SPLIT.split(normalize(clause.text)):
            sentence = raw.strip()
            own_year = _year_in(sentence, lex)
            clause_year = own_year or clause_year
            if not sentence or not lex.sentence_trigger.search(sentence):
                continue
            year = own_year or clause_year or inherited
            figures = find_figures(sentence, bool(year), lex)
            reports.append(SentenceReport(clause.doc_id, clause.clause_id, sentence, figures))
            names = indicators(sentence, figures, lex)
            for f in figures:
                if f.skipped:
                    continue
                targets.append(
                    Target(
                        indicator=names[f.start],
                        value=f.value,
                        unit=f.unit,
                        comparator=f.comparator,
                        year=year,
                        region=info.region,
                        doc_id=info.doc_id,
                        clause_id=clause.clause_id,
                        status=info.status,
                        figure=f.text,
                        doc_title=info.display_title,
                        label=clause.label,
                        sentence=sentence,
                    )
                )
    return Extraction(targets, reports)


def to_csv(targets: Iterable[Target]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS + EXTRA_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for t in targets:
        writer.writerow(t.row())
    return out.getvalue()


def select(
    targets: Iterable[Target],
    documents: Mapping[str, DocumentInfo],
    doc_id: str = "",
    region: str = "",
    year: str = "",
) -> list[Target]:
    """Targets of one document / a place (东莞 matches 东莞市, 東莞 too) / a year; "" = any."""
    place = normalize(region).strip()
    return [
        t
        for t in targets
        if (not doc_id or t.doc_id == doc_id)
        and (not place or place in normalize(documents[t.doc_id].region))
        and (not year or t.year == year)
    ]


class TargetInputError(ValueError):
    """An unknown document or place; the message names the valid values."""


def check_selection(documents: Mapping[str, DocumentInfo], doc_id: str = "", region: str = "") -> None:
    if doc_id and doc_id not in documents:
        raise TargetInputError(f"unknown document {doc_id!r}; known: {', '.join(documents)}")
    place = normalize(region).strip()
    if region and not any(place in normalize(d.region) for d in documents.values()):
        regions = ", ".join(dict.fromkeys(d.region for d in documents.values()))
        raise TargetInputError(f"unknown region {region!r}; known: {regions}")


# ----------------------------------------------------------------------------- chat
def answer_targets(
    documents: Mapping[str, DocumentInfo],
    clauses: Iterable[Clause],
    doc_ids: Iterable[str],
    year: str = "",
) -> list[Target]:
    """The targets a question about a place's targets lists: those of `doc_ids`, for `year` if given."""
    wanted = set(doc_ids)
    chosen = [c for c in clauses if c.doc_id in wanted]
    return [t for t in extract(documents, chosen).targets if not year or t.year == year]


def is_targets_question(text: str) -> bool:
    """ "东莞到2025年有哪些量化目标？": asks for the list of a place's quantitative targets."""
    return bool(target_lexicon().question.search(normalize(text)))


def asked_year(text: str) -> str:
    m = re.search(r"(?<!\d)(20\d\d)(?!\d)", normalize(text))
    return m.group(1) if m else ""


def targets_documents(analysis, documents: Mapping[str, DocumentInfo], allows) -> list[str]:
    """Documents whose targets answer a targets question: the named places' (the named version's
    when the question names one), leaving out a superseded text unless it is asked for; `allows`
    is the request's filter."""
    if not analysis.places:
        return []
    candidates = [d for d in analysis.places if d in documents and allows(documents[d])]
    versions = [d for d in candidates if d in analysis.versions]
    if versions:
        return versions
    return [d for d in candidates if documents[d].status != "superseded"]


def targets_reply(analysis, index, filters, lang: str):
    """(answer, cited blocks) listing the targets a question asks for, or None when the question is
    not a targets question (or names no place whose documents state targets)."""
    from rag.grounding import Block
    from rag.retrieval import ScoredClause

    if lang == "english" or not is_targets_question(analysis.normalized):
        return None
    doc_ids = targets_documents(analysis, index.documents, filters.allows)
    year = asked_year(analysis.normalized)
    listed = answer_targets(index.documents, index.clauses, doc_ids, year)
    if not listed:
        return None
    blocks: dict[str, Block] = {}
    lines = []
    for t in listed:
        if t.clause_id not in blocks:
            clause = index.clause_by_id[t.clause_id]
            scored = ScoredClause(clause, index.documents[t.doc_id], 1.0, 0.0, 0.0, t.clause_id)
            blocks[t.clause_id] = Block(len(blocks) + 1, scored, clause.body)
        lines.append(f"{len(lines) + 1}. {t.phrase()}[{blocks[t.clause_id].number}]")
    titles = "、".join(f"《{index.documents[d].display_title}》" for d in dict.fromkeys(t.doc_id for t in listed))
    head = f"{titles}{f'到{year}年' if year else ''}的量化目标共 {len(listed)} 项（均为目标值，非现状）："
    answer = head + "\n" + "\n".join(lines)
    return (to_traditional(answer) if lang == "traditional" else answer), list(blocks.values())


# ----------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    from rag.config import get_settings
    from rag.documents import DocumentError
    from rag.index import parse_corpus

    parser = argparse.ArgumentParser(prog="python -m rag.targets", description=__doc__.split("\n")[0])
    parser.add_argument("--csv", action="store_true", help="write the table as CSV to stdout")
    parser.add_argument("--doc", default="", metavar="DOC_ID", help="only this document")
    parser.add_argument("--region", default="", metavar="R", help="only this place (东莞, 广东省 …)")
    args = parser.parse_args(argv)
    try:
        infos, clauses, _ = parse_corpus(get_settings())
    except DocumentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    documents = {i.doc_id: i for i in infos}
    try:
        check_selection(documents, args.doc, args.region)
    except TargetInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = extract(documents, clauses)
    chosen = select(result.targets, documents, args.doc, args.region)
    if args.csv:
        sys.stdout.write(to_csv(chosen))
    else:
        for t in chosen:
            print(f"{t.doc_id:32} {t.clause_id:40} {t.phrase()}")
    report = sys.stderr if args.csv else sys.stdout
    print("\ndocument                          target sentences  figures  taken  skipped (why)", file=report)
    place = normalize(args.region).strip()
    shown = [d for d, info in documents.items() if (not args.doc or d == args.doc) and place in normalize(info.region)]
    counts = result.counts()
    for doc_id in shown:
        c = counts.get(doc_id, {"sentences": 0, "figures": 0, "taken": 0, "skipped": 0})
        why = ", ".join(f"{k} {v}" for k, v in sorted(result.skipped_reasons(doc_id).items()))
        print(f"{doc_id:34}{c['sentences']:>16}{c['figures']:>9}{c['taken']:>7}  {c['skipped']} ({why})", file=report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
