"""Answer checking's vocabulary: read once from answer.yaml, the patterns the code always used (no corpus)."""

from __future__ import annotations

import pytest

from rag.answer_words import load_answer_words
from rag.lexicon import LEXICON_DIR, LexiconError


def test_the_yaml_words_make_the_patterns_checking_always_used():
    words = load_answer_words()
    assert words.refusal.search("文件中没有相关规定") and words.refusal.search("It is NOT MENTIONED.")
    assert words.non_answer.match("是的，文件中有相关规定。") and not words.non_answer.match("有相关规定：每年两次。")
    assert words.department_question.search("哪个部门牵头？") and words.department_question.search("Which bureau?")
    assert words.document_question.search("文号是多少") and not words.document_question.search("目标是多少")
    assert words.date_units == {"", "年", "月", "日", "号"}


def test_a_department_question_asks_for_one_and_does_not_just_name_a_unit():
    asks = load_answer_words().department_question.search
    for q in (
        "東莞提升企業質量管理能力由哪個部門負責？",
        "这事该找哪个单位",
        "责任单位有哪些",
        "计量这块谁来管",
        "这事归谁管？",
        "由哪几个部门牵头",
        "Who is in charge of it?",
    ):
        assert asks(q), q
    # a unit or a person named, no department asked for (the prompt would list every clause's units)
    for q in (
        "对建设单位的工程质量责任有什么要求？",
        "企业主要负责人要担什么责任？",
        "以前要拿去质监部门备案，现在呢？",
    ):
        assert not asks(q), q


def test_figures_and_units():
    words = load_answer_words()
    assert [m.group(0) for m in words.fact_number.finditer("达到94%，新增3家，PM2.5和5G不算")] == ["94%", "3家"]
    assert [m.group(0) for m in words.any_figure.finditer("2025年新增三家，达到98.5")] == ["三家", "98.5"]


def test_citation_habits_of_the_model():
    words = load_answer_words()
    assert words.placeholder.sub("", "见规定[编号]和【n】") == "见规定和"
    assert words.placeholder.sub("", "见规定[1]") == "见规定[1]"
    m = words.clause_reference.search("根据第［2］条，应当")
    assert m and m.group(1) == "［2］" and m.group(2) == "2" and m.group(0) == "第［2］条"
    assert words.clause_reference.search("per Clause [3]").group(2) == "3"
    assert words.clause_reference.search("根据条款 [1] 和 [3]，").group(3) == " 和 [3]"


def test_a_missing_file_or_entry_is_a_clear_error(tmp_path):
    with pytest.raises(LexiconError, match="answer.yaml: missing"):
        load_answer_words.__wrapped__(tmp_path)
    text = (LEXICON_DIR / "answer.yaml").read_text(encoding="utf-8")
    (tmp_path / "answer.yaml").write_text(text.replace("\nrefusal:", "\nrefusals:"), encoding="utf-8")
    with pytest.raises(LexiconError, match="answer.yaml: refusal must be a non-empty list"):
        load_answer_words.__wrapped__(tmp_path)
    (tmp_path / "answer.yaml").write_text(text.replace("count_counters: ", "count_counters: 1\n#"), encoding="utf-8")
    with pytest.raises(LexiconError, match="count_counters must be a non-empty string"):
        load_answer_words.__wrapped__(tmp_path)
