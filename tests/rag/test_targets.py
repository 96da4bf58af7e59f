"""Targets table (issue 15): every figure of every target sentence is taken or skipped with a reason."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys

import pytest

from rag.config import PROJECT_ROOT
from rag.index import parse_corpus
from rag.target_figures import SKIP_REASONS, target_lexicon
from rag.targets import (
    CSV_COLUMNS,
    TargetInputError,
    check_selection,
    extract,
    select,
    to_csv,
)
from rag.text import normalize


@pytest.fixture(scope="module")
def corpus(settings):
    infos, clauses, _ = parse_corpus(settings)
    return {i.doc_id: i for i in infos}, clauses


@pytest.fixture(scope="module")
def result(corpus):
    return extract(*corpus)


def rows(targets, doc_id):
    return {(t.indicator, t.value_text, t.unit, t.comparator, t.year) for t in targets if t.doc_id == doc_id}


def test_counts_per_document(result):
    counts = {d: (c["sentences"], c["taken"]) for d, c in result.counts().items()}
    assert counts == {
        "yuancheng-plan": (2, 0),  # its goals are qualitative; PM2.5 is a name
        "dongguan-2024-plan": (11, 26),
        "shaoguan-interpretation": (3, 0),  # an interpretation: no figures, only "近三届…两位"
        "guangdong-2016-2017-action-plan": (21, 37),
        "dongguan-2023-draft": (7, 13),
    }


def test_no_figure_is_dropped_silently(result):
    """Every number of every target sentence is either a target or skipped with a known reason."""
    lex = target_lexicon()
    for s in result.sentences:
        numbers = [m.start() for m in re.finditer(r"\d+(?:\.\d+)?", s.sentence)]
        accounted = [f.start for f in s.figures if not re.match(lex.cjk_numeral, f.number)]
        assert numbers == accounted, s.sentence
        for f in s.figures:
            assert f.skipped in ("", *SKIP_REASONS), f
        taken = [f for f in s.figures if not f.skipped]
        listed = [t for t in result.targets if t.sentence == s.sentence and t.clause_id == s.clause_id]
        assert len(listed) == len(taken)


def test_every_number_with_a_target_comparator_anywhere_is_in_the_table(corpus, result):
    """Independent check over all clause text: "<n><unit>以上/左右" and "达(到)<n>" figures are all taken."""
    _, clauses = corpus
    pattern = re.compile(
        r"(?:达到?|超过|突破|稳定在|维持在)\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*\S{0,2}?\s*(?:以上|左右)"
    )
    taken = {(t.clause_id, t.value_text) for t in result.targets}
    missing = []
    for c in clauses:
        for m in pattern.finditer(normalize(c.text)):
            number = m.group(1) or m.group(2)
            value = str(int(float(number))) if float(number).is_integer() else number
            if (c.clause_id, value) not in taken:
                missing.append((c.clause_id, m.group()))
    assert missing == []


def test_rows_of_the_real_documents(result):
    final = rows(result.targets, "dongguan-2024-plan")
    assert ("食品抽检合格率", "98.5", "%", ">=", "2025") in final
    assert ("每万人口高价值发明专利拥有量", "26.9", "件", "=", "2025") in final
    assert ("设立首席质量官", "10000", "名", ">=", "2025") in final
    assert ("年营业收入", "100", "亿元", ">", "2025") in final
    gd = rows(result.targets, "guangdong-2016-2017-action-plan")
    assert ("全省有效注册商标", "180", "万件", ">", "2017") in gd  # year from the earlier sentence
    assert ("全省有效发明专利量", "16", "万件", ">", "2017") in gd
    assert ("大中型工程一次验收合格率", "100", "%", "=", "2017") in gd  # 一次 is a word, not a figure
    draft = rows(result.targets, "dongguan-2023-draft")
    assert ("新增国家标准", "300", "项", ">=", "2025") in draft  # a list item inherits its verb; year from the parent
    assert ("全社会研发费用投入占GDP比重", "4", "%", "≈", "2025") in draft
    assert all(t.status in {"in force", "superseded", "expired"} for t in result.targets)


def test_targets_are_worded_as_targets_with_their_year(result):
    for t in result.targets:
        assert t.phrase().startswith(f"到{t.year}年，") and t.value_text + t.unit in t.phrase()
    food = next(t for t in result.targets if t.doc_id == "dongguan-2024-plan" and t.indicator == "食品抽检合格率")
    assert food.phrase() == "到2025年，食品抽检合格率达到98.5%以上"


def test_csv_columns_and_selection(corpus, result):
    documents, _ = corpus
    chosen = select(result.targets, documents, region="東莞")
    assert {t.doc_id for t in chosen} == {"dongguan-2024-plan", "dongguan-2023-draft"}
    table = list(csv.reader(io.StringIO(to_csv(chosen))))
    assert table[0][: len(CSV_COLUMNS)] == CSV_COLUMNS
    assert len(table) == len(chosen) + 1
    for row in table[1:]:
        float(row[1])  # value is a plain number
    assert select(result.targets, documents, year="2017") == [t for t in result.targets if t.year == "2017"]
    with pytest.raises(TargetInputError, match="known: yuancheng-plan, dongguan-2024-plan"):
        check_selection(documents, doc_id="nope")
    with pytest.raises(TargetInputError, match="unknown region '深圳'; known: 河源市源城区, 东莞市"):
        check_selection(documents, region="深圳")


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "rag.targets", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )


def test_cli_csv_counts_and_bad_input():
    out = run("--csv", "--doc", "dongguan-2024-plan")
    assert out.returncode == 0
    assert out.stdout.splitlines()[0].startswith(",".join(CSV_COLUMNS))
    assert len(out.stdout.splitlines()) == 27
    assert re.search(r"dongguan-2024-plan\s+11\s+31\s+26", out.stderr)
    bad = run("--doc", "nope")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "known: yuancheng-plan" in bad.stderr
    bad = run("--region", "深圳")
    assert bad.returncode == 2 and "known: 河源市源城区, 东莞市, 韶关市, 广东省" in bad.stderr
