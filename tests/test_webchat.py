"""The web chat (/chat): the page and its CSP, a visitor known by an HttpOnly cookie, answers and buttons as JSON,
bad posts refused in Vietnamese, questions logged as channel "web"; and in real Chromium, a question typed and a
button pressed."""
from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.webchat.adapter import COOKIE, WebChat
from bot.core.engine import Engine
from bot.i18n import I18n
from bot.runtime.web import make_web_app
from bot.runtime.worker import EngineWorker
from tests.test_dashboard_e2e import ARGS, ARTIFACTS, CHROMIUM


@pytest.fixture()
async def client(engine: Engine, i18n: I18n):
    worker = EngineWorker(engine)
    app = make_web_app(routes=(WebChat(worker, i18n, ("https://portal.example.gov.vn",)),))
    async with TestClient(TestServer(app)) as client:
        yield client
    worker.close()


async def test_the_page_works_alone_and_may_be_framed_only_by_the_listed_portals(client: TestClient) -> None:
    page = await client.get("/chat")
    html = await page.text()
    csp = page.headers["Content-Security-Policy"]
    assert page.status == 200 and "Hỏi đáp cài đặt Bluezone" in html and "http" not in html.split("</head>")[0]
    assert "frame-ancestors https://portal.example.gov.vn" in csp and "script-src 'nonce-" in csp
    assert "X-Frame-Options" not in page.headers
    english = await (await client.get("/chat?lang=en")).text()
    assert "Bluezone install help" in english and 'lang="en"' in english


async def test_a_visitor_asks_and_presses_a_button(client: TestClient, engine: Engine) -> None:
    first = await client.post("/chat/api", json={"text": "bluezone có tốn pin không"})
    data = await first.json()
    assert first.status == 200 and "pin" in data["replies"][0]["text"].lower()
    cookie = first.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    payloads = [b["payload"] for r in data["replies"] for row in r["buttons"] for b in row]
    pressed = await (await client.post("/chat/api", json={"payload": payloads[0]})).json()
    assert pressed["replies"] and COOKIE not in (await client.post("/chat/api", json={"text": "hi"})).cookies
    rows = engine.storage.db.execute("SELECT DISTINCT channel, user_key FROM messages").fetchall()   # type: ignore
    assert len(rows) == 1 and rows[0][0] == "web"
    assert cookie.value not in rows[0][1]          # only a hash of the visitor's token is stored


@pytest.mark.parametrize("body, status", [(b"not json", 400), (b'{"text": 5}', 400), (b"{}", 400),
                                          (b'{"text": "' + b"a" * 3000 + b'"}', 413), (b"x" * 9000, 413)])
async def test_bad_posts_are_refused_in_vietnamese(client: TestClient, body: bytes, status: int) -> None:
    answer = await client.post("/chat/api", data=body, headers={"Content-Type": "application/json"})
    assert answer.status == status and "Traceback" not in (await answer.text())
    assert (await answer.json())["error"].startswith(("Tin nhắn", "Bạn"))


async def test_without_listed_portals_the_page_cannot_be_framed(engine: Engine, i18n: I18n) -> None:
    worker = EngineWorker(engine)
    async with TestClient(TestServer(make_web_app(routes=(WebChat(worker, i18n),)))) as client:
        page = await client.get("/chat")
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"
    worker.close()


async def test_in_chromium_a_question_is_answered_and_a_button_pressed(engine: Engine, i18n: I18n,
                                                                      tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium; .ci/run does it)")
    playwright_api = pytest.importorskip("playwright.async_api", reason="the playwright package is not installed")
    worker = EngineWorker(engine)
    ARTIFACTS.mkdir(exist_ok=True)
    runner = web.AppRunner(make_web_app(routes=(WebChat(worker, i18n),)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with playwright_api.async_playwright() as p:
            browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = await browser.new_page(viewport={"width": 360, "height": 740})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.goto(f"http://127.0.0.1:{port}/chat")
            await page.wait_for_selector(".buttons button")            # the welcome and the menu arrived
            await page.fill("#q", "bluezone co ton pin ko")
            await page.click("form button")
            await page.wait_for_function("document.querySelectorAll('.msg.bot').length >= 3")
            assert "pin" in (await page.inner_text("#log")).lower()
            before = await page.locator(".msg.bot").count()
            await page.locator(".buttons button").last.click()
            await page.wait_for_function(f"document.querySelectorAll('.msg.bot').length > {before}")
            await page.screenshot(path=str(ARTIFACTS / "webchat.png"))
            await browser.close()
        assert not errors, errors          # no CSP violation, no script error
    finally:
        await runner.cleanup()
        worker.close()
