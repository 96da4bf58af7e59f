"""The Gradio web app: streaming chat with clause cards, a policy finder, a document browser, and
the `ask` API. Everything it shows comes from `AnswerPipeline` and the index; it has no answer
logic of its own.

Safety of what is rendered: every piece of user or document text is HTML-escaped before it is
put into a chat message or an HTML panel; the only tags on the page are the app's own.
"""

from __future__ import annotations

import html
import ipaddress
import re
import sys
import threading
from pathlib import Path
from typing import Any

import gradio as gr

from rag.answer import AnswerPipeline, Evidence, Final, Token
from rag.clauses import Clause
from rag.config import Settings, get_settings
from rag.feedback import FeedbackLog
from rag.grounding import overlap
from rag.retrieval import RetrievalFilters
from rag.tags import NEED_TAGS, SECTOR_TAGS, matching_sentence
from rag.text import match_key, normalize, to_simplified, to_traditional
from rag.ui_plans import CSS as PLAN_CSS
from rag.ui_plans import build_plan_tabs
from rag.ui_progress import progress_text
from rag.ui_report import build_report_section
from rag.validity import NOT_CURRENT, citation_badge, is_draft_citation, status_label

TITLE = "广东质量强省 · 强市政策问答"
ALL = "全部"
SIMPLIFIED, TRADITIONAL = "简体", "繁體"
FINDER_COLUMNS = ["文件", "条款", "要点", "责任部门", "条款编号"]
GIST_CHARS = 60
ENTERPRISE_EXAMPLES = [
    "源城区的企业参与品牌建设有什么金融支持？",
    "企业的质量创新支出可以享受什么税收优惠？",
    "东莞要求企业对缺陷产品履行什么义务？",
    "广东省行动计划中提升产品质量由哪个部门牵头？",
    "What financial support can Yuancheng enterprises get for brand building?",
]
CITIZEN_EXAMPLES = [
    "消费者遇到严重质量侵权，源城区有什么维权支持？",
    "東莞2025年食品抽檢合格率目標是多少？",
    "东莞征求意见稿和正式方案的食品抽检合格率目标有何不同？",
    "东莞征求意见稿的意见反馈联系人是谁？",
]
SCROLL_TO_FOCUS = (
    "() => setTimeout(() => document.querySelector('#doc-view .focus')?.scrollIntoView({block: 'center'}), 400)"
)
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


def esc(text: str) -> str:
    """HTML-escape user or document text (the chat renders Markdown; no raw HTML from outside)."""
    return html.escape(text or "", quote=False)


def display(text: str, mode: str) -> str:
    return to_traditional(text) if mode == TRADITIONAL else text


# ---------------------------------------------------------------------- chat rendering
def supporting_sentence(clause_text: str, answer: str) -> str:
    """The sentence of a clause that the answer leans on most (highlighted in its card)."""
    sentences = [s for s in clause_text.replace("\n", "。").split("。") if s.strip()]
    return max(sentences, key=lambda s: overlap(answer, s), default="")


def card_markdown(citation: dict[str, Any], answer: str, documents: dict | None = None) -> str:
    text = esc(citation["text"])
    best = supporting_sentence(citation["text"], answer)
    if best and len(best) > 4:
        text = text.replace(esc(best), f"<mark>{esc(best)}</mark>", 1)
    lines = [text.replace("\n", "  \n")]
    if citation.get("responsible"):
        lines.append(f"**责任单位：** {esc('、'.join(citation['responsible']))}")
    meta = [citation["doc_title"]]
    if citation.get("date"):
        meta.append(citation["date"])
    badge = citation_badge(citation, documents)
    lines.append("📄 " + esc(" · ".join(meta)) + (f" · **{esc(badge)}**" if badge else ""))
    return "\n\n".join(lines)


