"""The web app, for real: a server started on 127.0.0.1, driven through gradio_client and a
real browser (Debian's chromium through Playwright). Screenshots go to test-output/."""

from __future__ import annotations

import json
import shutil

import pytest

pytestmark = pytest.mark.slow  # the server loads the real LLM


def test_ask_endpoint_returns_the_contract_prediction(client):
    pred = client.predict(question="东莞提升企业质量管理能力由哪个部门负责？", history=[], filters={}, api_name="/ask")
    assert {"id", "question", "answer", "declined", "citations", "retrieved", "timings", "error"} <= set(pred)
    assert pred["error"] is None and not pred["declined"]
    assert "市场监管局" in pred["answer"].replace("場監管", "场监管")
    assert pred["citations"] and all({"clause_id", "label", "text"} <= set(c) for c in pred["citations"])
    assert len(pred["retrieved"]) >= 10


def test_ask_endpoint_uses_history_and_filters(client):
    history = [
        {"role": "user", "content": "东莞2024年方案要设立多少名首席质量官？"},
        {"role": "assistant", "content": "到2025年设立10000名以上首席质量官。[1]"},
    ]
    pred = client.predict(
        question="那征求意见稿是怎么要求的？",
        history=history,
        filters={"doc_id": "dongguan-2023-draft"},
        api_name="/ask",
    )
    assert all(c["doc_id"] == "dongguan-2023-draft" for c in pred["retrieved"])
    assert "首席质量官" in json.dumps(pred["citations"], ensure_ascii=False)


def test_ask_endpoint_reports_bad_input_without_a_traceback(client):
    empty = client.predict(question="   ", history=[], filters={}, api_name="/ask")
    assert empty["error"] == "empty question"
    bad = client.predict(question="质量", history=[], filters={"colour": "red"}, api_name="/ask")
    assert bad["error"].startswith("bad filters")
    declined = client.predict(question="深圳市质量强市的奖补标准是多少？", history=[], filters={}, api_name="/ask")
    assert declined["declined"] and "深圳" in declined["answer"] and declined["citations"] == []


