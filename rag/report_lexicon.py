"""The enterprise report's data, read once from `data/lexicon/report.yaml` into frozen objects.

`ReportLexicon` is the vocabulary that decides (clause kinds, whom a sentence is for, amounts, the
names a profile may use); `ReportWording` is what the report prints around the plans' own words
(headings, field names, notes). Both are data so that the wording and the rules can be edited
without touching code; a missing or malformed file is a `LexiconError` naming the file and entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from rag.lexicon import LEXICON_DIR, LexiconError

REPORT_LEXICON = "report.yaml"


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


def _read(directory: Path) -> tuple[Path, dict]:
    path = directory / REPORT_LEXICON
    if not path.is_file():
        raise LexiconError(f"{path}: missing (the enterprise report's vocabulary; restore it from git)")
    try:
        return path, yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path}: not valid YAML ({exc})") from None


@cache
def load_report_lexicon(directory: Path = LEXICON_DIR) -> ReportLexicon:
    path, data = _read(directory)
    try:
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
    except (KeyError, TypeError, AttributeError) as exc:
        raise LexiconError(f"{path}: missing or malformed entry {exc}") from None


@dataclass(frozen=True)
class ReportWording:
    """What the report prints around the plans' words (the `wording` section of report.yaml)."""

    title: str
    sections: dict[str, str]  # report kind (support | obligation) → section heading
    status_names: dict[str, str]  # catalog status → as printed
    draft_mark: str
    draft_status_mark: str
    expired_mark: str
    no_amount: str
    no_conditions: str
    no_responsible: str
    no_match: str
    authority_note: str
    documents: str
    any: str
    yes: str
    no: str
    profile_fields: dict[str, str]  # region, kind, sector, needs, drafts, date → label
    item_fields: dict[str, str]  # summary, conditions, amount, responsible, citation, status → label


_WORDING_MAPS = ("sections", "status_names", "profile_fields", "item_fields")


@cache
def load_report_wording(directory: Path = LEXICON_DIR) -> ReportWording:
    path, data = _read(directory)
    try:
        raw = data["wording"]
        fields = {}
        for name in ReportWording.__dataclass_fields__:
            value = raw[name]
            fields[name] = {str(k): str(v) for k, v in value.items()} if name in _WORDING_MAPS else str(value)
        return ReportWording(**fields)
    except (KeyError, TypeError, AttributeError) as exc:
        raise LexiconError(f"{path}: missing or malformed entry {exc}") from None
