"""End to end in a real browser: Playwright drives Debian's Chromium (headless, no downloaded browser) against the
real aiohttp application on a loopback port, over a small demo campaign, at a phone's 360 px width.

Skipped, with the reason, where /usr/bin/chromium or the playwright package is missing (CI installs both)."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from aiohttp import web

from bot.campaign.demo import fill_demo
from bot.clock import VIETNAM
from bot.config import ROOT, load_settings
from bot.dashboard.pages import build_dashboard
from bot.i18n import I18n
from bot.runtime.web import make_web_app
from bot.storage.admin_store import AdminStore
from bot.storage.campaign_store import CampaignStore
from bot.storage.database import Storage

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "tests" / "artifacts"
ADMIN = "telegram:1"


def clock() -> datetime:
    return datetime(2020, 9, 15, 9, 0, tzinfo=VIETNAM)


@pytest.fixture()
def playwright_api():
    """Playwright's async API, or a skip saying what is missing."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium; .ci/run does it)")
    return pytest.importorskip("playwright.async_api",
                               reason="the playwright package is not installed (requirements.txt, Tests)")


@pytest.fixture()
async def server(playwright_api, storage: Storage, i18n: I18n):
    """The one web application with the dashboard, listening on 127.0.0.1 (a free port)."""
    store = CampaignStore(storage)
    fill_demo(store, 30000, seed=7, clock=clock)   # every district has villages
    store.add_admin(ADMIN)
    dashboard = build_dashboard(storage, store, AdminStore(storage), i18n, load_settings({}), clock=clock)
    runner = web.AppRunner(make_web_app(dashboard=dashboard), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", dashboard
    await runner.cleanup()


async def test_sign_in_overview_drill_down_and_download_in_chromium(playwright_api, server, tmp_path: Path) -> None:
    base, dashboard = server
    link = base + dashboard.auth.make_link(ADMIN)
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = await browser.new_context(viewport={"width": 360, "height": 780}, accept_downloads=True,
                                                locale="vi-VN")
            page = await context.new_page()
            page.set_default_timeout(30_000)
            elsewhere: list[str] = []
            page.on("request", lambda request: None if request.url.startswith(base) else elsewhere.append(
                request.url))

            await page.goto(link)
            await page.get_by_role("button", name="Đăng nhập").click()
            await page.wait_for_url(base + "/admin/")
            assert (await page.locator("h1").inner_text()).startswith("Tiến độ: Tỉnh")
            charts = page.locator("svg[role=img]")
            assert await charts.count() == 3
            assert "Tỷ lệ nhân khẩu đã có ứng dụng" in await charts.nth(1).locator("title").first.text_content()
            assert await page.locator("svg[role=img] polyline").count() == 2
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"the page is {width} px wide at 360 px"
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

            for level in ("district", "commune", "village"):   # sorted by households (a click on the header),
                await page.locator("thead a", has_text="Hộ đã đến").click()     # then the first row, downwards
                await page.wait_for_url(re.compile(r"sort=households&dir=desc"))
                await page.locator("table tbody a").first.click()
                await page.wait_for_load_state()
                assert (await page.locator("h1").inner_text()).startswith("Tiến độ:"), level
            assert await page.locator("h2", has_text="Các hộ đã đến").count() == 1
            first_household = await page.locator("table tbody tr td").first.inner_text()
            assert re.match(r"Số \d+, ", first_household)

            async with page.expect_download() as info:
                await page.get_by_role("link", name="Tải Excel (.xlsx)").click()
            download = await info.value
            assert download.suggested_filename.endswith(".xlsx")
            saved = tmp_path / download.suggested_filename
            await download.save_as(saved)
            book = openpyxl.load_workbook(saved, read_only=True)
            assert len(book.sheetnames) == 3
            raw = list(book.worksheets[1].iter_rows(values_only=True))
            assert len(raw) > 1 and raw[1][5] and raw[1][5].startswith("Số ")

            await page.get_by_role("button", name="English").click()
            await page.wait_for_load_state()
            assert await page.locator("h2", has_text="Households visited").count() == 1
            await page.get_by_role("button", name="Sign out").click()
            await page.wait_for_load_state()
            assert await page.locator("h1", has_text="Signed out").count() == 1
            assert elsewhere == []
        finally:
            await browser.close()
