"""The completion steps on hand-made blocks (no model needed)."""

from __future__ import annotations

from types import SimpleNamespace

from rag.completion import Completion, complete
from rag.config import Settings
from tests.rag.hand_blocks import FINAL, block

LOAN = block(1, FINAL, "鼓勵金融資本加大質量投入力度，推廣“質量貸”金融產品，提高企業質量“變現”能力。")


def _english(answer: str) -> tuple[str, str]:
    result = SimpleNamespace(extra={}, parts=[], analysis=SimpleNamespace(answer_type=""))
    c = Completion(result, [LOAN], "bank loans for quality?", "质量贷 金融 产品", "english", Settings(), lambda s: "")
    text, _, route = complete(answer, [LOAN], "llm", c)
    return text, route


def test_an_english_answer_without_the_plans_term_in_brackets_quotes_its_source():
    text, route = _english("Banks promote a quality loan product [1].")
    assert route == "llm+quoted" and "質量貸" in text
    # a Chinese fragment inside an English word is no term the reader can look up
    assert _english("Banks promote a 质量 loan product [1].")[1] == "llm+quoted"
    # the term given in brackets: nothing added
    given = "Banks promote a quality loan (质量贷) [1]."
    assert _english(given) == (given, "llm")


def test_an_english_answer_quoted_from_the_clauses_is_not_quoted_again():
    """An extractive answer is the plans' own sentences: quoting its source again repeated it."""
    result = SimpleNamespace(extra={}, parts=[], analysis=SimpleNamespace(answer_type=""))
    c = Completion(result, [LOAN], "bank loans for quality?", "质量贷 金融 产品", "english", Settings(), lambda s: "")
    quoted = "According to the plan (1): “推廣“質量貸”金融產品” [1]"
    assert complete(quoted, [LOAN], "extractive-refusal", c) == (quoted, [LOAN], "extractive-refusal")
    assert complete("Banks promote a quality loan product [1].", [LOAN], "llm", c)[2] == "llm+quoted"


def test_a_follow_ups_part_is_completed_from_the_earlier_questions_topic():
    """A part of a follow-up ("有没有时间节点", after a question about 首席质量官) is answered by
    the sentence about that topic, not by another sentence sharing only the part's own words."""
    from rag.focus import SubQuestion

    officers = block(
        1,
        FINAL,
        "建设时间另行确定。鼓励开展首席质量官资格培训，到2025年设立10000名以上首席质量官。",
        clause_id="x/1",
    )
    part = "有没有时间节点"

    def completed(earlier: str) -> str:
        analysis = SimpleNamespace(answer_type="", parts=[SubQuestion(part, part)], earlier_questions=earlier)
        result = SimpleNamespace(
            extra={},
            parts=[[SimpleNamespace(clause=officers.scored.clause)]],
            part_decisions=[SimpleNamespace(declined=False)],
            analysis=analysis,
        )
        c = Completion(result, [officers], part, part, "simplified", Settings(), lambda s: "")
        text, _, route = complete("", [], "llm", c)
        assert route == "llm+parts"
        return text

    assert "10000名" in completed("东莞方案对首席质量官培训有啥说法")
    # standing alone (no earlier questions), the part's own words choose
    assert "另行确定" in completed("")


def test_a_department_answer_gets_units_only_from_a_plan_it_cites():
    """ "意见稿里质量学院是让谁来办的？" answered from the draft (东莞理工学院) got the 2024 plan's
    bureaus appended: another plan's units answer what was not asked."""
    from tests.rag.hand_blocks import DRAFT

    college = block(1, DRAFT, "依托东莞理工学院创建质量学院。", clause_id="d/1")
    bureaus = block(2, FINAL, "加強質量人才培養。", clause_id="f/2", responsible=("市市場監管局",))
    result = SimpleNamespace(extra={}, parts=[], analysis=SimpleNamespace(answer_type="department"))
    c = Completion(result, [college, bureaus], "质量学院让谁来办？", "质量学院", "simplified", Settings(), lambda s: "")
    answer = "意见稿里质量学院由东莞理工学院来办[1]。"
    assert complete(answer, [college], "llm", c) == (answer, [college], "llm")
    # the same plan's units are still added when the answer names none
    same = block(2, DRAFT, "加强质量人才培养。", clause_id="d/2", responsible=("市人力资源局",))
    c = Completion(result, [college, same], "质量学院让谁来办？", "质量学院", "simplified", Settings(), lambda s: "")
    text, cited, route = complete(answer, [college], "llm", c)
    assert route == "llm+units" and "市人力资源局" in text and cited == [college, same]


