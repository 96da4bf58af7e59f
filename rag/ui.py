"""The Gradio web app: streaming chat with clause cards, a policy finder, a document browser, the
plan tabs and the `ask` API. This module is the layout only: which controls each tab holds and
which callback each control triggers. The callbacks live in `rag.ui_chat` (chat, API) and
`rag.ui_browse` (finder, documents); what they show is rendered by the pure functions of
`rag.ui_render`; the page's words are data (`data/lexicon/ui.yaml`, `rag.ui_text`).
"""

from __future__ import annotations

import ipaddress
import sys
import threading
from dataclasses import dataclass

import gradio as gr

from rag.answer import AnswerPipeline
from rag.config import Settings, get_settings
from rag.tags import NEED_TAGS, SECTOR_TAGS
from rag.ui_browse import BrowseViews
from rag.ui_chat import ChatApp
from rag.ui_plans import CSS as PLAN_CSS
from rag.ui_plans import build_plan_tabs
from rag.ui_report import build_report_section
from rag.ui_text import UiText, load_ui_text

SCROLL_TO_FOCUS = (
    "() => setTimeout(() => document.querySelector('#doc-view .focus')?.scrollIntoView({block: 'center'}), 400)"
)
BROWSE = {"api_visibility": "private", "concurrency_limit": 8, "concurrency_id": "browse"}  # no model: many at once

CSS = """
.gradio-container {max-width: 1280px !important; margin: auto;}
#app-header h1 {margin-bottom: 0.2em;}
#app-header p {color: var(--body-text-color-subdued); margin-top: 0;}
.doc-tree .clause {border-left: 3px solid var(--border-color-primary); padding: 0.35em 0.8em; margin: 0.4em 0;}
.doc-tree .clause.section {border-left-color: var(--color-accent);}
.doc-tree .clause.focus {background: var(--color-accent-soft); border-left-color: var(--color-accent);}
.doc-tree .label {font-weight: 600;}
.doc-tree .units {color: var(--body-text-color-subdued); font-size: 0.9em;}
.doc-tree .text {white-space: pre-wrap;}
.draft-flag {background: #b45309; color: white; border-radius: 4px; padding: 0 0.4em; font-size: 0.85em;}
mark {background: #fde68a; color: inherit;}
@media (max-width: 640px) {
  .gradio-container {padding: 4px !important;}
  #chat-row {flex-direction: column;}
}
"""


@dataclass
class ChatControls:
    """The chat tab's controls that events read or write."""

    chat: gr.Chatbot
    msg: gr.Textbox
    send: gr.Button
    stop: gr.Button
    clear: gr.Button
    mode: gr.Radio
    regions: gr.Dropdown
    doc_ids: gr.Dropdown
    include_drafts: gr.Checkbox
    comment: gr.Textbox
    send_comment: gr.Button


@dataclass
class FinderControls:
    region: gr.Dropdown
    sector: gr.Dropdown
    need: gr.Dropdown
    keyword: gr.Textbox
    drafts: gr.Checkbox
    go: gr.Button
    note: gr.Markdown
    table: gr.Dataframe

    @property
    def inputs(self) -> list:
        """In the order of `BrowseViews.find`'s parameters."""
        return [self.region, self.sector, self.need, self.drafts, self.keyword]


@dataclass
class DocControls:
    pick: gr.Dropdown
    query: gr.Textbox
    view: gr.HTML


def build_app(pipeline: AnswerPipeline, settings: Settings | None = None) -> gr.Blocks:
    """The whole page over one pipeline (and its index): lay out the tabs, then wire the events."""
    settings = settings or get_settings()
    text = load_ui_text()
    app = ChatApp(pipeline, settings)
    browse = BrowseViews(pipeline.index)
    index = pipeline.index
    with gr.Blocks(title=text.title, fill_width=False) as demo:
        with gr.Column(elem_id="app-header"):
            gr.Markdown(text.header.format(title=text.title, documents=len(index.documents)))
        last = gr.State(None)
        turns = gr.State([])
        with gr.Tabs() as tabs:
            with gr.Tab("💬 政策问答", id="chat"):
                chat = chat_tab(app, settings, text)
            with gr.Tab("🔎 政策查找", id="finder"):
                finder = finder_tab(browse, text)
                build_report_section(demo, tabs, index, settings)
            build_plan_tabs(index)  # 目标指标, 版本对比
            with gr.Tab("📄 文件浏览", id="docs"):
                docs = docs_tab(browse, text)
        wire_chat(app, chat, turns, last)
        wire_browse(browse, finder, docs, tabs)
        gr.api(app.ask, api_name="ask", concurrency_id="llm")
        demo.load(browse.find, finder.inputs, [finder.table, finder.note], api_visibility="private", queue=False)
    return demo


