"""BM25 search (rag/retrieve/sparse.py): query words the corpus never uses fall back to their rare known pieces."""

from __future__ import annotations

from types import SimpleNamespace

from rank_bm25 import BM25Okapi

from rag.retrieve.sparse import SparseSearch, known_parts, rare_idf
from rag.text import tokens

TEXTS = [
    "推广“质量贷”金融产品，提高企业质量“变现”能力。",
    "到2025年，全市检验检测认证机构达450家以上。",
    "加强质量人才培养，设立首席质量官。",
    *(f"第{n}年，推进质量强市建设。" for n in range(20)),
]


def _search() -> SparseSearch:
    return SparseSearch(SimpleNamespace(bm25=BM25Okapi([tokens(t) for t in TEXTS])))


def test_an_unknown_word_falls_back_to_its_rare_known_pieces():
    idf = {"贷": 3.0, "年": 0.1, "服务": 2.0, "点": 3.2, "质量": 0.5}
    # 贷款 → 贷; 服务点 → 服务 + 点; a common piece (年), a known word and English are left alone
    assert known_parts(["贷款", "服务点", "今年", "质量", "loans"], idf, min_idf=1.0) == ["贷", "服务", "点"]
    # a common longer piece does not hide a rare shorter one; each piece once
    assert known_parts(["费贷款", "贷款"], {"费贷": 0.5, "贷": 3.0}, min_idf=1.0) == ["贷"]


def test_a_loan_question_finds_the_clause_that_names_the_loan_product():
    search = _search()
    assert "贷款" not in search.index.bm25.idf and "贷" in search.index.bm25.idf
    found = search.search("能申请贷款吗", 3)  # without the piece no chunk would score at all
    assert found is not None and found.ranking == [0]
    # the scores the decision reads are the query's own words': the piece only ranks
    assert not found.scores.any()
    # a piece found in most chunks ("年") is too common to count
    assert "年" not in known_parts(tokens("今年"), search.index.bm25.idf, rare_idf(search.index.bm25, 0.02))
