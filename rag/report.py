"""What applies to my enterprise: a cited report of the support and obligations in the plans.

    python -m rag.report --region 东莞 [--kind manufacturer] [--sector food] [--need finance ...]
                         [--include-drafts] --format json|md|docx|pdf --out FILE

A `Profile` (region, enterprise kind, sector, needs) selects the region's own documents plus the
province-level ones; drafts are left out unless asked for, and every item carries its document's
catalog status. Which clauses are support and which are obligations is decided by
`rag.clause_kinds`; each item's summary is one sentence of the clause as written (no model), its
conditions, amount and responsible departments come from the same clause. Built from the parsed
documents in well under 2 s; the LLM is never loaded. The profile is resolved by
`rag.report_profile`, the files are written by `rag.report_export`, and the report's wording is
data (`data/lexicon/report.yaml`, `rag.report_lexicon`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.clause_kinds import REPORTED, classify
from rag.clauses import Clause, parse_document
from rag.config import Settings, get_settings
from rag.documents import DocumentError, DocumentInfo, load_documents
from rag.lexicon import load_lexicon
from rag.report_lexicon import ReportLexicon, load_report_lexicon, load_report_wording
from rag.report_profile import Profile, ProfileError, category_name, resolve_profile
from rag.text import normalize

FORMATS = ("json", "md", "docx", "pdf")
DRAFT_KIND = "consultation draft"  # catalog kind of a consultation draft
DRAFT_STATUSES = ("draft", "superseded")  # catalog statuses of a text that is not (or no longer) the plan
EXPIRED_STATUS = "expired"


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
        return load_report_wording().no_match

    def profile_dict(self, lex: ReportLexicon | None = None) -> dict:
        """The profile with readable names, the date, the documents in scope and the note."""
        lex = lex or load_report_lexicon()
        p = self.profile
        return {
            **asdict(p),
            "needs": list(p.needs),
            "kind_name": category_name(lex.enterprise_kinds, p.kind),
            "sector_name": category_name(lex.sectors, p.sector),
            "need_names": [category_name(lex.needs, n) for n in p.needs],
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
            "note": load_report_wording().authority_note,
        }

    def to_dict(self) -> dict:
        """The JSON form: top level {"profile": …, "items": […]}."""
        items = []
        for item in self.items:
            d = asdict(item)
            d["amount_note"] = "" if item.amount else load_report_wording().no_amount
            items.append(d)
        return {"profile": self.profile_dict(), "items": items}


def is_draft(info: DocumentInfo) -> bool:
    """A consultation draft, a draft, or a text superseded by a later plan."""
    return info.kind == DRAFT_KIND or info.status in DRAFT_STATUSES


def is_expired(info: DocumentInfo) -> bool:
    return info.status == EXPIRED_STATUS


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
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rag.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", required=True, help="东莞 / 東莞 / Dongguan, 源城区, 韶关, 广东省 …")
    parser.add_argument("--kind", default="", help="enterprise kind: manufacturer, testing, agricultural, …")
    parser.add_argument("--sector", default="", help="industry: food, electronics, furniture, …")
    parser.add_argument("--need", nargs="*", default=[], help="funds, tax, finance, awards, services")
    parser.add_argument("--include-drafts", action="store_true", help="include consultation drafts (marked)")
    parser.add_argument("--format", choices=FORMATS, required=True)
    parser.add_argument("--out", type=Path, required=True)
    return parser


def _print_summary(report: Report, out: Path, seconds: float) -> None:
    counts = {k: sum(1 for i in report.items if i.kind == k) for k in REPORTED}
    print(
        f"{out}: {counts['support']} support, {counts['obligation']} obligations "
        f"from {len(report.documents)} documents in {seconds:.2f} s",
        file=sys.stderr,
    )
    if report.message:
        print(report.message, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
    _print_summary(report, args.out, time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
