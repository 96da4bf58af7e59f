"""Which places and which versions of a plan a question points to.

Place names come from the catalog (`data/catalog.yaml`: a document's region and the shorter names
it goes by); how people name a level without its place (省里), English place names and places no
document covers come from `data/lexicon/query.yaml`. Question analysis (rag/query.py) uses these
to prefer documents, the comparison search to strip the sides' names, grounding to check years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.documents import DocumentInfo
from rag.followup import QUESTION_SEP
from rag.lexicon import Lexicon, load_lexicon
from rag.text import normalize, tokens

YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
# a year or a range of years as people write them: 2023年, 2016-17年, 2016年至2017年
YEAR_SPAN = re.compile(r"(?<!\d)(20\d\d)年?(?:\s*[-–—~至到]\s*((?:20)?\d\d)年?)?(?!\d)")
# a year written with two digits, alone or in a range, before 年: "24年方案", "16-17年那个计划"
SHORT_YEAR = re.compile(r"(?<![\d.])(\d\d)(?:\s*([-–—~至到])\s*(\d\d))?(?=\s*年)")


VERSION_SUFFIX = "版稿"  # "草稿版", "正式版", "意见稿": the version word's own suffix goes with it


def full_years(text: str) -> str:
    """Two-digit years before 年 written out ("24年方案" → 2024年方案, "16-17年" → 2016-2017年), so
    that they can date a document as the four-digit ones do. Only the version and title readings
    use it: a duration ("近10年") would read as a year, but no document is dated by one."""

    def full(m: re.Match) -> str:
        first, dash, second = m.groups()
        return f"20{first}" + (f"{dash}20{second}" if second else "")

    return SHORT_YEAR.sub(full, text)


def without_version_words(text: str, lexicon: Lexicon | None = None) -> str:
    """`text` without the words naming a version of a plan (草稿版, 正式版, 征求意见稿, draft): they say
    which document, not what about."""
    lx = lexicon or load_lexicon()
    words = sorted((*lx.draft_words, *lx.final_words), key=len, reverse=True)
    pattern = "|".join(re.escape(w) for w in words)
    return re.sub(rf"(?:{pattern})[{VERSION_SUFFIX}]?", " ", text, flags=re.IGNORECASE)


def without_versions(text: str, documents: list[DocumentInfo], lexicon: Lexicon | None = None) -> str:
    """`text` without the words naming a version (征求意见稿, 正式方案) nor the years that date one of
    `documents` ("2023年的征求意见稿", "2016-17年的计划"): they say which document, not what about.
    A range is dropped only when each of its years dates one ("2023-2025年的目标" keeps its target
    year). "" when nothing else is left."""

    def dates_one(match: re.Match) -> bool:
        first, second = match.group(1), match.group(2)
        years = [first] + ([first[:2] + second[-2:]] if second else [])
        return all(version_years(y, documents) for y in years)

    out = without_version_words(full_years(text), lexicon or load_lexicon())
    out = YEAR_SPAN.sub(lambda m: " " if dates_one(m) else m.group(0), out)
    return " ".join(out.split())


def region_names(info: DocumentInfo, lexicon: Lexicon | None = None) -> set[str]:
    """ "河源市源城区" → 河源市源城区, 河源市, 河源, 源城区, 源城 (names of two characters or more)."""
    suffixes = (lexicon or load_lexicon()).place_suffixes
    region = normalize(info.region)
    names = {region}
    for part in re.findall(rf"[^{suffixes}]+[{suffixes}]", region):
        names.update({part, part[:-1]})
    return {n for n in names if len(n) >= 2}


def _with_english_places(text: str, lexicon: Lexicon) -> str:
    """`text` normalised and lower-cased, with the Chinese name of each English place it names."""
    low = normalize(text).lower()
    for english, chinese in lexicon.english_places.items():
        if re.search(rf"\b{re.escape(english)}\b", low):
            low += " " + chinese
    return low


def _city_not_province(named: set[str], low: str, documents: dict[str, DocumentInfo]) -> set[str]:
    """ "广东省东莞市…" names the city, not the province's own plan; "广东省和东莞…" names both."""
    provinces = {d for d in named if documents[d].region.endswith("省")}
    if not provinces or not named - provinces:
        return named
    cities = [normalize(documents[d].region)[:2] for d in named - provinces]
    province_names = {normalize(documents[d].region)[:-1] for d in provinces}
    if any(re.search(rf"({re.escape(p)}省?){c}", low) for p in sorted(province_names) for c in cities):
        return named - provinces
    return named


