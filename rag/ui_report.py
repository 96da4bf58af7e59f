"""The report part of the finder tab: a profile form, the report in the page, four download
buttons (JSON, Markdown, DOCX, PDF) and a link that reopens the same profile (URL query).

Everything comes from `rag.report` over the index's clauses; no model is involved, so a report is
ready in about a second (the PDF is most of it). Bad input — an unknown region in a link, an
empty profile — is a message in the page, never a traceback.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

import gradio as gr

from rag.clause_kinds import REPORTED
from rag.config import Settings
from rag.index import CorpusIndex
from rag.report import FORMATS, build_report
from rag.report_export import ExportError, to_markdown, write_report
from rag.report_lexicon import load_report_lexicon
from rag.report_profile import QUERY_KEYS, ProfileError, profile_from_query, resolve_profile
from rag.ui_text import load_ui_text

ANY = ""
REPORT_DIR = Path(tempfile.gettempdir()) / "rag-reports"  # one folder per profile and day: bounded
DOWNLOAD_LABELS = {"json": "⬇ JSON", "md": "⬇ Markdown", "docx": "⬇ Word (DOCX)", "pdf": "⬇ PDF"}


class ReportPage:
    """Callbacks of the report form; holds the index it reports on."""

    def __init__(self, index: CorpusIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.text = load_ui_text()
        self.documents = list(index.documents.values())
        self.regions = sorted({d.region for d in self.documents})

    def generate(self, region, kind, sector, needs, drafts):
        """(note, report markdown, four download-button updates) for one profile."""
        empty = [gr.update(value=None, interactive=False) for _ in FORMATS]
        try:
            profile = resolve_profile(self.documents, region or "", kind or "", sector or "", needs or [], drafts)
        except ProfileError as exc:
            return (f"⚠️ {exc}", "", *empty)
        try:
            report = build_report(self.index.documents, self.index.clauses, profile)
            folder = REPORT_DIR / hashlib.sha256(f"{profile.query()}|{report.date}".encode()).hexdigest()[:16]
            folder.mkdir(parents=True, exist_ok=True)
            stem = f"report-{profile.region}-{report.date}"
            paths = [write_report(report, fmt, folder / f"{stem}.{fmt}", self.settings) for fmt in FORMATS]
        except (ExportError, OSError) as exc:
            print(f"report export failed: {exc}", file=sys.stderr)
            return (self.text.report.export_failed.format(error=exc), "", *empty)
        except Exception as exc:  # never a traceback in the page
            print(f"report failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return (self.text.report.failed, "", *empty)
        counts = {k: sum(1 for i in report.items if i.kind == k) for k in REPORTED}
        note = self.text.report.counts.format(**counts, documents=len(report.documents), query=profile.query())
        if report.message:
            note = f"⚠️ {report.message}"
        downloads = [
            gr.update(value=str(path), interactive=True, label=DOWNLOAD_LABELS[fmt])
            for fmt, path in zip(FORMATS, paths, strict=True)
        ]
        return (note, to_markdown(report, escape=True), *downloads)

    def from_link(self, request: gr.Request):
        """Open the profile a link names (?region=…&kind=…&need=…): fill the form, select the tab,
        show the report. Without a region in the link nothing changes."""
        params = _query_params(request)
        if not params.get("region"):
            return (gr.update(),) * (7 + len(FORMATS))
        try:
            profile = profile_from_query(self.documents, params)
        except ProfileError as exc:
            unchanged = [gr.update() for _ in range(5 + len(FORMATS))]
            return (
                gr.Tabs(selected="finder"),
                *unchanged[:5],
                self.text.report.bad_link.format(error=exc),
                "",
                *unchanged[5:],
            )
        form = (profile.region, profile.kind, profile.sector, list(profile.needs), profile.include_drafts)
        return (gr.Tabs(selected="finder"), *form, *self.generate(*form))


def _query_params(request: gr.Request | None) -> dict[str, list[str]]:
    """The link's query parameters we know, each as a list (need= may repeat)."""
    if request is None:
        return {}
    try:
        query = request.query_params
    except AttributeError:
        return {}
    getlist = getattr(query, "getlist", None)
    return {k: (getlist(k) if getlist else [query[k]]) for k in QUERY_KEYS if k in query}


def build_report_section(demo: gr.Blocks, tabs: gr.Tabs, index: CorpusIndex, settings: Settings) -> None:
    """Lay out the report form inside the current (finder) tab and wire its events."""
    page = ReportPage(index, settings)
    lex = load_report_lexicon()
    with gr.Group(elem_id="report-section"):
        gr.Markdown(page.text.report.intro)
        with gr.Row():
            region = gr.Dropdown(page.regions, value=page.regions[0], label="地区", elem_id="report-region")
            kind = gr.Dropdown(
                [(page.text.all, ANY), *[(c.zh, c.key) for c in lex.enterprise_kinds]],
                value=ANY,
                label="企业类型",
                elem_id="report-kind",
            )
            sector = gr.Dropdown(
                [(page.text.all, ANY), *[(c.zh, c.key) for c in lex.sectors]],
                value=ANY,
                label="行业",
                elem_id="report-sector",
            )
            needs = gr.Dropdown(
                [(c.zh, c.key) for c in lex.needs],
                multiselect=True,
                label="需求（不选即全部）",
                elem_id="report-needs",
            )
        with gr.Row():
            drafts = gr.Checkbox(value=False, label="包含征求意见稿（会标注）", scale=2)
            go = gr.Button("生成报告", variant="primary", scale=1, elem_id="report-go")
        note = gr.Markdown(elem_id="report-note")
        with gr.Row():
            buttons = [
                gr.DownloadButton(DOWNLOAD_LABELS[fmt], value=None, interactive=False, elem_id=f"report-dl-{fmt}")
                for fmt in FORMATS
            ]
        view = gr.Markdown(elem_id="report-view", sanitize_html=True)
    form = [region, kind, sector, needs, drafts]
    go.click(
        page.generate,
        form,
        [note, view, *buttons],
        api_visibility="private",
        concurrency_limit=4,
        concurrency_id="report",
    )
    demo.load(page.from_link, None, [tabs, *form, note, view, *buttons], api_visibility="private")
