"""The page's words as data: the real file loads into frozen sections; a broken file is a clear
LexiconError naming the file and the key (no model, milliseconds)."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from rag.lexicon import LEXICON_DIR, LexiconError
from rag.ui_text import UI_TEXT_FILE, load_ui_text


def test_the_real_file_loads_once_into_frozen_sections():
    text = load_ui_text()
    assert text is load_ui_text()  # read once
    assert text.all == "全部" and text.traditional == "繁體"
    assert text.finder.columns[-1] == "条款编号"  # the clause id a click opens is the last column
    assert set(text.plans.status_names) == {"changed", "added", "removed", "unchanged"}
    assert "{documents}" in text.header and "{count}" in text.finder.count
    with pytest.raises(dataclasses.FrozenInstanceError):
        text.title = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        text.plans.status_names["changed"] = "x"  # type: ignore[index]


def test_every_message_template_takes_its_placeholders():
    text = load_ui_text()
    assert "12" in text.finder.count.format(count=12)
    assert text.report.counts.format(support=1, obligation=2, documents=3, query="region=x").endswith("(?region=x)")
    assert text.plans.diff_unrelated.format(old="A", new="B").startswith("《A》→《B》")


def _copy(tmp_path):
    shutil.copy(LEXICON_DIR / UI_TEXT_FILE, tmp_path / UI_TEXT_FILE)
    return tmp_path / UI_TEXT_FILE


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(LexiconError, match="missing"):
        load_ui_text(tmp_path)


def test_bad_yaml_names_the_file(tmp_path):
    (tmp_path / UI_TEXT_FILE).write_text("title: [unclosed\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="not valid YAML"):
        load_ui_text(tmp_path)


def test_a_missing_and_an_unknown_key_are_named(tmp_path):
    path = _copy(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("  vote_thanks:", "  vote_thank:"), encoding="utf-8")
    with pytest.raises(LexiconError, match=r"chat: missing \['vote_thanks'\], unknown \['vote_thank'\]"):
        load_ui_text(tmp_path)


def test_a_missing_top_level_text_is_named(tmp_path):
    path = _copy(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("\nall: 全部", "\nevery: 全部"), encoding="utf-8")
    with pytest.raises(LexiconError, match=r"missing text \['all'\], unknown \['every'\]"):
        load_ui_text(tmp_path)