def chat_tab(app: ChatApp, settings: Settings, text: UiText) -> ChatControls:
    """The conversation (left) and its settings: script, retrieval scope, feedback (right)."""
    with gr.Row(elem_id="chat-row", equal_height=False):
        with gr.Column(scale=3, min_width=320):
            chat = gr.Chatbot(
                label="对话",
                height=540,
                feedback_options=["Like", "Dislike"],
                placeholder=f"请在下方输入问题，例如：{text.chat.enterprise_examples[0]}",
                sanitize_html=True,
                buttons=["copy"],
            )
            with gr.Row():
                msg = gr.Textbox(
                    placeholder="输入您的问题（简体、繁體或 English），按回车发送",
                    show_label=False,
                    scale=5,
                    max_lines=4,
                    max_length=max(settings.max_question_chars, settings.max_question_chars_english),
                    elem_id="question-box",
                )
                send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="send-btn")
            with gr.Row():
                stop = gr.Button("⏹ 停止", size="sm", elem_id="stop-btn")
                clear = gr.Button("🗑 清空对话", size="sm", elem_id="clear-btn")
            gr.Examples(list(text.chat.enterprise_examples), inputs=msg, label="企业常见问题")
            gr.Examples(list(text.chat.citizen_examples), inputs=msg, label="市民常见问题")
        with gr.Column(scale=1, min_width=240):
            side = chat_settings(app, text)
    return ChatControls(chat, msg, send, stop, clear, *side)


def chat_settings(app: ChatApp, text: UiText) -> tuple:
    """(script radio, region and document filters, drafts box, comment box, its button)."""
    mode = gr.Radio(
        [text.simplified, text.traditional], value=text.simplified, label="显示 / 顯示", elem_id="script-toggle"
    )
    with gr.Accordion("检索范围", open=True):
        regions = gr.Dropdown(app.regions, multiselect=True, label="地区（不选即全部）")
        doc_ids = gr.Dropdown(app.doc_choices, multiselect=True, label="文件（不选即全部）")
        include_drafts = gr.Checkbox(value=True, label="包含征求意见稿")
    with gr.Accordion("意见反馈", open=False):
        gr.Markdown("点对话中的 👍/👎，或写下意见。记录内容见 README。")
        comment = gr.Textbox(lines=3, max_length=1000, show_label=False, placeholder="对上一条回答的意见（可选）")
        send_comment = gr.Button("提交意见", size="sm")
    return mode, regions, doc_ids, include_drafts, comment, send_comment


def finder_tab(browse: BrowseViews, text: UiText) -> FinderControls:
    """The finder form and its table (the report form follows it in the same tab)."""
    gr.Markdown("按地区、企业类型和需求筛选条款（不经过大模型，即时返回）。")
    with gr.Row():
        region = gr.Dropdown([text.all, *browse.regions], value=text.all, label="地区")
        sector = gr.Dropdown([text.all, *SECTOR_TAGS], value=text.all, label="企业类型")
        need = gr.Dropdown([text.all, *NEED_TAGS], value=text.finder.default_need, label="我想了解")
    with gr.Row():
        keyword = gr.Textbox(label="关键词（可选）", placeholder="如：品牌、召回、首席质量官", scale=3)
        drafts = gr.Checkbox(value=True, label="包含征求意见稿", scale=1)
        go = gr.Button("查找", variant="primary", scale=1, elem_id="finder-go")
    note = gr.Markdown()
    table = gr.Dataframe(
        headers=list(text.finder.columns),
        interactive=False,
        wrap=True,
        elem_id="finder-table",
        column_widths=["18%", "22%", "28%", "24%", "8%"],
    )
    return FinderControls(region, sector, need, keyword, drafts, go, note, table)


