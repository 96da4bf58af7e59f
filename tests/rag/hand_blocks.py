"""Hand-made clause blocks of a draft and a final plan, shared by the answer-checking tests."""

from __future__ import annotations

from rag.clauses import Clause
from rag.documents import DocumentInfo
from rag.excerpts import Block
from rag.retrieval import ScoredClause

DRAFT = DocumentInfo(
    doc_id="dg-draft",
    file="d.txt",
    title="东莞征求意见稿",
    region="东莞市",
    short_title="东莞意见稿",
    kind="consultation draft",
    status="draft",
    date="2023-09-14",
)


FINAL = DocumentInfo(
    doc_id="dg-2024",
    file="f.txt",
    title="東莞市質量強市建設實施方案",
    region="东莞市",
    short_title="東莞方案",
    date="2024-01-26",
    doc_number="東府辦〔2024〕3號",
    issuer="東莞市人民政府辦公室",
)


def block(n, doc, text, clause_id="x/1", responsible=(), lead="", heading="标题", number="1、", context=""):
    clause = Clause(
        clause_id,
        doc.doc_id,
        "item",
        number,
        [],
        f"{doc.short_title} {number}{heading}",
        heading,
        text,
        list(responsible),
        lead,
    )
    return Block(n, ScoredClause(clause, doc, 1.0, 0.9, 1.0, clause_id), text, context)


B1 = block(
    1, DRAFT, "——产品质量不断优化。食品抽检合格率达到98%以上，制造业产品质量合格率达到94%以上。", "dg-draft/1.2.b1"
)


B2 = block(
    2,
    FINAL,
    "——產品質量不斷優化。食品抽檢合格率達到98.5%以上,制造業產品質量合格率達到95%以上。",
    "dg-2024/1.2.b1",
    context="(二)主要目標。到2025年,全市質量整體水平全面提高。",
)


B3 = block(
    3,
    FINAL,
    "16、提升企業質量管理能力。鼓勵企業創新質量管理理念。",
    "dg-2024/2.5.16",
    responsible=["市市場監管局"],
    heading="提升企業質量管理能力",
    number="16、",
)
