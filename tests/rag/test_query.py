"""Question analysis (rag/query.py) over the real corpus's vocabulary, without any model: typo and
homophone repair, focus, parts, comparisons, places and versions, English fallback."""

from __future__ import annotations

import pytest

from rag.index import parse_corpus
from rag.query import QueryAnalyzer, TypoRepairer, fuzzy_syllable
from rag.retrieve.sparse import idf_table
from rag.text import tokens


@pytest.fixture(scope="module")
def analyzer(settings) -> QueryAnalyzer:
    infos, clauses, chunks = parse_corpus(settings)
    idf = idf_table([tokens(c.embed_text) for c in chunks])
    return QueryAnalyzer({d.doc_id: d for d in infos}, [c.text for c in clauses], idf)


@pytest.mark.parametrize(
    ("typed", "repaired"),
    [
        ("河原源城区的标准话工作有啥说法", "河源源城区的标准化工作"),
        ("我们想做产品认正，检侧机构有什么支持", "产品认证"),
        ("我们想做产品认正，检侧机构有什么支持", "检测机构"),
        ("韶光市对品排建设有什么奖励", "韶关市对品牌建设"),
        ("东管的质量奖奖金多少钱", "东莞的质量奖"),
    ],
)
def test_typos_and_homophones_are_repaired_against_the_corpus(analyzer, typed, repaired):
    a = analyzer.analyze(typed)
    assert repaired in a.repaired, a.repairs


@pytest.mark.parametrize(
    "text",
    [
        "东莞的方案里计量这块要干啥",  # "方案里" spans two words: not "方案例"
        "担任首席质量官需要具备哪些任职资格条件",  # 任职 is an everyday word, not a typo of 任制
        "我们公司想做产品质量提升",
        "我家在东莞做陶瓷的",
    ],
)
def test_correct_words_are_left_alone(analyzer, text):
    a = analyzer.analyze(text)
    assert a.repairs == (), a.repairs


def test_repair_needs_a_corpus_word_one_character_away():
    repairer = TypoRepairer(["加强标准化工作", "推进标准化建设"])
    assert repairer.repair("标准话") == ("标准化", [("标准话", "标准化")])
    assert repairer.repair("天气好") == ("天气好", [])
    assert fuzzy_syllable("zheng") == fuzzy_syllable("zhen") == "zen"


def test_focus_drops_personal_context_and_filler_but_keeps_the_place(analyzer):
    a = analyzer.analyze("我家在东莞做陶瓷的，听说市里对我们这种搞品牌的企业有扶持？具体咋说的")
    assert "陶瓷的" not in a.focus and "咋说" not in a.focus and "听说" not in a.focus
    assert "品牌" in a.focus and "扶持" in a.focus
    assert set(a.places) == {"dongguan-2023-draft", "dongguan-2024-plan"}


def test_two_questions_in_one_become_parts_and_a_bare_part_carries_the_topic(analyzer):
    a = analyzer.analyze("东莞的方案里计量这块要干啥？哪个部门负责？")
    assert [p.text.rstrip("?？") for p in a.parts] == ["东莞的方案里计量这块要干啥", "哪个部门负责"]
    assert a.parts[1].continues and "计量" in a.parts[1].search_text
    assert a.parts[1].answer_type == "department"


def test_one_question_is_not_split(analyzer):
    assert analyzer.analyze("源城区企业的质量创新支出可以享受什么税收优惠？").parts == ()


def test_a_comparison_names_its_sides(analyzer):
    a = analyzer.analyze("东莞征求意见稿和正式方案对首席质量官的目标分别是多少")
    assert a.compare_docs == ("dongguan-2023-draft", "dongguan-2024-plan")
    a = analyzer.analyze("东莞和源城区在品牌建设上有什么不同")
    assert set(a.compare_docs) >= {"yuancheng-plan", "dongguan-2024-plan"}


def test_draft_and_final_without_a_place_mean_the_drafts_region(analyzer):
    a = analyzer.analyze("征求意见稿和正式稿的目标有什么变化？")
    assert set(a.versions) == {"dongguan-2023-draft", "dongguan-2024-plan"}


