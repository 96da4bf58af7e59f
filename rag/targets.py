"""The plans' quantitative targets as typed records, read from the documents by code (no model).

    python -m rag.targets [--csv] [--doc DOC_ID] [--region R]

A *target sentence* is a sentence of a clause (split at 。；) that contains 到20xx年, 力争, 达到 or
以上 (`data/lexicon/targets.yaml`). Every figure in it — an Arabic number, or a Chinese numeral
followed by a unit (三届, read with cn2an) — is either *taken* as a `Target` (indicator, value,
unit, comparator, year, …) or *skipped* with a stated reason (a year, part of a name such as
PM2.5, a clause number, no unit, no target context). Nothing is dropped silently: the report
counts both, and a test checks that taken + skipped = found for every sentence.

Figures and their indicators are read by `rag.target_figures` (the indicator is the text before
the figure: "食品抽检合格率达到98.5%以上" → 食品抽检合格率). The year is the sentence's 到20xx年,
else an earlier sentence's in the same clause, else the nearest parent clause's (a goal bullet's
year stands in its heading clause).
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

from rag.clauses import Clause
from rag.documents import DocumentInfo
from rag.target_figures import (
    Figure,
    TargetLexicon,
    find_figures,
    format_value,
    indicators,
    target_lexicon,
    target_sentences,
)
from rag.text import normalize, to_traditional

CSV_COLUMNS = ["indicator", "value", "unit", "comparator", "year", "region", "doc_id", "clause_id", "status"]
EXTRA_COLUMNS = ["figure", "doc_title", "label", "sentence"]


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


# ----------------------------------------------------------------------------- extraction
def _year_in(text: str, lex: TargetLexicon) -> str:
    m = lex.target_year.search(normalize(text))
    return m.group(1) if m else ""


def _parent_year(clause: Clause, by_id: Mapping[str, Clause], lex: TargetLexicon) -> str:
    """The target year of the nearest clause above this one that states one (a goal bullet's
    year stands in its heading clause); "" when none does."""
    parent = by_id.get(clause.parent_id)
    while parent is not None:
        if year := _year_in(parent.text, lex):
            return year
        parent = by_id.get(parent.parent_id)
    return ""


def _target(f: Figure, indicator: str, year: str, sentence: str, clause: Clause, info: DocumentInfo) -> Target:
    return Target(
        indicator=indicator,
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


def _clause_targets(
    clause: Clause, info: DocumentInfo, inherited: str, lex: TargetLexicon
) -> tuple[list[Target], list[SentenceReport]]:
    """The targets of one clause's target sentences, and the account of each sentence's figures.
    A sentence's year is its own 到20xx年, else an earlier sentence's, else the parent clause's."""
    targets: list[Target] = []
    reports: list[SentenceReport] = []
    clause_year = ""
    for sentence in target_sentences(normalize(clause.text)):
        own_year = _year_in(sentence, lex)
        clause_year = own_year or clause_year
        if not lex.sentence_trigger.search(sentence):
            continue
        year = own_year or clause_year or inherited
        figures = find_figures(sentence, bool(year), lex)
        reports.append(SentenceReport(clause.doc_id, clause.clause_id, sentence, figures))
        names = indicators(sentence, figures, lex)
        targets += [_target(f, names[f.start], year, sentence, clause, info) for f in figures if not f.skipped]
    return targets, reports


def extract(documents: Mapping[str, DocumentInfo], clauses: Iterable[Clause]) -> Extraction:
    """Targets of every clause of every document, with the per-sentence account of every figure."""
    lex = target_lexicon()
    clauses = list(clauses)
    by_id = {c.clause_id: c for c in clauses}
    result = Extraction([], [])
    for clause in clauses:
        inherited = _parent_year(clause, by_id, lex)
        targets, reports = _clause_targets(clause, documents[clause.doc_id], inherited, lex)
        result.targets += targets
        result.sentences += reports
    return result


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
    from rag.excerpts import Block
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
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rag.targets", description=__doc__.split("\n")[0])
    parser.add_argument("--csv", action="store_true", help="write the table as CSV to stdout")
    parser.add_argument("--doc", default="", metavar="DOC_ID", help="only this document")
    parser.add_argument("--region", default="", metavar="R", help="only this place (东莞, 广东省 …)")
    return parser


def print_counts(result: Extraction, documents: Mapping[str, DocumentInfo], doc_id: str, region: str, out) -> None:
    """Per shown document: target sentences, figures found, taken and skipped (with the reasons)."""
    print("\ndocument                          target sentences  figures  taken  skipped (why)", file=out)
    place = normalize(region).strip()
    shown = [d for d, info in documents.items() if (not doc_id or d == doc_id) and place in normalize(info.region)]
    counts = result.counts()
    for d in shown:
        c = counts.get(d, {"sentences": 0, "figures": 0, "taken": 0, "skipped": 0})
        why = ", ".join(f"{k} {v}" for k, v in sorted(result.skipped_reasons(d).items()))
        print(f"{d:34}{c['sentences']:>16}{c['figures']:>9}{c['taken']:>7}  {c['skipped']} ({why})", file=out)


def main(argv: list[str] | None = None) -> int:
    from rag.config import get_settings
    from rag.documents import DocumentError
    from rag.index import parse_corpus

    args = _parser().parse_args(argv)
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
    print_counts(result, documents, args.doc, args.region, sys.stderr if args.csv else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
