"""Prompt excerpts and blocks, on hand-made blocks (no model needed)."""

from __future__ import annotations

import pytest

from rag.excerpts import build_blocks, prompt_lines, select_sentences
from tests.rag.hand_blocks import B1, B2, B3


def test_prompt_lines_carry_units_and_document_facts_only_when_asked():
    assert "責任單位" not in "".join(prompt_lines([B3], "企业质量管理有什么要求？"))
    assert "责任单位：市市場監管局" in prompt_lines([B3], "这项工作由哪个部门负责？")[0]
    assert (
        "東府辦〔2024〕3號"
        in prompt_lines([B3], "方案的文号是什么？")[0].replace("东府办〔2024〕3号", "東府辦〔2024〕3號")
        or "东府办〔2024〕3号" in prompt_lines([B3], "方案的文号是什么？")[0]
    )
    assert "（征求意见稿）" in prompt_lines([B1], "目标？")[0]


def test_excerpt_keeps_relevant_sentences_within_budget():
    text = "第一句讲组织领导。第二句讲品牌资产质押融资。第三句讲人才培养。" * 3
    out = select_sentences([text], "品牌 质押 融资", 30)[0]
    assert "质押融资" in out and len(out.replace("…", "")) <= 30


def test_one_budget_goes_to_the_relevant_sentences_of_any_clause():
    first = "第一条讲组织领导和统筹协调工作机制。第一条讲督促检查和考核评价。第一条讲宣传引导和舆论氛围营造。"
    second = "第二条讲人才培养。第二条讲品牌资产质押融资和质量贷款。第二条讲商标质押。"
    one, two = select_sentences([first, second], "品牌 质押 融资 贷款 商标", 50)
    # every clause keeps one sentence; the rest of the budget follows relevance, not rank
    assert one.count("第一条") == 1 and "质押融资" in two and "商标质押" in two
    assert len((one + two).replace("…", "")) <= 50
    assert select_sentences(["只有一句。"], "无关", 60) == ["只有一句。"]


@pytest.mark.parametrize("n", [1, 4])
def test_build_blocks_numbers_from_one(n):
    scored = [B1.scored, B2.scored, B3.scored, B1.scored][:n]
    blocks = build_blocks(scored, "食品", 200)
    assert [b.number for b in blocks] == list(range(1, n + 1))


def test_excerpt_puts_the_sentence_stating_the_asked_fact_first():
    text = "征求意见的联系方式如下，欢迎各界提出意见和建议。联系电话：0769-12345678。意见请于月底前反馈，逾期不再受理。"
    out = select_sentences([text], "联系 电话 意见", 24, question="征求意见的联系电话是多少？")[0]
    assert "0769-12345678" in out
