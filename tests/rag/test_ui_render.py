"""What the page shows, without a browser (pure functions, milliseconds): escaping, citation cards,
declines and errors, script conversion, finder and catalog rows, the document tree, a diff pair."""

from __future__ import annotations

from rag.clauses import Clause
from rag.diff import FigureChange, Pair
from rag.documents import DocumentInfo
from rag.ui_render import (
    answer_messages,
    card_markdown,
    catalog_row,
    convert_messages,
    document_html,
    failure_message,
    finder_note,
    finder_row,
    gist,
    highlight,
    pair_html,
    table_html,
)
from rag.ui_text import load_ui_text

TEXT = load_ui_text()
PLAN = DocumentInfo("dg-plan", "p.txt", "东莞市质量强市方案", "东莞市", short_title="東莞方案", issuer="东莞市政府")
DRAFT = DocumentInfo(
    "dg-draft",
    "d.txt",
    "东莞征求意见稿",
    "东莞市",
    kind="consultation draft",
    status="superseded",
    superseded_by="dg-plan",
    note="意见反馈 <http://example.org>",
)
DOCS = {d.doc_id: d for d in (PLAN, DRAFT)}
CLAUSE = Clause(
    "dg-plan/2",
    "dg-plan",
    "item",
    "8.",
    ["三、主要措施"],
    "东莞方案 8.加强企业质量能力建设",
    "加强企业质量能力建设",
    "8.加强企业质量能力建设。推动企业设立首席质量官；对首席质量官给予资金奖补。\n鼓励<b>企业</b>参与品牌建设。",
    responsible=["市市场监管局", "市工业和信息化局"],
    tags=["资金/税收/金融扶持"],
)


def citation(**extra) -> dict:
    return {
        "clause_id": CLAUSE.clause_id,
        "label": CLAUSE.label,
        "text": CLAUSE.text,
        "responsible": CLAUSE.responsible,
        "doc_title": PLAN.title,
        "date": "2024-01-26",
        **extra,
    }


# ---------------------------------------------------------------------- chat
def test_an_answer_is_one_message_then_one_card_per_citation():
    pred = {"answer": "可申请资金奖补。[1]\n第二行", "citations": [citation(), citation(doc_kind="consultation draft")]}
    messages = answer_messages(pred, TEXT.simplified, DOCS)
    assert messages[0] == {"role": "assistant", "content": "可申请资金奖补。[1]  \n第二行"}
    assert [m["metadata"]["title"] for m in messages[1:]] == [
        "[1] 东莞方案 8.加强企业质量能力建设",
        "[2] 【征求意见稿】东莞方案 8.加强企业质量能力建设",
    ]


def test_a_card_marks_the_supporting_sentence_and_escapes_the_clause():
    card = card_markdown(citation(), "对首席质量官给予资金奖补", DOCS)
    assert "<mark>对首席质量官给予资金奖补；" not in card  # a card sentence ends at 。, not at ；
    assert "<mark>推动企业设立首席质量官；对首席质量官给予资金奖补</mark>" in card
    assert "&lt;b&gt;企业&lt;/b&gt;" in card and "<b>" not in card
    assert "**责任单位：** 市市场监管局、市工业和信息化局" in card
    assert card.endswith("📄 东莞市质量强市方案 · 2024-01-26")


def test_a_superseded_draft_card_names_its_successor():
    card = card_markdown(
        citation(doc_kind="consultation draft", status="superseded", superseded_by="dg-plan"), "", DOCS
    )
    assert card.endswith("**征求意见稿（非正式文本） · 已被《東莞方案》取代**")


def test_a_decline_is_quoted_under_its_heading_and_an_error_is_a_note():
    declined = answer_messages({"answer": "文件中没有深圳的规定。\n\n请咨询<当地>部门。", "declined": True}, "简体")
    assert declined[0]["content"] == (
        TEXT.chat.declined_heading + "\n\n> 文件中没有深圳的规定。\n>\n> 请咨询&lt;当地&gt;部门。"
    )
    error = answer_messages({"answer": "empty question", "error": "empty question", "citations": []}, "简体")
    assert error == [{"role": "assistant", "content": "ℹ️ empty question"}]


def test_traditional_mode_converts_the_answer_and_titles_not_the_card():
    messages = answer_messages({"answer": "质量", "citations": [citation()]}, TEXT.traditional, DOCS)
    assert messages[0]["content"] == "質量" and messages[1]["metadata"]["title"].startswith("[1] 東莞方案")
    assert "质量官" in messages[1]["content"]  # quoted clause text keeps its own script


def test_the_failure_message_is_fixed_text():
    assert failure_message() == {"role": "assistant", "content": TEXT.chat.error_reply}


