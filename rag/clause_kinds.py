"""What a clause is, for an enterprise reader: target, task, support, obligation, safeguard or other.

Rules over the document's own structure and words, no model (the report must be built in well
under 2 s and every decision must be explainable by pointing at a sentence):

1. other      — a preamble, or a clause under a background heading (an interpretation's 背景);
2. target     — in the goals part (目标, 指导思想, 总体要求), or every sentence states a goal;
3. safeguard  — in the safeguard part (保障措施, 组织保障);
4. obligation — a sentence states a duty or liability enterprises bear (主体责任, 召回义务,
                强制性标准…), in a phrase that does not merely encourage it (鼓励, 引导…);
5. support    — a sentence names something concrete an enterprise can obtain (funds, tax relief,
                finance, an award or selection, a service or help, a preference), in a phrase
                not aimed at places or citizens, and is not addressed to local governments;
6. task       — anything else: the government's own work.

The vocabulary lives in `data/lexicon/report.yaml`; the labelled sample that measures these rules
is `eval/datasets/clause-kinds.jsonl` (`python -m eval.clause_kinds`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from rag.clauses import Clause
from rag.lexicon import LEXICON_DIR, LexiconError, load_lexicon
from rag.text import normalize

REPORT_LEXICON = "report.yaml"
KINDS = ("target", "task", "support", "obligation", "safeguard", "other")
REPORTED = ("support", "obligation")  # the kinds an enterprise report lists
SENTENCE = re.compile(r"(?<=[。；;！？!?])|\n")
PHRASE = re.compile(r"[，,；;]")


@dataclass(frozen=True)
class Category:
    """A profile choice (enterprise kind, sector or need): its key, names and marking words."""

    key: str
    zh: str
    en: str
    words: re.Pattern


@dataclass(frozen=True)
class ReportLexicon:
    target_headings: re.Pattern
    safeguard_headings: re.Pattern
    other_headings: re.Pattern
    obligation: re.Pattern
    soft: re.Pattern
    support: re.Pattern
    not_for_enterprises: re.Pattern
    addressed_to_governments: re.Pattern
    beneficiary_clause: re.Pattern
    beneficiary: re.Pattern
    amount: re.Pattern
    region_names: dict[str, tuple[str, ...]]
    province: str
    enterprise_kinds: tuple[Category, ...]
    sectors: tuple[Category, ...]
    needs: tuple[Category, ...]


@dataclass(frozen=True)
class ClauseKind:
    """A clause's kind and, for support and obligations, the sentences (as written) that decided it."""

    kind: str
    sentences: tuple[str, ...] = ()


def _pattern(raw: object, where: str) -> re.Pattern:
    # folded YAML scalars join lines with spaces; the patterns hold no meaningful literal space
    text = re.sub(r"\s+", "", "|".join(raw) if isinstance(raw, list) else str(raw))
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise LexiconError(f"{where}: bad pattern ({exc})") from None


def _categories(raw: dict, where: str) -> tuple[Category, ...]:
    return tuple(
        Category(str(key), str(spec["zh"]), str(spec["en"]), _pattern(spec["words"], f"{where}.{key}.words"))
        for key, spec in raw.items()
    )


@cache
def load_report_lexicon(directory: Path = LEXICON_DIR) -> ReportLexicon:
    path = directory / REPORT_LEXICON
    if not path.is_file():
        raise LexiconError(f"{path}: missing (the enterprise report's vocabulary; restore it from git)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        kinds = data["clause_kinds"]
        where = str(path)
        return ReportLexicon(
            target_headings=_pattern(kinds["target_headings"], f"{where}: target_headings"),
            safeguard_headings=_pattern(kinds["safeguard_headings"], f"{where}: safeguard_headings"),
            other_headings=_pattern(kinds["other_headings"], f"{where}: other_headings"),
            obligation=_pattern(kinds["obligation"], f"{where}: obligation"),
            soft=_pattern(kinds["soft"], f"{where}: soft"),
            support=_pattern(kinds["support"], f"{where}: support"),
            not_for_enterprises=_pattern(kinds["not_for_enterprises"], f"{where}: not_for_enterprises"),
            addressed_to_governments=_pattern(kinds["addressed_to_governments"], f"{where}: addressed_to_governments"),
            beneficiary_clause=_pattern(data["beneficiary_clause"], f"{where}: beneficiary_clause"),
            beneficiary=_pattern(
                "(?:{q})*(?:{h})|(?:{q})+(?:{qh})".format(
                    q=data["beneficiary_qualifiers"],
                    h=data["beneficiary_heads"],
                    qh=data["beneficiary_qualified_heads"],
                ),
                f"{where}: beneficiary",
            ),
            amount=_pattern(data["amount"], f"{where}: amount"),
            region_names={str(k): tuple(str(n) for n in v) for k, v in data["region_names"].items()},
            province=str(data["province"]),
            enterprise_kinds=_categories(data["enterprise_kinds"], f"{where}: enterprise_kinds"),
            sectors=_categories(data["sectors"], f"{where}: sectors"),
            needs=_categories(data["needs"], f"{where}: needs"),
        )
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path}: not valid YAML ({exc})") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise LexiconError(f"{path}: missing or malformed entry {exc}") from None


def sentences(text: str) -> list[str]:
    """The sentences of `text` as written (closing punctuation kept)."""
    return [s.strip() for s in SENTENCE.split(text) if s.strip()]


def is_obligation(sentence: str, lex: ReportLexicon | None = None) -> bool:
    """A phrase of the sentence states a duty enterprises bear, and does not merely encourage it."""
    lex = lex or load_report_lexicon()
    return any(lex.obligation.search(p) and not lex.soft.search(p) for p in PHRASE.split(normalize(sentence)))


def is_support(sentence: str, lex: ReportLexicon | None = None) -> bool:
    """A phrase of the sentence names something concrete an enterprise can obtain (and the
    sentence is not addressed to local governments or departments)."""
    lex = lex or load_report_lexicon()
    phrases = PHRASE.split(normalize(sentence))
    if lex.addressed_to_governments.search(phrases[0]):
        return False
    return any(lex.support.search(p) and not lex.not_for_enterprises.search(p) for p in phrases)


def classify(clause: Clause, lex: ReportLexicon | None = None) -> ClauseKind:
    """The kind of one clause (rules in the module docstring, first match wins)."""
    lex = lex or load_report_lexicon()
    if clause.kind == "preamble" or clause.is_heading_only:
        return ClauseKind("other")
    # the part of the plan a clause stands in: the headings above it (its own, for a top-level part);
    # a task titled "强化工程质量保障" is not in the safeguard part
    headings = normalize(" ".join(clause.path or [clause.heading]))
    if lex.other_headings.search(headings):
        return ClauseKind("other")
    body = sentences(clause.body)
    target_sentence = load_lexicon().target_sentence
    if lex.target_headings.search(headings) or (body and all(target_sentence.search(normalize(s)) for s in body)):
        return ClauseKind("target")
    if lex.safeguard_headings.search(headings):
        return ClauseKind("safeguard")
    duties = tuple(s for s in body if is_obligation(s, lex))
    if duties:
        return ClauseKind("obligation", duties)
    offers = tuple(s for s in body if is_support(s, lex))
    if offers:
        return ClauseKind("support", offers)
    return ClauseKind("task")
