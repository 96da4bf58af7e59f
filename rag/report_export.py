"""The enterprise report as a file: JSON, Markdown, DOCX (python-docx) or PDF (fpdf2).

Every format shows the profile, the date, the documents in scope with their status, each item
with its citation (label and clause id) and status, and the note that the plans are the authority.
The PDF embeds a CJK TrueType font (`Settings.report_font`) so its text can be searched and copied.
Files are written through a temp file and a rename: a failed export never leaves half a report.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Callable
from pathlib import Path

from rag.clause_kinds import REPORTED
from rag.config import Settings, get_settings
from rag.documents import DocumentInfo
from rag.pdf_font import corpus_font
from rag.report import Report, ReportItem, is_draft, is_expired
from rag.report_lexicon import load_report_wording

PDF_BODY_SIZE = 10.5  # pt
PDF_HEADING_SIZES = (17, 13.5, 11.5)  # title, section, item
PDF_LINE = 6.2  # mm per body line
PDF_FONT_NAME = "cjk"
PDF_LATIN_FONT_NAME = "latin"


class ExportError(OSError):
    """A report cannot be written (e.g. the CJK font for the PDF is missing); one-line message."""


def status_text(info: DocumentInfo | None, status: str) -> str:
    """The document's catalog status, readable, with the draft / expired mark when it applies."""
    w = load_report_wording()
    text = w.status_names.get(status, status)
    if info is not None and is_draft(info) and status != "draft":
        text += f"（{w.draft_mark}）"
    elif info is not None and is_draft(info):
        text += f"（{w.draft_status_mark}）"
    if info is not None and is_expired(info) and status != "expired":  # the status already says so
        text += f"（{w.expired_mark}）"
    return text


def profile_lines(report: Report) -> list[tuple[str, str]]:
    """(field, value) pairs of the report header."""
    p = report.profile_dict()
    w = load_report_wording()
    label = w.profile_fields
    return [
        (label["region"], p["region"]),
        (label["kind"], p["kind_name"] or w.any),
        (label["sector"], p["sector_name"] or w.any),
        (label["needs"], "、".join(p["need_names"]) or w.any),
        (label["drafts"], w.yes if p["include_drafts"] else w.no),
        (label["date"], p["date"]),
    ]


def document_lines(report: Report) -> list[str]:
    return [f"{d.title}（{d.region}，{status_text(d, d.status)}）" for d in report.documents]


def item_fields(item: ReportItem, info: DocumentInfo | None) -> list[tuple[str, str]]:
    """(field, value) pairs of one item; what the plan does not state is said so."""
    w = load_report_wording()
    label = w.item_fields
    return [
        (label["summary"], item.summary),
        (label["conditions"], item.conditions or w.no_conditions),
        (label["amount"], item.amount or w.no_amount),
        (label["responsible"], "、".join(item.responsible) or w.no_responsible),
        (label["citation"], f"{item.label}（{item.clause_id}）"),
        (label["status"], status_text(info, item.status)),
    ]


def sections(report: Report) -> list[tuple[str, list[ReportItem]]]:
    """(heading, items) per reported kind, support first."""
    titles = load_report_wording().sections
    return [(titles[k], [i for i in report.items if i.kind == k]) for k in REPORTED]


# ---------------------------------------------------------------------- text formats
def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


def to_markdown(report: Report, escape: bool = False) -> str:
    """Markdown; `escape=True` HTML-escapes document text for display inside the web page."""
    e: Callable[[str], str] = (lambda s: html.escape(s, quote=False)) if escape else (lambda s: s)
    w = load_report_wording()
    infos = {d.doc_id: d for d in report.documents}
    out = [f"# {w.title}", ""]
    out += [f"- **{k}**：{e(v)}" for k, v in profile_lines(report)]
    out += ["", f"**{w.documents}**", ""] + [f"- {e(line)}" for line in document_lines(report)]
    out += ["", f"> {w.authority_note}", ""]
    if report.message:
        out += [f"**{report.message}**", ""]
    for title, items in sections(report):
        out += [f"## {title}（{len(items)}）", ""]
        for n, item in enumerate(items, 1):
            out += [f"### {n}. {e(item.label)}", ""]
            out += [f"- **{k}**：{e(v)}" for k, v in item_fields(item, infos.get(item.doc_id))]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------- DOCX
