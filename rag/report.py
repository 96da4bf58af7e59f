"""What applies to my enterprise: a cited report of the support and obligations in the plans.

    python -m rag.report --region 东莞 [--kind manufacturer] [--sector food] [--need finance ...]
                         [--include-drafts] --format json|md|docx|pdf --out FILE

A `Profile` (region, enterprise kind, sector, needs) selects the region's own documents plus the
province-level ones; drafts are left out unless asked for, and every item carries its document's
catalog status. Which clauses are support and which are obligations is decided by
`rag.clause_kinds`; each item's summary is one sentence of the clause as written (no model), its
conditions, amount and responsible departments come from the same clause. Built from the parsed
documents in well under 2 s; the LLM is never loaded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from rag.clause_kinds import REPORTED, Category, ReportLexicon, classify, load_report_lexicon
from rag.clauses import Clause, parse_document
from rag.config import Settings, get_settings
from rag.documents import DocumentError, DocumentInfo, load_documents
from rag.lexicon import load_lexicon
from rag.text import normalize

FORMATS = ("json", "md", "docx", "pdf")
DRAFT_KIND = "consultation draft"  # catalog kind of a consultation draft
DRAFT_STATUSES = ("draft", "superseded")  # catalog statuses of a text that is not (or no longer) the plan
EXPIRED_STATUS = "expired"
NO_AMOUNT = "方案未写明金额（the plan names no amount）"
NO_CONDITIONS = "方案未写明适用对象（the plan names no group）"
NO_RESPONSIBLE = "方案未写明责任部门（the plan names no department）"
AUTHORITY_NOTE = (
    "本报告由程序从政策文件中逐条摘取，仅供参考；以文件原文为准。"
    " This report quotes the plans clause by clause; the plans themselves are the authority."
)
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


@dataclass(frozen=True)
class ReportItem:
    kind: str  # support | obligation
    clause_id: str
    doc_id: str
    label: str
    summary: str  # one sentence of the clause, as written
    conditions: str  # whom it is for, in the plan's words ("" when it names no one)
    amount: str | None  # the sum the plan names, None when it names none
    responsible: list[str]  # departments, lead first
    status: str  # the document's catalog status
    doc_title: str = ""


@dataclass
class Report:
    profile: Profile
    items: list[ReportItem]
    documents: list[DocumentInfo]  # the documents in scope
    date: str = field(default_factory=lambda: dt.date.today().isoformat())
    build_seconds: float = 0.0

    @property
    def message(self) -> str:
        """Why the report is empty (or "" when it is not)."""
        if self.items:
            return ""
        return "没有与该画像匹配的条款，请放宽企业类型、行业或需求。 No clause matches this profile."

    def profile_dict(self, lex: ReportLexicon | None = None) -> dict:
        """The profile with readable names, the date, the documents in scope and the note."""
        lex = lex or load_report_lexicon()
        p = self.profile
        return {
            **asdict(p),
            "needs": list(p.needs),
            "kind_name": _name(lex.enterprise_kinds, p.kind),
            "sector_name": _name(lex.sectors, p.sector),
            "need_names": [_name(lex.needs, n) for n in p.needs],
            "date": self.date,
            "documents": [
                {
                    "doc_id": d.doc_id,
                    "title": d.title,
                    "region": d.region,
                    "status": d.status,
                    "draft": is_draft(d),
                    "expired": is_expired(d),
                }
                for d in self.documents
            ],
            "message": self.message,
            "note": AUTHORITY_NOTE,
        }

    def to_dict(self) -> dict:
        """The JSON form: top level {"profile": …, "items": […]}."""
        items = []
        for item in self.items:
            d = asdict(item)
            d["amount_note"] = "" if item.amount else NO_AMOUNT
            items.append(d)
        return {"profile": self.profile_dict(), "items": items}


def _name(categories: tuple[Category, ...], key: str) -> str:
    return next((c.zh for c in categories if c.key == key), "")


def is_draft(info: DocumentInfo) -> bool:
    """A consultation draft, a draft, or a text superseded by a later plan."""
    return info.kind == DRAFT_KIND or info.status in DRAFT_STATUSES


def is_expired(info: DocumentInfo) -> bool:
    return info.status == EXPIRED_STATUS


# ---------------------------------------------------------------------- profile
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


# ---------------------------------------------------------------------- items
def in_scope(info: DocumentInfo, profile: Profile, lex: ReportLexicon) -> bool:
    """The region's own documents and the province's; drafts only when asked for."""
    if info.region not in {profile.region, lex.province}:
        return False
    return profile.include_drafts or not is_draft(info)


def _for_profile(sentence: str, profile: Profile, lex: ReportLexicon) -> bool:
    """The sentence names no enterprise kind (sector) at all, or names the profile's."""
    norm = normalize(sentence)
    for chosen, categories in ((profile.kind, lex.enterprise_kinds), (profile.sector, lex.sectors)):
        if not chosen:
            continue
        named = {c.key for c in categories if c.words.search(norm)}
        if named and chosen not in named:
            return False
    return True


def _meets_needs(sentence: str, profile: Profile, lex: ReportLexicon) -> bool:
    if not profile.needs:
        return True
    norm = normalize(sentence)
    return any(c.words.search(norm) for c in lex.needs if c.key in profile.needs)


