"""Callbacks of the chat tab and the `ask` API: stream one answer from `AnswerPipeline` into the
chat, re-render it in the other script, record feedback. No answer logic of its own: what the
chat shows is `rag.ui_render` over the pipeline's events.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag.answer import AnswerPipeline, Evidence, Final, Prediction, Token
from rag.config import Settings
from rag.feedback import FeedbackLog
from rag.retrieval import RetrievalFilters
from rag.text import to_simplified, to_traditional
from rag.ui_progress import progress_text
from rag.ui_render import answer_messages, convert_messages, display, esc, failure_message
from rag.ui_text import load_ui_text


def failed_prediction(question: str, error: str) -> dict[str, Any]:
    """The contract's prediction object for a question that was not answered (`error` says why):
    the one place the page builds a failed prediction itself."""
    return Prediction.failure("", question, error).to_dict()


class ChatApp:
    """Callbacks of the chat tab; holds the pipeline and the feedback log."""

    def __init__(self, pipeline: AnswerPipeline, settings: Settings) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self.text = load_ui_text()
        path = Path(settings.feedback_log) if settings.feedback_log else None
        self.feedback = FeedbackLog(path, settings.feedback_max_bytes)
        docs = pipeline.index.documents
        self.regions = sorted({d.region for d in docs.values()})
        self.doc_choices = [(d.display_title, d.doc_id) for d in docs.values()]

    def ask(self, question: str, history: list | None = None, filters: dict | None = None) -> dict:
        """Answer `question` (optionally with earlier `history` turns and retrieval `filters`) and
        return the prediction object of the evaluation contract."""
        try:
            RetrievalFilters.from_dict(filters)
        except (ValueError, TypeError) as exc:
            return failed_prediction(question, f"bad filters: {exc}")
        return self.pipeline.predict(question or "", history or [], filters or {}).to_dict()

    def filters(self, regions: list[str], doc_ids: list[str], include_drafts: bool) -> dict[str, Any]:
        return {"regions": regions or [], "doc_ids": doc_ids or [], "include_drafts": bool(include_drafts)}

    def respond(self, message, chat, turns, regions, doc_ids, include_drafts, mode, last) -> Iterator[tuple]:
        """Stream one answer into the chat; `turns` is the conversation as the pipeline sees it."""
        chat = list(chat or [])
        turns = list(turns or [])
        question = (message or "").strip()
        if not question:
            gr.Info(self.text.chat.empty_question)
            yield chat, turns, "", last
            return
        chat.append({"role": "user", "content": esc(question)})
        chat.append({"role": "assistant", "content": "…"})
        yield chat, turns, "", last
        pred = None
        try:
            for event in self._stream(question, turns, self.filters(regions, doc_ids, include_drafts), mode):
                if isinstance(event, dict):
                    pred = event
                else:
                    chat[-1] = {"role": "assistant", "content": event}
                    yield chat, turns, "", last
        except Exception as exc:  # never show a traceback in the page
            print(f"error answering {question[:80]!r}: {type(exc).__name__}: {exc}", file=sys.stderr)
            chat[-1] = failure_message()
            yield chat, turns, "", last
            return
        assert pred is not None
        chat[-1:] = answer_messages(pred, mode, self.pipeline.index.documents)
        if not pred.get("error"):
            turns += [{"role": "user", "content": question}, {"role": "assistant", "content": pred["answer"]}]
        yield chat, turns, "", pred

    def _stream(self, question: str, turns: list, filters: dict, mode: str) -> Iterator[str | dict]:
        """The pipeline's events as the chat needs them: the in-progress message (text) after each
        evidence or token event, then the final prediction (the contract's dict)."""
        streamed, note, rename = "", "", str
        for event in self.pipeline.stream(question, turns, filters):
            if isinstance(event, Evidence):
                note, rename = display(event.note, mode), event.rename
            if isinstance(event, Evidence | Token):
                streamed += event.text if isinstance(event, Token) else ""
                yield progress_text(note, display(esc(rename(streamed)), mode))
            elif isinstance(event, Final):
                yield event.prediction.to_dict()

    def clear(self):
        return [], [], "", None

    def restyle(self, chat, mode):
        """Re-render the conversation in the chosen script (answers and card titles; quoted clause
        text keeps the script of its source document)."""
        return convert_messages(chat, to_traditional if mode == self.text.traditional else to_simplified)

    def vote(self, data: gr.LikeData, last):
        if not last:
            return
        if self.feedback.record("up" if data.liked else "down", last):
            gr.Info(self.text.chat.vote_thanks)

    def comment(self, text, last):
        messages = self.text.chat
        if not (text or "").strip():
            gr.Info(messages.comment_empty)
            return text
        if not last:
            gr.Info(messages.comment_no_question)
            return text
        if self.feedback.record("comment", last, text):
            gr.Info(messages.comment_saved)
        else:
            gr.Info(messages.feedback_off)
        return ""