def test_answer_type_current_state_and_national_level(analyzer):
    a = analyzer.analyze("东莞现在有多少家检验检测机构？")
    assert a.answer_type == "count" and a.asks_current
    assert analyzer.analyze("全国的食品抽检合格率是多少？").asks_national
    assert analyzer.analyze("首席质量官的资格培训在哪里报名？").answer_type == "procedure"


def test_asking_which_side_is_higher_asks_for_figures(analyzer):
    # a comparison of two targets is answered by their figures: excerpts by phrase, figure first
    assert analyzer.analyze("省里和东莞的农产品监测合格率目标，哪个更高？").answer_type == "count"
    assert analyzer.analyze("东莞和韶关谁多？").answer_type == "count"
    assert analyzer.analyze("东莞和韶关哪个方案先出台？").answer_type != "count"
    # 哪个/谁 followed by 高/多/大 inside a word asks for no figure
    for question in ("东莞哪个高校参与质量学院建设？", "源城区由哪个高新区牵头品牌建设？", "谁大力推动质量强市？"):
        assert analyzer.analyze(question).answer_type != "count", question


def test_english_without_a_model_falls_back_to_the_glossary(analyzer):
    a = analyzer.analyze("What financial support can Yuancheng enterprises get for brand building?")
    assert a.language == "english" and a.translation_method == "glossary"
    assert "品牌" in a.search_text and "yuancheng-plan" in a.places


def test_a_failing_translation_falls_back_instead_of_raising(analyzer):
    def broken(_: str) -> str:
        raise RuntimeError("model not loaded")

    analyzer.translate = broken
    try:
        a = analyzer.analyze("Which department leads metrology work in Dongguan?")
    finally:
        analyzer.translate = None
    assert a.translation_method == "glossary" and "计量" in a.search_text
    assert any("translation failed" in n for n in a.notes)


def test_the_model_gets_places_and_number_scales_already_in_chinese(analyzer):
    seen = []
    analyzer.translate = lambda english: seen.append(english) or "东莞每万人口高价值发明专利拥有量目标是多少？"
    try:
        analyzer.analyze(
            "What is Dongguan's target for patents per Ten Thousand residents, and per hundred million yuan?"
        )
    finally:
        analyzer.translate = None
    assert seen == ["What is 东莞 target for patents per 万 residents, and per 亿 yuan?"]


def test_follow_up_keeps_the_previous_place_and_topic(analyzer):
    a = analyzer.analyze("那这个归谁管？", previous="韶关对品牌建设有什么奖励？", is_followup=True)
    assert a.places == ("shaoguan-interpretation",)
    assert "品牌" in a.search_text
    assert a.earlier_questions == "韶关对品牌建设有什么奖励？"  # its parts are quoted with it
    alone = analyzer.analyze("源城区的计量工作由谁负责？", previous="韶关对品牌建设有什么奖励？", is_followup=False)
    assert alone.earlier_questions == ""  # a conversation's new question is not


def test_a_follow_up_naming_no_side_of_its_own_keeps_the_previous_reply(analyzer):
    """The reply names what "这个" points to; "那东莞呢？" asks about another side, not the reply's."""
    previous, reply = "源城区对企业融资有什么说法？", "金融机构要把企业质量水平作为融资授信的依据。[1]"
    kept = analyzer.analyze("这个由谁负责？", previous=previous, is_followup=True, previous_answer=reply)
    assert kept.previous_answer == reply
    other_side = analyzer.analyze("那东莞呢？", previous=previous, is_followup=True, previous_answer=reply)
    other_version = analyzer.analyze("征求意见稿里呢？", previous=previous, is_followup=True, previous_answer=reply)
    alone = analyzer.analyze("源城区的计量工作由谁负责？", previous=previous, is_followup=False, previous_answer=reply)
    assert other_side.previous_answer == other_version.previous_answer == alone.previous_answer == ""


