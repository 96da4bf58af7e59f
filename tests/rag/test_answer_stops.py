"""Where the answer's generation stops, with a scripted model through the real pipeline (no LLM):
past the time budget once the answer covers the question, at its token limit (kept to whole
sentences), after unsupported sentences, at a natural end."""

from __future__ import annotations

from dataclasses import replace

from rag.answer import AnswerPipeline
from rag.llm import Usage

QUESTION = "东莞2025年食品抽检合格率的目标是多少？"
FIRST = ["东莞到2025年", "食品抽检合格率", "达到98.5%以上", "[1]。"]
ANSWER = [*FIRST, "制造业产品", "质量合格率", "达到95%以上", "[1]。"]


class ScriptedModel:
    """Writes ANSWER piece by piece, one token each, and ends it with an end token (counted as
    generated, as llama.cpp does); reports "length" when max_tokens stops it first."""

    name = "scripted"

    def __init__(self, script: list[str] = ANSWER) -> None:
        self.script = script
        self.max_tokens: list[int] = []
        self.yielded = 0  # pieces the caller took before it stopped the stream

    def stream(self, messages, max_tokens, temperature, usage=None):
        self.max_tokens.append(max_tokens)
        written = self.script[:max_tokens]
        ended = len(self.script) < max_tokens  # room left for the end token
        try:
            for piece in written:
                self.yielded += 1
                yield piece
        finally:
            ended = ended and self.yielded == len(written)
            call = Usage(1, 100, 0, self.yielded + ended, "stop" if ended else "length")
            if usage is not None:
                usage.add(call)

    def yes_probability(self, messages, yes, no, usage=None):
        return 1.0

    def cached_prefix_chars(self, messages):
        return 0


def _answer(pipeline, script: list[str] = ANSWER, **settings):
    model = ScriptedModel(script)
    scripted = AnswerPipeline(replace(pipeline.settings, **settings), pipeline.index, pipeline.retriever, model)
    return scripted.predict(QUESTION), model


def test_without_a_budget_the_model_writes_to_its_end(pipeline):
    pred, model = _answer(pipeline, answer_time_budget_s=0.0)
    assert model.max_tokens == [pipeline.settings.max_new_tokens]
    assert "stopped" not in pred.extra and "+cut" not in pred.extra["route"]
    assert "98.5%" in pred.answer and "95%" in pred.answer


def test_past_its_budget_an_answer_stops_at_the_first_sentence_that_covers_the_question(pipeline):
    # a budget the prompt alone spends leaves the floor: two pieces, then the first whole sentence
    # answers the question, so the model stops there; the limit it was given is the usual one
    pred, model = _answer(pipeline, answer_time_budget_s=0.1, min_answer_tokens=2)
    assert model.max_tokens == [pipeline.settings.max_new_tokens]
    # one piece after the sentence that covers it (it might have been the sentence's citation)
    assert model.yielded == len(FIRST) + 1
    assert pred.extra["stopped"] == "budget" and pred.extra["route"].startswith("llm-trimmed+budget")
    assert "98.5%" in pred.answer and "制造业" not in pred.answer


def test_a_sentence_finished_before_the_budget_ran_out_is_not_where_it_stops(pipeline):
    """The budget runs out inside the second sentence: that sentence is waited for (here the
    model's natural end), never cut, whether or not the unsupported-sentence stop is on."""
    for stop_after in (0, 2):
        pred, model = _answer(
            pipeline, answer_time_budget_s=0.1, min_answer_tokens=len(FIRST) + 1, stop_unsupported_after=stop_after
        )
        assert model.yielded == len(ANSWER) and "stopped" not in pred.extra, stop_after
        assert "95%" in pred.answer


def test_past_its_budget_an_answer_that_covers_nothing_yet_writes_on(pipeline):
    # two sentences grounding drops cover nothing: the model writes on to the supported one
    script = [*UNSUPPORTED, *ANSWER]
    pred, model = _answer(pipeline, script, answer_time_budget_s=0.1, min_answer_tokens=2, stop_unsupported_after=0)
    assert model.yielded == len(UNSUPPORTED) + len(FIRST) + 1 and pred.extra["stopped"] == "budget"
    assert "98.5%" in pred.answer and "99.9" not in pred.answer
    assert pred.extra["raw_answer"].endswith("[1]。制造业产品")  # what it wrote, kept for the record


