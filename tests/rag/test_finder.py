"""The policy finder over a tiny corpus (no model, milliseconds): document filters are the
retriever's `RetrievalFilters`; tags, keyword and heading-only clauses are the finder's own."""

from __future__ import annotations

from rag.clauses import Clause
from rag.documents import DocumentInfo
from rag.finder import FinderQuery, find_clauses
from rag.retrieval import RetrievalFilters

DOCS = {
    "dg-plan": DocumentInfo("dg-plan", "dg.txt", "东莞方案", "东莞市"),
    "dg-draft": DocumentInfo(
        "dg-draft", "d.txt", "东莞征求意见稿", "东莞市", kind="consultation draft", status="draft"
    ),
    "sg-plan": DocumentInfo("sg-plan", "sg.txt", "韶关方案", "韶关市"),
}


def clause(doc_id: str, n: str, text: str, tags=(), kind="item", number="1.", heading="") -> Clause:
    return Clause(
        f"{doc_id}/{n}", doc_id, kind, number, [], f"{doc_id} {number}{heading}", heading, text, tags=list(tags)
    )


CLAUSES = [
    clause("dg-plan", "1", "三、主要措施", kind="section", number="三、", heading="主要措施"),  # a bare title
    clause("dg-plan", "2", "对首席质量官给予資金奖补。", tags=["制造业", "资金/税收/金融扶持"]),
    clause("dg-draft", "1", "设立质量基金。", tags=["资金/税收/金融扶持"]),
    clause("sg-plan", "1", "企业落实主体责任。", tags=["义务与责任"]),
]


def ids(query: FinderQuery) -> list[str]:
    return [c.clause_id for c in find_clauses(CLAUSES, DOCS, query)]


def test_no_constraint_leaves_out_only_bare_titles_in_corpus_order():
    assert ids(FinderQuery()) == ["dg-plan/2", "dg-draft/1", "sg-plan/1"]


def test_document_filters_are_the_retrievers():
    assert ids(FinderQuery(RetrievalFilters(regions=("东莞市",)))) == ["dg-plan/2", "dg-draft/1"]
    assert ids(FinderQuery(RetrievalFilters(include_drafts=False))) == ["dg-plan/2", "sg-plan/1"]
    assert ids(FinderQuery(RetrievalFilters(doc_ids=("sg-plan",)))) == ["sg-plan/1"]


def test_tags_must_all_be_carried():
    assert ids(FinderQuery(needs=("资金/税收/金融扶持",))) == ["dg-plan/2", "dg-draft/1"]
    assert ids(FinderQuery(sectors=("制造业",), needs=("资金/税收/金融扶持",))) == ["dg-plan/2"]
    assert ids(FinderQuery(sectors=("",))) == []  # an unknown choice matches nothing, not everything


def test_keyword_matches_under_the_contracts_normalisation():
    assert ids(FinderQuery(keyword="资金")) == ["dg-plan/2"]  # the text says 資金
    assert ids(FinderQuery(keyword=" 首席 質量官 ")) == ["dg-plan/2"]
    assert ids(FinderQuery(keyword="dg-draft")) == ["dg-draft/1"]  # the label counts too
    assert ids(FinderQuery(keyword="没有这个词")) == []
