"""Helpers for the dashboard tests: a small campaign with known household names, the wired dashboard, signing in."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from aiohttp.test_utils import TestClient

from bot.clock import VIETNAM
from bot.config import load_settings
from bot.dashboard.pages import Dashboard, build_dashboard
from bot.i18n import I18n
from bot.storage.admin_store import AdminStore
from bot.storage.campaign_store import Area, CampaignStore, VisitInput
from bot.storage.database import Storage

PROVINCE_ADMIN, DISTRICT_ADMIN, NOBODY = "telegram:1", "telegram:2", "telegram:3"
SECRET_NAMES = ("Nguyễn Văn Tí", "Trần Thị <b>Mận</b>", "Lê Văn Sửu")   # household names: personal data


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: datetime = datetime(2020, 8, 20, 9, 0, tzinfo=VIETNAM)) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass
class World:
    storage: Storage
    store: CampaignStore
    admin_store: AdminStore
    dashboard: Dashboard
    clock: Clock
    areas: dict[str, Area]


def build_world(storage: Storage, i18n: I18n, clock: Clock | None = None, content: object = None,
                agencies: object = None, **settings: str) -> World:
    """P > D1 (C1: V1, V2), D2 (C2: V3); three visited households; a province admin and D1's admin."""
    clock = clock or Clock()
    store, admin_store = CampaignStore(storage), AdminStore(storage)
    a: dict[str, Area] = {"P": store.add_area(None, "province", "Tỉnh Quảng Ngãi")}
    a["D1"] = store.add_area(a["P"].id, "district", "Huyện Bình Sơn")
    a["D2"] = store.add_area(a["P"].id, "district", "Huyện Lý Sơn")
    a["C1"] = store.add_area(a["D1"].id, "commune", "Xã Bình Hải")
    a["C2"] = store.add_area(a["D2"].id, "commune", "Xã An Vĩnh")
    a["V1"] = store.add_area(a["C1"].id, "village", "Thôn Tân Hy", 10)
    a["V2"] = store.add_area(a["C1"].id, "village", "Thôn Thanh Thủy")
    a["V3"] = store.add_area(a["C2"].id, "village", "Thôn Đông", 4)
    for village, commune, district, name, figures, day in (
            ("V1", "C1", "D1", SECRET_NAMES[0], (5, 3, 1, 2), 18), ("V2", "C1", "D1", SECRET_NAMES[1], (4, 2, 0, 1), 19),
            ("V3", "C2", "D2", SECRET_NAMES[2], (3, 2, 0, 2), 19)):
        store.save_visit("test:member", a[village], a[commune].id, a[district].id, VisitInput(name, *figures),
                         datetime(2020, 8, day, 10, 0, tzinfo=VIETNAM))
    store.add_admin(PROVINCE_ADMIN)
    store.add_admin(DISTRICT_ADMIN, a["D1"].id)
    dashboard = build_dashboard(storage, store, admin_store, i18n, load_settings(settings), content=content,
                                agencies=agencies, clock=clock)
    return World(storage, store, admin_store, dashboard, clock, a)


def nonce_of(html: str) -> str:
    """The hidden csrf field of a page."""
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found, html[:500]
    return found.group(1)


async def sign_in(client: TestClient, world: World, user_key: str) -> str:
    """Open a link as the browser would (GET, then the button's POST); returns the session's CSRF token."""
    link = world.dashboard.auth.make_link(user_key)
    page = await client.get(link)
    assert page.status == 200
    response = await client.post(link, data={"csrf": nonce_of(await page.text())}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/admin/"
    overview = await client.get("/admin/")
    assert overview.status == 200
    return nonce_of(await overview.text())
