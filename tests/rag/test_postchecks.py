"""The ordered checks on the model's text, on hand-made blocks (no model)."""

from __future__ import annotations

from rag.postchecks import GROUNDED_CHECKS, RAW_CHECKS, CheckContext, check_answer, nothing_supported
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


def test_a_looping_answer_is_checked_on_what_came_before_the_loop():
    loop = "正式方案要求食品抽检合格率达到98.5%以上[2]。" + "意见稿要求食品抽检合格率达到98%以上[1]。" * 3
    answer, cited, route = check_answer(loop, _ctx())
    # each sentence once, cited
    assert route == "llm-trimmed" and answer.count("98.5%") == answer.count("98%以上") == 1 and len(cited) == 2
    # nothing said before the loop: the quote, as before
    looping_sentence = "意见稿要求" + "食品抽检合格率达到98%以上、" * 4 + "[1]。"
    assert check_answer(looping_sentence, _ctx())[2] == "extractive-repetition"


def test_an_answer_cut_at_its_token_limit_is_checked_on_its_whole_sentences():
    cut = "正式方案要求食品抽检合格率达到98.5%以上[2]。意见稿要求食品抽检合格率达到"
    answer, cited, route = check_answer(cut, _ctx(), cut=True)
    assert route == "llm-trimmed" and "98.5%" in answer and "意见稿" not in answer
    assert [b.scored for b in cited] == [B2.scored]
    # not one sentence finished: the quote
    assert check_answer("意见稿要求食品抽检合格率达到", _ctx(), cut=True)[2] == "extractive-empty"


def test_a_refusals_quote_is_chosen_by_rare_words_from_the_documents_the_question_names():
    from rag.documents import DocumentInfo
    from tests.rag.hand_blocks import DRAFT, block

    other = DocumentInfo(doc_id="sg", file="s.txt", title="韶关方案解读", region="韶关市", short_title="韶关解读")
    common = block(1, DRAFT, "加强消费监管，满足消费需求。", "dg-draft/5")
    rare = block(2, DRAFT, "推行争议先行赔付。", "dg-draft/6")
    idf = {"赔付": 5.0, "消费": 0.5, "监管": 0.5, "需求": 0.5}
    question, query = "商家先行赔付是怎么写的？", "消费 监管 需求 先行 赔付"
    ctx = CheckContext([common, rare], question, query, False, idf)
    answer, cited, route = check_answer("没有相关规定。", ctx)
    # one rare shared word outweighs two common ones
    assert route == "extractive-refusal" and cited[0] is rare and "先行赔付" in answer.splitlines()[0]
    # a clause of a plan the question does not name is not quoted when a named one is there
    elsewhere = block(1, other, "推行先行赔付，加强消费监管，满足消费需求。", "sg/1")
    ctx = CheckContext([elsewhere, rare], question, query, False, idf, preferred_docs=("dg-draft",))
    answer, cited, _ = check_answer("没有相关规定。", ctx)
    assert cited == [rare] and "韶关" not in answer


def test_the_prompts_short_document_name_becomes_the_display_title_before_the_checks():
    from dataclasses import replace

    from tests.rag.hand_blocks import FINAL, block

    final = replace(FINAL, prompt_title="东莞2024方案")
    cited = block(1, final, "——產品質量不斷優化。食品抽檢合格率達到98.5%以上。", "dg-2024/1.2.b1")
    ctx = CheckContext([cited], "东莞食品抽检合格率目标是多少？", "东莞 食品 抽检 合格率", False, {"抽检": 3.0})
    # "2024" in the short name is a figure the clause does not state: grounding would drop the sentence
    answer, _, route = check_answer("《东莞2024方案》提出食品抽检合格率达到98.5%以上[1]。", ctx)
    assert route == "llm" and answer.startswith("《東莞方案》提出") and "东莞2024方案" not in answer
    # named without the brackets, too
    assert check_answer("东莞2024方案要求食品抽检合格率达到98.5%以上[1]。", ctx)[0].startswith("《東莞方案》要求")


