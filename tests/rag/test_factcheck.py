"""Checks on what the model wrote, on hand-made blocks (no model needed)."""

from __future__ import annotations

from dataclasses import replace

from rag.factcheck import (
    facts_of,
    found_nothing,
    ground_answer,
    has_content,
    is_refusal,
    misses_answer_type,
    off_topic,
    supported,
    topic_terms,
)
from tests.rag.hand_blocks import B1, B2, DRAFT, FINAL, block


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


def test_a_count_in_chinese_numerals_needs_that_count_in_the_clause():
    assert facts_of("分为三个等级[1]，培育一个品牌") == ["三个"]  # "一个" is an article
    grading = block(1, DRAFT, "企业质量信用分为A、B、C三级。", "x/9")
    ordinal = block(1, DRAFT, "（三）推行第三方认证，见第十四条。", "x/9")
    digits = block(1, DRAFT, "新增检验检测机构10家以上。", "x/9")
    assert ground_answer("分为三个等级[1]。", [grading]) == ("分为三个等级[1]。", 0)
    assert ground_answer("分为三个等级[1]。", [ordinal]) == ("", 1)  # the model's invention
    assert ground_answer("新增十家机构[1]。", [digits])[1] == 0
    plan = block(1, DRAFT, "落实“十四五”规划。", "x/9")
    assert ground_answer("要落实“十四五”规划[1]。", [plan])[1] == 0  # a quoted name, not a count


def test_an_ordinal_is_not_a_figure():
    assert misses_answer_type("分为几级？", "见第十四条[1]")
    assert not misses_answer_type("分为几级？", "分为三级、共两类[1]")


def test_the_model_found_nothing():
    assert found_nothing("没有相关规定。") and found_nothing("[1]") and found_nothing("")
    assert not found_nothing("由市场监管局负责[1]。")


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


def test_a_figure_the_clause_gives_for_something_else_is_removed():
    # B2 gives 98.5% for 食品抽检 and (here) 98% for 农产品: "食品…98%" reads the wrong figure
    b = block(1, FINAL, "食品抽檢合格率達到98.5%以上,農產品質量安全例行監測合格率達到98%以上。")
    assert ground_answer("正式方案的食品抽检合格率目标是98%以上[1]。", [b]) == ("", 1)
    assert ground_answer("正式方案的食品抽检合格率目标是98.5%以上[1]。", [b])[1] == 0
    assert ground_answer("农产品例行监测合格率目标是98%以上[1]。", [b])[1] == 0
    assert ground_answer("The target is 98%[1].", [b])[1] == 0  # no shared wording: no judgement
    # the document's title in the sentence reads most like the title in the support text: not the figure's passage
    long_title = replace(FINAL, short_title="東莞市質量強市方案(2024)")
    b = block(1, long_title, "食品抽檢合格率達到98.5%以上,農產品質量安全例行監測合格率達到98%以上。")
    titled = f"《{long_title.display_title}》里食品抽检合格率目标定的98%以上[1]。"
    assert ground_answer(titled, [b]) == ("", 1)


def test_an_english_answer_that_restates_the_question_says_nothing():
    q = "What tax incentive applies to enterprises' quality innovation spending in Yuancheng?"
    assert not has_content("The tax incentive applies to enterprises' quality innovation spending in Yuancheng[1].", q)
    assert has_content("Enterprises can claim the additional tax deduction (加计扣除)[1].", q)
    assert has_content("0769-23109796[1]", "What phone number should I call?")


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


def test_a_looping_answer_is_recognised():
    from rag.factcheck import is_degenerate

    assert is_degenerate("Guangdong's 2016-2017 plan  " * 4)

    # counting, not citing: more marks in a row than any prompt has clauses
    def marks(n):
        return " ".join(f"[{k}]" for k in range(1, n + 1))

    assert is_degenerate("we have to follow these rules: " + marks(29))
    assert is_degenerate("we have to follow these rules: " + marks(11))  # more than RAG_TOP_K clauses
    assert not is_degenerate("we have to follow these rules: " + marks(10))
    assert not is_degenerate("东莞的规定见以下条款【1】【2】、【3】【4】。")
    assert not is_degenerate("东莞到2025年设立10000名以上首席质量官[1]。食品抽检合格率达到98.5%以上[2]。")
    # English letters say less than hanzi: a phrase named three times is no loop
    named = (
        "It pushes digital and intelligent transformation: digital and intelligent control, "
        "digital and intelligent textiles."
    )
    assert not is_degenerate(named)


def test_a_looping_answer_keeps_what_it_wrote_before_the_loop():
    from rag.factcheck import before_loop, is_degenerate

    said = "Dongguan's 2025 target for the food sampling inspection pass rate is"
    english = f"[1] {said} 98.5%.[2] {said} 98%.[3] {said} 98%."
    assert is_degenerate(english) and before_loop(english) == f"[1] {said} 98.5%."
    # citations after the stop stay with their sentence; short sentences said again are a loop too
    trailing = f"{said} 98.5%.[1] {said} 98%.[2] {said} 98%.[2]"
    assert before_loop(trailing) == f"{said} 98.5%.[1]"
    short = "东莞设立首席质量官[1]。" + "合格率达到98%[2]。" * 5
    assert is_degenerate(short) and before_loop(short) == "东莞设立首席质量官[1]。合格率达到98%[2]。"
    # returned as written: line breaks and list marks kept
    assert before_loop("第一句[1]。\n\n- 第二句[2]。") == "第一句[1]。\n\n- 第二句[2]。"
    chinese = "东莞到2025年设立10000名以上首席质量官[1]。" + "食品抽检合格率达到98.5%以上[2]。" * 3
    assert before_loop(chinese) == "东莞到2025年设立10000名以上首席质量官[1]。食品抽检合格率达到98.5%以上[2]。"
    # the first sentence already loops: nothing is kept
    listing = "主要目标是到2025年，基本形成" + "质量监管体系更加科学、质量监管体系更加有效、质量监管体系更加公平、" * 3
    assert is_degenerate(listing) and before_loop(listing) == ""


