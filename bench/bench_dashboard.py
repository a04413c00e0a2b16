#!/usr/bin/env python3
"""Benchmark of the web dashboard at province scale: the overview and village pages served by the real aiohttp
application on loopback, to a signed-in session, over the demo campaign. Prints figures; asserts nothing.

    python bench/bench_dashboard.py                    # 300,000 households, 20 requests a page
    python bench/bench_dashboard.py --households 50000 --requests 50
Targets (issue 7): the overview in < 300 ms, a village page in < 200 ms.

The overview's figures are kept 30 s and served stale while refreshed (bot/dashboard_pages.py FreshCache), so
the overview is timed twice: as admins get it (kept figures) and with the figures added up on every request.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from bot.campaign.demo import fill_demo  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.dashboard.pages import Dashboard, build_dashboard  # noqa: E402
from bot.i18n import I18n  # noqa: E402
from bot.runtime.web import make_web_app  # noqa: E402
from bot.storage.admin_store import AdminStore  # noqa: E402
from bot.storage.campaign_store import CampaignStore  # noqa: E402
from bot.storage.database import Storage  # noqa: E402

ADMIN = "bench:admin"


def summary(label: str, times: list[float], target: float | None = None) -> None:
    """Median and 95th percentile in milliseconds."""
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    goal = f"  (target < {target:.0f} ms)" if target else ""
    print(f"{label:<44} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   n={len(ms)}{goal}")


async def timed(session: aiohttp.ClientSession, url: str) -> float:
    """One GET, body read, in seconds."""
    started = time.perf_counter()
    async with session.get(url) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")
    return time.perf_counter() - started


async def sign_in(session: aiohttp.ClientSession, base: str, dashboard: Dashboard) -> None:
    """Through a link, as a browser would."""
    link = base + await asyncio.to_thread(dashboard.auth.make_link, ADMIN)
    async with session.get(link) as response:
        nonce = re.search(r'name="csrf" value="([^"]+)"', await response.text()).group(1)
    async with session.post(link, data={"csrf": nonce}, allow_redirects=False) as response:
        assert response.status == 303, response.status


async def run(store: CampaignStore, dashboard: Dashboard, requests: int) -> None:
    runner = web.AppRunner(make_web_app(dashboard=dashboard), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"   # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            await sign_in(session, base, dashboard)
            started = time.perf_counter()
            await dashboard.cache.close()                # the start-up warm-up, if it is still running
            print(f"start-up warm-up of the province figures finished {time.perf_counter() - started:.2f} s"
                  " after sign-in")
            summary("overview (figures kept, as served)", [await timed(session, base + "/admin/")
                                                           for _ in range(requests)], 300)
            uncached = []
            for _ in range(max(5, requests // 2)):
                dashboard.cache.values.clear()
                uncached.append(await timed(session, base + "/admin/"))
            summary("overview (figures added up every request)", uncached, 300)
            rng = random.Random(1)
            areas = store.all_areas()
            villages = rng.sample([a for a in areas if a.level == "village"], requests)
            summary("village page (households, not cached)", [await timed(session, f"{base}/admin/area/{v.id}")
                                                              for v in villages], 200)
            districts = [a for a in areas if a.level == "district"]
            dashboard.cache.values.clear()
            summary("district page, first view (not kept yet)", [await timed(session, f"{base}/admin/area/{d.id}")
                                                                 for d in districts])
            communes = rng.sample([a for a in areas if a.level == "commune"], min(requests, 20))
            summary("commune page, first view (not kept yet)", [await timed(session, f"{base}/admin/area/{c.id}")
                                                                for c in communes])
            province = store.province()
            export = await timed(session, f"{base}/admin/export/{province.id}.csv")
            print(f"{'province CSV export':<44} {export * 1000:7.1f} ms")
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        storage = Storage.open(str(Path(folder) / "bench.db"))
        store = CampaignStore(storage)
        started = time.perf_counter()
        made = fill_demo(store, args.households)
        print(f"demo fill: {made['households']:,} households, {made['visits']:,} visits, {made['villages']:,}"
              f" villages in {time.perf_counter() - started:.1f} s")
        store.add_admin(ADMIN)
        dashboard = build_dashboard(storage, store, AdminStore(storage), I18n(ROOT / "locales"), load_settings({}))
        asyncio.run(run(store, dashboard, args.requests))
        storage.close()


if __name__ == "__main__":
    main()
