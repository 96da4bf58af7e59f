"""Issue 15 in chat: a targets question lists the targets, cited; a draft-vs-final question gets the
aligned pair as its evidence; an answer citing a superseded or expired document says so."""

from __future__ import annotations

import re

import pytest

from rag.diff import aligned_pair, pair_first
from rag.targets import is_targets_question


def test_targets_question_lists_every_target_cited_and_worded_as_target(pipeline):
    pred = pipeline.predict("东莞到2025年有哪些量化目标？")
    assert pred.extra["route"] == "targets" and not pred.declined and pred.error is None
    lines = [ln for ln in pred.answer.splitlines() if re.match(r"\d+\. ", ln)]
    assert len(lines) == 26  # the in-force plan's 26 targets for 2025; the superseded draft is left out
    assert all(ln.split(". ", 1)[1].startswith("到2025年，") and re.search(r"\[\d+\]$", ln) for ln in lines)
    assert "到2025年，食品抽检合格率达到98.5%以上" in pred.answer
    assert {c["doc_id"] for c in pred.citations} == {"dongguan-2024-plan"}
    assert len(pred.citations) == max(int(n) for n in re.findall(r"\[(\d+)\]", pred.answer))
    assert "取代" not in pred.answer and "失效" not in pred.answer


def test_the_draft_targets_when_asked_for_and_the_superseded_line(pipeline):
    pred = pipeline.predict("东莞征求意见稿有哪些量化目标？")
    assert pred.extra["route"] == "targets"
    assert {c["doc_id"] for c in pred.citations} == {"dongguan-2023-draft"}
    assert (
        pred.answer.splitlines()[-1]
        == "注意：所引《东莞市实施意见(2023征求意见稿)》已被《東莞市質量強市方案(2024)》取代，以后者为准。"
    )
    assert all(c["status"] == "superseded" and c["superseded_by"] == "dongguan-2024-plan" for c in pred.citations)


def test_an_expired_plan_is_said_to_be_expired(pipeline):
    pred = pipeline.predict("广东省到2017年的量化目标有哪些？")
    assert pred.extra["route"] == "targets" and len(pred.citations) > 5
    assert "已失效" in pred.answer.splitlines()[-1]
    no_drafts = pipeline.predict("东莞征求意见稿有哪些量化目标？", filters={"include_drafts": False})
    assert all(c["doc_id"] != "dongguan-2023-draft" for c in no_drafts.citations)


def test_other_questions_do_not_take_the_targets_path():
    assert is_targets_question("東莞到2025年有哪些量化目標？")
    assert not is_targets_question("东莞2025年食品抽检合格率目标是多少？")  # one figure: the normal path
    assert not is_targets_question("源城区的企业参与品牌建设有什么金融支持？")


def test_draft_vs_final_question_puts_the_aligned_pair_first(pipeline):
    result = pipeline.retrieve("东莞征求意见稿和正式方案的食品抽检合格率目标有何不同？")
    chosen = pair_first(result.clauses[:3], result, pipeline.index, 3)
    first, second = chosen[0].clause.clause_id, chosen[1].clause.clause_id
    pair = aligned_pair(pipeline.index, first)
    assert pair is not None and {first, second} == {pair.old_clause_id, pair.new_clause_id}
    assert {first, second} == {"dongguan-2023-draft/1.2.b1", "dongguan-2024-plan/1.2.b1"}
    other = pipeline.retrieve("源城区的企业参与品牌建设有什么金融支持？")
    assert pair_first(other.clauses[:3], other, pipeline.index, 3) == other.clauses[:3]  # no comparison: unchanged


@pytest.mark.slow
def test_draft_vs_final_answer_cites_both_versions(pipeline):
    pred = pipeline.predict("东莞征求意见稿和正式方案的食品抽检合格率目标有何不同？")
    cited = {c["clause_id"] for c in pred.citations}
    assert {"dongguan-2023-draft/1.2.b1", "dongguan-2024-plan/1.2.b1"} <= cited
    assert "取代" in pred.answer  # it cites the superseded draft
