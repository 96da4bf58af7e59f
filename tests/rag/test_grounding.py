"""Citations, grounding and the extractive fallback, on hand-made blocks (no model needed)."""

from __future__ import annotations

import pytest

from rag.clauses import Clause
from rag.documents import DocumentInfo
from rag.grounding import (
    Block,
    build_blocks,
    cite_answer,
    excerpt,
    extractive_answer,
    facts_of,
    ground_answer,
    has_content,
    is_refusal,
    misses_answer_type,
    prompt_lines,
)
from rag.retrieval import ScoredClause

DRAFT = DocumentInfo(
    doc_id="dg-draft",
    file="d.txt",
    title="东莞征求意见稿",
    region="东莞市",
    short_title="东莞意见稿",
    kind="consultation draft",
    status="draft",
    date="2023-09-14",
)
FINAL = DocumentInfo(
    doc_id="dg-2024",
    file="f.txt",
    title="東莞市質量強市建設實施方案",
    region="东莞市",
    short_title="東莞方案",
    date="2024-01-26",
    doc_number="東府辦〔2024〕3號",
    issuer="東莞市人民政府辦公室",
)


def block(n, doc, text, clause_id="x/1", responsible=(), lead="", heading="标题", number="1、", context=""):
    clause = Clause(
        clause_id,
        doc.doc_id,
        "item",
        number,
        [],
        f"{doc.short_title} {number}{heading}",
        heading,
        text,
        list(responsible),
        lead,
    )
    return Block(n, ScoredClause(clause, doc, 1.0, 0.9, 1.0, clause_id), text, context)


B1 = block(
    1, DRAFT, "——产品质量不断优化。食品抽检合格率达到98%以上，制造业产品质量合格率达到94%以上。", "dg-draft/1.2.b1"
)
B2 = block(
    2,
    FINAL,
    "——產品質量不斷優化。食品抽檢合格率達到98.5%以上,制造業產品質量合格率達到95%以上。",
    "dg-2024/1.2.b1",
    context="(二)主要目標。到2025年,全市質量整體水平全面提高。",
)
B3 = block(
    3,
    FINAL,
    "16、提升企業質量管理能力。鼓勵企業創新質量管理理念。",
    "dg-2024/2.5.16",
    responsible=["市市場監管局"],
    heading="提升企業質量管理能力",
    number="16、",
)


def test_citations_are_renumbered_and_unknown_numbers_dropped():
    text, cited = cite_answer("正式方案是98.5%以上[2]，意见稿是98%以上[1][7]。", [B1, B2, B3])
    assert [b.number for b in cited] == [1, 2]
    assert "[7]" not in text and "[3]" not in text


def test_placeholders_and_list_markers_are_cleaned():
    text, cited = cite_answer("[编号] 食品抽检合格率达到98%以上。", [B1, B2])
    assert "编号" not in text and cited == [B1]
    text, cited = cite_answer("[2] The target is 98.5%.", [B1, B2])
    assert text == "The target is 98.5%[1]." and cited == [B2]


def test_each_uncited_sentence_is_attributed_to_the_document_it_names():
    raw = "东莞征求意见稿的目标是食品抽检合格率达到98%以上。\n东莞正式方案的目标是食品抽检合格率达到98.5%以上。"
    text, cited = cite_answer(raw, [B1, B2], question="食品抽检合格率的目标各是多少？")
    assert (
        text
        == "东莞征求意见稿的目标是食品抽检合格率达到98%以上[1]。东莞正式方案的目标是食品抽检合格率达到98.5%以上[2]。"
    )
    assert cited == [B1, B2]


def test_citation_after_the_full_stop_belongs_to_that_sentence():
    text, _ = cite_answer("意见稿是98%以上。[1]正式方案是98.5%以上。[2]", [B1, B2])
    assert text == "意见稿是98%以上[1]。正式方案是98.5%以上[2]。"


def test_grounding_removes_a_sentence_whose_number_is_in_no_cited_clause():
    answer, removed = ground_answer("正式方案是98.5%以上[1]。意见稿是99%以上[2]。", [B2, B1])
    assert removed == 1 and answer == "正式方案是98.5%以上[1]。"


def test_grounding_accepts_the_parent_year_and_document_facts():
    assert ground_answer("到2025年食品抽检合格率达到98.5%以上[1]。", [B2]) == (
        "到2025年食品抽检合格率达到98.5%以上[1]。",
        0,
    )
    assert ground_answer("文号是東府辦〔2024〕3號[1]。", [B2])[1] == 0


def test_facts_ignore_names_like_pm25():
    assert "2.5" not in facts_of("PM2.5年均浓度维持在35微克")
    assert "35" in " ".join(facts_of("PM2.5年均浓度维持在35微克"))
    assert facts_of("支持“质量贷”和《东莞方案》") == ["质量贷", "东莞方案"]


def test_refusals_empty_answers_and_restatements():
    assert is_refusal("没有相关规定。") and is_refusal("The clauses do not mention it.")
    assert not has_content("[1]")
    assert has_content("0769-23109796[1]")
    assert not has_content("东莞方案的文号是[1]", question="东莞方案的文号是什么？")


def test_answer_type_check():
    assert misses_answer_type("共提出了多少条举措？", "提出了一系列举措[1]")
    assert not misses_answer_type("共提出了多少条举措？", "提出了23条举措[1]")
    assert not misses_answer_type("由哪个部门负责？", "由市场监管局负责[1]")


def test_extractive_answer_quotes_sentences_not_headings():
    text, cited = extractive_answer("食品抽检合格率是多少？", "食品 抽检 合格率", [B1, B2])
    assert "“食品抽检合格率达到98%以上" in text or "食品抽檢合格率達到98.5%以上" in text
    assert "“——产品质量不断优化" not in text and cited


def test_extractive_answer_for_departments_and_documents():
    text, cited = extractive_answer("提升企业质量管理能力由哪个部门负责？", "", [B3])
    assert "市市場監管局" in text and cited == [B3]
    text, _ = extractive_answer("这份方案的文号是什么？", "", [B3])
    assert "東府辦〔2024〕3號" in text and "2024-01-26" in text


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
    out = excerpt(text, "品牌 质押 融资", 30)
    assert "质押融资" in out and len(out.replace("…", "")) <= 30


@pytest.mark.parametrize("n", [1, 4])
def test_build_blocks_numbers_from_one(n):
    scored = [B1.scored, B2.scored, B3.scored, B1.scored][:n]
    blocks = build_blocks(scored, "食品", 200)
    assert [b.number for b in blocks] == list(range(1, n + 1))