def answer_messages(pred: dict[str, Any], mode: str, documents: dict | None = None) -> list[dict[str, Any]]:
    """The assistant's answer, then one collapsible card per cited clause."""
    answer = esc(pred["answer"])
    if pred.get("error"):
        body = f"ℹ️ {answer}"
    elif pred.get("declined"):
        body = "⚠️ **文件中未找到依据**\n\n" + "\n".join(f"> {line}" if line else ">" for line in answer.split("\n"))
    else:
        body = answer.replace("\n", "  \n")
    messages = [{"role": "assistant", "content": display(body, mode)}]
    for n, c in enumerate(pred.get("citations") or [], 1):
        draft = "【征求意见稿】" if is_draft_citation(c) else ""
        title = display(f"[{n}] {draft}{c['label']}", mode)
        messages.append(
            {
                "role": "assistant",
                "content": card_markdown(c, pred["answer"], documents),
                "metadata": {"title": title, "status": "done"},
            }
        )
    return messages


class ChatApp:
    """Callbacks of the web page; holds the pipeline and the feedback log."""

    def __init__(self, pipeline: AnswerPipeline, settings: Settings) -> None:
        self.pipeline = pipeline
        self.settings = settings
        path = Path(settings.feedback_log) if settings.feedback_log else None
        self.feedback = FeedbackLog(path, settings.feedback_max_bytes)
        docs = pipeline.index.documents
        self.regions = sorted({d.region for d in docs.values()})
        self.doc_choices = [(d.display_title, d.doc_id) for d in docs.values()]

    # -- chat
    def filters(self, regions: list[str], doc_ids: list[str], include_drafts: bool) -> dict[str, Any]:
        return {"regions": regions or [], "doc_ids": doc_ids or [], "include_drafts": bool(include_drafts)}

    def respond(self, message, chat, turns, regions, doc_ids, include_drafts, mode, last):
        """Stream one answer into the chat; `turns` is the conversation as the pipeline sees it."""
        chat = list(chat or [])
        turns = list(turns or [])
        question = (message or "").strip()
        if not question:
            gr.Info("请输入问题 / Please type a question.")
            yield chat, turns, "", last
            return
        chat.append({"role": "user", "content": esc(question)})
        chat.append({"role": "assistant", "content": "…"})
        yield chat, turns, "", last
        streamed, note = "", ""
        pred = None
        try:
            for event in self.pipeline.stream(question, turns, self.filters(regions, doc_ids, include_drafts)):
                if isinstance(event, Evidence | Token):
                    note = display(event.note, mode) if isinstance(event, Evidence) else note
                    streamed += event.text if isinstance(event, Token) else ""
                    chat[-1] = {"role": "assistant", "content": progress_text(note, display(esc(streamed), mode))}
                    yield chat, turns, "", last
                elif isinstance(event, Final):
                    pred = event.prediction.to_dict()
        except Exception as exc:  # never show a traceback in the page
            print(f"error answering {question[:80]!r}: {type(exc).__name__}: {exc}", file=sys.stderr)
            chat[-1] = {"role": "assistant", "content": "ℹ️ 抱歉，处理这个问题时出错了，请稍后再试。"}
            yield chat, turns, "", last
            return
        assert pred is not None
        chat[-1:] = answer_messages(pred, mode, self.pipeline.index.documents)
        if not pred.get("error"):
            turns += [{"role": "user", "content": question}, {"role": "assistant", "content": pred["answer"]}]
        yield chat, turns, "", pred

    def clear(self):
        return [], [], "", None

    def restyle(self, chat, mode):
        """Re-render the conversation in the chosen script (answers and card titles; quoted clause
        text keeps the script of its source document)."""
        convert = to_traditional if mode == TRADITIONAL else to_simplified
        converted = []
        for m in chat or []:
            m = dict(m)
            meta = dict(m.get("metadata") or {})
            if meta.get("title"):
                meta["title"] = convert(meta["title"])
                m["metadata"] = meta
            elif m.get("role") == "assistant":
                m["content"] = _convert_content(m.get("content"), convert)
            converted.append(m)
        return converted

    def vote(self, data: gr.LikeData, last):
        if not last:
            return
        if self.feedback.record("up" if data.liked else "down", last):
            gr.Info("感谢反馈！")

    def comment(self, text, last):
        if not (text or "").strip():
            gr.Info("请先写下意见。")
            return text
        if not last:
            gr.Info("请先提一个问题，再对回答发表意见。")
            return text
        if self.feedback.record("comment", last, text):
            gr.Info("意见已记录，谢谢！")
        else:
            gr.Info("本站未开启反馈记录。")
        return ""

    # -- policy finder
    def find(self, region: str, sector: str, need: str, include_drafts: bool, keyword: str):
        index = self.pipeline.index
        key = match_key(keyword or "")
        rows = []
        for c in index.clauses:
            info = index.documents[c.doc_id]
            if region != ALL and info.region != region:
                continue
            if not include_drafts and info.is_draft:
                continue
            if sector != ALL and sector not in c.tags:
                continue
            if need != ALL and need not in c.tags:
                continue
            if key and key not in match_key(c.text + c.label):
                continue
            if c.is_heading_only:
                continue
            rows.append(
                [
                    info.display_title + ("（征求意见稿）" if info.is_draft else ""),
                    c.label.split(" ", 1)[-1],
                    gist(c, need, key),
                    "、".join(c.responsible),
                    c.clause_id,
                ]
            )
        note = (
            f"共 {len(rows)} 条。点击一行可在“文件浏览”中查看条款全文。" if rows else "没有符合条件的条款，请放宽条件。"
        )
        return rows, note

    def open_from_finder(self, rows, evt: gr.SelectData):
        try:
            row = evt.index[0]
            clause_id = rows.iloc[row]["条款编号"] if hasattr(rows, "iloc") else rows[row][-1]
        except (IndexError, KeyError, TypeError):
            return gr.update(), gr.update(), gr.update(), gr.update()
        doc_id = clause_id.split("/")[0]
        return gr.Tabs(selected="docs"), doc_id, "", self.render_document(doc_id, "", clause_id)

    # -- documents
    def catalog_rows(self):
        return [
            [
                d.title,
                d.issuer or "—",
                d.region,
                d.date or "—",
                d.doc_number or "—",
                ("征求意见稿 · " if d.is_draft else "解读 · " if d.kind == "interpretation" else "")
                + status_label(d, self.pipeline.index.documents),
            ]
            for d in self.pipeline.index.documents.values()
        ]

    def render_document(self, doc_id: str | None, query: str, focus: str = "") -> str:
        index = self.pipeline.index
        if not doc_id or doc_id not in index.documents:
            return "<p>请选择一份文件。</p>"
        info = index.documents[doc_id]
        key = match_key(query or "")
        clauses = [c for c in index.clauses if c.doc_id == doc_id]
        shown = [c for c in clauses if not key or key in match_key(c.text + c.label)]
        head = [
            f"<h3>{esc(info.title)}</h3>",
            "<p>",
            esc(" · ".join(x for x in [info.issuer, info.region, info.date, info.doc_number] if x)),
            ' <span class="draft-flag">征求意见稿</span>' if info.is_draft else "",
            f' <span class="draft-flag">{esc(status_label(info, index.documents))}</span>'
            if info.status in NOT_CURRENT
            else "",
            "</p>",
        ]
        if info.note:
            head.append(f"<p><small>{esc(info.note)}</small></p>")
        if key:
            head.append(f"<p>“{esc(query)}”：{len(shown)} / {len(clauses)} 条</p>")
        body = [clause_html(c, key, focus) for c in shown]
        return '<div class="doc-tree">' + "".join(head) + "".join(body) + "</div>"