def docs_tab(browse: BrowseViews, text: UiText) -> DocControls:
    """The catalog, then one document with a search box (opened on the first document)."""
    gr.Dataframe(
        browse.catalog_rows(),
        headers=list(text.documents.columns),
        interactive=False,
        wrap=True,
        label="文件目录",
    )
    first = browse.doc_choices[0][1]
    with gr.Row():
        pick = gr.Dropdown(browse.doc_choices, value=first, label="文件", scale=2, elem_id="doc-pick")
        query = gr.Textbox(label="在文件中搜索", placeholder="如：质押融资", scale=2, elem_id="doc-search")
    view = gr.HTML(browse.render_document(first, ""), elem_id="doc-view")
    return DocControls(pick, query, view)


def wire_chat(app: ChatApp, c: ChatControls, turns: gr.State, last: gr.State) -> None:
    """Chat events: answers share one "llm" queue (one model); the rest is instant and unqueued."""
    inputs = [c.msg, c.chat, turns, c.regions, c.doc_ids, c.include_drafts, c.mode, last]
    outputs = [c.chat, turns, c.msg, last]
    submit_event = c.msg.submit(app.respond, inputs, outputs, api_visibility="private", concurrency_id="llm")
    click_event = c.send.click(app.respond, inputs, outputs, api_visibility="private", concurrency_id="llm")
    c.stop.click(None, None, None, cancels=[submit_event, click_event], api_visibility="private")
    c.clear.click(app.clear, None, [c.chat, turns, c.msg, last], api_visibility="private", queue=False)
    c.mode.change(app.restyle, [c.chat, c.mode], c.chat, api_visibility="private", queue=False)
    c.chat.like(app.vote, [last], None, api_visibility="private", queue=False)
    c.send_comment.click(app.comment, [c.comment, last], c.comment, api_visibility="private", queue=False)


def wire_browse(browse: BrowseViews, f: FinderControls, d: DocControls, tabs: gr.Tabs) -> None:
    """Finder and document events; a click on a finder row opens its clause in the browser tab."""
    for trigger in (f.go.click, f.keyword.submit):
        trigger(browse.find, f.inputs, [f.table, f.note], **BROWSE)
    f.table.select(browse.open_from_finder, f.table, [tabs, d.pick, d.query, d.view], **BROWSE).then(
        None, None, None, js=SCROLL_TO_FOCUS, api_visibility="private"
    )
    for trigger in (d.pick.change, d.query.submit):
        trigger(browse.render_document, [d.pick, d.query], d.view, **BROWSE)


def is_loopback(host: str) -> bool:
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _warm_up(pipeline: AnswerPipeline) -> None:
    try:
        pipeline.warm_up()
    except Exception as exc:  # answers still work (extractive) when the generator cannot load
        print(f"warning: the language model did not load ({exc}); answers will quote clauses instead", file=sys.stderr)


def launch(settings: Settings | None = None, pipeline: AnswerPipeline | None = None, block: bool = True):
    settings = settings or get_settings()
    auth = tuple(settings.auth.split(":", 1)) if settings.auth else None
    if not is_loopback(settings.host) and not auth and not settings.allow_no_auth:
        raise SystemExit(
            f"error: HOST={settings.host} exposes the app beyond this machine; set RAG_AUTH=user:password "
            "(or RAG_ALLOW_NO_AUTH=1 if something in front of it already authenticates)"
        )
    pipeline = pipeline or AnswerPipeline.from_settings(settings)
    threading.Thread(target=_warm_up, args=(pipeline,), daemon=True).start()  # the page is served while the LLM loads
    demo = build_app(pipeline, settings)
    demo.queue(default_concurrency_limit=1, max_size=settings.queue_size)
    print(f"serving on http://{settings.host}:{settings.port}", file=sys.stderr)
    return demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,
        show_error=False,
        theme=gr.themes.Soft(primary_hue="red", secondary_hue="amber"),
        css=CSS + PLAN_CSS,
        quiet=True,
        footer_links=["api"],
        prevent_thread_lock=not block,
    )
