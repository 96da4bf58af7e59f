"""Each metric of the contract on hand-made predictions."""

import pytest

from eval.metrics import Question, aggregate, cost_report, modelled_total_s, percentile, report, score_question


def clause(text):
    return {"clause_id": "x", "doc_id": "d", "doc_title": "t", "label": "l", "text": text}


Q_ANY = Question.from_dict(
    {
        "id": "a",
        "type": "support",
        "question": "?",
        "evidence": ["品牌资产质押融资", "质押"],
        "answer_keys": [["质押融资"], ["品牌"]],
    }
)
Q_ALL = Question.from_dict(
    {
        "id": "b",
        "type": "compare",
        "question": "?",
        "evidence": ["达到94%以上", "達到95%以上"],
        "evidence_mode": "all",
        "answer_keys": [["94%"], ["95%"]],
    }
)
Q_NONE = Question.from_dict({"id": "c", "type": "unanswerable", "question": "?", "evidence": [], "answer_keys": []})


def test_hits_mrr_and_any_mode():
    pred = {
        "retrieved": [clause("无关"), clause("支持企业利用品牌资产质押融资")] + [clause("x")] * 8,
        "citations": [clause("支持企业利用品牌资产质押融资"), clause("无关")],
        "answer": "可以用品牌资产质押融资。",
        "declined": False,
    }
    s = score_question(Q_ANY, pred)
    assert s.hits == {1: False, 3: True, 5: True, 10: True}
    assert s.rr == 0.5
    assert s.citation_hit is True and s.citation_precision == 0.5
    assert s.key_coverage == 1.0 and s.answer_correct is True


def test_all_mode_needs_every_snippet_and_normalises_script_and_spaces():
    one = {"retrieved": [clause("制造业产品质量合格率达到 94% 以上")], "citations": [], "answer": "94%"}
    both = {
        "retrieved": [clause("达到94%以上"), clause("合格率达到95%以上")],
        "citations": [clause("达到94%以上")],
        "answer": "分别是94%和95%",
    }
    assert score_question(Q_ALL, one).hits[10] is False
    assert score_question(Q_ALL, one).rr == 1.0  # mrr uses any snippet
    s = score_question(Q_ALL, both)
    assert s.hits[1] is False and s.hits[3] is True  # 達到95% in traditional matches 达到95%
    assert s.citation_hit is False and s.key_coverage == 1.0
    assert score_question(Q_ALL, one).key_coverage == 0.5


def test_declines_and_rates():
    scores = [score_question(Q_NONE, {"declined": True}), score_question(Q_ANY, {"declined": True, "retrieved": []})]
    m = aggregate(scores)
    assert m["decline_rate"] == 1.0 and m["false_decline_rate"] == 1.0


def test_missing_and_error_predictions_count_as_misses():
    s_missing = score_question(Q_ANY, None)
    s_error = score_question(Q_ANY, {"error": "boom", "retrieved": [clause("品牌资产质押融资")], "declined": True})
    for s in (s_missing, s_error):
        assert s.hits[10] is False and s.rr == 0 and s.declined is False
    assert score_question(Q_NONE, {"error": "boom", "declined": True}).declined is False
    rep = report([Q_ANY, Q_NONE], {"c": {"error": "x"}})
    assert rep["overall"]["n_missing"] == 1 and rep["overall"]["n_errors"] == 1


def test_citation_precision_only_over_questions_that_cite():
    scores = [
        score_question(Q_ANY, {"citations": [], "answer": ""}),
        score_question(Q_ANY, {"citations": [clause("质押")], "answer": ""}),
    ]
    assert aggregate(scores)["citation_precision"] == 1.0


def test_latency_percentiles_ignore_nulls():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([None, 2.0], 95) == 2.0
    assert percentile([], 50) is None
    scores = [score_question(Q_NONE, {"timings": {"retrieval_s": 0.1, "first_token_s": None, "total_s": 1.0}})]
    m = aggregate(scores)
    assert m["retrieval_s_p50"] == 0.1 and m["first_token_s_p50"] is None


def test_per_type_breakdown():
    rep = report([Q_ANY, Q_ALL, Q_NONE], {})
    assert set(rep["by_type"]) == {"support", "compare", "unanswerable"}


