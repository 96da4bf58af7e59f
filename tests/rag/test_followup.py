import pytest

from rag.followup import (
    QUESTION_SEP,
    Turn,
    is_followup,
    parse_history,
    previous_answer,
    previous_question_chain,
)

HISTORY = [Turn("user", "东莞2024年方案中食品抽检合格率的目标是多少？"), Turn("assistant", "98.5%以上。[1]")]


@pytest.mark.parametrize(
    "question", ["那征求意见稿里呢？", "这项由哪个部门负责？", "那东莞呢？", "What about Dongguan?"]
)
def test_followups_are_recognised_by_their_words(question):
    assert is_followup(question)


def test_a_question_with_its_own_topic_and_place_is_no_followup_by_its_words():
    assert not is_followup("广东省行动计划中提升工程质量由哪个部门牵头？")


def test_the_previous_answer_is_the_reply_to_the_last_question():
    assert previous_answer(HISTORY) == "98.5%以上。"  # citation marks say nothing to a search
    assert previous_answer([*HISTORY, Turn("user", "那征求意见稿呢？")]) is None  # not answered yet
    assert previous_answer([Turn("assistant", "您好"), Turn("user", "问")]) is None
    assert previous_answer([]) is None


def test_history_formats():
    assert parse_history([{"role": "user", "content": "a"}]) == [Turn("user", "a")]
    assert parse_history([["问", "答"]]) == [Turn("user", "问"), Turn("assistant", "答")]
    with pytest.raises(ValueError, match="role"):
        parse_history([{"role": "system", "content": "x"}])


def test_the_cues_come_from_yaml_and_a_broken_file_is_named(tmp_path):
    from rag.followup import load_followup_cues
    from rag.lexicon import LexiconError

    cues = load_followup_cues()
    assert cues.starts.match("那东莞呢") and cues.refers_back.search("这项由谁负责")
    (tmp_path / "followup.yaml").write_text("starts: [那]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="refers_back"):
        load_followup_cues(tmp_path)


def test_the_previous_question_brings_the_earlier_ones_it_leaned_on():
    turns = [
        Turn("user", "源城区对计量器具有什么要求？"),
        Turn("assistant", "……[1]"),
        Turn("user", "谁来管？"),
        Turn("assistant", "……[1]"),
    ]
    leans = is_followup  # "谁来管？" is too short to stand alone
    assert previous_question_chain(turns, leans, 3) == ["源城区对计量器具有什么要求？", "谁来管？"]
    assert previous_question_chain(turns, leans, 1) == ["谁来管？"]  # RAG_FOLLOWUP_CHAIN=1: the last only
    standalone = [Turn("user", "东莞的品牌建设有什么目标？"), *turns[:2], Turn("user", "韶关方案里有哪些工作专班？")]
    assert previous_question_chain(standalone, leans, 3) == ["韶关方案里有哪些工作专班？"]  # stands alone
    assert previous_question_chain([Turn("assistant", "您好")], leans, 3) == []


def test_a_chain_stops_at_its_limit_oldest_dropped():
    turns = [Turn("user", q) for q in ("东莞对标准化有什么目标？", "那呢？", "还有呢？", "再呢？")]
    assert previous_question_chain(turns, is_followup, 3) == ["那呢？", "还有呢？", "再呢？"]


def test_the_prompt_names_every_earlier_question_of_a_chain_in_order():
    from rag.prompting import with_previous

    one = with_previous("有时限吗？", "东莞对食品安全有什么要求？")
    assert "上一个问题“东莞对食品安全有什么要求？”" in one
    chain = with_previous("有时限吗？", QUESTION_SEP.join(["东莞对食品安全有什么要求？", "谁负责？"]))
    assert "东莞对食品安全有什么要求？；谁负责？" in chain
    assert QUESTION_SEP not in chain
    # the turn comes last: told it after the earlier question, the model answered the earlier one
    assert one.endswith("有时限吗？") and chain.endswith("有时限吗？")