def write_docx(report: Report, path: Path) -> None:
    import docx
    from docx.oxml.ns import qn

    w = load_report_wording()
    document = docx.Document()
    normal = document.styles["Normal"]
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")
    document.add_heading(w.title, level=0)
    for k, v in profile_lines(report):
        para = document.add_paragraph()
        para.add_run(f"{k}：").bold = True
        para.add_run(v)
    document.add_paragraph().add_run(w.documents).bold = True
    for line in document_lines(report):
        document.add_paragraph(line, style="List Bullet")
    document.add_paragraph().add_run(w.authority_note).italic = True
    if report.message:
        document.add_paragraph().add_run(report.message).bold = True
    infos = {d.doc_id: d for d in report.documents}
    for title, items in sections(report):
        document.add_heading(f"{title}（{len(items)}）", level=1)
        for n, item in enumerate(items, 1):
            document.add_heading(f"{n}. {item.label}", level=2)
            for k, v in item_fields(item, infos.get(item.doc_id)):
                para = document.add_paragraph()
                para.add_run(f"{k}：").bold = True
                para.add_run(v)
    document.save(str(path))


# ---------------------------------------------------------------------- PDF
PdfLine = tuple[str | None, float, float]  # (text or None for a gap only, font size, gap after in mm)


def pdf_lines(report: Report) -> list[PdfLine]:
    """What the PDF prints, in order: the title, the profile, the documents, the note, then each
    section's items with their fields."""
    w = load_report_wording()
    title_size, section_size, item_size = PDF_HEADING_SIZES
    out: list[PdfLine] = [(w.title, title_size, 2)]
    out += [(f"{k}：{v}", PDF_BODY_SIZE, 0) for k, v in profile_lines(report)]
    out.append((f"{w.documents}：", PDF_BODY_SIZE, 0))
    out += [(f"· {doc_line}", PDF_BODY_SIZE, 0) for doc_line in document_lines(report)]
    out += [(None, 0, 2), (w.authority_note, PDF_BODY_SIZE, 2)]
    if report.message:
        out.append((report.message, item_size, 2))
    infos = {d.doc_id: d for d in report.documents}
    for title, items in sections(report):
        out.append((f"{title}（{len(items)}）", section_size, 1))
        for n, item in enumerate(items, 1):
            out.append((f"{n}. {item.label}", item_size, 0))
            out += [(f"{k}：{v}", PDF_BODY_SIZE, 0) for k, v in item_fields(item, infos.get(item.doc_id))]
            out.append((None, 0, 2))
    return out


def write_pdf(
    report: Report, path: Path, font: Path, latin_font: Path | None = None, corpus_dir: Path | None = None
) -> None:
    """The report as a PDF with `font` embedded (subset); with `corpus_dir`, the font is first cut
    down once to the characters of the corpus (`rag.pdf_font`), which makes every PDF faster."""
    if not font.is_file():
        raise ExportError(
            f"PDF needs a CJK font: {font} is missing (`make browser` installs fonts-droid-fallback, "
            "or set RAG_REPORT_FONT to any CJK .ttf)"
        )
    from fpdf import FPDF

    lines = pdf_lines(report)
    pdf = FPDF()
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font(PDF_FONT_NAME, fname=str(corpus_font(font, "".join(t or "" for t, _, _ in lines), corpus_dir)))
    if latin_font is not None and latin_font.is_file():  # Droid Sans Fallback has CJK glyphs only
        pdf.add_font(PDF_LATIN_FONT_NAME, fname=str(latin_font))
        pdf.set_fallback_fonts([PDF_LATIN_FONT_NAME])
    pdf.set_title(load_report_wording().title)
    pdf.add_page()
    for text, size, gap in lines:
        if text is not None:
            pdf.set_font(PDF_FONT_NAME, size=size)
            pdf.multi_cell(0, PDF_LINE * size / PDF_BODY_SIZE, text, new_x="LMARGIN", new_y="NEXT")
        if gap:
            pdf.ln(gap)
    pdf.output(str(path))


# ---------------------------------------------------------------------- any format
def write_report(report: Report, fmt: str, out: Path, settings: Settings | None = None) -> Path:
    """Write `report` as `fmt` to `out` (atomically); ExportError/OSError with one line otherwise."""
    settings = settings or get_settings()
    out = Path(out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        if fmt == "json":
            tmp.write_text(to_json(report) + "\n", encoding="utf-8")
        elif fmt == "md":
            tmp.write_text(to_markdown(report), encoding="utf-8")
        elif fmt == "docx":
            write_docx(report, tmp)
        elif fmt == "pdf":
            write_pdf(report, tmp, settings.report_font, settings.report_latin_font, settings.data_dir)
        else:
            raise ExportError(f"unknown format {fmt!r}; known: json, md, docx, pdf")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
