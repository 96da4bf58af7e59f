"""Citations renumbered and attributed by code, on hand-made blocks (no model needed)."""

from __future__ import annotations

from rag.citations import cite_answer
from tests.rag.hand_blocks import B1, B2, B3, FINAL, block


def test_citations_are_renumbered_and_unknown_numbers_dropped():
    text, cited = cite_answer("正式方案是98.5%以上[2]，意见稿是98%以上[1][7]。", [B1, B2, B3])
    assert [b.number for b in cited] == [1, 2]
    assert "[7]" not in text and "[3]" not in text


def test_placeholders_and_list_markers_are_cleaned():
    text, cited = cite_answer("[编号] 食品抽检合格率达到98%以上。", [B1, B2])
    assert "编号" not in text and cited == [B1]
    text, cited = cite_answer("[2] The target is 98.5%.", [B1, B2])
    assert text == "The target is 98.5%[1]." and cited == [B2]


def test_each_uncited_sentence_is_attributed_to_the_document_it_names():
    raw = "东莞征求意见稿的目标是食品抽检合格率达到98%以上。\n东莞正式方案的目标是食品抽检合格率达到98.5%以上。"
    text, cited = cite_answer(raw, [B1, B2], question="食品抽检合格率的目标各是多少？")
    assert (
        text
        == "东莞征求意见稿的目标是食品抽检合格率达到98%以上[1]。东莞正式方案的目标是食品抽检合格率达到98.5%以上[2]。"
    )
    assert cited == [B1, B2]


def test_citation_after_the_full_stop_belongs_to_that_sentence():
    text, _ = cite_answer("意见稿是98%以上。[1]正式方案是98.5%以上。[2]", [B1, B2])
    assert text == "意见稿是98%以上[1]。正式方案是98.5%以上[2]。"


def test_a_citation_used_as_a_clause_reference_keeps_its_label():
    """ "根据条款[1]，…" once became "根据条款 ，…": the reference is now the clause's label."""
    from rag.citations import cite_answer

    blocks = [block(1, FINAL, "支持企业利用品牌资产质押融资。")]
    answer, cited = cite_answer("根据条款[1]，企业可以利用品牌资产质押融资。", blocks)
    assert "根据条款，" not in answer and "根据条款 ，" not in answer
    assert answer.startswith("根据《") and cited == blocks


def test_a_list_of_clause_references_names_every_clause():
    """ "根据条款 [1] 和 [3]，…" became "根据《…》…和 ，…": the second number was moved away as a citation."""
    from rag.citations import cite_answer

    answer, cited = cite_answer("根据条款 [1] 和 [3]，食品抽检合格率要达到98.5%以上。", [B1, B2, B3])
    assert "和 ，" not in answer and "和，" not in answer
    assert answer.startswith("根据《东莞意见稿》") and "和《東莞方案》16、提升企業質量管理能力" in answer
    assert cited == [B1, B3]
    english, _ = cite_answer("According to clauses [1] and [3], the rate is 98.5%.", [B1, B2, B3])
    assert english.startswith("According to 东莞意见稿 1、标题 and 東莞方案 16、")
