"""The web dashboard over a real aiohttp server and a real SQLite file: sign-in links, sessions, CSRF, scoping,
personal data, exports, catalogs and charts."""
from __future__ import annotations

import argparse
import io
import re
from datetime import timedelta
from types import SimpleNamespace

import openpyxl
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.content.loader import Content
from bot.core.engine import Engine
from bot.core.messages import Incoming
from bot.dashboard.auth import COOKIE, DashboardCommand, run_link
from bot.dashboard.charts import (
    Bar,
    Marker,
    Series,
    bar_chart,
    line_chart,
    nice_ceiling,
)
from bot.dashboard.pages import FreshCache
from bot.i18n import I18n
from bot.runtime.web import make_web_app
from bot.storage.campaign_store import VisitInput
from bot.storage.database import Storage
from tests.dashboard_fixtures import (
    DISTRICT_ADMIN,
    NOBODY,
    PROVINCE_ADMIN,
    World,
    build_world,
    nonce_of,
    sign_in,
)
from tests.matcher_cache import CACHE, THRESHOLDS


@pytest.fixture()
def world(storage: Storage, i18n: I18n, content: Content) -> World:
    return build_world(storage, i18n, content=SimpleNamespace(current=content))


@pytest.fixture()
async def client(world: World) -> TestClient:
    async with TestClient(TestServer(make_web_app(dashboard=world.dashboard))) as client:
        yield client


def pages(world: World) -> list[str]:
    a = world.areas
    return ["/admin/", f"/admin/area/{a['D1'].id}", f"/admin/area/{a['C1'].id}", f"/admin/area/{a['V1'].id}",
            "/admin/agencies", "/admin/questions", f"/admin/export/{a['P'].id}.xlsx",
            f"/admin/export/{a['V1'].id}.csv"]


def audit(world: World, action: str) -> list[tuple]:
    return world.storage.db.execute("SELECT user_key, allowed FROM audit WHERE action = ?", [action]).fetchall()


# --- signing in ----------------------------------------------------------------------------------------------------

