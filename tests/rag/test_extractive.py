"""Answers composed from the clauses' own sentences, on hand-made blocks (no model needed)."""

from __future__ import annotations

from rag.extractive import (
    about_clause,
    complete_comparison,
    extractive_answer,
    names_heading,
    units_answer,
    units_topic,
)
from tests.rag.hand_blocks import B1, B2, B3, DRAFT, FINAL, block


def test_extractive_answer_quotes_sentences_not_headings():
    text, cited = extractive_answer("食品抽检合格率是多少？", "食品 抽检 合格率", [B1, B2])
    assert "“食品抽检合格率达到98%以上" in text or "食品抽檢合格率達到98.5%以上" in text
    assert "“——产品质量不断优化" not in text and cited


def test_extractive_answer_for_departments_and_documents():
    text, cited = extractive_answer("提升企业质量管理能力由哪个部门负责？", "", [B3])
    assert "市市场监管局" in text and cited == [B3]  # in the question's script
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


def test_units_answer_names_the_lead_and_the_units_with_their_source():
    text = units_answer(B3, english=False)
    assert text.startswith("根据《") and "责任单位为：市市场监管局" in text and text.endswith("[1]")
    assert "responsible units: 市市场监管局 [1]" in units_answer(B3, english=True)
    units = ("省住房城乡建设厅", "省水利厅")
    led = block(2, FINAL, "……", responsible=units, lead="省住房城乡建设厅", heading="提升工程质量", number="(二)")
    assert "由省住房城乡建设厅牵头，责任单位为：省住房城乡建设厅、省水利厅。[2]" in units_answer(led, False, 2)
    assert "led by 省住房城乡建设厅; responsible units: 省住房城乡建设厅、省水利厅 [1]" in units_answer(led, True)


def test_units_topic_is_what_a_department_question_is_about():
    topic = units_topic("广东省行动计划中提升工程质量由哪个部门牵头？", "提升工程质量")
    assert "提升工程质量" in topic and "部门" not in topic and "牵头" not in topic
    assert "提升企业质量管理能力" in units_topic("“提升企业质量管理能力”的责任单位是哪个？", "提升企业质量管理能力")
    assert units_topic("提升企業質量管理能力由哪個部門負責？", "")  # either script
    for question in ("工程质量的责任单位有哪几家？", "工程质量的部门有哪几个？", "工程质量的牵头单位是哪家？"):
        assert units_topic(question, "提升工程质量"), question
    # asks no department, or more than one thing
    for question in (
        "提升工程质量有什么要求？",
        "提升工程质量由哪个部门牵头，目标是多少？",
        "提升工程质量的牵头部门和主要任务是什么？",
        "提升工程质量由哪个部门牵头、多久完成？",
        "提升工程质量由哪个部门牵头及资金来源？",
        "提升工程质量由哪个部门牵头，哪年完成？",
    ):
        assert units_topic(question, "提升工程质量") is None, question
    # the heading's own words ask nothing
    assert units_topic("改进技术性贸易措施应对工作由哪个部门负责？", "改进技术性贸易措施应对工作")
    assert units_topic("改进技术性贸易措施应对工作由哪个部门负责？", "提升工程质量") is None


def test_a_topic_is_about_a_clause_both_ways():
    idf = {"提升": 0.5, "工程质量": 3.0, "担保": 3.0, "资金": 2.0, "来源": 2.0, "资金来源": 4.0, "": 5.0}
    clause = block(1, FINAL, "鼓励开展工程质量担保。", heading="提升工程质量").scored.clause
    assert about_clause(units_topic("提升工程质量由哪个部门来牵头？", clause.heading), clause, idf, set())
    assert about_clause("工程质量担保", clause, idf, set())
    assert about_clause("这项提升工程质量", clause, idf, set())  # a word the plans never use says nothing
    # names the heading, but asks mostly about what the clause does not say
    assert not about_clause("提升工程质量 资金来源", clause, idf, set())


def test_a_question_names_a_heading_by_its_rarer_words():
    idf = {"加强": 0.5, "组织": 2.0, "领导": 2.0, "企业": 0.7, "质量": 0.1, "能力": 1.0, "建设": 0.6}
    idf |= {"计量": 3.0, "测试": 3.0, "宣传教育": 3.0, "宣传": 2.0, "教育": 2.0, "": 5.0}
    assert names_heading("源城区加强企业质量能力建设", "加强企业质量能力建设", idf, set())
    assert names_heading("计量测试这块", "加强计量测试能力", idf, set())
    assert names_heading("质量宣传和教育", "加强宣传教育", idf, set())  # a word named by its pieces
    # half of the heading's words, but not of their weight
    assert not names_heading("加强能力", "加强计量测试能力", idf, set())
    assert not names_heading("实施过程中遇到的问题应向 反映", "加强组织领导", idf, set())
    # a document's name says which plan, not what about
    assert not names_heading("东莞的企业", "东莞计量", idf, {"东莞"})
    assert names_heading("东莞的企业", "东莞计量", idf, set())
    # an unseen word weighs as the rarest: naming it names the heading, naming only a known one does not
    assert names_heading("新词", "加强新词", idf, set()) and not names_heading("加强", "加强新词", idf, set())


def test_a_sentence_repeated_by_another_clause_is_quoted_once_and_the_next_best_follows():
    """A preamble that repeats a clause's sentence must not take the second quote from the clause
    that answers."""
    repeated = "巩固长安五金模具等优势产业集群地位，推动五金企业质量提升。"
    cluster = block(1, FINAL, repeated, "dg-2024/2.1.3")
    preamble = block(2, FINAL, "现将方案印发。" + repeated, "dg-2024/0.1")
    loan = block(3, FINAL, "推广“质量贷”金融产品，支持五金企业融资。", "dg-2024/2.4.11")
    # the clause and its repetition tie; the clause comes first (block order), the preamble's copy is skipped
    text, cited = extractive_answer(
        "五金企业有什么质量提升和融资支持？", "五金 企业 质量 提升 融资", [cluster, preamble, loan]
    )
    lines = text.splitlines()
    assert len(lines) == 2 and "五金模具" in lines[0] and "质量贷" in lines[1]
    assert cited == [cluster, loan]


def test_the_same_sentence_in_two_documents_is_quoted_from_each():
    """A draft and the final plan stating one sentence (in two scripts) are two sources."""
    draft = block(1, DRAFT, "推广质量贷金融产品。", "dg-draft/2.4")
    final = block(2, FINAL, "推廣質量貸金融產品。", "dg-2024/2.4.11")
    text, cited = extractive_answer("质量贷金融产品怎么说？", "质量贷 金融 产品", [draft, final])
    assert cited == [draft, final] and len(text.splitlines()) == 2
