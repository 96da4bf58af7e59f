"""The chat shows the clauses an answer will cite before the model's first token (real server,
real browser: Debian's chromium through Playwright)."""

from __future__ import annotations

import time

import pytest

from rag.ui_progress import EVIDENCE_CLASS
from tests.test_app import browser, open_page  # noqa: F401 (the browser fixture)

pytestmark = pytest.mark.slow


@pytest.mark.browser
def test_evidence_line_shows_before_the_answer(browser, server, output_dir):  # noqa: F811
    page = open_page(browser, server["url"], 1280, 800)
    page.fill("#question-box textarea", "东莞征求意见稿提出探索设立什么基金？")
    t0 = time.perf_counter()
    page.click("#send-btn")
    page.wait_for_selector(f".{EVIDENCE_CLASS}", timeout=60_000)
    shown = time.perf_counter() - t0
    line = page.inner_text(f".{EVIDENCE_CLASS}")
    assert line.startswith("正在依据") and "东莞" in line
    assert page.locator("text=[1] 【征求意见稿】").count() == 0  # the citation cards are not there yet
    page.screenshot(path=str(output_dir / "20-evidence-first-1280.png"), full_page=True)
    # then the final answer replaces the line, with its citation cards
    page.wait_for_selector(f".{EVIDENCE_CLASS}", state="detached", timeout=240_000)
    answered = time.perf_counter() - t0
    assert shown < answered
    page.wait_for_selector("text=[1] 【征求意见稿】东莞", timeout=10_000)  # a draft is marked
    page.screenshot(path=str(output_dir / "21-evidence-answered-1280.png"), full_page=True)
