"""Responsible-unit parsing and the structure vocabulary file."""

from __future__ import annotations

import pytest

from rag.clause_rules import load_clause_rules, parse_responsible
from rag.lexicon import LexiconError


def test_responsible_parsing_variants():
    assert parse_responsible("……。(責任單位:市工業和信息化局、市科技局)") == (["市工業和信息化局", "市科技局"], "")
    assert parse_responsible("……（区市场监管局负责）") == (["区市场监管局"], "")
    assert parse_responsible("质量控制(QC)小组评选。") == ([], "")


def test_a_unit_without_its_level_inherits_the_first_units_level():
    assert parse_responsible("……（省农业厅牵头，商务厅、各有关单位参与）") == (
        ["省农业厅", "省商务厅", "各有关单位"],
        "省农业厅",
    )


def test_a_broken_vocabulary_file_names_the_file(tmp_path, monkeypatch):
    import rag.clause_rules as rules

    bad = tmp_path / "clauses.yaml"
    bad.write_text("numbering: {cn: '([' }\n", encoding="utf-8")
    monkeypatch.setattr(rules, "CLAUSES_FILE", bad)
    load_clause_rules.cache_clear()
    try:
        with pytest.raises(LexiconError, match="clauses.yaml"):
            load_clause_rules()
    finally:
        load_clause_rules.cache_clear()