def test_a_follow_up_naming_another_side_is_searched_with_the_earlier_topic_not_its_place(analyzer):
    """ "省里的计划是怎么讲的？" after a question about 源城区 asks about the province: the earlier
    question's place would pull the search back to 源城区's clauses."""
    previous = "源城区怎么搞群众性的质量活动"
    other_place = analyzer.analyze("省里的计划是怎么讲的？", previous=previous, is_followup=True)
    assert other_place.places == ("guangdong-2016-2017-action-plan",)
    assert "源城" not in other_place.search_text and "群众性" in other_place.search_text
    assert other_place.earlier_questions == previous  # the quotes and the judge still read it whole
    same_place = analyzer.analyze("这个由谁负责？", previous=previous, is_followup=True)
    assert same_place.search_text.startswith(previous)
    other_version = analyzer.analyze("那征求意见稿呢？", previous="东莞2024方案对首席质量官有啥目标", is_followup=True)
    assert other_version.earlier_topic == "方案对首席质量官有啥目标"  # the turn says which document
    traditional = analyzer.analyze("省里呢？", previous="東莞的徵求意見稿對首席質量官有啥要求", is_followup=True)
    assert traditional.earlier_topic.replace(" ", "") == "的对首席质量官有啥要求"
    level = analyzer.analyze("那东莞呢？", previous="省里对首席质量官有啥要求", is_followup=True)
    assert level.earlier_topic == "对首席质量官有啥要求"
    english = analyzer.analyze(
        "And Dongguan?", previous="What does Yuancheng's plan say about brands?", is_followup=True
    )
    assert english.earlier_topic == "What does plan say about brands?"


def test_a_failing_analysis_step_falls_back_to_the_plain_question(analyzer, monkeypatch):
    def broken(_text):
        raise RuntimeError("bug in a step")

    monkeypatch.setattr(analyzer.reader, "focus", broken)
    a = analyzer.analyze("源城区企业的质量创新支出可以享受什么税收优惠？")
    assert a.search_text.startswith("源城区企业的质量创新支出") and a.parts == ()
    assert any("analysis failed" in n for n in a.notes)


def test_a_verb_before_a_corpus_word_is_not_a_typo(analyzer):
    a = analyzer.analyze("听邻居讲区里搞质量强区还会帮企业搞融资")
    assert "高质量" not in a.repaired and a.repairs == ()


def test_a_level_named_without_its_place_points_to_that_levels_plan(analyzer):
    a = analyzer.analyze("省里那个行动计划对电梯安全有什么安排？")
    assert "guangdong-2016-2017-action-plan" in a.places


def test_a_version_narrows_only_its_own_place(analyzer):
    # the year picks the provincial plan; it must not drop the other place named beside it
    a = analyzer.analyze("省里2016年计划和源城区方案对企业负责人的质量责任说法一样吗？")
    assert set(a.preferred_docs) == {"guangdong-2016-2017-action-plan", "yuancheng-plan"}
    assert set(a.compare_docs) == {"guangdong-2016-2017-action-plan", "yuancheng-plan"}


def test_a_comparison_of_places_sets_the_final_text_against_the_other_place(analyzer):
    a = analyzer.analyze("农产品监测合格率，省里的目标和东莞的目标差多少？")
    assert set(a.compare_docs) == {"guangdong-2016-2017-action-plan", "dongguan-2024-plan"}
    # asked for the draft, the draft stays a side
    a = analyzer.analyze("东莞征求意见稿和省里计划对农产品合格率的目标有什么不同？")
    assert "dongguan-2023-draft" in a.compare_docs


def test_a_documents_title_words_and_year_name_a_side_beside_another_place(analyzer):
    # "省行动计划" names no place the lexicon knows; 2017 and 行动计划 are in the provincial plan's title
    a = analyzer.analyze("韶关和2017年那个省行动计划对品牌的提法有什么不同？")
    assert set(a.compare_docs) == {"guangdong-2016-2017-action-plan", "shaoguan-interpretation"}
    # a year alone names no side: one of a title ("从2016年到现在") or one that dates a document (2024)
    since = analyzer.analyze("东莞从2016年到现在质量工作有什么变化？")
    assert "guangdong-2016-2017-action-plan" not in since.compare_docs
    assert not analyzer.analyze("源城区2024年的工作和2025年的目标有什么不同？").compare_docs


