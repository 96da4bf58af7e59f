"""Clause tags for the policy finder: which kind of enterprise a clause concerns and what it offers
or demands. Rules over the clause's normalised text, applied at ingestion and stored with each
clause (index/…/clauses.json), so the finder needs no model and answers instantly.

Rules, not a model: the vocabulary of these plans is narrow and regular (资金, 税收, 召回, 责任单位…),
a rule is easy to read and to test, and a wrong tag is fixed by editing one line of
`data/lexicon/tags.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rag.lexicon import LEXICON_DIR, LexiconError, compile_pattern, read_lexicon_file
from rag.text import normalize, split_sentences

TAGS_FILE = LEXICON_DIR / "tags.yaml"


@dataclass(frozen=True)
class TagRules:
    """The tag vocabulary: sector and need tags, each with the pattern that earns it."""

    sectors: dict[str, re.Pattern]
    needs: dict[str, re.Pattern]
    contact: str
    contact_words: re.Pattern

    def pattern(self, tag: str) -> re.Pattern | None:
        if tag == self.contact:
            return self.contact_words
        return self.sectors.get(tag) or self.needs.get(tag)


@cache
def load_tag_rules() -> TagRules:
    raw = read_lexicon_file(TAGS_FILE)
    where = str(TAGS_FILE)
    try:
        return TagRules(
            sectors={str(t): compile_pattern(p, f"{where}: sectors.{t}", 0) for t, p in raw["sectors"].items()},
            needs={str(t): compile_pattern(p, f"{where}: needs.{t}", 0) for t, p in raw["needs"].items()},
            contact=str(raw["contact"]["tag"]),
            contact_words=compile_pattern(raw["contact"]["words"], f"{where}: contact.words", 0),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise LexiconError(f"{where}: missing or malformed entry {exc}") from None


_RULES = load_tag_rules()
SECTOR_TAGS = tuple(_RULES.sectors)
NEED_TAGS = (*_RULES.needs, _RULES.contact)
CONTACT = _RULES.contact


def matching_sentence(text: str, tag: str) -> str:
    """The first sentence of `text` that earned it `tag` ("" when none does)."""
    pattern = load_tag_rules().pattern(tag)
    if pattern is None:
        return ""
    return next((s for s in split_sentences(normalize(text)) if pattern.search(s)), "")


def tag_clause(text: str, responsible: list[str]) -> list[str]:
    """Sector and need tags of one clause (the contact tag when it names responsible units or contacts)."""
    rules = load_tag_rules()
    norm = normalize(text)
    tags = [tag for tag, pattern in rules.sectors.items() if pattern.search(norm)]
    tags += [tag for tag, pattern in rules.needs.items() if pattern.search(norm)]
    if responsible or rules.contact_words.search(norm):
        tags.append(rules.contact)
    return tags
