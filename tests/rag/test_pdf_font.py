"""The cut-down CJK font of the PDFs: made once, holds the corpus's characters, and is never used
for a text it cannot print (a small corpus in tmp_path; the system CJK font when installed)."""

from __future__ import annotations

import pytest

from rag import pdf_font
from rag.pdf_font import corpus_chars, corpus_font


@pytest.fixture
def small_corpus(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_font, "FONT_DIR", tmp_path / "fonts")
    corpus = tmp_path / "data"
    (corpus / "lexicon").mkdir(parents=True)
    (corpus / "plan.txt").write_text("东莞市质量强市建设实施方案\n", encoding="utf-8")
    (corpus / "lexicon" / "report.yaml").write_text("title: 企业适用政策报告\n", encoding="utf-8")
    return corpus


def test_corpus_chars_are_every_file_and_printable_ascii(small_corpus):
    chars = corpus_chars.__wrapped__(small_corpus)
    assert set("东莞质量报告") <= chars and set("2025-11-28 dongguan-2024-plan/2.3.8") <= chars
    assert "深" not in chars


def test_no_corpus_or_a_character_outside_it_gets_the_full_font(small_corpus, tmp_path):
    font = tmp_path / "font.ttf"
    assert corpus_font(font, "东莞", None) == font
    assert corpus_font(font, "深圳", small_corpus) == font


def test_an_unreadable_font_falls_back_to_itself(small_corpus, tmp_path):
    font = tmp_path / "broken.ttf"
    font.write_bytes(b"not a font")
    assert corpus_font(font, "东莞", small_corpus) == font


def test_the_cut_font_is_small_made_once_and_maps_the_corpus(small_corpus, settings):
    if not settings.report_font.is_file():
        pytest.skip(f"{settings.report_font} missing: `make test` installs fonts-droid-fallback")
    from fontTools.ttLib import TTFont

    cut = corpus_font(settings.report_font, "东莞报告", small_corpus)
    assert cut != settings.report_font and cut.parent == pdf_font.FONT_DIR
    assert cut.stat().st_size < settings.report_font.stat().st_size / 10
    assert corpus_font(settings.report_font, "质量", small_corpus) == cut  # one copy per font and corpus
    cmap = TTFont(str(cut)).getBestCmap()
    assert {ord(c) for c in "东莞质量报告"} <= set(cmap) and ord("深") not in cmap
