"""The report's data: vocabulary and wording read once from report.yaml, clear errors otherwise (no corpus)."""

from __future__ import annotations

import pytest

from rag.lexicon import LEXICON_DIR, LexiconError
from rag.report_lexicon import load_report_lexicon, load_report_wording


def test_wording_has_every_field_and_both_sections():
    wording = load_report_wording()
    assert set(wording.sections) == {"support", "obligation"}
    assert set(wording.status_names) >= {"in force", "superseded", "expired", "draft", "reference"}
    assert wording.yes.startswith("是") and wording.no.startswith("否")  # YAML's yes/no stay words
    assert "以文件原文为准" in wording.authority_note


def test_vocabulary_names_the_province_and_its_regions():
    lex = load_report_lexicon()
    assert lex.province == "广东省" and "东莞" in lex.region_names["东莞市"]


def test_a_missing_file_or_entry_is_a_clear_error(tmp_path):
    with pytest.raises(LexiconError, match="report.yaml: missing"):
        load_report_wording.__wrapped__(tmp_path)
    text = (LEXICON_DIR / "report.yaml").read_text(encoding="utf-8")
    (tmp_path / "report.yaml").write_text(text.replace("  no_match:", "  no_matches:"), encoding="utf-8")
    with pytest.raises(LexiconError, match="missing or malformed entry 'no_match'"):
        load_report_wording.__wrapped__(tmp_path)
    assert load_report_lexicon.__wrapped__(tmp_path).province == "广东省"  # the vocabulary is still whole