def test_a_comparison_is_one_question_not_two_parts(analyzer):
    a = analyzer.analyze("对企业负责人有什么质量责任要求，省里和源城区的说法一样吗？")
    assert len(a.compare_docs) == 2 and not a.multi_part


def test_a_bare_topic_with_ne_is_the_topic_of_the_question_after_it(analyzer):
    assert not analyzer.analyze("计量这块呢？打算在哪些地方建？").multi_part
    # after an explicit joiner it is a question of its own
    assert analyzer.analyze("计量这块呢？另外品牌培育有什么政策？").multi_part


def test_the_english_behind_an_ask_is_the_parts_own_text_or_the_whole_question():
    from dataclasses import replace as with_fields

    from rag.query import QueryAnalysis

    base = QueryAnalysis(
        question="x", language="english", normalized="How many measures? Who leads them?", repaired="", focus=""
    )
    assert base.english_of("Who leads them?") == "Who leads them?"  # a part
    assert base.english_of("韶关有多少项措施") == base.normalized  # the translation
    assert base.english_of("") == base.normalized
    assert with_fields(base, language="simplified").english_of("Who leads them?") == ""


def test_the_kind_of_answer_is_read_from_the_segments_that_ask(analyzer):
    # "部门" and "单位" in a statement around the question ask for no department
    a = analyzer.analyze("以前产品标准都得交给质监部门备案，很麻烦，省里的行动计划说以后这块怎么改？")
    assert a.answer_type == "" and "质监部门" not in a.kind_text
    a = analyzer.analyze("听说有的建设单位会给施工方额外奖励，东莞的方案提到过吗？")
    assert a.answer_type == ""
    # asked in the question itself, it still is
    assert analyzer.analyze("东莞的方案里计量这块要干啥？哪个部门负责？").answer_type == "department"
    assert analyzer.analyze("翻到省里2016年印发的计划，当年工程一次验收合格的比例要求多少？").answer_type == "rate"


def test_a_first_person_segment_passing_on_what_was_heard_stays_in_the_need(analyzer):
    a = analyzer.analyze("刚接手源城一家小厂当法定代表人，同事吓唬我说出了质量事故全算我头上，区里怎么规定的？")
    assert "质量事故" in a.ask and "质量事故" in a.search_text
    # who is asking, without reported speech, is still context
    a = analyzer.analyze("我在东莞开了个五金厂，质量奖有奖金吗？")
    assert "五金厂" not in a.ask


def test_a_part_naming_no_topic_is_searched_with_the_statement_it_leans_on(analyzer):
    a = analyzer.analyze("河源源城区好像要搞一个“产品医院”，这个是干嘛用的？能帮企业做哪些检测认证")
    assert len(a.parts) == 2
    assert "医院" in a.parts[0].search_text  # "这个是干嘛用的" names nothing itself
    assert a.parts[1].search_text.startswith("能帮企业")  # names its own topic


def test_an_answers_facts_are_held_to_the_named_places_plans_unless_it_compares(analyzer):
    a = analyzer.analyze("东莞打算新增几个地理标志保护产品？")
    assert set(a.named_docs) == {"dongguan-2023-draft", "dongguan-2024-plan"}
    # comparing words: a side may be named in a way place detection misses ("省行动计划")
    assert analyzer.analyze("省行动计划和东莞的方案，专利目标哪个高？").named_docs == ()