# ---------------------------------------------------------------------- browser
@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    if not executable:
        pytest.skip("Debian chromium missing: `make test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


def open_page(browser, url, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url, wait_until="load")
    page.wait_for_selector("#question-box textarea", timeout=60_000)
    return page


@pytest.mark.browser
def test_chat_streams_a_cited_answer_and_toggles_script(browser, server, output_dir):
    page = open_page(browser, server["url"], 1280, 800)
    page.screenshot(path=str(output_dir / "01-start-1280.png"))
    page.fill("#question-box textarea", "源城区的企业参与品牌建设有什么金融支持？")
    page.click("#send-btn")
    # a streamed answer appears, then the citation cards (collapsible messages titled [n] …)
    page.wait_for_selector("text=[1] 源城区质量强区方案", timeout=120_000)
    assert "融资" in page.inner_text("body")
    page.screenshot(path=str(output_dir / "02-answer-1280.png"), full_page=True)
    page.get_by_text("[1] 源城区质量强区方案").first.click()  # expand the first card
    page.wait_for_timeout(500)
    assert page.locator("mark").count() >= 1  # the supporting sentence is highlighted
    page.screenshot(path=str(output_dir / "03-card-open-1280.png"), full_page=True)
    page.get_by_label("繁體").check()
    page.wait_for_selector("text=[1] 源城區質量強區方案", timeout=10_000)
    page.screenshot(path=str(output_dir / "04-traditional-1280.png"), full_page=True)


@pytest.mark.browser
def test_declined_question_looks_different(browser, server, output_dir):
    from playwright.sync_api import expect

    page = open_page(browser, server["url"], 1280, 800)
    page.fill("#question-box textarea", "深圳市质量强市的奖补标准是多少？")
    page.click("#send-btn")
    page.wait_for_selector("text=文件中未找到依据", timeout=60_000)
    # what the screenshot is about: a bold heading, then the reason as a quote naming the place
    # asked about and the places the documents cover; no citation cards
    expect(page.locator("strong", has_text="文件中未找到依据")).to_be_visible()
    reason = page.locator("blockquote", has_text="深圳")
    expect(reason).to_be_visible()
    expect(reason).to_be_in_viewport()
    assert "东莞市" in reason.inner_text()
    assert page.get_by_text("[1]").count() == 0
    page.screenshot(path=str(output_dir / "05-declined-1280.png"), full_page=True)


@pytest.mark.browser
def test_html_in_a_question_is_shown_as_text(browser, server):
    page = open_page(browser, server["url"], 1280, 800)
    fired = []
    page.on("dialog", lambda d: (fired.append(d.message), d.dismiss()))
    page.fill("#question-box textarea", "<img src=x onerror=alert(1)><script>alert(2)</script>质量贷是什么？")
    page.click("#send-btn")
    page.wait_for_selector("text=<script>alert(2)</script>", timeout=60_000)
    page.wait_for_timeout(1000)
    assert fired == []
    assert page.locator("img[src='x']").count() == 0


@pytest.mark.browser
def test_policy_finder_and_document_browser(browser, server, output_dir):
    page = open_page(browser, server["url"], 1280, 800)
    page.get_by_role("tab", name="🔎 政策查找").click()
    page.wait_for_selector("#finder-table", timeout=10_000)
    page.click("#finder-go")
    page.wait_for_selector("text=点击一行可在", timeout=15_000)  # the count line under the table
    assert "融资" in page.inner_text("#finder-table")
    page.screenshot(path=str(output_dir / "06-finder-1280.png"), full_page=True)
    page.locator("#finder-table").get_by_text("8.加强企业质量能力建设").first.click()
    page.wait_for_selector("#doc-view .clause.focus", timeout=15_000)
    page.screenshot(path=str(output_dir / "07-document-focus-1280.png"), full_page=True)
    page.fill("#doc-search input, #doc-search textarea", "质押融资")
    page.keyboard.press("Enter")
    page.wait_for_selector("#doc-view mark", timeout=10_000)
    page.screenshot(path=str(output_dir / "08-document-search-1280.png"), full_page=True)


@pytest.mark.browser
def test_phone_layout(browser, server, output_dir):
    from playwright.sync_api import expect

    page = open_page(browser, server["url"], 390, 844)
    page.screenshot(path=str(output_dir / "09-start-phone.png"), full_page=True)
    page.fill("#question-box textarea", "東莞2025年食品抽檢合格率目標是多少？")
    page.click("#send-btn")
    page.wait_for_selector("text=[1]", timeout=120_000)
    # what the screenshot is about: the answer states the target figure, its citation card is
    # there, and on a phone the settings column stacks below the chat instead of beside it
    expect(page.locator("text=98.5% >> visible=true").first).to_be_in_viewport(timeout=30_000)
    expect(page.get_by_text("[1] 東莞市質量強市方案(2024)").first).to_be_visible(timeout=30_000)
    chat_box = page.locator("#question-box").bounding_box()
    settings_box = page.locator("#script-toggle").bounding_box()
    assert settings_box["y"] > chat_box["y"] + chat_box["height"]
    page.screenshot(path=str(output_dir / "10-answer-phone.png"), full_page=True)


def test_feedback_is_logged_without_identity(client, server):
    # the like/comment events are UI-only; exercise the log through the same code path as the page
    from rag.feedback import FeedbackLog

    log = FeedbackLog(server["logs"] / "direct.jsonl", max_bytes=400)
    pred = {"question": "q", "answer": "a", "declined": False, "citations": [{"clause_id": "x/1", "label": "l"}]}
    for _ in range(5):
        log.record("up", pred, "好")
    entry = json.loads((server["logs"] / "direct.jsonl").read_text().splitlines()[0])
    assert set(entry) == {"time", "vote", "comment", "question", "answer", "declined", "citations"}
    assert (server["logs"] / "direct.jsonl.1").is_file()  # rotated: bounded
    assert (server["logs"] / "direct.jsonl").stat().st_size <= 400