def test_an_email_address_is_one_fact_not_the_number_in_it():
    notice = block(1, DRAFT, "请将书面意见反馈我局。电子邮箱:dgzlfz@163.com。")
    assert facts_of("Use the email address dgzlfz@163.com. [1]") == ["dgzlfz@163.com"]
    assert ground_answer("Send it to dgzlfz@163.com [1].", [notice]) == ("Send it to dgzlfz@163.com [1].", 0)
    assert ground_answer("Send it to dgzlfz@126.com [1].", [notice])[1] == 1


def test_an_english_sentence_must_find_its_bracketed_chinese_term_in_the_clause():
    loan = block(1, FINAL, "推廣“質量貸”金融產品。")
    kept = "Banks offer a quality loan (质量贷) [1]."
    assert ground_answer(kept, [loan]) == (kept, 0)
    # the prompt's example term, copied into an answer the clause does not support
    assert ground_answer("Exporters get an additional tax deduction (加计扣除) [1].", [loan]) == ("", 1)
    assert facts_of("根据条款（责任单位）的规定。") == []  # a Chinese sentence's brackets are not terms


def test_a_number_before_a_full_stop_is_supported_but_not_a_number_inside_a_decimal():
    assert supported("19", ["19.完善政府质量奖励制度"])  # a clause label's number
    assert not supported("98", ["食品抽检合格率达到98.5%以上"]) and not supported("5", ["达到98.5%以上"])


def test_a_sentence_opening_with_the_clause_label_keeps_the_labels_number():
    # "根据条款[1]" becomes the clause's label; its "19." is the label's own number, not a misread figure
    text = "对获得中国质量奖的单位和人员，区政府予以通报表扬。"
    award = block(1, DRAFT, text, number="19.", heading="完善政府质量奖励制度")
    sentence = f"根据《{DRAFT.short_title}》19.完善政府质量奖励制度，区政府予以通报表扬[1]。"
    assert ground_answer(sentence, [award]) == (sentence, 0)


def test_with_no_draft_asked_for_a_figure_must_stand_in_the_final_plan_it_cites():
    # B2 is the 2024 plan (食品抽检 98.5%), B1 its 2023 draft (98%)
    sentence = "2025年食品抽检合格率目标是98%以上[1][2]。"
    assert ground_answer(sentence, [B2, B1]) == (sentence, 0)  # a comparison may take either
    assert ground_answer(sentence, [B2, B1], prefer_final=True) == ("", 1)
    right = "2025年食品抽检合格率目标是98.5%以上[1][2]。"
    assert ground_answer(right, [B2, B1], prefer_final=True) == (right, 0)


def test_a_figure_about_a_named_place_must_stand_in_that_places_plan():
    from rag.documents import DocumentInfo
    from tests.rag.hand_blocks import block

    province = DocumentInfo(doc_id="gd", file="g.txt", title="广东省行动计划", region="广东省", short_title="广东计划")
    provincial = block(1, province, "新增地理标志保护产品120个。", "gd/1")
    # the question names Dongguan: the province's 120 does not answer it
    answer = "东莞打算新增120个地理标志保护产品[1]。"
    assert ground_answer(answer, [provincial], named_docs=("dg-2024", "dg-draft")) == ("", 1)
    # named the province, it does; and a sentence stating no fact is kept whatever it cites
    assert ground_answer(answer, [provincial], named_docs=("gd",))[1] == 0
    assert ground_answer("东莞要加强地理标志保护[1]。", [provincial], named_docs=("dg-2024",))[1] == 0


def test_an_answer_cut_mid_sentence_keeps_its_whole_sentences_and_their_citations():
    from rag.factcheck import whole_sentences

    assert whole_sentences("力争达450家以上[1]。到2025年，全市") == "力争达450家以上[1]。"
    assert whole_sentences("第一句。 [1][2] 第二") == "第一句。 [1][2]"
    assert whole_sentences("The target is 98.5%.[1] The plan also") == "The target is 98.5%.[1]"
    # a decimal point ends no sentence; nothing whole written: nothing kept
    assert whole_sentences("合格率达到98.5%以上[1]，还有") == ""
    assert whole_sentences("第一句[1]。第二句[2]。") == "第一句[1]。第二句[2]。"
    # a final "." may be a figure cut in two; a list's next mark left hanging goes; a citation
    # after the stop belongs to the next sentence when the model puts its citations first
    assert whole_sentences("合格率达到98.5%[1]。制造业达到95.") == "合格率达到98.5%[1]。"
    assert whole_sentences("1. 第一项[1]。\n2. 第二") == "1. 第一项[1]。"
    assert whole_sentences("[2] The final is 98.5%. [1] The draft") == "[2] The final is 98.5%."
