"""The parser against the five real documents: counts, ids, labels, departments, coverage."""

from __future__ import annotations

import pytest

from rag.clauses import Clause, cn_to_int, parse_document, split_clause
from rag.documents import Document, DocumentInfo, load_documents
from rag.text import match_key


@pytest.fixture(scope="module")
def parsed(settings) -> dict[str, tuple[Document, list[Clause]]]:
    return {d.info.doc_id: (d, parse_document(d)) for d in load_documents(settings.data_dir)}


def clause(parsed, clause_id) -> Clause:
    doc_id = clause_id.split("/")[0]
    return next(c for c in parsed[doc_id][1] if c.clause_id == clause_id)


@pytest.mark.parametrize(
    ("doc_id", "count"),
    [
        ("yuancheng-plan", 39),
        ("dongguan-2024-plan", 45),
        ("shaoguan-interpretation", 9),
        ("guangdong-2016-2017-action-plan", 48),
        ("dongguan-2023-draft", 50),
    ],
)
def test_clause_counts(parsed, doc_id, count):
    assert len(parsed[doc_id][1]) == count


def test_every_non_blank_source_line_is_inside_a_clause(parsed):
    for doc, clauses in parsed.values():
        keys = [match_key(c.text) for c in clauses]
        for line in doc.text.split("\n"):
            if line.strip():
                assert any(match_key(line) in k for k in keys), (doc.info.doc_id, line[:40])


def test_clause_ids_are_unique_and_stable(parsed):
    ids = [c.clause_id for _, cl in parsed.values() for c in cl]
    assert len(ids) == len(set(ids))
    assert "yuancheng-plan/3.2.8" in ids
    assert "guangdong-2016-2017-action-plan/2.7" in ids  # (七) under 二、 keeps its own number
    assert "dongguan-2024-plan/1.2.b3" in ids  # third goal bullet


def test_yuancheng_clause_8_and_its_five_units(parsed):
    c = clause(parsed, "yuancheng-plan/3.2.8")
    assert c.label == "源城区质量强区方案 三、（二）8.加强企业质量能力建设"
    assert c.heading == "加强企业质量能力建设"
    assert c.path == ["三、主要工作措施", "（二）强化质量治理能力"]
    assert c.responsible == ["区市场监管局", "区科技局", "区工商信局", "区金融工作局", "区税务局"]


def test_dongguan_2024_clause_16_keeps_traditional_script(parsed):
    c = clause(parsed, "dongguan-2024-plan/2.5.16")
    assert "16、提升企業質量管理能力" in c.label
    assert c.responsible == ["市市場監管局"]
    assert c.text.startswith("16、提升企業質量管理能力。\n探索建立廣深莞質量合作機制")


def test_provincial_lead_and_participants(parsed):
    c = clause(parsed, "guangdong-2016-2017-action-plan/1.1")
    assert c.lead == "省质监局"
    assert c.responsible[:3] == ["省质监局", "省农业厅", "省商务厅"]  # "商务厅" inherits the 省 level
    assert "广东出入境检验检疫局" in c.responsible
    shared = clause(parsed, "guangdong-2016-2017-action-plan/3.10")
    assert shared.lead == "" and shared.responsible == ["省质监局", "省海洋渔业局", "省法制办"]


def test_page_break_in_mid_word_is_rejoined(parsed):
    c = clause(parsed, "dongguan-2023-draft/3.8")
    assert "支持新型储能、新能源汽车、机器人" in c.text


def test_continuation_paragraph_stays_with_its_clause(parsed):
    c = clause(parsed, "dongguan-2023-draft/6.17")
    assert c.text.endswith("保障人民群众享有高品质生活。")
    assert c.text.count("\n") == 1


def test_preamble_notice_and_goal_bullets_are_clauses(parsed):
    notice = clause(parsed, "dongguan-2023-draft/pre2")
    assert "联系人：蔡冰如" in notice.text and "0769-23109796" in notice.text
    news = clause(parsed, "dongguan-2024-plan/pre1")
    assert news.text.startswith("1月30日")
    bullet = clause(parsed, "yuancheng-plan/2.b1")
    assert bullet.kind == "bullet" and bullet.heading == "质量基础更加扎实"
    assert clause(parsed, "dongguan-2024-plan/pre2").text.count("東府辦〔2024〕3號") == 1


def test_paragraphs_under_a_heading_only_section_are_their_own_clauses(parsed):
    p = clause(parsed, "shaoguan-interpretation/2.p2")
    assert "（第六条）" in p.text and "第十四条" in p.text
    assert p.label == "韶关质量强市方案解读 二、 第3段"


def test_chinese_numerals():
    assert [cn_to_int(n) for n in ["三", "十", "十四", "二十一", "三十", "三十六"]] == [3, 10, 14, 21, 30, 36]


def test_long_clause_is_split_at_sentences_and_keeps_its_id():
    info = DocumentInfo(doc_id="t-doc", file="t.txt", title="测试方案", region="东莞市", short_title="测试")
    body = "".join(f"第{i}句话讲质量工作的第{i}项安排。" for i in range(60))
    [c] = [c for c in parse_document(Document(info, "一、总体要求。" + body)) if c.kind == "section"]
    chunks = split_clause(c, max_chars=200)
    assert len(chunks) > 1
    assert all(ch.clause_id == c.clause_id and ch.chunk_id.startswith(c.clause_id + "#") for ch in chunks)
    assert all(len(ch.text) <= 200 for ch in chunks)
    assert all(ch.text.endswith("。") for ch in chunks)
    assert "".join(ch.text for ch in chunks) == c.text
    assert all("测试" in ch.context for ch in chunks)


def test_short_clause_is_one_chunk_with_the_clause_id(parsed):
    c = clause(parsed, "yuancheng-plan/3.2.8")
    [chunk] = split_clause(c, 800)
    assert chunk.chunk_id == c.clause_id
    assert "三、主要工作措施" in chunk.embed_text


def test_body_drops_what_the_label_and_units_already_say(parsed):
    c = clause(parsed, "yuancheng-plan/3.2.8")
    assert c.text.startswith("8.加强企业质量能力建设") and c.text.rstrip().endswith("负责）")
    assert c.body.startswith("开展行业专家") and c.body.endswith("支持企业质量提升。")
    assert "区税务局" not in c.body
