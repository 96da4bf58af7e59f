"""The ordered checks on the model's text, on hand-made blocks (no model)."""

from __future__ import annotations

from rag.postchecks import GROUNDED_CHECKS, RAW_CHECKS, CheckContext, check_answer
from tests.rag.hand_blocks import B1, B2, B3


def _ctx(question="东莞食品抽检合格率目标是多少？", query="东莞 食品 抽检 合格率 目标"):
    return CheckContext([B1, B2, B3], question, query, False, {"食品": 2.0, "抽检": 3.0, "合格率": 2.5})


def test_the_checks_run_in_their_listed_order():
    assert [c.__name__ for c in RAW_CHECKS] == ["empty", "refusal", "repetition"]
    assert [c.__name__ for c in GROUNDED_CHECKS] == ["no_content", "no_figure", "off_topic_answer"]


def test_a_supported_cited_answer_passes_as_the_models_own():
    answer, cited, route = check_answer("正式方案要求食品抽检合格率达到98.5%以上[2]。", _ctx())
    assert route == "llm" and cited == [B2] and answer.endswith("[1]。")


def test_the_first_failed_check_names_the_extractive_route():
    assert check_answer("", _ctx())[2] == "extractive-empty"
    assert check_answer("文件中没有提及。", _ctx())[2] == "extractive-refusal"
    answer, cited, route = check_answer("食品抽检合格率达到99.9%以上[2]。", _ctx())
    assert route == "extractive-ungrounded" and cited and "98" in answer
