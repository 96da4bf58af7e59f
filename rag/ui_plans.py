"""Two tabs of the web page over the plans as data (issue 15): "目标指标" (the targets table,
filtered, sortable, downloadable as CSV, with a chart of one indicator across documents) and
"版本对比" (a draft and the text that superseded it, clause by clause, differences highlighted
character by character with diff-match-patch). Everything is computed by `rag.targets` and
`rag.diff` from the loaded index once, when the page is built, so switching tabs costs nothing.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Mapping
from pathlib import Path

import gradio as gr
import pandas as pd

from rag.diff import STATUSES, Comparison, DiffInputError, comparison_for, successions
from rag.documents import DocumentInfo
from rag.target_figures import format_value
from rag.targets import CSV_COLUMNS, Target, extract, select, to_csv
from rag.text import normalize
from rag.validity import status_label

ALL = "全部"
TABLE_COLUMNS = ["指标", "目标值", "单位", "比较", "年份", "地区", "文件", "状态", "条款"]
FIGURE_COLUMNS = ["指标", "旧文本", "新文本", "旧条款", "新条款"]
STATUS_NAMES = {"changed": "有改动", "added": "新增", "removed": "删除", "unchanged": "未改动"}
DEFAULT_SHOWN = ("changed", "added", "removed")
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
"""


def esc(text: str) -> str:
    return html.escape(text or "", quote=False)


def char_diff_html(old: str, new: str) -> str:
    """Character-level differences of two texts (both compared in simplified script), escaped."""
    from diff_match_patch import diff_match_patch

    dmp = diff_match_patch()
    diffs = dmp.diff_main(normalize(old), normalize(new))
    dmp.diff_cleanupSemantic(diffs)
    tags = {-1: "del", 1: "ins"}
    return "".join(f"<{tags[op]}>{esc(t)}</{tags[op]}>" if op in tags else esc(t) for op, t in diffs)


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

    # -- targets tab
    def _doc_name(self, doc_id: str) -> str:
        return self.documents[doc_id].display_title

    def table(self, region: str, doc_id: str, year: str):
        chosen = select(
            self.targets,
            self.documents,
            doc_id="" if doc_id in ("", ALL, None) else doc_id,
            region="" if region in ("", ALL, None) else region,
            year="" if year in ("", ALL, None) else year,
        )
        rows = [
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
        ]
        path = self.csv_dir / "targets.csv"
        path.write_text(to_csv(chosen), encoding="utf-8-sig")  # BOM: spreadsheet programs read it as UTF-8
        note = f"共 {len(chosen)} 项目标（CSV 列：{', '.join(CSV_COLUMNS)}）。点列名排序。"
        if not chosen:
            note = "没有符合条件的目标，请放宽条件。"
        return pd.DataFrame(rows, columns=TABLE_COLUMNS), note, str(path)

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
            raise DiffInputError(f"请选择两份文件；可选：{', '.join(self.documents)}")
        return comparison_for(self.index, old_doc, new_doc)

    def diff(self, old_doc: str, new_doc: str, shown: list[str]):
        try:
            result = self.comparison(old_doc, new_doc)
        except DiffInputError as exc:
            return f"⚠️ {exc}", pd.DataFrame([], columns=FIGURE_COLUMNS), ""
        counts = result.counts()
        old, new = self.documents[old_doc], self.documents[new_doc]
        relation = (
            f"《{new.display_title}》取代《{old.display_title}》"
            if old.superseded_by == new_doc
            else f"《{old.display_title}》→《{new.display_title}》（目录未记载两者为同一文件的不同版本）"
        )
        summary = relation + "：" + "，".join(f"{STATUS_NAMES[s]} {counts[s]} 条" for s in STATUSES)
        figures = pd.DataFrame(
            [
                [f.indicator, f.old or "—", f.new or "—", f.old_clause_id or "—", f.new_clause_id or "—"]
                for f in result.figures
            ],
            columns=FIGURE_COLUMNS,
        )
        wanted = set(shown or DEFAULT_SHOWN)
        blocks = [self._pair_html(p) for p in result.pairs if p.status in wanted]
        body = "".join(blocks) or "<p>没有这类条款。</p>"
        return summary, figures, f'<div class="plan-diff">{body}</div>'

    def _pair_html(self, p) -> str:
        if p.status == "changed":
            text = char_diff_html(p.old_text, p.new_text)
        elif p.status == "added":
            text = f"<ins>{esc(normalize(p.new_text))}</ins>"
        elif p.status == "removed":
            text = f"<del>{esc(normalize(p.old_text))}</del>"
        else:
            text = esc(normalize(p.new_text))
        figs = "".join(f"<li>{esc(c.indicator)}：{esc(c.old or '—')} → {esc(c.new or '—')}</li>" for c in p.changes)
        return (
            f'<div class="pair {p.status}"><div class="ids">{STATUS_NAMES[p.status]} · '
            f"{esc(p.old_clause_id or '—')} → {esc(p.new_clause_id or '—')}</div>"
            f'<div class="text">{text}</div>' + (f'<ul class="figs">{figs}</ul>' if figs else "") + "</div>"
        )


