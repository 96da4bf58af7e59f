"""Profiles from what people type: catalog regions by short, traditional and English names,
vocabulary keys by key, Chinese or English name, one-line errors, links (catalog only, no corpus)."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from rag.documents import load_catalog
from rag.report_lexicon import load_report_lexicon
from rag.report_profile import Profile, ProfileError, category_name, profile_from_query, resolve_profile


@pytest.fixture(scope="module")
def documents(settings):
    return {d.doc_id: d for d in load_catalog(settings.data_dir)}


@pytest.mark.parametrize(
    ("typed", "region"),
    [
        ("源城区", "河源市源城区"),
        ("Yuancheng", "河源市源城区"),
        ("东莞", "东莞市"),
        ("東莞", "东莞市"),
        ("DONGGUAN", "东莞市"),
        ("韶關", "韶关市"),
        ("广东省", "广东省"),
        ("Guangdong", "广东省"),
    ],
)
def test_regions_by_catalog_short_traditional_and_english_names(documents, typed, region):
    assert resolve_profile(list(documents.values()), typed).region == region


def test_unknown_values_get_one_line_naming_the_known_ones(documents):
    docs = list(documents.values())
    with pytest.raises(ProfileError) as exc:
        resolve_profile(docs, "深圳")
    assert "\n" not in str(exc.value) and "东莞市" in str(exc.value) and "河源市源城区" in str(exc.value)
    with pytest.raises(ProfileError, match="unknown sector 'steel'; known: food"):
        resolve_profile(docs, "东莞", sector="steel")
    with pytest.raises(ProfileError, match="unknown enterprise kind 'bank'; known: manufacturer"):
        resolve_profile(docs, "东莞", kind="bank")
    with pytest.raises(ProfileError, match="unknown need 'land'"):
        resolve_profile(docs, "东莞", needs=["land"])
    with pytest.raises(ProfileError, match="a region is required"):
        resolve_profile(docs, "  ")


def test_kinds_sectors_and_needs_by_key_chinese_or_english_name(documents):
    p = resolve_profile(list(documents.values()), "东莞", "检验检测认证机构", "Food", ["金融", "tax", "finance"])
    assert (p.kind, p.sector, p.needs) == ("testing", "food", ("finance", "tax"))


def test_a_link_reopens_the_same_profile(documents):
    p = Profile("东莞市", "construction", "building-materials", ("awards", "funds"), True)
    assert profile_from_query(list(documents.values()), parse_qs(p.query())) == p


def test_a_key_is_named_in_chinese():
    lex = load_report_lexicon()
    assert category_name(lex.sectors, "food") == "食品" and category_name(lex.sectors, "") == ""