@pytest.mark.parametrize(
    ("question", "topicless"),
    [
        ("征求意见稿里定的是多少？", True),  # a version and a kind of answer
        ("东莞现在这版方案定的多少", True),
        ("省里的计划是怎么讲的？", True),
        ("那源城区的方案里定的是多少？", True),  # 城区 is a piece of the place's name
        ("开食品店的有啥要求？", False),  # 食品, though jieba reads 食品店
        ("标准话这方面定的目标是多少？", False),  # 标准化, once the typo is repaired
        ("生态环境这块有啥要求？", False),  # a new topic
        ("针对农资有没有专门搞个行动", False),
        ("东莞2024年方案要新增多少家智能工厂？", False),
        ("What about the draft?", False),  # English: not read by the plans' words
    ],
)
def test_a_turn_naming_only_a_place_version_or_kind_of_answer_names_no_topic(analyzer, question, topicless):
    assert analyzer.names_no_topic(question) is topicless


@pytest.mark.parametrize(
    ("question", "leans"),
    [
        ("药品呢？", True),  # short: the previous question's angle
        ("有时限吗？", True),  # short, a topic word and a question word, but about the previous topic
        ("谁负责？", True),  # no topic of its own
        ("那东莞呢？", True),  # points back
        ("这项有时限吗？", True),
        ("东莞2024年方案要新增多少家智能工厂？", False),
        ("And Dongguan?", True),  # English: short
    ],
)
def test_which_turns_of_a_conversation_lean_on_the_previous_question(analyzer, question, leans):
    assert analyzer.leans_on_previous(question) is leans


def test_a_comparison_of_versions_named_by_two_digit_years_finds_both_sides(analyzer):
    a = analyzer.analyze("东莞24年方案和23年意见稿的区别")
    assert a.compare_docs == ("dongguan-2023-draft", "dongguan-2024-plan")
    assert analyzer.analyze("17年的行动计划里社会监督怎么搞").preferred_docs == ("guangdong-2016-2017-action-plan",)


def test_a_follow_up_keeps_its_own_topic_words_for_choosing_excerpts(analyzer):
    turn = analyzer.analyze("标准制定方面的数呢？", previous="东莞2024方案对检验检测认证有啥目标", is_followup=True)
    assert "制定" in turn.turn_words and "检测" not in turn.turn_words
    for place_or_version in ("那东莞呢？", "那源城区呢？", "征求意见稿呢？"):  # 城区, 征求, 意见 are no topic
        assert analyzer.analyze(place_or_version, previous="韶关对品牌有啥支持", is_followup=True).turn_words == ()
    asks_who = analyzer.analyze("计量这块由谁负责？", previous="源城区对品牌有啥支持", is_followup=True)
    assert "计量" in asks_who.turn_words and not any(w in "由谁" for w in asks_who.turn_words)


def test_an_english_question_is_read_by_its_sentences_and_its_translation_by_segments(analyzer):
    """Who is asking ("I run a small workshop…") is context; what the user heard is part of the
    need; the model translates the asking sentence first, so a translation cut at its cap keeps it;
    an abbreviation ends no sentence."""
    question = (
        "I run a small hardware workshop in Dongguan. A friend told me the city gives loans to firms "
        "with a good quality record. What is that loan called?"
    )
    read = analyzer.reader.english_focus(question)
    assert read.context == ("I run a small hardware workshop in Dongguan.",)
    assert read.need == (
        "A friend told me the city gives loans to firms with a good quality record.",
        "What is that loan called?",
    )
    assert read.for_translation.startswith("What is that loan called?")
    assert read.for_translation.endswith("I run a small hardware workshop in Dongguan.")
    assert analyzer.reader.english_focus("Dongguan quality loans.").need == ("Dongguan quality loans.",)
    abbreviated = analyzer.reader.english_focus("We make parts, e.g. screws. What does Article No. 3 say?")
    assert abbreviated.for_translation == "What does Article No. 3 say? We make parts, e.g. screws."

    seen = []
    translation = "那种贷款叫什么？朋友告诉我城市为质量好的企业提供贷款。我在东莞开了一家小五金作坊。"
    analyzer.translate = lambda english: seen.append(english) or translation
    try:
        a = analyzer.analyze(question)
    finally:
        analyzer.translate = None
    assert seen[0].startswith("What is that loan called?")
    assert "我在东莞开了一家小五金作坊" not in a.ask  # the translated context is not what is asked
    assert "贷款" in a.ask and "朋友告诉我" in a.ask  # what the user heard is