def test_near_copies_of_the_short_name_and_repeated_names_keep_the_models_answer():
    from dataclasses import replace

    from tests.rag.hand_blocks import FINAL, block

    final = replace(FINAL, prompt_title="东莞2024方案")
    cited = block(1, final, "——產品質量不斷優化。食品抽檢合格率達到98.5%以上。", "dg-2024/1.2.b1")
    ctx = CheckContext([cited], "东莞食品抽检合格率目标是多少？", "东莞 食品 抽检 合格率", False, {"抽检": 3.0})
    # "年" after the year and the traditional script are the same name
    for written in ("《东莞2024年方案》", "《東莞2024方案》"):
        answer, _, route = check_answer(f"{written}提出食品抽检合格率达到98.5%以上[1]。", ctx)
        assert route == "llm" and answer.startswith("《東莞方案》提出"), (written, route)
    # a short name said three times is not a loop once the longer display title is put in
    long_title = replace(final, short_title="東莞市質量強市方案(2024)")
    text = "——產品質量不斷優化。食品抽檢合格率達到98.5%以上，推廣質量貸，加強計量。"
    ctx = CheckContext([block(1, long_title, text, "dg-2024/1.2.b1")], "东莞有哪些要求？", "东莞 要求", False, {})
    said = ("要求食品抽检合格率98.5%以上", "提出推广质量贷", "还要加强计量")
    three = "".join(f"《东莞2024方案》{s}[1]。" for s in said)
    answer, _, route = check_answer(three, ctx)
    assert route != "extractive-repetition" and answer.count("《東莞市質量強市方案(2024)》") == 3


def test_a_stream_is_hopeless_only_when_grounding_drops_enough_sentences_and_keeps_nothing():
    wrong = "食品抽检合格率达到99.9%以上[2]。制造业产品质量合格率达到97%以上[2]。"
    assert nothing_supported(wrong, _ctx(), 2)
    assert not nothing_supported(wrong, _ctx(), 3)  # two dropped, three asked for
    assert not nothing_supported(wrong + "农产品", _ctx(), 3)  # an unfinished sentence does not count
    assert not nothing_supported(wrong, _ctx(), 0)  # off
    assert not nothing_supported("正式方案要求食品抽检合格率达到98.5%以上[2]。" + wrong, _ctx(), 2)  # one stands
    # a heading line is no dropped sentence: one figure dropped is not two
    assert not nothing_supported("东莞的目标如下：\n1. 食品抽检合格率达到99.9%以上[2]；\n", _ctx(), 2)
    # a refusal among them: the model may be saying it found nothing (a decline, a second opinion)
    assert not nothing_supported(wrong + "但条款中没有相关规定。", _ctx(), 2)


def test_a_follow_ups_parts_are_quoted_with_the_earlier_questions_topic():
    """The model refuses a two-part follow-up ("那要设多少个？有没有时间节点", after a question about
    首席质量官): each part's quote is chosen with the earlier question's words too."""
    from tests.rag.hand_blocks import FINAL, block

    brands = block(1, FINAL, "新增省政府质量奖组织2家，争创建设工程鲁班奖4项以上。", clause_id="x/1")
    officers = block(2, FINAL, "开展首席质量官资格培训，到2025年设立10000名以上首席质量官。", clause_id="x/2")
    parts = ["那要设多少个", "有没有时间节点"]

    def quoted(previous: str) -> str:
        question = "那要设多少个？有没有时间节点"
        ctx = CheckContext([brands, officers], question, "", False, {}, parts=parts, previous=previous)
        answer, _, route = check_answer("没有相关规定。", ctx)
        assert route == "extractive-refusal"
        return answer

    assert "10000名" in quoted("东莞方案对首席质量官培训有啥说法")
    assert "10000名" not in quoted("")  # alone, nothing ties the parts to 首席质量官


def test_a_follow_ups_quote_favours_its_own_words_over_the_earlier_questions():
    """ "这个平台是干啥用的？" after a question on 信息技术: the quote was the sentence on 信息技术,
    which answered the earlier question, not the one on the platform."""
    from tests.rag.hand_blocks import FINAL, block

    clause = block(1, FINAL, "利用信息技术提高质量信息处理能力。运用综合服务平台收集企业服务需求。", "f/1")
    idf = {"信息技术": 3.0, "信息": 1.0, "技术": 1.0, "质量": 0.1, "平台": 3.0}
    question, query = "这个平台是干啥用的？", "怎么用信息技术管质量 这个平台是干啥用的"
    plain = CheckContext([clause], question, query, False, idf)
    assert check_answer("没有相关规定。", plain)[0].splitlines()[0].count("信息技术") == 1
    turn = CheckContext([clause], question, query, False, idf, turn_words=frozenset({"平台"}))
    first = check_answer("没有相关规定。", turn)[0].splitlines()[0]
    assert "服务平台" in first and "信息技术" not in first
