"""Typo repair's vocabulary (rag/typo.py, data/lexicon/typo.yaml); repairs on the corpus are in test_query.py."""

from __future__ import annotations

import pytest

from rag.lexicon import LexiconError
from rag.typo import TypoRepairer, load_typo_vocabulary


def test_the_input_method_facts_come_from_yaml():
    vocabulary = load_typo_vocabulary()
    assert "的" in vocabulary.function_chars and ("zh", "z") in vocabulary.fuzzy_sounds


def test_a_broken_vocabulary_names_the_file_and_the_entry(tmp_path):
    (tmp_path / "typo.yaml").write_text("function_chars: 的了\nfuzzy_sounds: [[zh]]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="fuzzy_sounds"):
        load_typo_vocabulary(tmp_path)


def test_a_run_that_sounds_like_a_corpus_word_is_repaired_and_a_corpus_word_is_not():
    repairer = TypoRepairer(["推进检测认证", "加强检测能力"])
    assert repairer.repair("检侧机构") == ("检测机构", [("检侧", "检测")])
    assert repairer.repair("检测机构") == ("检测机构", [])