def test_cost_report_per_type_and_route():
    def pred(qid, route, prompt, total):
        usage = {"model_calls": 1, "prompt_tokens": prompt, "cached_tokens": 200, "completion_tokens": 30}
        return {
            "id": qid,
            "timings": {"retrieval_s": 0.5, "first_token_s": 1.0, "total_s": total},
            "extra": {"route": route, "usage": usage},
        }

    preds = {"a": pred("a", "llm", 100, 2.0), "b": pred("b", "llm", 300, 4.0), "c": {"id": "c", "timings": {}}}
    cost = cost_report([Q_ANY, Q_ALL, Q_NONE], preds, (50.0, 10.0))
    assert cost["by_route"]["llm"]["n"] == 2 and cost["by_route"]["llm"]["prompt_tokens_p50"] == 200
    assert cost["by_route"]["llm"]["prompt_tokens_p95"] == 290  # interpolated between 100 and 300
    assert cost["by_type"]["support"]["total_s_p50"] == 2.0
    assert cost["by_type"]["unanswerable"]["prompt_tokens_p50"] is None  # no usage recorded: not a zero
    assert cost["overall"]["all"]["n"] == 3
    # on the reference CPU: 0.5 s before the model + 100/50 s prompt + 30/10 s generating
    assert cost["by_type"]["support"]["reference_total_s_p50"] == 5.5
    assert cost["by_type"]["unanswerable"]["reference_total_s_p50"] is None


def test_modelled_time_counts_a_translation_by_its_tokens_not_also_by_its_seconds():
    """An English question's retrieval_s includes its translation call, whose tokens are in usage too."""
    usage = {"model_calls": 2, "prompt_tokens": 100, "cached_tokens": 200, "completion_tokens": 30}
    pred = {"timings": {"retrieval_s": 2.5}, "extra": {"usage": usage, "retrieval_model_s": 2.0}}
    assert modelled_total_s(pred, (50.0, 10.0)) == pytest.approx(0.5 + 2.0 + 3.0)
    del pred["extra"]["retrieval_model_s"]  # predictions written before the field: nothing subtracted
    assert modelled_total_s(pred, (50.0, 10.0)) == pytest.approx(2.5 + 2.0 + 3.0)


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "x"},
        {"id": "x", "question": "q", "evidence_mode": "most"},
        {"id": "x", "question": "q", "answer_keys": ["flat"]},
    ],
)
def test_malformed_questions_are_rejected(bad):
    with pytest.raises(ValueError):
        Question.from_dict(bad)


def test_compare_prints_deltas_between_two_runs():
    from eval.compare import compare

    a = {"overall": {"hit@5": 0.9, "false_decline_rate": 0.1}, "by_type": {"x": {"hit@5": 0.5}}}
    b = {"overall": {"hit@5": 0.95, "false_decline_rate": 0.05}, "by_type": {"x": {"hit@5": 0.4}}}
    out = compare(a, b)
    assert "hit@5                   0.900 →    0.950  +0.050 ▲" in out
    assert "false_decline_rate      0.100 →    0.050  -0.050 ▲" in out
    assert "0.500 →    0.400  -0.100 ▼" in out


def test_threshold_is_the_middle_of_the_best_range():
    from eval.calibrate import choose_threshold

    # unanswerable at 0.1 and 0.2, answerable from 0.6: any threshold in (0.2, 0.6] declines both
    # with no false decline; the middle leaves a margin on both sides
    probs = [0.1, 0.2, 0.6, 0.7, 0.9, 0.95]
    answerable = [False, False, True, True, True, True]
    t = choose_threshold(probs, answerable)
    assert 0.3 < t < 0.5


def test_threshold_keeps_every_sets_false_declines_within_its_limit():
    from eval.calibrate import choose_threshold

    # declining below 0.3 declines all three unanswerable questions and one answerable question
    # of fourteen (0.07 pooled); but that one is one of set b's two answerable questions
    probs = [0.1, 0.2, 0.3, *[0.8] * 12, 0.3, 0.9]
    answerable = [False, False, False, *[True] * 12, True, True]
    assert choose_threshold(probs, answerable, ["a"] * 17, {"a": 0.1}) > 0.3  # pooled: within 0.1
    assert choose_threshold(probs, answerable, ["a"] * 15 + ["b"] * 2, {"a": 0.1, "b": 0.1}) < 0.3