def _as_written(sentence: str, norm: str, start: int, end: int) -> str:
    """The span [start, end) of the normalised sentence in the sentence's own script (normalising
    is character for character here; when it is not, the normalised span is returned)."""
    return (sentence if len(sentence) == len(norm) else norm)[start:end]


def conditions_of(sentence: str, lex: ReportLexicon | None = None) -> str:
    """Whom the sentence is for, in the plan's words: "对…给予/予以" names them, else the
    beneficiary phrases it contains ("中小微企业、出口企业"); "" when it names no one."""
    lex = lex or load_report_lexicon()
    norm = normalize(sentence)
    m = lex.beneficiary_clause.search(norm)
    if m:
        return _as_written(sentence, norm, *m.span(1)).strip()
    found = [_as_written(sentence, norm, *m.span()) for m in lex.beneficiary.finditer(norm) if m.group()]
    return "、".join(dict.fromkeys(found))


def amount_of(sentences: list[str], lex: ReportLexicon | None = None) -> str | None:
    """The first sum of money named in a sentence that is not a target ("突破100亿元" is a goal)."""
    lex = lex or load_report_lexicon()
    target = load_lexicon().target_sentence
    for s in sentences:
        norm = normalize(s)
        m = lex.amount.search(norm)
        if m and not target.search(norm):
            return _as_written(s, norm, *m.span()).strip()
    return None


def responsible_of(clause: Clause) -> list[str]:
    """The clause's departments with the lead unit(s) first."""
    leads = [u for u in clause.lead.split("、") if u]
    return leads + [u for u in clause.responsible if u not in leads]


def item_for(clause: Clause, info: DocumentInfo, profile: Profile, lex: ReportLexicon) -> ReportItem | None:
    """The report item of one clause, or None when it is not support/obligation for this profile."""
    verdict = classify(clause, lex)
    if verdict.kind not in REPORTED:
        return None
    fitting = [s for s in verdict.sentences if _for_profile(s, profile, lex)]
    if verdict.kind == "support":
        fitting = [s for s in fitting if _meets_needs(s, profile, lex)]
    if not fitting:
        return None
    summary = fitting[0]
    return ReportItem(
        kind=verdict.kind,
        clause_id=clause.clause_id,
        doc_id=clause.doc_id,
        label=clause.label,
        summary=summary,
        conditions=conditions_of(summary, lex) or conditions_of(clause.body, lex),
        amount=amount_of(fitting, lex),
        responsible=responsible_of(clause),
        status=info.status,
        doc_title=info.display_title,
    )


def build_report(documents: dict[str, DocumentInfo], clauses: list[Clause], profile: Profile) -> Report:
    """Support first, then obligations; the region's own documents before the province's."""
    t0 = time.perf_counter()
    lex = load_report_lexicon()
    scope = [d for d in documents.values() if in_scope(d, profile, lex)]
    ids = {d.doc_id for d in scope}
    items = [
        item
        for c in clauses
        if c.doc_id in ids and (item := item_for(c, documents[c.doc_id], profile, lex)) is not None
    ]
    own_first = {d.doc_id: (d.region != profile.region, n) for n, d in enumerate(scope)}
    order = {c.clause_id: n for n, c in enumerate(clauses)}
    items.sort(key=lambda i: (REPORTED.index(i.kind), own_first[i.doc_id], order[i.clause_id]))
    return Report(profile, items, scope, build_seconds=round(time.perf_counter() - t0, 3))


def corpus(settings: Settings) -> tuple[dict[str, DocumentInfo], list[Clause]]:
    """Documents and clauses parsed straight from data/ (no index, no model)."""
    docs = load_documents(settings.data_dir)
    return {d.info.doc_id: d.info for d in docs}, [c for d in docs for c in parse_document(d)]


# ---------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", required=True, help="东莞 / 東莞 / Dongguan, 源城区, 韶关, 广东省 …")
    parser.add_argument("--kind", default="", help="enterprise kind: manufacturer, testing, agricultural, …")
    parser.add_argument("--sector", default="", help="industry: food, electronics, furniture, …")
    parser.add_argument("--need", nargs="*", default=[], help="funds, tax, finance, awards, services")
    parser.add_argument("--include-drafts", action="store_true", help="include consultation drafts (marked)")
    parser.add_argument("--format", choices=FORMATS, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    from rag.report_export import ExportError, write_report  # docx/pdf libraries only when writing

    t0 = time.perf_counter()
    try:
        settings = get_settings()
        documents, clauses = corpus(settings)
        profile = resolve_profile(
            list(documents.values()), args.region, args.kind, args.sector, args.need, args.include_drafts
        )
        report = build_report(documents, clauses, profile)
        write_report(report, args.format, args.out, settings)
    except (ProfileError, DocumentError, ExportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    counts = {k: sum(1 for i in report.items if i.kind == k) for k in REPORTED}
    print(
        f"{args.out}: {counts['support']} support, {counts['obligation']} obligations "
        f"from {len(report.documents)} documents in {time.perf_counter() - t0:.2f} s",
        file=sys.stderr,
    )
    if report.message:
        print(report.message, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
