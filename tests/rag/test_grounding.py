"""Citations, grounding and the extractive fallback, on hand-made blocks (no model needed)."""

from __future__ import annotations

import pytest

from rag.clauses import Clause
from rag.documents import DocumentInfo
from rag.grounding import (
    Block,
    build_blocks,
    cite_answer,
    complete_comparison,
    extractive_answer,
    facts_of,
    ground_answer,
    has_content,
    is_refusal,
    misses_answer_type,
    off_topic,
    prompt_lines,
    select_sentences,
    topic_terms,
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
    assert not has_content("有相关规定[1]。", question="举报质量违法行为有奖励吗？")
    assert has_content("有，举报可以领取奖励金[1]。", question="举报质量违法行为有奖励吗？")


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


def test_a_number_with_a_unit_needs_that_unit_in_the_clause():
    # the 2024 plan says "指数达到94" and "合格率达到95%": 94% is not in it
    b = block(1, FINAL, "製造業質量競爭力指數達到94以上,製造業產品質量合格率達到95%以上。")
    assert ground_answer("正式方案的合格率目标是94%以上[1]。", [b]) == ("", 1)
    assert ground_answer("正式方案的合格率目标是95%以上[1]。", [b])[1] == 0
    assert ground_answer("竞争力指数达到94[1]。", [b])[1] == 0


def test_thousands_separators_are_one_number():
    b = block(1, FINAL, "到2025年設立10000名以上首席質量官。")
    assert "10000" in facts_of("Dongguan plans 10,000 chief quality officers.")
    assert ground_answer("Dongguan plans 10,000 chief quality officers by 2025[1].", [b])[1] == 0


def test_a_comparison_that_speaks_for_one_document_gets_the_other_quoted():
    answer, cited, added = complete_comparison(
        "东莞征求意见稿的目标是食品抽检合格率达到98%以上[1]。",
        [B1],
        [B1, B2, B3],
        ["dg-2024", "dg-draft"],
        "食品抽检合格率的目标，征求意见稿和正式方案各是多少？",
        "食品 抽检 合格率",
        english=False,
    )
    assert added == 1 and cited == [B1, B2]
    assert "食品抽檢合格率達到98.5%以上" in answer and answer.rstrip().endswith("[2]")
    again = complete_comparison(answer, cited, [B1, B2], ["dg-2024", "dg-draft"], "各是多少？", "食品", False)
    assert again[2] == 0


def test_extractive_answer_prefers_the_sentence_stating_what_is_asked():
    b = block(1, FINAL, "《方案》提出了一系列质量举措，内容丰富。《方案》共提出了23条举措。")
    text, _ = extractive_answer("方案提出了多少条举措？", "方案 举措", [b])
    assert text.startswith("根据") and "23条" in text.splitlines()[0]


def test_a_figure_the_clause_gives_for_something_else_is_removed():
    # B2 gives 98.5% for 食品抽检 and (here) 98% for 农产品: "食品…98%" reads the wrong figure
    b = block(1, FINAL, "食品抽檢合格率達到98.5%以上,農產品質量安全例行監測合格率達到98%以上。")
    assert ground_answer("正式方案的食品抽检合格率目标是98%以上[1]。", [b]) == ("", 1)
    assert ground_answer("正式方案的食品抽检合格率目标是98.5%以上[1]。", [b])[1] == 0
    assert ground_answer("农产品例行监测合格率目标是98%以上[1]。", [b])[1] == 0
    assert ground_answer("The target is 98%[1].", [b])[1] == 0  # no shared wording: no judgement


def test_excerpt_puts_the_sentence_stating_the_asked_fact_first():
    text = "征求意见的联系方式如下，欢迎各界提出意见和建议。联系电话：0769-12345678。意见请于月底前反馈，逾期不再受理。"
    out = select_sentences([text], "联系 电话 意见", 24, question="征求意见的联系电话是多少？")[0]
    assert "0769-12345678" in out


def test_an_english_answer_that_restates_the_question_says_nothing():
    q = "What tax incentive applies to enterprises' quality innovation spending in Yuancheng?"
    assert not has_content("The tax incentive applies to enterprises' quality innovation spending in Yuancheng[1].", q)
    assert has_content("Enterprises can claim the additional tax deduction (加计扣除)[1].", q)
    assert has_content("0769-23109796[1]", "What phone number should I call?")


def test_a_comparison_is_not_completed_with_a_sentence_sharing_only_document_names():
    preamble = block(2, FINAL, "現將東莞市質量強市建設實施方案全文公布。", "dg-2024/0.1")
    _, cited, added = complete_comparison(
        "东莞征求意见稿的目标是食品抽检合格率达到98%以上[1]。",
        [B1],
        [B1, preamble],
        ["dg-2024", "dg-draft"],
        "东莞市质量强市方案和征求意见稿的食品抽检合格率目标各是多少？",
        "东莞市 质量 强市 方案 征求意见稿 食品 抽检 合格率",
        english=False,
    )
    assert added == 0 and cited == [B1]


def test_an_answer_mentioning_none_of_the_questions_topic_terms_is_off_topic():
    b = block(
        1, DRAFT, "加强首席质量官资格培训，推动规上工业企业普遍设立首席质量官。到2035年，质量强市建设基础更加牢固。"
    )
    idf = {"首席质量官": 5.0, "首席": 4.5, "质量官": 4.5, "设立": 2.0, "质量": 0.1, "东莞": 1.0}
    terms = topic_terms("东莞征求意见稿要设立多少名首席质量官 那征求意见稿是怎么要求的", [b], idf)
    assert "首席" in terms and "东莞" not in terms and len(terms) <= 3
    assert off_topic("到2035年，质量强市建设基础更加牢固，先进质量文化蔚然成风，品牌综合实力更强[1]。", terms)
    assert not off_topic("推动规上工业企业普遍设立首席质量官[1]。", terms)
    assert not off_topic(
        "The draft asks large firms to appoint chief quality officers[1].", terms
    )  # English: not judged
    assert not off_topic("任何回答", [])  # no topic terms the clauses use: no judgement
    assert not off_topic("韶关稳居B级[1]。", terms)  # terse: the fact itself
    assert not off_topic("0769-23109796[1]", terms)
    assert not off_topic("到2035年，质量强市建设基础更加牢固，质量文化蔚然成风[1]。", terms, "到哪一年实现？")


def test_a_citation_used_as_a_clause_reference_keeps_its_label():
    """ "根据条款[1]，…" once became "根据条款 ，…": the reference is now the clause's label."""
    from rag.grounding import cite_answer

    blocks = [block(1, FINAL, "支持企业利用品牌资产质押融资。")]
    answer, cited = cite_answer("根据条款[1]，企业可以利用品牌资产质押融资。", blocks)
    assert "根据条款，" not in answer and "根据条款 ，" not in answer
    assert answer.startswith("根据《") and cited == blocks


def test_a_department_part_gets_the_clause_units_when_the_answer_names_none():
    from rag.grounding import complete_units

    b = block(1, FINAL, "推进计量测试中心建设。", responsible=("市市场监管局", "市科技局"), lead="市市场监管局")
    answer, cited, added = complete_units("东莞要推进计量测试中心建设[1]。", [b], [b], english=False)
    assert added == 1 and "市市场监管局" in answer and answer.endswith("[1]") and cited == [b]
    again, _, added = complete_units(answer, cited, [b], english=False)
    assert added == 0 and again == answer


def test_each_part_of_a_multi_part_question_gets_its_own_quote():
    from rag.grounding import complete_part, extractive_parts

    loans = block(1, FINAL, "推动企业通过商标质押融资。加强品牌宣传。", clause_id="x/1")
    units = block(2, FINAL, "加强企业商标品牌培育。", clause_id="x/2", responsible=("省工商局",), lead="省工商局")
    answer, cited = extractive_parts(["怎么把商标质押融资", "哪个部门牵头"], [loans, units], english=False)
    assert "质押融资" in answer and "省工商局" in answer and cited == [loans, units]
    # an answer citing the right clause but not saying what the part asks is completed
    done, cited2, added = complete_part("省工商局牵头[1]。", [loans], [loans], "怎么把商标质押融资", english=False)
    assert added == 1 and "质押融资" in done and cited2 == [loans]


def test_an_english_answer_without_the_plans_terms_gets_the_source_sentence_quoted():
    from rag.grounding import quote_source

    b = block(1, FINAL, "探索设立质量提升发展基金、“质量贷”等金融产品。加强宣传。")
    answer, cited = quote_source("Yes, a special fund and a loan product [1].", [b], "fund loan 基金 质量贷")
    assert "质量提升发展基金" in answer and answer.endswith("[1]") and cited == [b]


def test_a_looping_answer_is_recognised():
    from rag.grounding import is_degenerate

    assert is_degenerate("Guangdong's 2016-2017 plan  " * 4)
    assert not is_degenerate("东莞到2025年设立10000名以上首席质量官[1]。食品抽检合格率达到98.5%以上[2]。")


def test_the_units_of_a_clause_the_answer_cites_come_first():
    from rag.grounding import complete_units

    province = block(1, DRAFT, "提升计量建设水平。", clause_id="p/1", responsible=("省质监局",))
    city = block(2, FINAL, "加强计量测试技术研制。", clause_id="c/1", responsible=("市市场监管局",))
    answer, cited, added = complete_units("加强计量测试技术研制[1]。", [city], [province, city], english=False)
    assert added == 1 and "市市场监管局" in answer and "省质监局" not in answer and cited == [city]