def _convert_content(content, convert):
    """Apply `convert` to a chat message's text, whether a string or Gradio's list of parts."""
    if isinstance(content, str):
        return convert(content)
    if isinstance(content, list):
        return [
            {**part, "text": convert(part["text"])} if isinstance(part, dict) and "text" in part else part
            for part in content
        ]
    return content


def gist(clause: Clause, need: str = ALL, key: str = "") -> str:
    """One line for the finder: the sentence that matched the keyword or the need, else the heading."""
    text = normalize(clause.text)
    sentence = ""
    if key:
        sentence = next((x for x in re.split(r"(?<=[。；;])", text) if key in match_key(x)), "")
    if not sentence and need != ALL:
        sentence = matching_sentence(clause.text, need)
    sentence = sentence or clause.heading or text.split("。")[0]
    return sentence[:GIST_CHARS] + ("…" if len(sentence) > GIST_CHARS else "")


def clause_html(c: Clause, key: str, focus: str) -> str:
    depth = len(c.path)
    text = esc(c.text)
    if key:
        text = highlight(c.text, key)
    units = f'<div class="units">责任单位：{esc("、".join(c.responsible))}</div>' if c.responsible else ""
    classes = ["clause", "section" if c.kind == "section" else c.kind] + (["focus"] if c.clause_id == focus else [])
    return (
        f'<div class="{" ".join(classes)}" id="{esc(c.clause_id)}" style="margin-left:{depth * 1.2}em">'
        f'<div class="label">{esc(c.label.split(" ", 1)[-1])}</div><div class="text">{text}</div>{units}</div>'
    )


