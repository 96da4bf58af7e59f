"""The prediction object and its one error path."""

from __future__ import annotations

from rag.prediction import Prediction, citation_object
from tests.rag.hand_blocks import B2


def test_failure_is_the_contracts_object_with_the_error_and_nothing_answered():
    d = Prediction.failure("q1", "问题？", "ValueError: bad").to_dict()
    assert d == {
        "id": "q1",
        "question": "问题？",
        "answer": "",
        "declined": False,
        "citations": [],
        "retrieved": [],
        "timings": {},
        "error": "ValueError: bad",
    }


def test_a_citation_is_the_contracts_clause_object_plus_card_fields():
    c = citation_object(B2)
    assert list(c)[:5] == ["clause_id", "doc_id", "doc_title", "label", "text"]
    assert "score" not in c and c["excerpt"] == B2.excerpt and c["doc_id"] == "dg-2024"
