"""What two versions of a clause are compared on, and the score that aligns them (no index, no model)."""

from __future__ import annotations

import pytest

from rag.clauses import Clause
from rag.diff_similarity import comparable, diff_lexicon, similarity
from rag.lexicon import LexiconError


def clause(clause_id: str, text: str, kind: str = "item") -> Clause:
    doc_id = clause_id.split("/")[0]
    return Clause(clause_id, doc_id, kind, "", [], clause_id, "", text)


def test_numbering_and_script_do_not_count():
    assert comparable("（三）強化工程質量保障") == comparable("5.强化工程质量保障") == "强化工程质量保障"
    assert comparable("12.5%以上的企业") == "12.5%以上的企业"  # a figure is not a number


def test_the_rewritten_clause_scores_highest_and_kinds_scale_down():
    old = [clause("a/1", "提升食品抽检合格率，加强食品安全监管"), clause("a/2", "建设计量测试平台")]
    new = [clause("b/1", "建设国家计量测试平台"), clause("b/2", "加强食品安全监管，提升食品抽检合格率", kind="bullet")]
    scores = similarity(old, new)
    assert scores.shape == (2, 2)
    assert scores[1, 0] > scores[1, 1] and scores[0, 1] > scores[0, 0]
    same_kind = similarity(old[:1], [clause("b/2", new[1].text)])
    assert scores[0, 1] == pytest.approx(same_kind[0, 0] * 0.7)  # a bullet and an item: scaled down


def test_a_missing_vocabulary_is_a_clear_error(tmp_path):
    with pytest.raises(LexiconError, match="diff.yaml: missing"):
        diff_lexicon.__wrapped__(tmp_path / "diff.yaml")
