"""What the web page shows, as pure functions: chat messages and citation cards, finder and catalog
rows, a document as HTML, a draft/final pair with its differences marked. No Gradio here: each
function maps data to text, so it is tested in milliseconds without a browser.

Safety of what is rendered: every piece of user or document text goes through `esc` before it is
put into a chat message or an HTML panel; the only tags on the page are the ones written here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from rag.clauses import Clause
from rag.diff import Pair
from rag.documents import DocumentInfo
from rag.excerpts import overlap
from rag.tags import matching_sentence
from rag.text import match_key, normalize, to_traditional
from rag.ui_text import load_ui_text
from rag.validity import NOT_CURRENT, citation_badge, is_draft_citation, status_label

GIST_CHARS = 60  # the finder's one line per clause
Message = dict[str, Any]  # a Gradio chat message ("messages" format)


def esc(text: str | None) -> str:
    """HTML-escape user or document text (the chat renders Markdown; no raw HTML from outside)."""
    return html.escape(text or "", quote=False)


def display(text: str, mode: str) -> str:
    """`text` in the script the reader chose (the page's radio: simplified or traditional)."""
    return to_traditional(text) if mode == load_ui_text().traditional else text


# ---------------------------------------------------------------------- chat
def supporting_sentence(clause_text: str, answer: str) -> str:
    """The sentence of a clause that the answer leans on most (highlighted in its card). A sentence
    here ends at "。" or a line break only: the card marks a whole sentence, not a "；" part of it,
    which is why this does not use `rag.text.split_sentences`."""
    sentences = [s for s in clause_text.replace("\n", "。").split("。") if s.strip()]
    return max(sentences, key=lambda s: overlap(answer, s), default="")


def card_markdown(citation: Mapping[str, Any], answer: str, documents: Mapping | None = None) -> str:
    """The body of one citation card: the clause with its supporting sentence marked, the
    responsible units, and where it comes from (title, date, validity badge)."""
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


def answer_body(pred: Mapping[str, Any]) -> str:
    """The answer's own message: an error as a note, a decline as a quote under its heading."""
    answer = esc(pred["answer"])
    if pred.get("error"):
        return f"ℹ️ {answer}"
    if pred.get("declined"):
        quoted = "\n".join(f"> {line}" if line else ">" for line in answer.split("\n"))
        return load_ui_text().chat.declined_heading + "\n\n" + quoted
    return answer.replace("\n", "  \n")


def answer_messages(pred: Mapping[str, Any], mode: str, documents: Mapping | None = None) -> list[Message]:
    """The assistant's answer, then one collapsible card per cited clause."""
    messages = [{"role": "assistant", "content": display(answer_body(pred), mode)}]
    for n, c in enumerate(pred.get("citations") or [], 1):
        draft = "【征求意见稿】" if is_draft_citation(c) else ""
        messages.append(
            {
                "role": "assistant",
                "content": card_markdown(c, pred["answer"], documents),
                "metadata": {"title": display(f"[{n}] {draft}{c['label']}", mode), "status": "done"},
            }
        )
    return messages


def failure_message() -> Message:
    """The chat's reply when answering raised: one fixed sentence, never the exception's text."""
    return {"role": "assistant", "content": load_ui_text().chat.error_reply}


def convert_messages(chat: list[Message] | None, convert: Callable[[str], str]) -> list[Message]:
    """The conversation with answers and card titles passed through `convert` (a script change);
    the user's questions and the quoted clause text keep their own script."""
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


def _convert_content(content: Any, convert: Callable[[str], str]) -> Any:
    """Apply `convert` to a chat message's text, whether a string or Gradio's list of parts."""
    if isinstance(content, str):
        return convert(content)
    if isinstance(content, list):
        return [
            {**part, "text": convert(part["text"])} if isinstance(part, dict) and "text" in part else part
            for part in content
        ]
    return content


# ---------------------------------------------------------------------- finder and catalog
def gist(clause: Clause, need: str = "", key: str = "") -> str:
    """One line for the finder: the part (up to "。" or "；") that matched the keyword, else the
    sentence that matched the `need` tag ("" = none), else the heading or the first sentence."""
    text = normalize(clause.text)
    sentence = ""
    if key:
        sentence = next((x for x in re.split(r"(?<=[。；;])", text) if key in match_key(x)), "")
    if not sentence and need:
        sentence = matching_sentence(clause.text, need)
    sentence = sentence or clause.heading or text.split("。")[0]
    return sentence[:GIST_CHARS] + ("…" if len(sentence) > GIST_CHARS else "")


def finder_row(clause: Clause, info: DocumentInfo, need: str = "", key: str = "") -> list[str]:
    """One row of the finder table, in the order of the finder's columns (clause id last)."""
    return [
        info.display_title + ("（征求意见稿）" if info.is_draft else ""),
        clause.label.split(" ", 1)[-1],
        gist(clause, need, key),
        "、".join(clause.responsible),
        clause.clause_id,
    ]


def finder_note(count: int) -> str:
    text = load_ui_text().finder
    return text.count.format(count=count) if count else text.none


def catalog_row(info: DocumentInfo, documents: Mapping[str, DocumentInfo]) -> list[str]:
    """One row of the document catalog, in the order of the catalog's columns."""
    kind = "征求意见稿 · " if info.is_draft else "解读 · " if info.kind == "interpretation" else ""
    return [
        info.title,
        info.issuer or "—",
        info.region,
        info.date or "—",
        info.doc_number or "—",
        kind + status_label(info, documents),
    ]


def table_html(frame, css_class: str) -> str:
    """A read-only pandas table as escaped HTML in a scrolling box (CSS in `rag.ui_plans.CSS`)."""
    with pd.option_context("display.max_colwidth", None):  # else pandas cuts cells at 50 characters
        table = frame.to_html(index=False, escape=True, border=0, classes=css_class, na_rep="—")
    return f'<div class="table-scroll">{table}</div>'


# ---------------------------------------------------------------------- document browser
def document_html(
    info: DocumentInfo | None,
    clauses: list[Clause],
    documents: Mapping[str, DocumentInfo],
    query: str = "",
    key: str = "",
    focus: str = "",
) -> str:
    """A document as an indented tree of its clauses; with a search `key` (the match form of
    `query`) only the clauses that hold it, the words marked; the `focus` clause highlighted."""
    if info is None:
        return f"<p>{load_ui_text().documents.pick}</p>"
    shown = [c for c in clauses if not key or key in match_key(c.text + c.label)]
    head = [
        f"<h3>{esc(info.title)}</h3>",
        "<p>",
        esc(" · ".join(x for x in [info.issuer, info.region, info.date, info.doc_number] if x)),
        ' <span class="draft-flag">征求意见稿</span>' if info.is_draft else "",
        f' <span class="draft-flag">{esc(status_label(info, documents))}</span>' if info.status in NOT_CURRENT else "",
        "</p>",
    ]
    if info.note:
        head.append(f"<p><small>{esc(info.note)}</small></p>")
    if key:
        count = load_ui_text().documents.search_count
        head.append(f"<p>{count.format(query=esc(query), shown=len(shown), total=len(clauses))}</p>")
    body = [clause_html(c, key, focus) for c in shown]
    return '<div class="doc-tree">' + "".join(head) + "".join(body) + "</div>"


def clause_html(c: Clause, key: str, focus: str) -> str:
    """One clause of the document tree, indented by its depth, with the search key marked."""
    depth = len(c.path)
    text = highlight(c.text, key) if key else esc(c.text)
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


# ---------------------------------------------------------------------- version comparison
def char_diff_html(old: str, new: str) -> str:
    """Character-level differences of two texts (both compared in simplified script), escaped."""
    from diff_match_patch import diff_match_patch

    dmp = diff_match_patch()
    diffs = dmp.diff_main(normalize(old), normalize(new))
    dmp.diff_cleanupSemantic(diffs)
    tags = {-1: "del", 1: "ins"}
    return "".join(f"<{tags[op]}>{esc(t)}</{tags[op]}>" if op in tags else esc(t) for op, t in diffs)


def pair_html(pair: Pair) -> str:
    """One aligned clause pair of a draft and its final text: its status, both clause ids, the
    text with the differences marked, and the target figures that changed."""
    if pair.status == "changed":
        text = char_diff_html(pair.old_text, pair.new_text)
    elif pair.status == "added":
        text = f"<ins>{esc(normalize(pair.new_text))}</ins>"
    elif pair.status == "removed":
        text = f"<del>{esc(normalize(pair.old_text))}</del>"
    else:
        text = esc(normalize(pair.new_text))
    figs = "".join(f"<li>{esc(c.indicator)}：{esc(c.old or '—')} → {esc(c.new or '—')}</li>" for c in pair.changes)
    status = load_ui_text().plans.status_names[pair.status]
    return (
        f'<div class="pair {pair.status}"><div class="ids">{status} · '
        f"{esc(pair.old_clause_id or '—')} → {esc(pair.new_clause_id or '—')}</div>"
        f'<div class="text">{text}</div>' + (f'<ul class="figs">{figs}</ul>' if figs else "") + "</div>"
    )
