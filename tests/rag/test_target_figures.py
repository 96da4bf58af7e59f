"""Figures of a target sentence, their indicators and the target splitter, on written examples (no corpus, no model)."""

from __future__ import annotations

import pytest

from rag.lexicon import LexiconError
from rag.target_figures import find_figures, indicators, target_lexicon, target_sentences
from rag.text import split_sentences


def test_skip_reasons_on_written_examples():
    figures = find_figures("到2017年,PM2.5年均浓度维持在35微克/立方米左右", has_year=True)
    assert [(f.number, f.skipped) for f in figures] == [("2017", "target year"), ("2.5", "part of a name"), ("35", "")]
    assert figures[-1].unit == "微克/立方米" and figures[-1].comparator == "≈"
    past = find_figures("在近三届全省地级以上市政府质量工作考核中,排名前进了两位", has_year=False)
    assert [f.skipped for f in past] == ["Chinese numeral without comparator"] * 2
    assert [f.value for f in find_figures("力争培育三家以上领航企业", has_year=False)] == [3.0]  # cn2an


def test_indicator_is_the_text_before_or_the_verb_and_the_text_after():
    sentence = "食品抽检合格率达到98.5%以上,设立10000名以上首席质量官"
    figures = find_figures(sentence, has_year=True)
    assert list(indicators(sentence, figures).values()) == ["食品抽检合格率", "设立首席质量官"]


def test_a_list_item_inherits_the_verb_of_the_first():
    sentence = "新增国家标准300项以上、行业标准500项以上"
    assert list(indicators(sentence, find_figures(sentence, has_year=True)).values()) == [
        "新增国家标准",
        "新增行业标准",
    ]


def test_target_sentences_are_the_shared_splitter_except_at_question_marks():
    text = "到2017年,PM2?5年均浓度维持在35微克/立方米左右。\n  力争达到98%以上；其余！"
    assert target_sentences(text) == ["到2017年,PM2?5年均浓度维持在35微克/立方米左右。", "力争达到98%以上；", "其余！"]
    assert split_sentences(text)[0] == "到2017年,PM2?"  # the shared splitter would cut the figure in two
    plain = "甲。乙；丙\n丁"
    assert target_sentences(plain) == split_sentences(plain)


def test_a_missing_or_broken_vocabulary_is_a_clear_error(tmp_path):
    with pytest.raises(LexiconError, match="targets.yaml: missing"):
        target_lexicon.__wrapped__(tmp_path / "targets.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("sentence_trigger: 到\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="missing or malformed entry 'target_year'"):
        target_lexicon.__wrapped__(broken)
