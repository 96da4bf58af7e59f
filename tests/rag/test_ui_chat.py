"""The chat's callbacks over a stub pipeline (no model, milliseconds): what the chat holds after
each streamed event, the error path, the `ask` API's bad filters, the script switch, feedback."""

from __future__ import annotations

import copy
from dataclasses import replace
from types import SimpleNamespace

import pytest

from rag.answer import Evidence, Final, Prediction, Token
from rag.ui_chat import ChatApp, failed_prediction
from rag.ui_text import load_ui_text

TEXT = load_ui_text()


class StubPipeline:
    def __init__(self, fail: bool = False) -> None:
        self.index = SimpleNamespace(documents={})
        self.fail = fail
        self.calls: list = []

    def stream(self, question, turns, filters):
        self.calls.append((question, list(turns), filters))
        yield Evidence(("[1]",), "正在依据 东莞方案 回答…")
        if self.fail:
            raise RuntimeError("the model fell over")
        yield Token("质量<b>")
        yield Final(Prediction(id="", question=question, answer="质量贷。"))

    def predict(self, question, history, filters):
        return Prediction(id="", question=question, answer="答")


@pytest.fixture
def settings(settings, tmp_path):
    return replace(settings, feedback_log=str(tmp_path / "feedback.jsonl"))


def respond(app, question, mode=TEXT.simplified, turns=()):
    """Every step the chat shows (copied: the callback updates one chat list in place)."""
    return [copy.deepcopy(step) for step in app.respond(question, [], list(turns), ["东莞市"], [], True, mode, None)]


def test_the_chat_shows_evidence_then_tokens_then_the_answer(settings):
    pipeline = StubPipeline()
    steps = respond(ChatApp(pipeline, settings), "<i>质量贷</i>？", turns=[{"role": "user", "content": "前"}])
    chats = [chat for chat, *_ in steps]
    assert chats[0] == [
        {"role": "user", "content": "&lt;i&gt;质量贷&lt;/i&gt;？"},
        {"role": "assistant", "content": "…"},
    ]
    assert chats[1][-1]["content"] == '<span class="answer-evidence">正在依据 东莞方案 回答…</span>'
    assert chats[2][-1]["content"].endswith("质量&lt;b&gt; ▌")
    chat, turns, box, last = steps[-1]
    assert chat[-1] == {"role": "assistant", "content": "质量贷。"} and box == "" and last["answer"] == "质量贷。"
    assert turns[-2:] == [{"role": "user", "content": "<i>质量贷</i>？"}, {"role": "assistant", "content": "质量贷。"}]
    _, history, filters = pipeline.calls[0]
    assert history == [{"role": "user", "content": "前"}]
    assert filters == {"regions": ["东莞市"], "doc_ids": [], "include_drafts": True}


def test_the_stream_shows_the_display_titles_the_final_answer_will_have(settings):
    class ShortNames(StubPipeline):
        def stream(self, question, turns, filters):
            yield Evidence(
                ("[1]",), "正在依据 东莞方案 回答…", lambda text: text.replace("东莞2024方案", "《东莞方案》")
            )
            yield Token("东莞2024方案要求")
            yield Final(Prediction(id="", question=question, answer="《东莞方案》要求。"))

    streamed = respond(ChatApp(ShortNames(), settings), "问")[2][0][-1]["content"]
    assert "《东莞方案》要求" in streamed and "东莞2024方案" not in streamed


def test_traditional_mode_converts_the_stream(settings):
    steps = respond(ChatApp(StubPipeline(), settings), "问", mode=TEXT.traditional)
    assert "正在依據" in steps[1][0][-1]["content"] and steps[-1][0][-1]["content"] == "質量貸。"


def test_an_exception_is_the_fixed_failure_message_and_no_turn(settings, capsys):
    chat, turns, _, last = respond(ChatApp(StubPipeline(fail=True), settings), "问")[-1]
    assert chat[-1] == {"role": "assistant", "content": TEXT.chat.error_reply} and turns == [] and last is None
    assert "the model fell over" in capsys.readouterr().err  # logged, not shown


def test_an_empty_question_changes_nothing(settings):
    assert respond(ChatApp(StubPipeline(), settings), "  ") == [([], [], "", None)]


def test_ask_reports_bad_filters_as_a_failed_prediction(settings):
    app = ChatApp(StubPipeline(), settings)
    bad = app.ask("质量", [], {"colour": "red"})
    assert bad == failed_prediction("质量", "bad filters: unknown filter(s): colour")
    assert bad == {
        "id": "",
        "question": "质量",
        "answer": "",
        "declined": False,
        "citations": [],
        "retrieved": [],
        "timings": {},
        "error": "bad filters: unknown filter(s): colour",
    }
    assert app.ask("质量")["answer"] == "答"


def test_restyle_switches_script_both_ways(settings):
    app = ChatApp(StubPipeline(), settings)
    chat = [{"role": "assistant", "content": "质量"}]
    assert app.restyle(chat, TEXT.traditional)[0]["content"] == "質量"
    assert app.restyle([{"role": "assistant", "content": "質量"}], TEXT.simplified)[0]["content"] == "质量"


def test_a_comment_needs_text_and_an_answer_and_is_logged(settings):
    app = ChatApp(StubPipeline(), settings)
    assert app.comment("  ", {"question": "q"}) == "  "
    assert app.comment("好", None) == "好"
    last = {"question": "q", "answer": "a", "declined": False, "citations": []}
    assert app.comment("好", last) == ""
    with open(settings.feedback_log, encoding="utf-8") as log:
        assert '"comment": "好"' in log.read()
