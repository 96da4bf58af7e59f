"""Answers composed from the clauses' own sentences, on hand-made blocks (no model needed)."""

from __future__ import annotations

from rag.extractive import complete_comparison, extractive_answer
from tests.rag.hand_blocks import B1, B2, B3, DRAFT, FINAL, block


def test_extractive_answer_quotes_sentences_not_headings():
    text, cited = extractive_answer("食品抽检合格率是多少？", "食品 抽检 合格率", [B1, B2])
    assert "“食品抽检合格率达到98%以上" in text or "食品抽檢合格率達到98.5%以上" in text
    assert "“——产品质量不断优化" not in text and cited


def test_extractive_answer_for_departments_and_documents():
    text, cited = extractive_answer("提升企业质量管理能力由哪个部门负责？", "", [B3])
    assert "市市場監管局" in text and cited == [B3]
    text, _ = extractive_answer("这份方案的文号是什么？", "", [B3])
    assert "東府辦〔2024〕3號" in text and "2024-01-26" in text


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


def test_a_department_part_gets_the_clause_units_when_the_answer_names_none():
    from rag.extractive import complete_units

    b = block(1, FINAL, "推进计量测试中心建设。", responsible=("市市场监管局", "市科技局"), lead="市市场监管局")
    answer, cited, added = complete_units("东莞要推进计量测试中心建设[1]。", [b], [b], english=False)
    assert added == 1 and "市市场监管局" in answer and answer.endswith("[1]") and cited == [b]
    again, _, added = complete_units(answer, cited, [b], english=False)
    assert added == 0 and again == answer


def test_each_part_of_a_multi_part_question_gets_its_own_quote():
    from rag.extractive import complete_part, extractive_parts

    loans = block(1, FINAL, "推动企业通过商标质押融资。加强品牌宣传。", clause_id="x/1")
    units = block(2, FINAL, "加强企业商标品牌培育。", clause_id="x/2", responsible=("省工商局",), lead="省工商局")
    answer, cited = extractive_parts(["怎么把商标质押融资", "哪个部门牵头"], [loans, units], english=False)
    assert "质押融资" in answer and "省工商局" in answer and cited == [loans, units]
    # an answer citing the right clause but not saying what the part asks is completed
    done, cited2, added = complete_part("省工商局牵头[1]。", [loans], [loans], "怎么把商标质押融资", english=False)
    assert added == 1 and "质押融资" in done and cited2 == [loans]


def test_an_english_answer_without_the_plans_terms_gets_the_source_sentence_quoted():
    from rag.extractive import quote_source

    b = block(1, FINAL, "探索设立质量提升发展基金、“质量贷”等金融产品。加强宣传。")
    answer, cited = quote_source("Yes, a special fund and a loan product [1].", [b], "fund loan 基金 质量贷")
    assert "质量提升发展基金" in answer and answer.endswith("[1]") and cited == [b]


def test_the_units_of_a_clause_the_answer_cites_come_first():
    from rag.extractive import complete_units

    province = block(1, DRAFT, "提升计量建设水平。", clause_id="p/1", responsible=("省质监局",))
    city = block(2, FINAL, "加强计量测试技术研制。", clause_id="c/1", responsible=("市市场监管局",))
    answer, cited, added = complete_units("加强计量测试技术研制[1]。", [city], [province, city], english=False)
    assert added == 1 and "市市场监管局" in answer and "省质监局" not in answer and cited == [city]


def test_a_quote_is_not_chosen_for_the_words_naming_the_document():
    """A preamble repeating the plan's name ("东莞…征求意见稿") shares more words with a question
    that names the plan than the clause stating the answer does; names say which plan, not what."""
    preamble = block(1, DRAFT, "現將東莞市征求意见稿全文公布，征求社会各界意见。", "dg-draft/0.1")
    answer = block(2, DRAFT, "推行消费纠纷先行赔付，畅通投诉渠道。", "dg-draft/2.5")
    question = "东莞征求意见稿里消费纠纷咋处理？"
    text, cited = extractive_answer(question, "东莞 征求意见稿 消费 纠纷 处理", [preamble, answer], sentences=1)
    assert cited == [answer] and "先行赔付" in text


def test_an_english_answers_quote_and_a_parts_quote_skip_the_document_names_too():
    from rag.extractive import complete_part, quote_source

    preamble = block(1, DRAFT, "現將東莞市征求意见稿全文公布，征求社会各界意见。", "dg-draft/0.1")
    answer = block(2, DRAFT, "推行消费纠纷先行赔付，畅通投诉渠道。", "dg-draft/2.5")
    quoted, _ = quote_source("Disputes are settled first.", [preamble, answer], "东莞 征求意见稿 消费 纠纷")
    assert "先行赔付" in quoted and "全文公布" not in quoted
    text, cited, added = complete_part("", [], [preamble, answer], "东莞征求意见稿消费纠纷咋处理", False)
    assert added == 1 and cited == [answer] and "先行赔付" in text
