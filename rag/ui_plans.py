"""Two tabs of the web page over the plans as data (issue 15): "目标指标" (the targets table,
filtered, sortable, downloadable as CSV, with a chart of one indicator across documents) and
"版本对比" (a draft and the text that superseded it, clause by clause, differences highlighted
character by character with diff-match-patch). Everything is computed by `rag.targets` and
`rag.diff` from the loaded index once, when the page is built, so switching tabs costs nothing.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path

import gradio as gr
import pandas as pd

from rag.diff import STATUSES, Comparison, DiffInputError, comparison_for, successions
from rag.documents import DocumentInfo
from rag.target_figures import format_value
from rag.targets import CSV_COLUMNS, Target, extract, select, to_csv
from rag.ui_render import pair_html, table_html
from rag.ui_text import load_ui_text
from rag.validity import status_label

DEFAULT_SHOWN = ("changed", "added", "removed")
PLAN_TABLE_CLASS = "plan-table"  # the CSS class of both tabs' tables
MIN_GROUP_RATIO = 75  # rapidfuzz ratio of two indicators (same unit) charted as one indicator
CSS = """
.plan-diff .pair {border-left: 3px solid var(--border-color-primary); padding: 0.3em 0.8em; margin: 0.5em 0;}
.plan-diff .pair.changed {border-left-color: #b45309;}
.plan-diff .pair.added {border-left-color: #15803d;}
.plan-diff .pair.removed {border-left-color: #b91c1c;}
.plan-diff .ids {font-size: 0.85em; color: var(--body-text-color-subdued);}
.plan-diff .text {white-space: pre-wrap; word-break: break-all;}
.plan-diff del {background: #fecaca; color: inherit;}
.plan-diff ins {background: #bbf7d0; color: inherit; text-decoration: none;}
.plan-diff .figs {font-size: 0.9em;}
.table-scroll {max-height: 420px; overflow: auto;}
.plan-table {border-collapse: collapse; width: 100%; font-size: 0.9em;}
.plan-table th {position: sticky; top: 0; background: var(--table-even-background-fill);}
.plan-table th, .plan-table td {border: 1px solid var(--border-color-primary); padding: 0.25em 0.5em;
  text-align: left; vertical-align: top;}
"""


def indicator_groups(targets: list[Target]) -> dict[str, list[Target]]:
    """Targets of the same indicator across documents (fuzzy: 农产品…总体合格率 ≈ 农产品…合格率)."""
    from rapidfuzz import fuzz

    groups: dict[str, list[Target]] = {}
    for t in targets:
        key = next(
            (k for k, ts in groups.items() if ts[0].unit == t.unit and fuzz.ratio(k, t.indicator) >= MIN_GROUP_RATIO),
            t.indicator,
        )
        groups.setdefault(key, []).append(t)
    return groups


class PlanViews:
    """The data of both tabs and their callbacks."""

    def __init__(self, index) -> None:
        self.index = index
        self.text = load_ui_text()
        self.documents: Mapping[str, DocumentInfo] = index.documents
        self.targets = extract(self.documents, index.clauses).targets
        self.regions = list(dict.fromkeys(d.region for d in self.documents.values()))
        self.years = sorted({t.year for t in self.targets if t.year})
        self.doc_choices = [(d.display_title, d.doc_id) for d in self.documents.values()]
        groups = indicator_groups(self.targets)
        # indicators stated by several documents first: those are the ones worth a chart
        ranked = sorted(groups.items(), key=lambda kv: (-len({t.doc_id for t in kv[1]}), kv[0]))
        self.groups = dict(ranked)
        self.csv_dir = Path(tempfile.mkdtemp(prefix="targets-"))
        weakref.finalize(self, shutil.rmtree, self.csv_dir, ignore_errors=True)  # also at exit: no dirs left in /tmp

    # -- targets tab
    def _doc_name(self, doc_id: str) -> str:
        return self.documents[doc_id].display_title

    def _chosen(self, value: str | None) -> str:
        """A dropdown's value as a `select` argument: "全部" (or nothing) is no constraint."""
        return "" if value in ("", self.text.all, None) else value

    def table(self, region: str, doc_id: str, year: str, sort_by: str = "", descending: bool = False):
        """(the table as HTML, the note above it, the CSV of the rows shown, in the same order):
        filtered, then sorted by one column (figures as numbers, a missing year or comparator
        last; clause ids as text) or kept in the documents' own order."""
        chosen = select(
            self.targets,
            self.documents,
            doc_id=self._chosen(doc_id),
            region=self._chosen(region),
            year=self._chosen(year),
        )
        text = self.text.plans
        columns = list(text.table_columns)
        frame = pd.DataFrame(
            [
                [
                    t.indicator,
                    t.value,
                    t.unit,
                    t.comparator,
                    t.year,
                    t.region,
                    self._doc_name(t.doc_id),
                    status_label(self.documents[t.doc_id], self.documents),
                    t.clause_id,
                ]
                for t in chosen
            ],
            columns=columns,
        ).replace("", float("nan"))  # an empty cell sorts last and shows as "—"
        if sort_by in columns:
            frame = frame.sort_values(sort_by, ascending=not descending, kind="stable", na_position="last")
            chosen = [chosen[i] for i in frame.index]
        path = self.csv_dir / "targets.csv"
        path.write_text(to_csv(chosen), encoding="utf-8-sig")  # BOM: spreadsheet programs read it as UTF-8
        note = text.targets_count.format(count=len(chosen), columns=", ".join(CSV_COLUMNS))
        if not chosen:
            note = text.targets_none
        shown = frame.assign(**{columns[1]: frame[columns[1]].map(format_value)})
        return table_html(shown, PLAN_TABLE_CLASS), note, str(path)

    def chart(self, indicator: str):
        chosen = self.groups.get(indicator or "", [])
        rows = [
            {
                "文件": f"{self._doc_name(t.doc_id)}｜{t.indicator}"[:60],
                "目标值": t.value,
                "状态": status_label(self.documents[t.doc_id], self.documents).split(" ")[0],
                "年份": t.year,
            }
            for t in chosen
        ]
        label = "；".join(f"{self._doc_name(t.doc_id)}：到{t.year}年 {format_value(t.value)}{t.unit}" for t in chosen)
        return pd.DataFrame(rows, columns=["文件", "目标值", "状态", "年份"]), label

    # -- diff tab
    def comparison(self, old_doc: str, new_doc: str) -> Comparison:
        if old_doc not in self.documents or new_doc not in self.documents:
            raise DiffInputError(self.text.plans.diff_pick.format(known=", ".join(self.documents)))
        return comparison_for(self.index, old_doc, new_doc)

    def diff(self, old_doc: str, new_doc: str, shown: list[str]):
        text = self.text.plans
        try:
            result = self.comparison(old_doc, new_doc)
        except DiffInputError as exc:
            return f"⚠️ {exc}", "", ""
        counts = result.counts()
        old, new = self.documents[old_doc], self.documents[new_doc]
        relation = text.diff_replaces if old.superseded_by == new_doc else text.diff_unrelated
        relation = relation.format(old=old.display_title, new=new.display_title)
        summary = relation + "：" + "，".join(f"{text.status_names[s]} {counts[s]} 条" for s in STATUSES)
        figures = pd.DataFrame(
            [
                [f.indicator, f.old or "—", f.new or "—", f.old_clause_id or "—", f.new_clause_id or "—"]
                for f in result.figures
            ],
            columns=list(text.figure_columns),
        )
        wanted = set(shown or DEFAULT_SHOWN)
        blocks = [pair_html(p) for p in result.pairs if p.status in wanted]
        body = "".join(blocks) or f"<p>{text.diff_none}</p>"
        return summary, table_html(figures, PLAN_TABLE_CLASS), f'<div class="plan-diff">{body}</div>'


BROWSE = {"api_visibility": "private", "concurrency_limit": 8, "concurrency_id": "browse"}  # no model: many at once


def build_plan_tabs(index) -> None:
    """The two tabs, inside the page's `gr.Tabs()`; `rag/ui.py` calls this in one line."""
    views = PlanViews(index)
    with gr.Tab("📊 目标指标", id="targets"):
        targets_tab(views)
    with gr.Tab("🔀 版本对比", id="diff"):
        diff_tab(views)


def targets_tab(views: PlanViews) -> None:
    """Filters, the targets table with its CSV download, and a chart of one indicator."""
    every = views.text.all
    gr.Markdown(
        "各文件写明的量化目标（由程序从原文提取，均为目标值而非现状）。可按地区、文件、年份筛选，按任一列排序。"
    )
    text = views.text.plans
    with gr.Row():
        t_region = gr.Dropdown([every, *views.regions], value=every, label="地区", elem_id="targets-region")
        t_doc = gr.Dropdown([(every, every), *views.doc_choices], value=every, label="文件", elem_id="targets-doc")
        t_year = gr.Dropdown([every, *views.years], value=every, label="目标年份", elem_id="targets-year")
        t_sort = gr.Dropdown(
            [(text.sort_original, ""), *text.table_columns], value="", label=text.sort_label, elem_id="targets-sort"
        )
        t_descending = gr.Checkbox(False, label=text.descending, elem_id="targets-descending")
    table, note, path = views.table(every, every, every)
    t_note = gr.Markdown(note, elem_id="targets-note")
    # an HTML table, not gr.Dataframe: that spreadsheet widget cost ~0.5 s of a 2-core CPU each time
    # the tab opened (measured in Chromium); the tables here are read-only, sorting is done above
    t_table = gr.HTML(table, elem_id="targets-table")
    t_download = gr.DownloadButton("下载 CSV", value=path, elem_id="targets-csv", size="sm")
    first = next(iter(views.groups), "")
    t_indicator = gr.Dropdown(
        list(views.groups), value=first, label="图表：同一指标在各文件中的目标值", elem_id="targets-indicator"
    )
    plot, label = views.chart(first)
    t_chart_note = gr.Markdown(label, elem_id="targets-chart-note")
    t_chart = gr.BarPlot(plot, x="文件", y="目标值", color="状态", elem_id="targets-chart", sort=None)
    filters = [t_region, t_doc, t_year, t_sort, t_descending]
    gr.on([c.change for c in filters], views.table, filters, [t_table, t_note, t_download], **BROWSE)
    t_indicator.change(views.chart, t_indicator, [t_chart, t_chart_note], **BROWSE)


def diff_tab(views: PlanViews) -> None:
    """Two documents side by side (the first draft and its final text), differences marked."""
    pairs = successions(views.documents)
    old0, new0 = pairs[0] if pairs else (views.doc_choices[0][1], views.doc_choices[-1][1])
    gr.Markdown(
        "征求意见稿与正式文本逐条对照（条款一一对应，按文字与语义相似度对齐）；"
        "<del>删去的文字</del>、<ins>新增的文字</ins>逐字标出（均以简体比较）。"
    )
    statuses = [(views.text.plans.status_names[s], s) for s in STATUSES]
    with gr.Row():
        d_old = gr.Dropdown(views.doc_choices, value=old0, label="旧文本", elem_id="diff-old")
        d_new = gr.Dropdown(views.doc_choices, value=new0, label="新文本", elem_id="diff-new")
        d_shown = gr.CheckboxGroup(statuses, value=list(DEFAULT_SHOWN), label="显示", elem_id="diff-shown")
    summary, figures, body = views.diff(old0, new0, list(DEFAULT_SHOWN))
    d_summary = gr.Markdown(summary, elem_id="diff-summary")
    gr.Markdown("**目标数值的变化（全文）**")
    d_figures = gr.HTML(figures, elem_id="diff-figures")
    d_body = gr.HTML(body, elem_id="diff-view")
    for control in (d_old, d_new, d_shown):
        control.change(views.diff, [d_old, d_new, d_shown], [d_summary, d_figures, d_body], **BROWSE)
