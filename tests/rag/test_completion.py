"""The completion steps on hand-made blocks (no model needed)."""

from __future__ import annotations

from types import SimpleNamespace

from rag.completion import Completion, complete
from rag.config import Settings
from tests.rag.hand_blocks import FINAL, block

LOAN = block(1, FINAL, "鼓勵金融資本加大質量投入力度，推廣“質量貸”金融產品，提高企業質量“變現”能力。")


def _english(answer: str) -> tuple[str, str]:
    result = SimpleNamespace(extra={}, parts=[], analysis=SimpleNamespace(answer_type=""))
    c = Completion(result, [LOAN], "bank loans for quality?", "质量贷 金融 产品", "english", Settings(), lambda s: "")
    text, _, route = complete(answer, [LOAN], "llm", c)
    return text, route


def test_an_english_answer_without_the_plans_term_in_brackets_quotes_its_source():
    text, route = _english("Banks promote a quality loan product [1].")
    assert route == "llm+quoted" and "質量貸" in text
    # a Chinese fragment inside an English word is no term the reader can look up
    assert _english("Banks promote a 质量 loan product [1].")[1] == "llm+quoted"
    # the term given in brackets: nothing added
    given = "Banks promote a quality loan (质量贷) [1]."
    assert _english(given) == (given, "llm")
