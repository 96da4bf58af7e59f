"""Validity (issue 15): each document's status in the catalog, the clause export, citations and cards."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from rag.documents import STATUSES, DocumentError, DocumentInfo, load_catalog, save_catalog
from rag.ingest import export_clauses
from rag.lexicon import LexiconError
from rag.retrieval import RetrievalFilters
from rag.validity import citation_badge, is_draft_citation, status_label, validity_lines, validity_wording


@pytest.fixture(scope="module")
def catalog(settings) -> dict[str, DocumentInfo]:
    return {d.doc_id: d for d in load_catalog(settings.data_dir)}


def test_every_document_has_one_of_the_five_statuses(catalog):
    assert set(STATUSES) == {"in force", "superseded", "expired", "draft", "reference"}
    assert all(d.status in STATUSES for d in catalog.values())
    assert catalog["guangdong-2016-2017-action-plan"].status == "expired"
    draft = catalog["dongguan-2023-draft"]
    assert (draft.status, draft.superseded_by, draft.kind) == ("superseded", "dongguan-2024-plan", "consultation draft")
    assert catalog["dongguan-2024-plan"].status == "in force"


def test_a_superseded_draft_is_still_a_draft(catalog):
    assert catalog["dongguan-2023-draft"].is_draft
    assert not any(d.is_draft for k, d in catalog.items() if k != "dongguan-2023-draft")
    no_drafts = RetrievalFilters.from_dict({"include_drafts": False})
    assert [k for k, d in catalog.items() if not no_drafts.allows(d)] == ["dongguan-2023-draft"]
    # "status": "draft" as a filter still finds the draft; "superseded" finds it by its validity
    for status in ("draft", "superseded"):
        allowed = RetrievalFilters.from_dict({"status": status})
        assert [k for k, d in catalog.items() if allowed.allows(d)] == ["dongguan-2023-draft"]


def test_superseded_needs_a_successor_and_only_it_has_one():
    base = {"doc_id": "x-doc", "file": "x.txt", "title": "某方案", "region": "东莞市"}
    with pytest.raises(DocumentError, match="superseded_by is required"):
        DocumentInfo(**base, status="superseded")
    with pytest.raises(DocumentError, match="superseded_by is required"):
        DocumentInfo(**base, status="in force", superseded_by="dongguan-2024-plan")
    with pytest.raises(DocumentError, match="status must be one of in force, superseded, expired"):
        DocumentInfo(**base, status="repealed")


def test_a_successor_missing_from_the_catalog_is_reported(corpus_copy):
    entries = load_catalog(corpus_copy.data_dir)
    broken = [replace(e, superseded_by="no-such-plan") if e.status == "superseded" else e for e in entries]
    (corpus_copy.data_dir / "catalog.yaml").write_text(save_catalog(corpus_copy.data_dir, broken), encoding="utf-8")
    with pytest.raises(DocumentError, match="superseded_by names no document of the catalog: dongguan-2023-draft"):
        load_catalog(corpus_copy.data_dir)


def test_saved_catalog_keeps_the_statuses(corpus_copy, catalog):
    text = save_catalog(corpus_copy.data_dir, list(catalog.values()))
    (corpus_copy.data_dir / "catalog.yaml").write_text(text, encoding="utf-8")
    assert {d.doc_id: d for d in load_catalog(corpus_copy.data_dir)} == catalog


def test_clause_export_carries_status_and_successor(settings, tmp_path, catalog):
    out = tmp_path / "clauses.jsonl"
    n = export_clauses(settings, out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == n > 0
    for row in rows:
        info = catalog[row["doc_id"]]
        assert (row["status"], row["superseded_by"], row["doc_kind"]) == (info.status, info.superseded_by, info.kind)
    assert {r["status"] for r in rows} == {"in force", "expired", "superseded"}


def test_badges_and_answer_lines_name_the_validity(catalog):
    draft = {"doc_id": "dongguan-2023-draft", "status": "superseded", "superseded_by": "dongguan-2024-plan"}
    old = {"doc_id": "guangdong-2016-2017-action-plan", "status": "expired"}
    current = {"doc_id": "dongguan-2024-plan", "status": "in force"}
    draft["doc_kind"] = "consultation draft"
    assert is_draft_citation(draft) and not is_draft_citation(old)
    assert is_draft_citation({"status": "draft"})  # objects made before issue 15
    assert citation_badge(draft, catalog) == "征求意见稿（非正式文本） · 已被《東莞市質量強市方案(2024)》取代"
    assert "已失效" in citation_badge(old) and citation_badge(current) == ""
    lines = validity_lines([current, draft, old, draft], catalog)
    assert [(x.key, x.values.get("successor")) for x in lines] == [
        ("validity_superseded", "東莞市質量強市方案(2024)"),
        ("validity_expired", None),
    ]
    assert status_label(catalog["dongguan-2023-draft"], catalog).endswith("→ 東莞市質量強市方案(2024)")


def test_validity_wording_is_data_with_a_clear_error_when_missing(tmp_path):
    wording = validity_wording()
    assert set(wording.status_names) == set(STATUSES)  # every catalog status has its words
    assert "{successor}" in wording.superseded_by_badge
    with pytest.raises(LexiconError, match="validity.yaml: missing"):
        validity_wording.__wrapped__(tmp_path / "validity.yaml")
