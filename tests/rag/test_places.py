"""Places and versions a question names (rag/places.py), on hand-made catalog entries."""

from __future__ import annotations

from rag.documents import DocumentInfo
from rag.places import full_years, place_mentions, read_places, region_names, version_preference, without_versions

DOCS = {
    d.doc_id: d
    for d in (
        DocumentInfo("gd", "gd.txt", "广东省质量强省建设实施方案", "广东省", level="省级", kind="implementation plan"),
        DocumentInfo(
            "yc", "yc.txt", "源城区质量强区方案", "河源市源城区", kind="implementation plan", date="2023-05-01"
        ),
        DocumentInfo("yc-d", "ycd.txt", "源城区方案（征求意见稿）", "河源市源城区", kind="consultation draft"),
    )
}


def test_a_region_goes_by_its_shorter_names():
    assert region_names(DOCS["yc"]) == {"河源市源城区", "河源市", "河源", "源城区", "源城"}


def test_a_city_inside_the_province_names_the_city_and_uncovered_places_count_alone():
    assert place_mentions("广东省河源市源城区的方案", DOCS)[0] == {"yc", "yc-d"}
    assert place_mentions("省里和源城的说法", DOCS)[0] == {"gd", "yc", "yc-d"}
    assert place_mentions("深圳有什么补贴", DOCS) == (set(), ["深圳"])


def test_versions_by_word_and_year_and_the_previous_question_carries_over():
    assert version_preference("征求意见稿怎么说", DOCS) == {"yc-d"}
    assert version_preference("2023年的方案", DOCS) == {"yc"}
    carried = read_places("在监管方面提出了什么？", "源城区的方案", DOCS)
    assert carried.named == {"yc", "yc-d"} and not carried.wants_draft


def test_a_year_written_with_two_digits_dates_a_document_as_a_full_one_does():
    """People write "23年的方案", "16-17年那个计划": the short year names the version too."""
    assert version_preference("23年的方案", DOCS) == {"yc"}
    assert without_versions("23年的方案对品牌有啥要求", list(DOCS.values())) == "的方案对品牌有啥要求"
    assert full_years("16-17年那个计划，到25年") == "2016-2017年那个计划，到2025年"
    assert full_years("1.5年，2024年") == "1.5年，2024年"  # a decimal, a full year: left as they are


def test_of_a_chain_of_earlier_questions_the_latest_place_carries_over():
    from rag.followup import QUESTION_SEP

    chain = QUESTION_SEP.join(["广东省的方案对计量有什么要求？", "那源城区呢？", "谁负责？"])
    assert read_places("有时限吗？", chain, DOCS).named == {"yc", "yc-d"}
    assert read_places("有时限吗？", chain.replace("那源城区呢？", "还有呢？"), DOCS).named == {"gd"}


def test_version_words_go_with_their_own_suffix():
    from rag.places import without_version_words

    assert without_version_words("食品抽检合格率，草稿版和正式版分别定的多少").split() == [
        "食品抽检合格率，",
        "和",
        "分别定的多少",
    ]
    assert "征求" not in without_version_words("东莞2023年征求意见稿的目标")
    assert without_version_words("What did the Draft say?").split() == ["What", "did", "the", "say?"]
