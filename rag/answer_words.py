"""The vocabulary of answer checking, read once from `data/lexicon/answer.yaml` into a frozen object.

Refusal phrases, question words for departments and documents, units of a stated figure and the
model's citation habits are data, not Python literals: answer checking in another dialect (or for
another model's habits) edits YAML, not `rag/factcheck.py`, `rag/excerpts.py` or `rag/citations.py`.
The regular-expression syntax around the words (brackets, digits, lookarounds) stays here; the
pattern lists (`PATTERN_LISTS`: refusals, question forms) are regular expressions in the YAML, so a
question form such as "哪个部门" / "由谁负责" can be written without its bare words ("建设单位").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rag.lexicon import LEXICON_DIR, LexiconError, compile_pattern, read_lexicon_file

ANSWER_WORDS_FILE = "answer.yaml"
PATTERN_LISTS = (
    "refusal",
    "non_answer",
    "department_question",
    "department_tail",
    "more_question",
    "document_question",
)
WORD_LISTS = ("fact_units", "date_units", "citation_placeholders", "clause_reference_words", "clause_reference_joiners")
CHARACTER_SETS = ("count_numerals", "count_counters", "clause_reference_end")

OPEN, CLOSE = r"[\[【［]", r"[\]】］]"  # the brackets a citation is written in, ASCII or full-width


@dataclass(frozen=True)
class AnswerWords:
    """What answer checking matches on, compiled once."""

    refusal: re.Pattern  # "没有相关规定", "not mentioned"
    non_answer: re.Pattern  # a whole answer that only says there is something ("有相关规定。")
    department_question: re.Pattern  # "哪个部门牵头？"
    department_tail: re.Pattern  # what follows its form and asks nothing more ("是哪个", "负责")
    more_question: re.Pattern  # what a department question asks besides ("目标是多少")
    document_question: re.Pattern  # "文号是多少？"
    date_units: frozenset[str]  # "2025年" is supported by a bare "2025" (holds "" too: no unit)
    fact_number: re.Pattern  # a stated number with its unit ("94%", "3家"), not "PM2.5" or "5G"
    any_figure: re.Pattern  # any figure but a year, digits or a count in Chinese numerals ("三家")
    count_fact: re.Pattern  # a count in Chinese numerals with its counter ("三个"), group 1 the numeral
    numerals: str  # the Chinese numeral characters (a character class's contents)
    placeholder: re.Pattern  # "[编号]": a citation the model did not fill in
    clause_reference: re.Pattern  # "条款[1]", "第[2]条", "条款[1]和[3]": citations used as clauses' names


def alternatives(words: tuple[str, ...]) -> str:
    """Literal words as one regex alternation (escaped, in the file's order)."""
    return "|".join(map(re.escape, words))


def _check(data: dict, path: Path) -> None:
    """A `LexiconError` naming the first key that is missing or of the wrong shape."""
    for key in PATTERN_LISTS + WORD_LISTS:
        if not isinstance(data.get(key), list) or not data[key]:
            raise LexiconError(f"{path}: {key} must be a non-empty list")
    for key in CHARACTER_SETS:
        if not isinstance(data.get(key), str) or not data[key]:
            raise LexiconError(f"{path}: {key} must be a non-empty string")


def _word_patterns(data: dict) -> dict[str, re.Pattern]:
    """The patterns built around the file's literal words and character sets."""
    words = {key: tuple(str(w) for w in data[key]) for key in WORD_LISTS}
    numerals, counters, end = (re.escape(data[key]) for key in CHARACTER_SETS)
    return {
        "fact_number": re.compile(
            rf"(?<![A-Za-z\d.])\d+(?:\.\d+)?(?![A-Za-z\d])\s*(?:{alternatives(words['fact_units'])})?"
        ),
        # an ordinal ("第十四条", "第3条") is not a figure
        "any_figure": re.compile(
            rf"(?<![\d.第])(?!(?:19|20)\d\d(?:\D|$))\d+(?:\.\d+)?|(?<![第{numerals}])[{numerals}]+[{counters}]"
        ),
        "count_fact": re.compile(rf"(?<![第{numerals}])([{numerals}]+)[{counters}]"),
        "placeholder": re.compile(rf"{OPEN}\s*({alternatives(words['citation_placeholders'])})\s*{CLOSE}"),
        "clause_reference": re.compile(
            rf"(?:{alternatives(words['clause_reference_words'])})\s*({OPEN}\s*(\d{{1,2}})\s*{CLOSE})"
            rf"((?:\s*(?:{alternatives(words['clause_reference_joiners'])})\s*{OPEN}\s*\d{{1,2}}\s*{CLOSE})*)\s*{end}?",
            re.IGNORECASE,
        ),
    }


@cache
def load_answer_words(directory: Path = LEXICON_DIR) -> AnswerWords:
    """The answer vocabulary (cached); a `LexiconError` names the file and key when it is malformed."""
    path = directory / ANSWER_WORDS_FILE
    data = read_lexicon_file(path)
    _check(data, path)
    patterns = {key: compile_pattern([str(p) for p in data[key]], f"{path}: {key}") for key in PATTERN_LISTS}
    try:
        patterns |= _word_patterns(data)
    except re.error as exc:
        raise LexiconError(f"{path}: a word list makes a bad pattern ({exc})") from None
    date_units = frozenset(["", *(str(w) for w in data["date_units"])])
    return AnswerWords(date_units=date_units, numerals=re.escape(data["count_numerals"]), **patterns)