def highlight(text: str, key: str) -> str:
    """Escape `text` and mark where the (normalised) search key occurs, when it maps back cleanly."""
    norm = normalize(text).lower()
    i = norm.find(key) if len(norm) == len(text) else -1
    if i < 0:
        return esc(text)
    j = i + len(key)
    return esc(text[:i]) + "<mark>" + esc(text[i:j]) + "</mark>" + esc(text[j:])


def build_app(pipeline: AnswerPipeline, settings: Settings | None = None) -> gr.Blocks:
    settings = settings or get_settings()
    app = ChatApp(pipeline, settings)
    index = pipeline.index

    def ask(question: str, history: list | None = None, filters: dict | None = None) -> dict:
        """Answer `question` (optionally with earlier `history` turns and retrieval `filters`) and
        return the prediction object of the evaluation contract."""
        try:
            RetrievalFilters.from_dict(filters)
        except (ValueError, TypeError) as exc:
            return {
                "id": "",
                "question": question,
                "answer": "",
                "declined": False,
                "citations": [],
                "retrieved": [],
                "timings": {},
                "error": f"bad filters: {exc}",
            }
        return pipeline.predict(question or "", history or [], filters or {}).to_dict()

    with gr.Blocks(title=TITLE, fill_width=False) as demo:
        with gr.Column(elem_id="app-header"):
            gr.Markdown(
                f"# {TITLE}\n依据广东省、东莞市、韶关市、河源市源城区的 {len(index.documents)} 份"
                "质量强省/强市/强区文件作答，每个回答都标注出处条款；文件没有规定的问题会如实说明。"
                "回答仅供参考，以文件原文为准。"
            )
        last = gr.State(None)
        turns = gr.State([])
        with gr.Tabs() as tabs:
            with gr.Tab("💬 政策问答", id="chat"):
                with gr.Row(elem_id="chat-row", equal_height=False):
                    with gr.Column(scale=3, min_width=320):
                        chat = gr.Chatbot(
                            label="对话",
                            height=540,
                            feedback_options=["Like", "Dislike"],
                            placeholder="请在下方输入问题，例如：源城区的企业参与品牌建设有什么金融支持？",
                            sanitize_html=True,
                            buttons=["copy"],
                        )
                        with gr.Row():
                            msg = gr.Textbox(
                                placeholder="输入您的问题（简体、繁體或 English），按回车发送",
                                show_label=False,
                                scale=5,
                                max_lines=4,
                                max_length=settings.max_question_chars,
                                elem_id="question-box",
                            )
                            send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="send-btn")
                        with gr.Row():
                            stop = gr.Button("⏹ 停止", size="sm", elem_id="stop-btn")
                            clear = gr.Button("🗑 清空对话", size="sm", elem_id="clear-btn")
                        gr.Examples(ENTERPRISE_EXAMPLES, inputs=msg, label="企业常见问题")
                        gr.Examples(CITIZEN_EXAMPLES, inputs=msg, label="市民常见问题")
                    with gr.Column(scale=1, min_width=240):
                        mode = gr.Radio(
                            [SIMPLIFIED, TRADITIONAL], value=SIMPLIFIED, label="显示 / 顯示", elem_id="script-toggle"
                        )
                        with gr.Accordion("检索范围", open=True):
                            regions = gr.Dropdown(app.regions, multiselect=True, label="地区（不选即全部）")
                            doc_ids = gr.Dropdown(app.doc_choices, multiselect=True, label="文件（不选即全部）")
                            include_drafts = gr.Checkbox(value=True, label="包含征求意见稿")
                        with gr.Accordion("意见反馈", open=False):
                            gr.Markdown("点对话中的 👍/👎，或写下意见。记录内容见 README。")
                            comment = gr.Textbox(
                                lines=3, max_length=1000, show_label=False, placeholder="对上一条回答的意见（可选）"
                            )
                            send_comment = gr.Button("提交意见", size="sm")
            with gr.Tab("🔎 政策查找", id="finder"):
                gr.Markdown("按地区、企业类型和需求筛选条款（不经过大模型，即时返回）。")
                with gr.Row():
                    f_region = gr.Dropdown([ALL, *app.regions], value=ALL, label="地区")
                    f_sector = gr.Dropdown([ALL, *SECTOR_TAGS], value=ALL, label="企业类型")
                    f_need = gr.Dropdown([ALL, *NEED_TAGS], value="资金/税收/金融扶持", label="我想了解")
                with gr.Row():
                    f_keyword = gr.Textbox(label="关键词（可选）", placeholder="如：品牌、召回、首席质量官", scale=3)
                    f_drafts = gr.Checkbox(value=True, label="包含征求意见稿", scale=1)
                    f_go = gr.Button("查找", variant="primary", scale=1, elem_id="finder-go")
                f_note = gr.Markdown()
                f_table = gr.Dataframe(
                    headers=FINDER_COLUMNS,
                    interactive=False,
                    wrap=True,
                    elem_id="finder-table",
                    column_widths=["18%", "22%", "28%", "24%", "8%"],
                )
                build_report_section(demo, tabs, index, settings)
            build_plan_tabs(index)  # 目标指标, 版本对比
            with gr.Tab("📄 文件浏览", id="docs"):
                gr.Dataframe(
                    app.catalog_rows(),
                    headers=["标题", "发布机关", "地区", "日期", "文号", "状态"],
                    interactive=False,
                    wrap=True,
                    label="文件目录",
                )
                with gr.Row():
                    doc_pick = gr.Dropdown(
                        app.doc_choices, value=app.doc_choices[0][1], label="文件", scale=2, elem_id="doc-pick"
                    )
                    doc_query = gr.Textbox(
                        label="在文件中搜索", placeholder="如：质押融资", scale=2, elem_id="doc-search"
                    )
                doc_view = gr.HTML(app.render_document(app.doc_choices[0][1], ""), elem_id="doc-view")

        chat_inputs = [msg, chat, turns, regions, doc_ids, include_drafts, mode, last]
        chat_outputs = [chat, turns, msg, last]
        submit_event = msg.submit(
            app.respond, chat_inputs, chat_outputs, api_visibility="private", concurrency_id="llm"
        )
        click_event = send.click(app.respond, chat_inputs, chat_outputs, api_visibility="private", concurrency_id="llm")
        stop.click(None, None, None, cancels=[submit_event, click_event], api_visibility="private")
        clear.click(app.clear, None, [chat, turns, msg, last], api_visibility="private", queue=False)
        mode.change(app.restyle, [chat, mode], chat, api_visibility="private", queue=False)
        chat.like(app.vote, [last], None, api_visibility="private", queue=False)
        send_comment.click(app.comment, [comment, last], comment, api_visibility="private", queue=False)
        finder_inputs = [f_region, f_sector, f_need, f_drafts, f_keyword]
        for trigger in (f_go.click, f_keyword.submit):
            trigger(
                app.find,
                finder_inputs,
                [f_table, f_note],
                api_visibility="private",
                concurrency_limit=8,
                concurrency_id="browse",
            )
        f_table.select(
            app.open_from_finder,
            f_table,
            [tabs, doc_pick, doc_query, doc_view],
            api_visibility="private",
            concurrency_limit=8,
            concurrency_id="browse",
        ).then(None, None, None, js=SCROLL_TO_FOCUS, api_visibility="private")
        for trigger in (doc_pick.change, doc_query.submit):
            trigger(
                app.render_document,
                [doc_pick, doc_query],
                doc_view,
                api_visibility="private",
                concurrency_limit=8,
                concurrency_id="browse",
            )
        gr.api(ask, api_name="ask", concurrency_id="llm")
        demo.load(app.find, finder_inputs, [f_table, f_note], api_visibility="private", queue=False)
    return demo


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
