"""Draft ↔ final (issue 15): one-to-one clause alignment, statuses, figure changes, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from rag.config import PROJECT_ROOT
from rag.diff import STATUSES, DiffInputError, aligned_pair, compare, successions
from rag.index import load_index

OLD, NEW = "dongguan-2023-draft", "dongguan-2024-plan"


@pytest.fixture(scope="module")
def index(settings):
    return load_index(settings)


@pytest.fixture(scope="module")
def comparison(index):
    return compare(index.documents, index.clauses, OLD, NEW, index)


def test_the_catalog_records_the_succession(index):
    assert successions(index.documents) == [(OLD, NEW)]


def test_alignment_is_one_to_one_and_covers_every_clause(index, comparison):
    old_ids = [p.old_clause_id for p in comparison.pairs if p.old_clause_id]
    new_ids = [p.new_clause_id for p in comparison.pairs if p.new_clause_id]
    assert sorted(old_ids) == sorted(c.clause_id for c in index.clauses if c.doc_id == OLD)
    assert sorted(new_ids) == sorted(c.clause_id for c in index.clauses if c.doc_id == NEW)
    assert all(p.status in STATUSES for p in comparison.pairs)
    for p in comparison.pairs:
        assert (p.status == "added") == (not p.old_clause_id) and (p.status == "removed") == (not p.new_clause_id)
    counts = comparison.counts()
    assert counts["changed"] > counts["added"] + counts["removed"]  # mostly the same plan, reworded


def test_pairs_follow_the_documents(comparison):
    pairs = {p.old_clause_id: p.new_clause_id for p in comparison.pairs if p.old_clause_id and p.new_clause_id}
    # the goal section and its first bullet; the numbered measures keep their headings across versions
    assert pairs[f"{OLD}/1.2"] == f"{NEW}/1.2"
    assert pairs[f"{OLD}/1.2.b1"] == f"{NEW}/1.2.b1"
    assert pairs[f"{OLD}/1.2.p1"] == f"{NEW}/1.2.p1"  # 到2035年
    assert pairs[f"{OLD}/8.24"] == f"{NEW}/2.6.18"  # 提升质量基础设施服务效能, in another script and number
    assert pairs[f"{OLD}/5.13"] == f"{NEW}/2.3.8"  # 强化工程质量保障


def test_changed_figures_of_a_pair_are_listed_old_to_new(comparison):
    b1 = next(p for p in comparison.pairs if p.old_clause_id == f"{OLD}/1.2.b1")
    assert b1.status == "changed"
    changes = {(c.old, c.new) for c in b1.changes}
    assert {("98%以上", "98.5%以上"), ("94%以上", "95%以上")} <= changes
    assert "食品抽检合格率达到98%以上" in b1.old_text and "食品抽檢合格率達到98.5%以上" in b1.new_text  # own scripts


def test_all_goal_section_figure_changes_are_found(index, comparison):
    """Every target of the draft's goal section is matched to the final text's or reported removed;
    every target of the final goal section likewise, and the known changes are among them."""
    from rag.targets import extract

    goal = f"{OLD}/1.2", f"{NEW}/1.2"
    targets = extract(index.documents, [c for c in index.clauses if c.clause_id.startswith(goal)]).targets
    changed = {(f.indicator, f.old, f.new) for f in comparison.figures}
    for doc_id, attr in ((OLD, "old"), (NEW, "new")):
        listed = Counter((t.clause_id, t.figure) for t in targets if t.doc_id == doc_id)
        reported = Counter((getattr(f, attr + "_clause_id"), getattr(f, attr)) for f in comparison.figures)
        kept = listed - reported  # the same in both versions: 农产品 98%, 智能工厂 80家, 研发 4%, 指数 94, 实验室 2家
        assert sum(kept.values()) == 5, kept
        others = {(t.value, t.unit, t.comparator) for t in targets if t.doc_id != doc_id}
        for clause_id, figure in kept:
            t = next(t for t in targets if (t.clause_id, t.figure) == (clause_id, figure))
            assert (t.value, t.unit, t.comparator) in others
    for indicator, old, new in [
        ("食品抽检合格率", "98%以上", "98.5%以上"),
        ("制造业产品质量合格率和消费品质量合格率", "94%以上", "95%以上"),
        ("新增主导或参与制定(修订)国际标准", "9 项以上", "6项"),
        ("新增国家标准", "300 项以上", "200项"),
        ("新增行业标准", "150 项以上", "100项"),
        ("新增广东省政府质量奖组织", "20 家以上", "2家"),
        ("新增卓越绩效管理优秀单位", "100 家以上", ""),
        ("新增湾区标准", "", "30项"),
    ]:
        assert (indicator, old, new) in changed


def test_aligned_pair_for_chat(index):
    pair = aligned_pair(index, f"{NEW}/1.2.b1")
    assert pair is not None and pair.old_clause_id == f"{OLD}/1.2.b1"
    assert aligned_pair(index, f"{OLD}/1.2.b1") == pair
    assert aligned_pair(index, "yuancheng-plan/3.1.1") is None  # no other version
    assert aligned_pair(index, f"{OLD}/pre1") is None  # removed: no counterpart


def test_bad_pairs_get_one_line_naming_the_known_ids(index):
    with pytest.raises(DiffInputError, match="unknown document 'nope'; known: yuancheng-plan"):
        compare(index.documents, index.clauses, "nope", NEW)
    with pytest.raises(DiffInputError, match="nothing to align"):
        compare(index.documents, index.clauses, NEW, NEW)


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "rag.diff", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )


def test_cli_json_and_bad_input():
    out = run(OLD, NEW, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    pair = data["pairs"][0]
    assert set(pair) >= {"status", "old_clause_id", "new_clause_id", "old_text", "new_text", "changes"}
    assert all(set(c) >= {"old", "new"} for p in data["pairs"] for c in p["changes"])
    assert any(c["old"] == "98%以上" and c["new"] == "98.5%以上" for p in data["pairs"] for c in p["changes"])
    text = run(OLD, NEW)
    assert text.returncode == 0 and "supersedes" in text.stdout.splitlines()[0]
    for args in ([OLD, "nope"], [NEW, NEW]):
        bad = run(*args)
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "known: yuancheng-plan" in bad.stderr
