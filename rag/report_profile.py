"""Who an enterprise report is for: a `Profile` resolved from what a person typed.

Regions are the catalog's (短 names, traditional script and English welcome: `report.yaml`'s
`region_names`); enterprise kinds, sectors and needs are the report vocabulary's keys, found by
key, Chinese or English name. Anything unknown is a `ProfileError` whose one-line message names
the known values, so the CLI and the page can show it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from rag.documents import DocumentInfo
from rag.report_lexicon import Category, ReportLexicon, load_report_lexicon
from rag.text import normalize

QUERY_KEYS = ("region", "kind", "sector", "need", "drafts")  # URL parameters of a profile link


class ProfileError(ValueError):
    """A profile value no catalog or vocabulary entry knows; the message names the known ones."""


@dataclass(frozen=True)
class Profile:
    """Who the report is for. `region` is a catalog region; the rest are vocabulary keys."""

    region: str
    kind: str = ""
    sector: str = ""
    needs: tuple[str, ...] = ()
    include_drafts: bool = False

    def query(self) -> str:
        """URL query string that reopens this profile in the web page."""
        pairs = [("region", self.region)]
        pairs += [(k, v) for k, v in (("kind", self.kind), ("sector", self.sector)) if v]
        pairs += [("need", n) for n in self.needs]
        if self.include_drafts:
            pairs.append(("drafts", "1"))
        return urlencode(pairs)


def category_name(categories: tuple[Category, ...], key: str) -> str:
    """The Chinese name of a vocabulary key ("" for none)."""
    return next((c.zh for c in categories if c.key == key), "")


def _key(text: str) -> str:
    return normalize(text or "").strip().lower()


def known_regions(documents: list[DocumentInfo], lex: ReportLexicon | None = None) -> dict[str, str]:
    """Every accepted name (normalised) → catalog region, for the regions the catalog has."""
    lex = lex or load_report_lexicon()
    names: dict[str, str] = {}
    for region in sorted({d.region for d in documents}):
        for name in (region, *lex.region_names.get(normalize(region), ())):
            names[_key(name)] = region
    return names


def _region_list(documents: list[DocumentInfo], lex: ReportLexicon) -> str:
    regions = sorted({d.region for d in documents})
    return ", ".join(
        f"{r} ({'/'.join(lex.region_names.get(normalize(r), ())[:2])})" if lex.region_names.get(normalize(r)) else r
        for r in regions
    )


def _category(categories: tuple[Category, ...], value: str, what: str) -> str:
    key = _key(value)
    for c in categories:
        if key in {c.key, _key(c.zh), c.en.lower()}:
            return c.key
    known = ", ".join(f"{c.key} ({c.zh})" for c in categories)
    raise ProfileError(f"unknown {what} {value!r}; known: {known}")


def resolve_profile(
    documents: list[DocumentInfo],
    region: str,
    kind: str = "",
    sector: str = "",
    needs: list[str] | tuple[str, ...] = (),
    include_drafts: bool = False,
    lex: ReportLexicon | None = None,
) -> Profile:
    """A Profile from what a person typed (short, traditional or English names welcome);
    ProfileError with a one-line message naming the known values otherwise."""
    lex = lex or load_report_lexicon()
    if not (region or "").strip():
        raise ProfileError(f"a region is required; known: {_region_list(documents, lex)}")
    found = known_regions(documents, lex).get(_key(region))
    if found is None:
        raise ProfileError(f"unknown region {region!r}; known: {_region_list(documents, lex)}")
    return Profile(
        region=found,
        kind=_category(lex.enterprise_kinds, kind, "enterprise kind") if (kind or "").strip() else "",
        sector=_category(lex.sectors, sector, "sector") if (sector or "").strip() else "",
        needs=tuple(dict.fromkeys(_category(lex.needs, n, "need") for n in needs if (n or "").strip())),
        include_drafts=bool(include_drafts),
    )


def profile_from_query(documents: list[DocumentInfo], params: dict[str, list[str]]) -> Profile:
    """The profile a link's query parameters describe (see Profile.query)."""

    def first(name: str) -> str:
        return (params.get(name) or [""])[0]

    return resolve_profile(
        documents,
        first("region"),
        first("kind"),
        first("sector"),
        params.get("need") or [],
        first("drafts") in {"1", "true", "yes"},
    )