def test_a_list_is_not_stopped_after_its_first_item(pipeline):
    items = ["食品抽检合格率达到98.5%以上[1]；", "制造业产品质量合格率", "达到95%以上[1]。"]
    pred, model = _answer(pipeline, items, answer_time_budget_s=0.1, min_answer_tokens=1)
    assert model.yielded == len(items) and "95%" in pred.answer  # "；" ends no answer


def test_an_answer_within_its_budget_is_not_stopped(pipeline):
    # a floor above the answer's length: all eight pieces and the end token, no stop
    pred, model = _answer(pipeline, answer_time_budget_s=0.1, min_answer_tokens=len(ANSWER) + 1)
    assert model.yielded == len(ANSWER) and pred.extra["usage"]["completion_tokens"] == len(ANSWER) + 1
    assert "stopped" not in pred.extra and "95%" in pred.answer


def test_an_answer_stopped_at_its_token_limit_keeps_its_whole_sentences(pipeline):
    pred, model = _answer(pipeline, max_new_tokens=5)
    assert model.max_tokens == [5]
    assert pred.extra["stopped"] == "length" and pred.extra["route"].startswith("llm-trimmed+cut")
    assert "98.5%" in pred.answer and "制造业" not in pred.answer
    assert pred.extra["raw_answer"].endswith("制造业产品")  # what it wrote, kept for the record


# figures the clauses do not give: grounding drops both sentences
UNSUPPORTED = ["东莞到2025年食品抽检合格率", "达到99.9%以上[1]。", "制造业产品质量合格率", "达到97%以上[1]。"]
MORE = ["农产品监测合格率", "达到96%以上[1]。", "药品抽验合格率", "达到93%以上[1]。", "服务质量满意度", "达到85分[1]。"]


def test_an_answer_whose_sentences_grounding_drops_stops_and_is_quoted(pipeline):
    pred, model = _answer(pipeline, [*UNSUPPORTED, *MORE], stop_unsupported_after=2)
    assert model.yielded == len(UNSUPPORTED)  # not one piece after the second sentence
    assert pred.extra["stopped"] == "unsupported" and pred.extra["route"].startswith("extractive-ungrounded")
    assert pred.extra["usage"]["completion_tokens"] == len(UNSUPPORTED) and "+cut" not in pred.extra["route"]
    assert "98.5%" in pred.answer and "99.9" not in pred.answer  # the quote of the clause


def test_one_dropped_sentence_or_the_stop_off_lets_the_model_write_on(pipeline):
    # one sentence is not enough to stop: the next, supported, is kept
    pred, model = _answer(pipeline, [*UNSUPPORTED[:2], *FIRST], stop_unsupported_after=2)
    assert model.yielded == 2 + len(FIRST) and "stopped" not in pred.extra
    assert pred.extra["route"].startswith("llm-trimmed") and "98.5%" in pred.answer
    pred, model = _answer(pipeline, [*UNSUPPORTED, *MORE], stop_unsupported_after=0)
    assert model.yielded == len(UNSUPPORTED) + len(MORE) and "stopped" not in pred.extra


def test_the_stops_price_a_supported_sentence_after_two_dropped_ones_is_never_written(pipeline):
    """The trade-off, pinned: with the stop off the third sentence would stand (llm-trimmed); with it,
    the answer is the clause's quote, which states the same figure."""
    off, _ = _answer(pipeline, [*UNSUPPORTED, *FIRST], stop_unsupported_after=0)
    on, model = _answer(pipeline, [*UNSUPPORTED, *FIRST], stop_unsupported_after=2)
    assert off.extra["route"].startswith("llm-trimmed") and "98.5%" in off.answer
    assert model.yielded == len(UNSUPPORTED) and on.extra["route"].startswith("extractive-ungrounded")
    assert "98.5%" in on.answer


def test_a_multi_part_answer_is_not_stopped_for_its_first_parts_sentences(pipeline):
    model = ScriptedModel([*UNSUPPORTED, *MORE])
    scripted = AnswerPipeline(
        replace(pipeline.settings, stop_unsupported_after=2), pipeline.index, pipeline.retriever, model
    )
    question = "东莞2025年食品抽检合格率的目标是多少？另外首席质量官要设多少名？"
    result = pipeline.retrieve(question)
    gray_zone = pipeline.retriever.decline_threshold + pipeline.settings.second_opinion_band
    assert result.confidence >= gray_zone  # above the gray zone: only the parts keep the stop off
    pred = scripted.predict(question)
    assert pred.extra["analysis"]["parts"], pred.extra["analysis"]  # read as two parts
    assert "stopped" not in pred.extra and model.yielded == len(UNSUPPORTED) + len(MORE)