def build_plan_tabs(index) -> None:
    """The two tabs, inside the page's `gr.Tabs()`; `rag/ui.py` calls this in one line."""
    views = PlanViews(index)
    with gr.Tab("📊 目标指标", id="targets"):
        gr.Markdown(
            "各文件写明的量化目标（由程序从原文提取，均为目标值而非现状）。可按地区、文件、年份筛选，点列名排序。"
        )
        with gr.Row():
            t_region = gr.Dropdown([ALL, *views.regions], value=ALL, label="地区", elem_id="targets-region")
            t_doc = gr.Dropdown([(ALL, ALL), *views.doc_choices], value=ALL, label="文件", elem_id="targets-doc")
            t_year = gr.Dropdown([ALL, *views.years], value=ALL, label="目标年份", elem_id="targets-year")
        frame, note, path = views.table(ALL, ALL, ALL)
        t_note = gr.Markdown(note, elem_id="targets-note")
        t_table = gr.Dataframe(frame, interactive=False, wrap=True, elem_id="targets-table", max_height=420)
        t_download = gr.DownloadButton("下载 CSV", value=path, elem_id="targets-csv", size="sm")
        first = next(iter(views.groups), "")
        t_indicator = gr.Dropdown(
            list(views.groups), value=first, label="图表：同一指标在各文件中的目标值", elem_id="targets-indicator"
        )
        plot, label = views.chart(first)
        t_chart_note = gr.Markdown(label, elem_id="targets-chart-note")
        t_chart = gr.BarPlot(plot, x="文件", y="目标值", color="状态", elem_id="targets-chart", sort=None)
    with gr.Tab("🔀 版本对比", id="diff"):
        pairs = successions(views.documents)
        old0, new0 = pairs[0] if pairs else (views.doc_choices[0][1], views.doc_choices[-1][1])
        gr.Markdown(
            "征求意见稿与正式文本逐条对照（条款一一对应，按文字与语义相似度对齐）；"
            "<del>删去的文字</del>、<ins>新增的文字</ins>逐字标出（均以简体比较）。"
        )
        with gr.Row():
            d_old = gr.Dropdown(views.doc_choices, value=old0, label="旧文本", elem_id="diff-old")
            d_new = gr.Dropdown(views.doc_choices, value=new0, label="新文本", elem_id="diff-new")
            d_shown = gr.CheckboxGroup(
                [(STATUS_NAMES[s], s) for s in STATUSES], value=list(DEFAULT_SHOWN), label="显示", elem_id="diff-shown"
            )
        summary, figures, body = views.diff(old0, new0, list(DEFAULT_SHOWN))
        d_summary = gr.Markdown(summary, elem_id="diff-summary")
        d_figures = gr.Dataframe(
            figures, interactive=False, wrap=True, label="目标数值的变化（全文）", elem_id="diff-figures"
        )
        d_body = gr.HTML(body, elem_id="diff-view")

    browse = {"api_visibility": "private", "concurrency_limit": 8, "concurrency_id": "browse"}
    for control in (t_region, t_doc, t_year):
        control.change(views.table, [t_region, t_doc, t_year], [t_table, t_note, t_download], **browse)
    t_indicator.change(views.chart, t_indicator, [t_chart, t_chart_note], **browse)
    for control in (d_old, d_new, d_shown):
        control.change(views.diff, [d_old, d_new, d_shown], [d_summary, d_figures, d_body], **browse)
