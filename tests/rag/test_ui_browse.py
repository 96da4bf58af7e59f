"""The finder's and the document browser's callbacks over a tiny index (no model, milliseconds):
the page's "全部" means no constraint, a row click opens its clause, documents render."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from rag.ui_browse import BrowseViews
from rag.ui_text import load_ui_text
from tests.rag.test_finder import CLAUSES, DOCS

ALL = load_ui_text().all


@pytest.fixture
def views():
    index = SimpleNamespace(documents=DOCS, clauses=CLAUSES, clause_by_id={c.clause_id: c for c in CLAUSES})
    return BrowseViews(index)


def test_find_with_every_choice_open(views):
    rows, note = views.find(ALL, ALL, ALL, True, "")
    assert [r[-1] for r in rows] == ["dg-plan/2", "dg-draft/1", "sg-plan/1"] and note.startswith("共 3 条")
    assert rows[1][0] == "东莞征求意见稿（征求意见稿）"


def test_find_narrows_by_region_drafts_need_and_keyword(views):
    assert [r[-1] for r in views.find("东莞市", ALL, ALL, False, "")[0]] == ["dg-plan/2"]
    rows, _ = views.find(ALL, ALL, "资金/税收/金融扶持", True, "")
    assert [r[-1] for r in rows] == ["dg-plan/2", "dg-draft/1"]
    assert rows[0][2] == "对首席质量官给予资金奖补。"  # the need's sentence, in simplified script
    rows, note = views.find(ALL, "建筑工程", ALL, True, "")
    assert rows == [] and note == load_ui_text().finder.none
    assert views.find(None, ALL, ALL, True, "")[0] == []  # a cleared dropdown matches nothing, as before


def test_a_row_click_opens_the_clause_in_the_browser(views):
    rows, _ = views.find(ALL, ALL, ALL, True, "")
    tabs, doc_id, query, html = views.open_from_finder(rows, SimpleNamespace(index=[1, 0]))
    assert tabs.selected == "docs" and doc_id == "dg-draft" and query == ""
    assert 'class="clause item focus" id="dg-draft/1"' in html
    frame = pd.DataFrame(rows, columns=list(load_ui_text().finder.columns))
    assert views.open_from_finder(frame, SimpleNamespace(index=[2, 3]))[1] == "sg-plan"
    assert all(u == {"__type__": "update"} for u in views.open_from_finder(rows, SimpleNamespace(index=[9, 0])))


def test_documents_render_and_search(views):
    assert "<h3>韶关方案</h3>" in views.render_document("sg-plan", "")
    assert "“主体”：1 / 1 条" in views.render_document("sg-plan", "主体")
    assert views.render_document("nope", "") == views.render_document(None, "") == "<p>请选择一份文件。</p>"
    assert [row[0] for row in views.catalog_rows()] == ["东莞方案", "东莞征求意见稿", "韶关方案"]
