"""Policy-finder tags: rules read from data/lexicon/tags.yaml."""

from __future__ import annotations

from rag.tags import CONTACT, NEED_TAGS, SECTOR_TAGS, matching_sentence, tag_clause


def test_tags_come_from_the_vocabulary_file_in_its_order():
    assert SECTOR_TAGS[0] == "制造业" and "出口企业" in SECTOR_TAGS
    assert NEED_TAGS[-1] == CONTACT == "联系部门"


def test_a_clause_gets_sector_need_and_contact_tags():
    tags = tag_clause("对中小企业技术改造给予资金补贴。", ["市工业和信息化局"])
    assert tags == ["制造业", "中小微企业", "资金/税收/金融扶持", "联系部门"]
    assert tag_clause("加强宣传。", []) == []


def test_matching_sentence_is_the_sentence_that_earned_the_tag():
    text = "加强宣传。对出口企业開展技術性貿易措施培训；其他。"
    assert matching_sentence(text, "出口企业") == "对出口企业开展技术性贸易措施培训;"
    assert matching_sentence(text, "no such tag") == ""