def test_convert_messages_leaves_questions_and_card_bodies_alone():
    chat = [
        {"role": "user", "content": "质量"},
        {"role": "assistant", "content": [{"type": "text", "text": "质量"}, "raw"]},
        {"role": "assistant", "content": "质量", "metadata": {"title": "[1] 质量"}},
    ]
    out = convert_messages(chat, lambda s: s.replace("质", "質"))
    assert out[0]["content"] == "质量"
    assert out[1]["content"] == [{"type": "text", "text": "質量"}, "raw"]
    assert out[2] == {"role": "assistant", "content": "质量", "metadata": {"title": "[1] 質量"}}
    assert chat[2]["metadata"]["title"] == "[1] 质量"  # the input is not changed
    assert convert_messages(None, str.upper) == []


# ---------------------------------------------------------------------- finder and catalog
def test_gist_prefers_the_keyword_part_then_the_need_then_the_heading():
    assert gist(CLAUSE, key="首席质量官") == "推动企业设立首席质量官;"  # the first part holding it (NFKC: ；→;)
    assert gist(CLAUSE, key="奖补") == "对首席质量官给予资金奖补。"
    assert gist(CLAUSE, need="资金/税收/金融扶持").endswith("资金奖补。")
    assert gist(CLAUSE) == "加强企业质量能力建设"
    long = Clause("x/1", "x", "paragraph", "", [], "x", "", "很" * 80 + "。")
    assert gist(long) == "很" * 60 + "…"


def test_finder_rows_and_note():
    assert finder_row(CLAUSE, DRAFT) == [
        "东莞征求意见稿（征求意见稿）",
        "8.加强企业质量能力建设",
        "加强企业质量能力建设",
        "市市场监管局、市工业和信息化局",
        "dg-plan/2",
    ]
    assert finder_note(3).startswith("共 3 条") and finder_note(0) == TEXT.finder.none


def test_catalog_rows_say_kind_and_validity():
    assert catalog_row(PLAN, DOCS) == ["东莞市质量强市方案", "东莞市政府", "东莞市", "—", "—", "现行"]
    assert catalog_row(DRAFT, DOCS)[-1] == "征求意见稿 · 已被取代 → 東莞方案"


# ---------------------------------------------------------------------- document browser
def test_document_html_escapes_marks_and_focuses():
    page = document_html(DRAFT, [CLAUSE], DOCS)
    assert '<span class="draft-flag">征求意见稿</span>' in page and "已被取代" in page
    assert "&lt;http://example.org&gt;" in page and "<http" not in page
    assert "&lt;b&gt;企业&lt;/b&gt;" in page
    focused = document_html(PLAN, [CLAUSE], DOCS, focus="dg-plan/2")
    assert 'class="clause item focus" id="dg-plan/2" style="margin-left:1.2em"' in focused


def test_document_search_counts_and_marks_the_key():
    page = document_html(PLAN, [CLAUSE], DOCS, query="<首席>", key="首席")
    assert "<p>“&lt;首席&gt;”：1 / 1 条</p>" in page and "<mark>首席</mark>" in page
    assert "：0 / 1 条" in document_html(PLAN, [CLAUSE], DOCS, query="召回", key="召回")
    assert document_html(None, [], DOCS) == f"<p>{TEXT.documents.pick}</p>"


def test_highlight_marks_only_when_the_normalised_text_maps_back():
    assert highlight("a<質量>b", "质量") == "a&lt;<mark>質量</mark>&gt;b"
    assert highlight("没有", "质量") == "没有"


# ---------------------------------------------------------------------- version comparison
def test_a_changed_pair_marks_deletions_insertions_and_figures():
    pair = Pair(
        "changed",
        "d/1",
        "p/1",
        "合格率达到98%。",
        "合格率達到98.5%以上。",
        [FigureChange("98%", "98.5%以上", "合格率")],
    )
    html = pair_html(pair)
    assert html.startswith('<div class="pair changed"><div class="ids">有改动 · d/1 → p/1</div>')
    assert "<ins>" in html and "达到" in html  # compared in simplified script
    assert "<li>合格率：98% → 98.5%以上</li>" in html


def test_added_and_removed_pairs_are_whole_insertions_and_deletions():
    assert '<div class="text"><ins>新增&lt;条款&gt;</ins></div>' in pair_html(
        Pair("added", "", "p/2", "", "新增<条款>")
    )
    removed = pair_html(Pair("removed", "d/2", "", "删去", ""))
    assert "删除 · d/2 → —" in removed and "<del>删去</del>" in removed


def test_a_table_keeps_long_cells_whole_and_escapes_them():
    import pandas as pd

    long = "提升" * 40 + "<script>x</script>"
    html = table_html(pd.DataFrame([[long, float("nan")]], columns=["指标", "年份"]), "plan-table")
    assert "提升" * 40 + "&lt;script&gt;" in html and "<script>" not in html  # not cut at 50 characters
    assert "<td>—</td>" in html and 'class="dataframe plan-table"' in html