def place_mentions(
    text: str, documents: dict[str, DocumentInfo], lexicon: Lexicon | None = None
) -> tuple[set[str], list[str]]:
    """(doc_ids whose region `text` names, uncovered places it names when it names no covered one)."""
    lexicon = lexicon or load_lexicon()
    low = _with_english_places(text, lexicon)
    named: set[str] = set()
    covered: set[str] = set()
    for info in documents.values():
        names = region_names(info, lexicon)
        covered |= names
        if any(n in low for n in names) or any(n in low for n in lexicon.level_names.get(info.level, ())):
            named.add(info.doc_id)
    named = _city_not_province(named, low, documents)
    others = [p for p in lexicon.other_places if p in low and not any(p in c for c in covered)]
    return named, [] if named else others


def version_years(text: str, documents: list[DocumentInfo]) -> set[str]:
    """The years in `text` that date one of `documents` (its date or title): "2023年的征求意见稿"."""
    return {y for y in YEAR.findall(full_years(normalize(text))) if any(y in d.date or y in d.title for d in documents)}


def named_by_title(text: str, documents: dict[str, DocumentInfo]) -> set[str]:
    """doc_ids `text` names by their official title: a year of the title and a word no other title
    has ("省行动计划到2017年…" names 广东省…2016-2017年行动计划), wherever its place is. A year alone
    does not ("东莞从2016年到现在有什么变化" compares nothing with the provincial plan)."""
    low = full_years(normalize(text))
    years = set(YEAR.findall(low))
    own = _own_title_words(tuple((d.doc_id, d.title) for d in documents.values()))
    titled = [d for d in documents.values() if any(y in d.title for y in years)]
    return {d.doc_id for d in titled if any(w in low for w in own[d.doc_id])}


@lru_cache(maxsize=4)
def _own_title_words(titles: tuple[tuple[str, str], ...]) -> dict[str, frozenset[str]]:
    """doc_id → the words of its title (two characters or more, not a number) no other title has;
    the titles are tokenized once, not on every question."""
    words = {doc_id: set(tokens(normalize(title))) for doc_id, title in titles}
    own = {}
    for doc_id, mine in words.items():
        others = set().union(*(w for other, w in words.items() if other != doc_id))
        own[doc_id] = frozenset(w for w in mine - others if len(w) >= 2 and not w.isdigit())
    return own


def version_preference(text: str, documents: dict[str, DocumentInfo], lexicon: Lexicon | None = None) -> set[str]:
    """doc_ids the wording points to: drafts, final texts, or a year in a document's date/title.
    Asked for both a draft and a final text, the final texts are those of the drafts' regions."""
    lexicon = lexicon or load_lexicon()
    low = normalize(text).lower()
    wants_draft = any(w in low for w in lexicon.draft_words)
    wants_final = any(w in low for w in lexicon.final_words)
    draft_regions = {d.region for d in documents.values() if d.is_draft}
    preferred = set()
    for info in documents.values():
        final = not info.is_draft and info.kind != "interpretation"
        if wants_draft and wants_final and final and info.region not in draft_regions:
            final = False
        if (wants_draft and info.is_draft) or (wants_final and final) or version_years(low, [info]):
            preferred.add(info.doc_id)
    return preferred


@dataclass(frozen=True)
class PlaceReading:
    """The documents a question points to by place and version, and whether it wants a draft."""

    named: frozenset[str]  # doc_ids whose region it names
    others: tuple[str, ...]  # uncovered places it names, when it names no covered one
    versions: frozenset[str]  # doc_ids its version words or years point to
    wants_draft: bool
    own: bool = True  # the text names a place or version itself (False: none, or the previous question's)

    def groups(self, documents: dict[str, DocumentInfo]) -> tuple[frozenset[str], ...]:
        """The named documents, one set per region (in region order)."""
        regions = sorted({documents[d].region for d in self.named})
        return tuple(frozenset(d for d in self.named if documents[d].region == region) for region in regions)


def read_places(
    text: str, previous: str | None, documents: dict[str, DocumentInfo], lexicon: Lexicon | None = None
) -> PlaceReading:
    """Places and versions `text` names; a question naming none keeps the previous question's
    ("在监管方面提出了什么？" after 韶关 keeps 韶关); of a chain of earlier questions
    (`followup.previous_question_chain`), the latest one's that names any."""
    lx = lexicon or load_lexicon()
    named, others = place_mentions(text, documents, lx)
    versions = version_preference(text, documents, lx)
    own = bool(named or versions)
    if previous and not own:  # the latest earlier question naming a place or version
        for earlier in reversed(previous.split(QUESTION_SEP)):
            named, _ = place_mentions(earlier, documents, lx)
            versions = version_preference(earlier, documents, lx)
            if named or versions:
                break
    wants_draft = any(w in text.lower() for w in lx.draft_words)
    if previous and not wants_draft and not (named or versions):
        wants_draft = any(w in normalize(previous).lower() for w in lx.draft_words)
    return PlaceReading(frozenset(named), tuple(others), frozenset(versions), wants_draft, own)
