"""Merging rankings (rag/retrieve/combine.py): parts round-robin, comparison sides first."""

from __future__ import annotations

from rag.documents import DocumentInfo
from rag.retrieve.combine import interleave_documents, merge_rankings, without_names
from rag.retrieve.types import ScoredClause


def scored(index, clause_id, score=1.0):
    clause = index.clause_by_id[clause_id]
    return ScoredClause(clause, index.documents[clause.doc_id], score, 0.0, 0.0, clause_id)


def ids(ranked):
    return [s.clause.clause_id for s in ranked]


def test_merge_takes_each_rankings_best_in_turn_and_each_clause_once(tiny_index):
    a = [scored(tiny_index, c) for c in ("gd-plan/1", "gd-plan/2", "dg-plan/1")]
    b = [scored(tiny_index, c) for c in ("dg-plan/1", "gd-plan/1", "dg-plan/2")]
    assert ids(merge_rankings([a, b], 10)) == ["gd-plan/1", "dg-plan/1", "gd-plan/2", "dg-plan/2"]
    assert ids(merge_rankings([a, b], 2)) == ["gd-plan/1", "dg-plan/1"]
    assert merge_rankings([], 5) == []


def test_a_comparison_searches_the_topic_without_the_sides_names(tiny_index):
    docs = [tiny_index.documents["gd-plan"], tiny_index.documents["dg-draft"]]
    assert without_names("广东省和东莞征求意见的品牌建设", docs) == "和 的品牌建设"
    assert without_names("东莞", docs) == "东莞"  # nothing left: the text itself


def test_the_years_that_date_a_compared_document_are_not_the_topic():
    draft = DocumentInfo("x-draft", "d.txt", "某市实施意见（征求意见稿）", "某市", status="draft", date="2023-09-14")
    plan = DocumentInfo("x-plan", "p.txt", "某省2016-2017年行动计划", "某省", date="2016-10-12")
    topic = without_names("2023年的征求意见稿和2016-17年的计划对首席质量官的提法", [draft, plan])
    assert topic == "的 和 的计划对首席质量官的提法"
    assert without_names("2016年至2017年的计划和2016-2017年的目标", [draft, plan]) == "的计划和 的目标"
    # a target year dates neither document: it is part of what is asked, and so is a range ending there
    assert without_names("某市到2025年的目标和某省的目标", [draft, plan]) == "到2025年的目标和 的目标"
    assert without_names("某市2023-2025年的目标", [draft, plan]) == "2023-2025年的目标"


def test_each_compared_documents_best_clauses_go_first_side_by_side(tiny_index):
    ranked = [
        scored(tiny_index, "gd-plan/1", 0.9),
        scored(tiny_index, "gd-plan/2", 0.8),
        scored(tiny_index, "dg-draft/1", 0.5),
        scored(tiny_index, "dg-plan/1", 0.95),
    ]
    out = interleave_documents(ranked, {"gd-plan", "dg-draft"}, slots=1)
    assert ids(out) == ["gd-plan/1", "dg-draft/1", "gd-plan/2", "dg-plan/1"]
