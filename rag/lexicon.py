"""The vocabulary of question analysis, read once from `data/lexicon/*.yaml` into a frozen object.

Places, version words, question phrasing, filler, answer types and the English glossary are data,
not Python literals: a newcomer (or a deployment for another province) edits YAML, not code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from rag.config import PROJECT_ROOT

LEXICON_DIR = PROJECT_ROOT / "data" / "lexicon"


class LexiconError(ValueError):
    """A lexicon file is missing, malformed or holds a pattern that does not compile."""


@dataclass(frozen=True)
class AnswerType:
    """What a question asks for (`asks`, matched on the question) and what a clause sentence
    must contain to supply it (`states`)."""

    name: str
    asks: re.Pattern
    states: re.Pattern


@dataclass(frozen=True)
class Lexicon:
    english_places: dict[str, str]
    english_numbers: dict[str, str]  # longest first, so "hundred million" is not read as "million"
    level_names: dict[str, tuple[str, ...]]
    other_places: tuple[str, ...]
    draft_words: tuple[str, ...]
    final_words: tuple[str, ...]
    compare: re.Pattern
    question_words: frozenset[str]
    interrogative: re.Pattern
    question_marker: re.Pattern
    topic_question: re.Pattern
    first_person: re.Pattern
    reported_speech: re.Pattern
    filler: tuple[re.Pattern, ...]
    part_joiner: re.Pattern
    answer_types: tuple[AnswerType, ...]
    money_words: re.Pattern
    current_state: re.Pattern
    national: re.Pattern
    target_sentence: re.Pattern
    glossary: dict[str, tuple[str, ...]]
    place_suffixes: str  # the characters that end a region's name (省, 市 …)

    def answer_type(self, name: str) -> AnswerType:
        return next(t for t in self.answer_types if t.name == name)

    def answer_type_of(self, text: str) -> str:
        """The first answer type whose `asks` matches `text` (normalised, lower-cased); a count
        asked about money ("how much is the budget", "补贴多少") is an amount."""
        kind = next((t.name for t in self.answer_types if t.asks.search(text)), "")
        if kind == "count" and self.money_words.search(text):
            return "amount"
        return kind


def compile_pattern(pattern: str | list[str], where: str, flags: int = re.IGNORECASE) -> re.Pattern:
    """A YAML pattern (a string, or a list joined with |) compiled; `where` names it in the error."""
    text = "|".join(pattern) if isinstance(pattern, list) else str(pattern)
    try:
        return re.compile(text, flags)
    except re.error as exc:
        raise LexiconError(f"{where}: bad pattern ({exc})") from None


_compile = compile_pattern


def read_lexicon_file(path: Path) -> dict:
    """One vocabulary file as a mapping, or a `LexiconError` that names the file and the problem."""
    if not path.is_file():
        raise LexiconError(f"{path}: missing (vocabulary the code reads; restore it from git)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise LexiconError(f"{path}: expected a mapping at the top level")
    return data


_read = read_lexicon_file


@cache
def load_lexicon(directory: Path = LEXICON_DIR) -> Lexicon:
    q = _read(directory / "query.yaml")
    glossary = _read(directory / "glossary.yaml")
    where = str(directory / "query.yaml")
    try:
        types = tuple(
            AnswerType(
                name,
                _compile(spec["asks"], f"{where}: {name}.asks"),
                _compile(spec["states"], f"{where}: {name}.states"),
            )
            for name, spec in q["answer_types"].items()
        )
        return Lexicon(
            english_places={str(k).lower(): str(v) for k, v in q["english_places"].items()},
            english_numbers={
                str(k).lower(): str(v) for k, v in sorted(q["english_numbers"].items(), key=lambda kv: -len(kv[0]))
            },
            level_names={str(k): tuple(v) for k, v in (q.get("level_names") or {}).items()},
            other_places=tuple(str(q["other_places"]).split()),
            draft_words=tuple(q["draft_words"]),
            final_words=tuple(q["final_words"]),
            compare=_compile(q["compare"], f"{where}: compare"),
            question_words=frozenset(str(q["question_words"]).split()),
            interrogative=_compile(q["interrogative"], f"{where}: interrogative"),
            question_marker=_compile(q["question_marker"], f"{where}: question_marker"),
            topic_question=_compile(q["topic_question"], f"{where}: topic_question"),
            first_person=_compile(q["first_person"], f"{where}: first_person"),
            reported_speech=_compile(q["reported_speech"], f"{where}: reported_speech"),
            filler=tuple(_compile(p, f"{where}: filler") for p in q["filler"]),
            part_joiner=_compile(q["part_joiner"], f"{where}: part_joiner"),
            answer_types=types,
            money_words=_compile(q["money_words"], f"{where}: money_words"),
            current_state=_compile(q["current_state"], f"{where}: current_state"),
            national=_compile(q["national"], f"{where}: national"),
            target_sentence=_compile(q["target_sentence"], f"{where}: target_sentence"),
            glossary={str(k).lower(): tuple(str(v).split()) for k, v in glossary.items()},
            place_suffixes=str(q["place_suffixes"]),
        )
    except KeyError as exc:
        raise LexiconError(f"{where}: missing entry {exc}") from None