def test_a_comparison_covers_its_question_once_it_speaks_for_both_documents():
    """What the time budget waits for before it stops the model: a comparison that has stated one
    side does not cover the question yet; a sentence the checks drop covers nothing."""
    from rag.completion import covers_question
    from rag.postchecks import CheckContext
    from tests.rag.hand_blocks import B1, B2

    blocks = [B1, B2]
    question = "征求意见稿和正式方案的食品抽检合格率目标各是多少？"
    query = "征求意见稿 正式 方案 食品 抽检 合格率 目标"
    result = SimpleNamespace(
        extra={"compared_docs": ["dg-draft", "dg-2024"]},
        parts=[],
        clauses=[],
        analysis=SimpleNamespace(answer_type=""),
    )
    c = Completion(result, blocks, question, query, "simplified", Settings(), lambda s: "")
    idf = dict.fromkeys(query.split(), 1.0)
    ctx = CheckContext(blocks, question, query, False, idf)
    draft_side = "征求意见稿的食品抽检合格率目标是98%以上[1]。"
    assert not covers_question(draft_side, ctx, c)
    assert covers_question(draft_side + "正式方案的食品抽检合格率目标是98.5%以上[2]。", ctx, c)
    assert not covers_question("征求意见稿的食品抽检合格率目标是99.9%以上[1]。", ctx, c)  # no such figure
    # both sides, but the list goes on after "；"
    assert not covers_question(draft_side.replace("。", "；") + "正式方案的食品抽检合格率目标是98.5%以上[2]；", ctx, c)


def test_a_multi_part_answer_covers_its_question_without_the_part_the_plans_do_not_answer():
    """Code says a part is not stated whatever the model writes: that line is no reason to write on."""
    from rag.completion import covers_question
    from rag.focus import SubQuestion
    from rag.postchecks import CheckContext
    from tests.rag.hand_blocks import B2

    asked, unstated = SubQuestion("食品抽检合格率目标是多少", "食品抽检合格率目标"), SubQuestion("罚款多少", "罚款")
    result = SimpleNamespace(
        extra={},
        clauses=[],
        parts=[[B2.scored], []],
        part_decisions=[SimpleNamespace(declined=False), SimpleNamespace(declined=True)],
        analysis=SimpleNamespace(answer_type="", parts=[asked, unstated], earlier_questions=""),
    )
    query = "食品 抽检 合格率 目标 罚款"
    c = Completion(result, [B2], asked.text, query, "simplified", Settings(), lambda s: "")
    ctx = CheckContext([B2], asked.text, query, False, dict.fromkeys(query.split(), 1.0), parts=[asked.text])
    stated = "正式方案：食品抽检合格率达到98.5%以上，制造业产品质量合格率达到95%以上[2]。"  # B2 is block 2
    assert covers_question(stated, ctx, c)
    text, _, route = complete(stated, [B2], "llm", c)
    assert route == "llm+parts" and "罚款多少" in text  # the unanswered part, said by code


def test_a_chinese_answer_covers_its_question_once_it_names_the_topic_its_clause_uses():
    """A question asking "有什么金融支持": a sentence of the clause that names no 金融 passes the checks but has not
    said what is asked yet; the time budget waits for one that does."""
    from rag.completion import covers_question
    from rag.postchecks import CheckContext

    question, query = "东莞对企业质量有什么金融支持？", "东莞 企业 质量 金融 支持"
    result = SimpleNamespace(extra={}, parts=[], clauses=[], analysis=SimpleNamespace(answer_type=""))
    c = Completion(result, [LOAN], question, query, "simplified", Settings(), lambda s: "")
    idf = {"金融": 5.0, "质量": 1.0, "企业": 1.0, "东莞": 1.0, "支持": 1.0}
    ctx = CheckContext([LOAN], question, query, False, idf)
    assert not covers_question("东莞鼓励资本加大质量投入力度[1]。", ctx, c)
    assert covers_question("东莞推广“质量贷”金融产品[1]。", ctx, c)
