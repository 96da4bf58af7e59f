"""The structure vocabulary of the plans (`data/lexicon/clauses.yaml`) and the parsing of a
clause's responsible units, e.g. "(省质监局牵头,省农业厅…参与)" → units and lead.

Kept apart from `rag.clauses` (which walks lines into clauses) because both halves read the same
vocabulary and the responsible-unit rules are the part most often corrected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rag.lexicon import LEXICON_DIR, LexiconError, compile_pattern, read_lexicon_file

CLAUSES_FILE = LEXICON_DIR / "clauses.yaml"


@dataclass(frozen=True)
class ClauseRules:
    """The structure vocabulary of `data/lexicon/clauses.yaml`: numbering, titles, responsible units."""

    numbering: dict[str, re.Pattern]
    bullet: re.Pattern
    title_words: re.Pattern
    responsible_tail: re.Pattern
    unit_words: re.Pattern
    responsible_prefix: re.Pattern
    responsible_suffix: re.Pattern
    trailing_etc: re.Pattern
    lead_word: re.Pattern
    unit_split: re.Pattern
    complete_words: tuple[str, ...]
    level_prefixes: tuple[str, ...]
    place_prefixes: tuple[str, ...]
    preamble_label: str
    paragraph_label: str


@cache
def load_clause_rules() -> ClauseRules:
    raw = read_lexicon_file(CLAUSES_FILE)
    where = str(CLAUSES_FILE)

    def pattern(value, name: str) -> re.Pattern:
        return compile_pattern(value, f"{where}: {name}", 0)

    try:
        resp = raw["responsible"]
        levels = tuple(str(raw["level_prefixes"]).split())
        return ClauseRules(
            numbering={str(k): pattern(v, f"numbering.{k}") for k, v in raw["numbering"].items()},
            bullet=pattern(raw["bullet"], "bullet"),
            title_words=pattern(raw["title_words"], "title_words"),
            responsible_tail=pattern(resp["tail"], "responsible.tail"),
            unit_words=pattern(resp["unit_words"], "responsible.unit_words"),
            responsible_prefix=pattern(resp["prefix"], "responsible.prefix"),
            responsible_suffix=pattern(resp["suffix"], "responsible.suffix"),
            trailing_etc=pattern(resp["trailing_etc"], "responsible.trailing_etc"),
            lead_word=pattern(resp["lead_word"], "responsible.lead_word"),
            unit_split=pattern(resp["split"], "responsible.split"),
            complete_words=tuple(str(resp["complete_words"]).split()),
            level_prefixes=levels,
            place_prefixes=(*levels, *str(raw["place_prefixes"]).split()),
            preamble_label=str(raw["labels"]["preamble"]),
            paragraph_label=str(raw["labels"]["paragraph"]),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise LexiconError(f"{where}: missing or malformed entry {exc}") from None


def parse_responsible(text: str) -> tuple[list[str], str]:
    """Departments and lead unit from a clause's trailing parenthesis, e.g. "(省质监局牵头,省农业厅…参与)"."""
    rules = load_clause_rules()
    last_line = text.rstrip().rsplit("\n", 1)[-1]
    m = rules.responsible_tail.search(last_line)
    if not m or not rules.unit_words.search(m.group(1)):
        return [], ""
    inner = rules.responsible_prefix.sub("", m.group(1).strip())
    lead = ""
    parts = rules.lead_word.split(inner, maxsplit=1)
    if len(parts) == 2:
        lead_part, rest = parts
        leads = [u.strip() for u in rules.unit_split.split(lead_part) if u.strip()]
        lead = "、".join(leads)
        raw_units = leads + [u for u in rules.unit_split.split(rest)]
    else:
        raw_units = rules.unit_split.split(inner)
    units: list[str] = []
    for raw in raw_units:
        unit = rules.responsible_suffix.sub("", raw.strip()).strip()
        unit = rules.trailing_etc.sub("", unit).strip()
        if unit and unit not in units:
            units.append(unit)
    if units and units[0].startswith(rules.level_prefixes):
        level = units[0][0]
        units = [_with_level(u, level, rules) for u in units]
        if lead and not lead.startswith(rules.place_prefixes):
            lead = level + lead
    return units, lead


def _with_level(unit: str, level: str, rules: ClauseRules) -> str:
    """ "商务厅" after "省农业厅" → "省商务厅"; names that already say their place stay as written."""
    if unit.startswith(rules.place_prefixes) or any(w in unit for w in rules.complete_words):
        return unit
    return level + unit