async def test_a_link_signs_in_once_with_a_safe_cookie(client: TestClient, world: World) -> None:
    link = world.dashboard.auth.make_link(PROVINCE_ADMIN)
    assert re.fullmatch(r"/admin/signin/[A-Za-z0-9_-]{43}", link)
    first = await client.get(link)
    again = await client.get(link)             # opening it (a chat app's link preview) uses nothing up
    assert first.status == again.status == 200
    response = await client.post(link, data={"csrf": nonce_of(await again.text())}, allow_redirects=False)
    assert response.status == 303
    cookie = next(c for c in response.headers.getall("Set-Cookie") if c.startswith(COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie               # plain http on loopback, public URL http
    overview = await client.get("/admin/")
    assert overview.status == 200 and "Tỉnh Quảng Ngãi" in await overview.text()
    assert audit(world, "dashboard:signin") == [(PROVINCE_ADMIN, 1)]
    stored = world.storage.db.execute("SELECT token_hash FROM dashboard_links").fetchall()
    assert stored and link.rsplit("/", 1)[1] not in str(stored)       # only the hash is kept

    client.session.cookie_jar.clear()
    used = await client.get(link)
    assert used.status == 403 and "/dashboard" in await used.text()
    client.session.cookie_jar.update_cookies({"dash_signin": "n"})
    replay = await client.post(link, data={"csrf": "n"}, allow_redirects=False)
    assert replay.status == 403 and COOKIE not in client.session.cookie_jar.filter_cookies(client.make_url("/admin/"))


async def test_the_sign_in_button_needs_its_form_token(client: TestClient, world: World) -> None:
    link = world.dashboard.auth.make_link(PROVINCE_ADMIN)
    await client.get(link)
    forged = await client.post(link, data={"csrf": "guess"}, allow_redirects=False)
    assert forged.status == 403
    assert world.dashboard.auth.sign_in(link.rsplit("/", 1)[1]) is not None    # the link was not used up


async def test_a_link_expires_after_ten_minutes(client: TestClient, world: World) -> None:
    auth = world.dashboard.auth
    late, in_time = auth.make_link(PROVINCE_ADMIN), auth.make_link(PROVINCE_ADMIN)
    world.clock.at += timedelta(minutes=9, seconds=59)
    assert (await client.get(in_time)).status == 200
    world.clock.at += timedelta(seconds=2)
    assert (await client.get(late)).status == 403
    client.session.cookie_jar.update_cookies({"dash_signin": "n"})
    assert (await client.post(late, data={"csrf": "n"}, allow_redirects=False)).status == 403
    world.clock.at += timedelta(days=1)
    assert world.storage.db.execute("SELECT COUNT(*) FROM dashboard_links").fetchone()[0] == 2
    auth.make_link(PROVINCE_ADMIN)                    # making a link clears the expired ones
    assert world.storage.db.execute("SELECT COUNT(*) FROM dashboard_links").fetchone()[0] == 1


async def test_a_link_for_someone_no_longer_admin_opens_nothing(client: TestClient, world: World) -> None:
    link = world.dashboard.auth.make_link(NOBODY)
    page = await client.get(link)
    response = await client.post(link, data={"csrf": nonce_of(await page.text())}, allow_redirects=False)
    assert response.status == 403 and audit(world, "dashboard:signin") == [(NOBODY, 0)]


async def test_every_page_and_export_needs_a_session(client: TestClient, world: World) -> None:
    for path in pages(world):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 401, path
        assert "/dashboard" in await response.text()
    client.session.cookie_jar.update_cookies({COOKIE: "forged"})
    for path in pages(world):
        assert (await client.get(path, allow_redirects=False)).status == 401, path
    for path in ("/admin/signout", "/admin/lang"):
        assert (await client.post(path, data={"csrf": "x"}, allow_redirects=False)).status == 401
    assert (await client.get("/healthz")).status == 200


async def test_session_expires(client: TestClient, world: World) -> None:
    await sign_in(client, world, PROVINCE_ADMIN)
    world.clock.at += timedelta(hours=7, minutes=59)
    assert (await client.get("/admin/")).status == 200
    world.clock.at += timedelta(minutes=2)
    assert (await client.get("/admin/")).status == 401
    world.dashboard.auth.store.cleanup(world.dashboard.auth._at())
    assert world.storage.db.execute("SELECT COUNT(*) FROM dashboard_sessions").fetchone()[0] == 0


async def test_an_admin_removed_is_signed_out_at_the_next_request(client: TestClient, world: World) -> None:
    await sign_in(client, world, DISTRICT_ADMIN)
    with world.storage.lock, world.storage.db.conn:
        world.storage.db.execute("DELETE FROM admins WHERE user_key = ?", [DISTRICT_ADMIN])
    assert (await client.get("/admin/")).status == 401
    assert world.storage.db.execute("SELECT COUNT(*) FROM dashboard_sessions").fetchone()[0] == 0


async def test_posts_need_the_csrf_token(client: TestClient, world: World) -> None:
    csrf = await sign_in(client, world, PROVINCE_ADMIN)
    for path in ("/admin/signout", "/admin/lang"):
        assert (await client.post(path, data={"lang": "en"}, allow_redirects=False)).status == 403
        assert (await client.post(path, data={"csrf": csrf[:-1] + "x", "lang": "en"},
                                  allow_redirects=False)).status == 403
    overview = await client.get("/admin/")
    assert overview.status == 200 and "Tổng quan" in await overview.text()     # nothing changed
    switched = await client.post("/admin/lang", data={"csrf": csrf, "lang": "en", "next": "/admin/questions"},
                                 allow_redirects=False)
    assert switched.status == 303 and switched.headers["Location"] == "/admin/questions"
    assert "Overview" in await (await client.get("/admin/")).text()
    elsewhere = await client.post("/admin/lang", data={"csrf": csrf, "lang": "vi", "next": "https://evil.example/"},
                                  allow_redirects=False)
    assert elsewhere.headers["Location"] == "/admin/"
    out = await client.post("/admin/signout", data={"csrf": csrf})
    assert out.status == 200
    assert (await client.get("/admin/")).status == 401


async def test_lang_query_switches_and_is_remembered(client: TestClient, world: World) -> None:
    await sign_in(client, world, PROVINCE_ADMIN)
    english = await (await client.get("/admin/?lang=en")).text()
    assert '<html lang="en">' in english and "Install rate among residents" in english
    again = await (await client.get("/admin/questions")).text()
    assert '<html lang="en">' in again and "Citizens&#x27; questions" in again
    assert 'name="next" value="/admin/"' in english           # the switch does not carry ?lang back


# --- scope and personal data ----------------------------------------------------------------------------------------

async def test_a_district_admin_sees_only_their_district(client: TestClient, world: World) -> None:
    await sign_in(client, world, DISTRICT_ADMIN)
    a = world.areas
    overview = await (await client.get("/admin/")).text()
    assert "Huyện Bình Sơn" in overview and "Huyện Lý Sơn" not in overview and "Xã Bình Hải" in overview
    for area in ("P", "D2", "C2", "V3"):
        assert (await client.get(f"/admin/area/{a[area].id}")).status == 403, area
        for fmt in ("xlsx", "csv"):
            assert (await client.get(f"/admin/export/{a[area].id}.{fmt}")).status == 403, (area, fmt)
    own = await client.get(f"/admin/area/{a['V1'].id}")
    assert own.status == 200 and "Nguyễn Văn Tí" in await own.text()
    assert "Tỉnh Quảng Ngãi" not in await own.text()            # the trail stops at their district
    assert (await client.get(f"/admin/export/{a['D1'].id}.xlsx")).status == 200
    refused = world.storage.db.execute("SELECT COUNT(*) FROM audit WHERE allowed = 0 AND user_key = ?",
                                       [DISTRICT_ADMIN]).fetchone()[0]
    assert refused == 4 * 3
    assert (await client.get("/admin/area/999999")).status == 404


async def test_household_names_only_on_the_village_page(client: TestClient, world: World) -> None:
    await sign_in(client, world, PROVINCE_ADMIN)
    a = world.areas
    for path in ("/admin/", f"/admin/area/{a['D1'].id}", f"/admin/area/{a['C1'].id}", f"/admin/area/{a['D2'].id}",
                 f"/admin/area/{a['C2'].id}", "/admin/agencies", "/admin/questions"):
        html = await (await client.get(path)).text()
        for name in ("Văn Tí", "Mận", "Sửu"):
            assert name not in html, (path, name)
    village = await (await client.get(f"/admin/area/{a['V2'].id}")).text()
    assert "Trần Thị &lt;b&gt;Mận&lt;/b&gt;" in village and "<b>Mận" not in village      # escaped
    assert "Nguyễn Văn Tí" not in village                         # another village's household
    assert audit(world, "dashboard:village") == [(PROVINCE_ADMIN, 1)]


async def test_names_are_escaped_everywhere(client: TestClient, world: World) -> None:
    world.store.add_area(world.areas["C1"].id, "village", "Thôn <script>alert(1)</script>")
    await sign_in(client, world, PROVINCE_ADMIN)
    html = await (await client.get(f"/admin/area/{world.areas['C1'].id}")).text()
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- tables, charts and pages -------------------------------------------------------------------------------------

async def test_tables_sort_on_the_server(client: TestClient, world: World) -> None:
    await sign_in(client, world, PROVINCE_ADMIN)
    path = f"/admin/area/{world.areas['C1'].id}"
    names = lambda html: re.findall(r'<td><a href="/admin/area/\d+">([^<]+)</a>', html)  # noqa: E731
    assert names(await (await client.get(path)).text()) == ["Thôn Tân Hy", "Thôn Thanh Thủy"]
    assert names(await (await client.get(path + "?sort=name&dir=desc")).text()) == ["Thôn Thanh Thủy", "Thôn Tân Hy"]
    by_rate = await (await client.get(path + "?sort=rate_residents&dir=asc")).text()
    assert names(by_rate) == ["Thôn Thanh Thủy", "Thôn Tân Hy"] and 'aria-sort="ascending"' in by_rate
    assert (await client.get(path + "?sort=nonsense&dir=sideways")).status == 200
    world.store.save_visit("test:member", world.areas["V1"], world.areas["C1"].id, world.areas["D1"].id,
                           VisitInput("An", 1, 0, 0, 0),
                           world.clock())
    village = f"/admin/area/{world.areas['V1'].id}"
    rows = lambda html: re.findall(r"<tr><td>([^<]+)</td>", html)  # noqa: E731
    assert rows(await (await client.get(village + "?sort=label&dir=asc")).text()) == ["An", "Nguyễn Văn Tí"]
    assert rows(await (await client.get(village + "?sort=residents&dir=asc")).text()) == ["An", "Nguyễn Văn Tí"]


async def test_overview_has_charts_targets_and_stays_offline(client: TestClient, world: World) -> None:
    await sign_in(client, world, PROVINCE_ADMIN)
    html = await (await client.get("/admin/")).text()
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3 and 'role="img"' in html
    assert "Ban đầu 6,0%" in html and "Mục tiêu 60,0%" in html             # babel vi_VN numbers
    assert "Huyện Bình Sơn" in html and "Huyện Lý Sơn" in html
    assert "<script" not in html and "<link" not in html and " src=" not in html and "@import" not in html
    assert not re.search(r'(href|src)="(https?:)?//', html)
    response = await client.get("/admin/")
    assert response.headers["Cache-Control"] == "no-store" and "default-src 'none'" in response.headers[
        "Content-Security-Policy"]


async def test_target_rate_comes_from_the_settings(storage: Storage, i18n: I18n) -> None:
    world = build_world(storage, i18n, BOT_TARGET_RATE="0.75")
    async with TestClient(TestServer(make_web_app(dashboard=world.dashboard))) as client:
        await sign_in(client, world, PROVINCE_ADMIN)
        assert "Mục tiêu 75,0%" in await (await client.get("/admin/")).text()


async def test_questions_page_lists_unanswered_and_most_asked(client: TestClient, world: World,
                                                              content: Content, i18n: I18n) -> None:
    engine = Engine(content, i18n, world.storage, THRESHOLDS, cache=CACHE)
    for text in ("bluezone có tốn pin không", "bluezone có tốn pin không", "cài bluezone ở đâu", "qwzx plorf"):
        engine.handle(Incoming("telegram", "99", "99", text=text))
    await sign_in(client, world, DISTRICT_ADMIN)
    html = await (await client.get("/admin/questions")).text()
    assert "qwzx plorf" in html
    asked = re.findall(r"\((battery|install)\)</span></td><td class=n>(\d+)", html)
    assert asked == [("battery", "2"), ("install", "1")]


async def test_agency_page_without_agency_data(client: TestClient, world: World) -> None:
    await sign_in(client, world, PROVINCE_ADMIN)
    html = await (await client.get("/admin/agencies")).text()
    assert "Chưa có dữ liệu báo cáo của các cơ quan" in html


async def test_agency_page_shows_reports_and_who_is_late(storage: Storage, i18n: I18n) -> None:
    agencies = pytest.importorskip(
        "bot.storage.agency_store", reason="bot/storage/agency_store.py (agency reports) is not there; without it "
                                   "the page says 'no agency data' (tested above)")
    store = agencies.AgencyStore(storage)
    world = build_world(storage, i18n, agencies=store)
    d1, d2 = world.areas["D1"].id, world.areas["D2"].id
    school = store.add_unit(None, "Trường THPT Bình Sơn", "truong_hoc", d1)
    firm = store.add_unit(None, "Công ty <May> Bình Sơn", "doanh_nghiep", d1)
    hospital = store.add_unit(None, "Bệnh viện Lý Sơn", "benh_vien", d2)
    for n, unit in enumerate((school, firm, hospital)):
        store.create_invite(f"CODE{n}", unit.id, PROVINCE_ADMIN, "2099-01-01T00:00:00+00:00")
        store.redeem(f"CODE{n}", f"telegram:5{n}", "2020-08-10T00:00:00+00:00")
    store.save_report(school.id, agencies.ReportInput("2020-08-18", 40, 36, 27, 12), "telegram:50",
                      "2020-08-18T10:00:00+07:00")
    store.save_report(hospital.id, agencies.ReportInput("2020-08-17", 100, 90, 80), "telegram:52",
                      "2020-08-17T10:00:00+07:00")
    async with TestClient(TestServer(make_web_app(dashboard=world.dashboard))) as client:
        await sign_in(client, world, DISTRICT_ADMIN)          # Thursday 20 August: the week began on the 17th
        html = await (await client.get("/admin/agencies")).text()
        assert "Trường THPT Bình Sơn" in html and "75,0%" in html and "Trường học" in html
        assert "Chưa báo cáo từ 17/8: 1 đơn vị" in html and "Công ty &lt;May&gt; Bình Sơn" in html
        assert "Bệnh viện Lý Sơn" not in html                  # another district's unit
        await sign_in(client, world, PROVINCE_ADMIN)
        html = await (await client.get("/admin/agencies?sort=rate&dir=desc")).text()
        assert html.index("Bệnh viện Lý Sơn") < html.index("Trường THPT Bình Sơn")


# --- exports --------------------------------------------------------------------------------------------------------

async def test_xlsx_download_opens_with_openpyxl(client: TestClient, world: World) -> None:
    await sign_in(client, world, PROVINCE_ADMIN)
    response = await client.get(f"/admin/export/{world.areas['P'].id}.xlsx")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert re.fullmatch(r'attachment; filename="bao-cao-tinh-quang-ngai-\d{8}-\d{4}\.xlsx"',
                        response.headers["Content-Disposition"])
    book = openpyxl.load_workbook(io.BytesIO(await response.read()), read_only=True)
    report = [row for row in book.worksheets[0].iter_rows(values_only=True)]
    assert report[1][0] == "Huyện Bình Sơn" and report[1][1] == 2 and report[-1][1] == 3
    raw = [row for row in book.worksheets[1].iter_rows(values_only=True)]
    assert len(raw) == 1 + 3
    assert audit(world, "dashboard:export") == [(PROVINCE_ADMIN, 1)]


async def test_csv_starts_with_a_utf8_bom(client: TestClient, world: World) -> None:
    await sign_in(client, world, DISTRICT_ADMIN)
    response = await client.get(f"/admin/export/{world.areas['D1'].id}.csv")
    body = await response.read()
    assert response.status == 200 and body.startswith(b"\xef\xbb\xbf")
    assert response.headers["Content-Disposition"].endswith('.csv"')
    text = body.decode("utf-8-sig")
    assert "Xã Bình Hải" in text and "Lý Sơn" not in text


# --- the chat command and the command line --------------------------------------------------------------------------

async def test_dashboard_command_in_the_chat(client: TestClient, world: World, content: Content,
                                             i18n: I18n) -> None:
    command = DashboardCommand(world.dashboard.auth, i18n, "https://bot.example.org/")
    engine = Engine(content, i18n, world.storage, THRESHOLDS, (command,), cache=CACHE)
    refused = engine.handle(Incoming("telegram", "3", "3", text="/dashboard", language_hint="vi"))
    assert refused[0].text == i18n.t("vi", "admin.not_allowed")
    reply = engine.handle(Incoming("telegram", "1", "1", text="/dashboard", language_hint="vi"))[0].text
    url = re.search(r"https://bot\.example\.org(/admin/signin/\S+)", reply)
    assert url and "10 phút" in reply
    page = await client.get(url.group(1))
    signed = await client.post(url.group(1), data={"csrf": nonce_of(await page.text())}, allow_redirects=False)
    assert signed.status == 303
    assert sorted(audit(world, "dashboard")) == [(PROVINCE_ADMIN, 1), (NOBODY, 0)]


def test_dashboard_link_on_the_command_line(world: World, capsys: pytest.CaptureFixture) -> None:
    auth = world.dashboard.auth
    assert run_link(argparse.Namespace(user=PROVINCE_ADMIN), auth, "http://10.0.0.5:8080") == 0
    out = capsys.readouterr()
    assert re.fullmatch(r"http://10\.0\.0\.5:8080/admin/signin/[A-Za-z0-9_-]{43}\n", out.out)
    assert run_link(argparse.Namespace(user=NOBODY), auth, "http://x") == 2
    assert run_link(argparse.Namespace(user="telegram"), auth, "http://x") == 2
    assert capsys.readouterr().out == ""


async def test_cookies_are_secure_when_the_public_url_is_https(storage: Storage, i18n: I18n) -> None:
    world = build_world(storage, i18n, BOT_PUBLIC_URL="https://bot.example.org", BOT_SESSION_HOURS="1")
    async with TestClient(TestServer(make_web_app(dashboard=world.dashboard))) as client:
        link = world.dashboard.auth.make_link(PROVINCE_ADMIN)
        page = await client.get(link)
        response = await client.post(link, data={"csrf": "x"}, allow_redirects=False,
                                     cookies={"dash_signin": "x"})
        assert page.status == 200 and response.status == 303
        cookie = next(c for c in response.headers.getall("Set-Cookie") if c.startswith(COOKIE + "="))
        assert "Secure" in cookie and "Max-Age=3600" in cookie


# --- small pieces ---------------------------------------------------------------------------------------------------

def test_charts_are_accessible_and_escaped() -> None:
    svg = bar_chart([Bar("<Xã>", 0.25, "/admin/area/1"), Bar("Thôn B", None)], chart_id="b", title="T & co",
                    desc="D", fmt=lambda v: f"{v:.0%}", markers=[Marker(0.06, "Start"), Marker(0.6, "Target")])
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-labelledby="b-t b-d"' in svg
    assert "&lt;Xã&gt;" in svg and "T &amp; co" in svg and "<Xã>" not in svg and "–" in svg
    lines = line_chart(["1/8", "2/8", "3/8"], [Series("Visits", [1, 5, 3]), Series("Installs", [0, 2, 1])],
                       chart_id="l", title="Daily", desc="d", fmt=str)
    assert lines.count("<polyline") == 2 and "<title id=\"l-t\">Daily</title>" in lines
    assert [nice_ceiling(v) for v in (0, 0.6, 7, 130, 2400)] == [1.0, 1.0, 10, 200, 2500]


async def test_the_cache_serves_stale_values_while_refreshing() -> None:
    now = [0.0]
    cache = FreshCache(ttl=30, stale=300, clock=lambda: now[0])
    calls = []
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert await cache.get("p", compute) == 1
    now[0] = 10
    assert await cache.get("p", compute) == 1 and len(calls) == 1
    now[0] = 40
    assert await cache.get("p", compute) == 1           # stale, served at once; a refresh runs
    await cache.close()
    assert await cache.get("p", compute) == 2
    now[0] = 1000
    assert await cache.get("p", compute) == 3           # too old: waits for a fresh one
