"""The report in the web page: the callbacks over the real index, then the real page in Debian's
chromium at desktop and phone size — a link opens a profile, the downloads are real files that
python-docx and pypdf can read. Screenshots go to test-output/."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from rag.index import load_index
from rag.report import FORMATS
from rag.text import match_key
from rag.ui_report import ReportPage
from tests.test_app import browser, open_page  # noqa: F401 (the shared chromium fixture)


def open_link(browser, url, width, height):  # noqa: F811
    """A report link switches to the finder tab as the page loads, so the chat box may already be
    hidden: wait for the page to be built, not for the chat box to be visible."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url, wait_until="load")
    page.wait_for_selector("#question-box textarea", state="attached", timeout=60_000)
    return page


@pytest.fixture(scope="module")
def page_logic(settings):
    return ReportPage(load_index(settings), settings)


def test_generate_fills_the_view_and_four_downloads(page_logic):
    note, view, *downloads = page_logic.generate("东莞市", "construction", "", ["awards"], False)
    assert "支持措施" in note and "?region=" in note  # counts and the profile link
    assert "## 支持措施" in view and "東莞市質量強市方案(2024)" in view
    files = [d["value"] for d in downloads]
    assert [f.rsplit(".", 1)[1] for f in files] == list(FORMATS)
    data = json.loads(Path(files[0]).read_text(encoding="utf-8"))
    assert data["profile"]["kind"] == "construction" and data["items"]


def test_bad_profiles_are_messages_not_errors(page_logic):
    note, view, *downloads = page_logic.generate("深圳", "", "", [], False)
    assert note.startswith("⚠️ unknown region '深圳'; known:") and view == ""
    assert all(d["value"] is None for d in downloads)
    note, *_ = page_logic.generate(None, None, None, None, None)
    assert note.startswith("⚠️ a region is required")


def test_document_text_in_the_view_is_escaped(page_logic):
    _, view, *_ = page_logic.generate("东莞市", "", "", [], True)
    assert "<http" not in view  # the draft's notice holds a <url>; only our own markup reaches the page


# ---------------------------------------------------------------------- browser
def _report_url(server, **params) -> str:
    query = "&".join(f"{k}={quote(v)}" for k, vs in params.items() for v in ([vs] if isinstance(vs, str) else vs))
    return server["url"] + "?" + query


def _download(page, fmt, path):
    with page.expect_download(timeout=30_000) as info:
        page.click(f"#report-dl-{fmt}")
    info.value.save_as(str(path))
    return path


@pytest.mark.slow
@pytest.mark.browser
def test_report_from_a_link_and_pdf_download_desktop(browser, server, output_dir, tmp_path):  # noqa: F811
    from pypdf import PdfReader

    page = open_link(browser, _report_url(server, region="東莞", kind="construction", need="awards"), 1280, 800)
    page.wait_for_selector("#report-view h3", timeout=30_000)  # the link opened the finder tab's report
    view = page.inner_text("#report-view")
    assert "東莞市質量強市方案(2024)" in view and "建筑工程企业" in view
    assert "?region=" in page.inner_html("#report-note")
    page.screenshot(path=str(output_dir / "11-report-link-1280.png"), full_page=True)
    label = page.locator("#report-view h3").first.inner_text().split(". ", 1)[1]
    pdf = _download(page, "pdf", tmp_path / "report.pdf")
    text = "\n".join(p.extract_text() or "" for p in PdfReader(str(pdf)).pages)
    assert match_key(label) in match_key(text)
    # the finder above still works as before
    page.click("#finder-go")
    page.wait_for_selector("text=点击一行可在", timeout=15_000)


@pytest.mark.slow
@pytest.mark.browser
def test_report_button_and_docx_download_phone(browser, server, output_dir, tmp_path):  # noqa: F811
    import docx

    page = open_page(browser, server["url"], 390, 844)
    page.get_by_role("tab", name="🔎 政策查找").click()
    page.click("#report-go")  # the default profile: the first region, any kind, every need
    page.wait_for_selector("#report-view h3", timeout=30_000)
    page.screenshot(path=str(output_dir / "12-report-phone.png"), full_page=True)
    label = page.locator("#report-view h3").first.inner_text().split(". ", 1)[1]
    path = _download(page, "docx", tmp_path / "report.docx")
    word = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert match_key(label) in match_key(word)


@pytest.mark.slow
@pytest.mark.browser
def test_a_bad_link_is_a_message_in_the_page(browser, server, output_dir):  # noqa: F811
    page = open_link(browser, _report_url(server, region="深圳", need="finance"), 1280, 800)
    page.wait_for_selector("text=链接中的画像无效", timeout=30_000)
    assert "东莞市" in page.inner_text("#report-note")
    page.screenshot(path=str(output_dir / "13-report-bad-link-1280.png"), full_page=True)
    page.get_by_role("tab", name="💬 政策问答").click()  # the rest of the page still works
    page.fill("#question-box textarea", "质量贷是什么？")
    assert page.locator("#send-btn").is_enabled()
