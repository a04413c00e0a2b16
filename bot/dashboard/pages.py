"""The dashboard's pages under /admin: the overview, drill-down to the village, and the report files (the list
pages are in dashboard_lists). Every page and file is checked against the viewer's area, every time.

SQLite work runs in threads (asyncio.to_thread), never on the event loop; an area's figures are kept for a short
while (a province's take a few hundred milliseconds to add up at 300,000 households) and served stale while
they are refreshed.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
from pathlib import Path

from aiohttp import web

from bot.clock import Clock, vietnam_now
from bot.config import Settings
from bot.dashboard.auth import VIEWER, DashboardAuth, Viewer, security_headers
from bot.dashboard.charts import Bar, Marker, Series, bar_chart, line_chart, meter
from bot.dashboard.data import (
    AREA_SORTS,
    HOUSEHOLD_SORTS,
    AreaData,
    FreshCache,
    sort_args,
    sort_items,
)
from bot.dashboard.html import (
    Column,
    View,
    cards,
    e,
    html_response,
    message_page,
    page,
    rate_cell,
    table,
)
from bot.dashboard.lists import AgencySource, ContentSource, ListPages
from bot.i18n import I18n
from bot.matching.normaliser import fold
from bot.reports.exports import export_titles, write_csv, write_xlsx
from bot.reports.service import BASELINE, Figures, ReportService, child_level
from bot.storage.admin_store import AdminStore
from bot.storage.campaign_store import Area, CampaignStore
from bot.storage.dashboard_store import DashboardStore
from bot.storage.database import Storage

log = logging.getLogger(__name__)

HOUSEHOLD_PAGE = 200
MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}


async def _to_overview(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/admin/")


class Dashboard:
    """The admin pages; `add_routes(app)` mounts them, with sign-in, under /admin of the one web application."""

    def __init__(self, auth: DashboardAuth, campaign: CampaignStore, reports: ReportService, admin_store: AdminStore,
                 i18n: I18n, clock: Clock = vietnam_now, *, target_rate: float = 0.6,
                 agencies: AgencySource | None = None, content: ContentSource | None = None,
                 cache_seconds: float = 30.0, export_slots: int = 2) -> None:
        self.auth, self.campaign, self.reports, self.admin_store = auth, campaign, reports, admin_store
        self.i18n, self.clock, self.target = i18n, clock, target_rate
        self.lists = ListPages(auth, admin_store, clock, agencies, content)
        self.cache = FreshCache(cache_seconds, max(cache_seconds * 10, 60.0))
        self.export_slots = export_slots
        self._slots: asyncio.Semaphore | None = None

    def add_routes(self, app: web.Application) -> None:
        """Mount the dashboard: a sub-application whose middleware guards every route in it."""
        admin = web.Application(middlewares=[self.auth.middleware])
        admin.on_response_prepare.append(security_headers)
        admin.on_startup.append(self._warm)
        admin.on_cleanup.append(self._close)
        self.auth.add_routes(admin)
        admin.router.add_get("/", self.overview)
        admin.router.add_get(r"/area/{id:\d{1,9}}", self.area_page)
        self.lists.add_routes(admin)
        admin.router.add_get(r"/export/{id:\d{1,9}}.{fmt:(xlsx|csv)}", self.export)
        app.router.add_get("/admin", _to_overview)
        app.add_subapp("/admin", admin)

    async def _warm(self, app: web.Application) -> None:
        """Start adding up the province's figures at start-up, so the first overview need not wait."""
        province = await asyncio.to_thread(self.campaign.province)
        if province is not None:
            self.cache.start(province.id, lambda: self._area_data(province))

    async def _close(self, app: web.Application) -> None:
        await self.cache.close()

    # --- helpers ------------------------------------------------------------------------------------------------

    def _context(self, request: web.Request) -> tuple[Viewer, View]:
        viewer = request[VIEWER]
        return viewer, self.auth.view(request, viewer)

    async def _refuse(self, view: View, viewer: Viewer, target: str) -> web.Response:
        await asyncio.to_thread(self.admin_store.audit, viewer.session.user_key, "dashboard:view", target, False)
        return html_response(message_page(view, view.t("dash.forbidden_title"), view.t("dash.forbidden")), 403)

    def _scope(self, viewer: Viewer) -> Area | None:
        return self.campaign.area(viewer.scope) if viewer.scope else self.campaign.province()

    def _locate(self, viewer: Viewer, area_id: int) -> tuple[Area | None, bool, list[Area]]:
        """The area, whether the viewer may see it, and its parents within the viewer's scope (for the trail)."""
        area = self.campaign.area(area_id)
        if area is None:
            return None, False, []
        chain = self.campaign.ancestors(area.id)
        ids = [a.id for a in chain]
        if viewer.scope is not None and viewer.scope not in ids:
            return area, False, []
        start = ids.index(viewer.scope) if viewer.scope is not None else 0
        return area, True, chain[start:-1]

    def _area_data(self, area: Area) -> AreaData:
        level = child_level(area.level)
        if level is None:
            rows, total = [], self.reports.area_figures(area.id)
        else:
            rows, total = self.reports.figures(None if area.level == "province" else area.id, level)
        where, params = ("all", []) if area.level == "province" else (area.level, [area.id])
        return AreaData(rows, total, self.campaign.daily(where, params, None, None), self.clock())

    # --- the overview and the drill-down ------------------------------------------------------------------------

    async def overview(self, request: web.Request) -> web.Response:
        """The viewer's whole area (the province, or their district): figures, charts, the table below it."""
        viewer, view = self._context(request)
        scope = await asyncio.to_thread(self._scope, viewer)
        if scope is None:
            return html_response(message_page(view, view.t("dash.overview"), view.t("dash.no_areas")))
        return await self._report_page(request, view, scope, [], current="/admin/")

    async def area_page(self, request: web.Request) -> web.Response:
        """A district or commune with its table, or a village with its households."""
        viewer, view = self._context(request)
        area, allowed, trail = await asyncio.to_thread(self._locate, viewer, int(request.match_info["id"]))
        if area is None:
            return html_response(message_page(view, view.t("dash.not_found_title"), view.t("dash.not_found")), 404)
        if not allowed:
            return await self._refuse(view, viewer, f"area:{area.id}")
        if area.level == "village":
            return await self._village_page(request, view, area, trail)
        return await self._report_page(request, view, area, trail)

    async def _report_page(self, request: web.Request, view: View, area: Area, trail: list[Area],
                           current: str = "") -> web.Response:
        data: AreaData = await self.cache.get(area.id, lambda: self._area_data(area))
        level = child_level(area.level)
        parts = [self._trail(view, trail), cards(self._cards(view, data.total)), self._meter(view, data.total)]
        if not data.total.visits and not data.total.households:
            parts.append(f'<p class="note">{e(view.t("dash.no_visits"))}</p>')
        else:
            if level and data.rows:
                parts.append(f'<h2>{e(view.t(f"dash.by_{level}"))}</h2>' + self._bars(view, data.rows, level))
            parts.append(f'<h2>{e(view.t("dash.daily_title"))}</h2>' + self._daily(view, data.daily))
        if level and data.rows:
            sort, descending = sort_args(request, AREA_SORTS, "name", False)
            parts.append(f'<h2>{e(view.t(f"dash.table_{level}"))}</h2>'
                         + self._area_table(view, data, level, sort, descending, request.path))
        made_at = view.i18n.date(view.lang, data.made_at)
        parts.append(f'<p class="note">{e(view.t("dash.figures_at", at=made_at, seconds=view.n(self.cache.ttl)))}</p>')
        parts.append(self._exports(view, area))
        title = view.t("dash.area_title", name=area.name)
        return html_response(page(view, title, "".join(parts), current))

    def _trail(self, view: View, trail: list[Area]) -> str:
        links = [f'<a href="/admin/area/{a.id}">{e(a.name)}</a>' for a in trail]
        return f'<p class="crumbs">{" › ".join(links)}</p>' if links else ""

    def _cards(self, view: View, f: Figures) -> list[tuple[str, str, str]]:
        known = view.t("dash.of_known", known=view.n(f.known_households),
                       coverage=view.p(f.coverage)) if f.known_households else ""
        return [(view.t("dash.households"), view.n(f.households), known),
                (view.t("dash.residents"), view.n(f.residents), ""),
                (view.t("dash.smartphones"), view.n(f.smartphones), ""),
                (view.t("dash.with_app"), view.n(f.with_app), view.t("dash.installed_note", n=view.n(f.installed))),
                (view.t("dash.rate_smartphones"), view.p(f.rate_smartphones), ""),
                (view.t("dash.rate_residents"), view.p(f.rate_residents),
                 view.t("dash.against", baseline=view.p(BASELINE), target=view.p(self.target))),
                (view.t("dash.visits"), view.n(f.visits), view.t("dash.days_note", days=view.n(f.active_days)))]

    def _markers(self, view: View) -> list[Marker]:
        return [Marker(BASELINE, view.t("dash.marker_baseline", rate=view.p(BASELINE))),
                Marker(self.target, view.t("dash.marker_target", rate=view.p(self.target)))]

    def _meter(self, view: View, f: Figures) -> str:
        return meter(f.rate_residents, self._markers(view), chart_id="meter", title=view.t("dash.rate_residents"),
                     fmt=view.p)

    def _bars(self, view: View, rows: list[Figures], level: str) -> str:
        rated = sorted((f for f in rows if f.rate_residents is not None), key=lambda f: f.rate_residents)
        desc = view.t("dash.bars_desc", high=rated[-1].area.name, high_rate=view.p(rated[-1].rate_residents),
                      low=rated[0].area.name, low_rate=view.p(rated[0].rate_residents)) if rated else ""
        bars = [Bar(f.area.name, f.rate_residents, f"/admin/area/{f.area.id}") for f in rows]
        return bar_chart(bars, chart_id="bars", title=view.t("dash.bars_title"),
                         desc=desc, fmt=view.p, markers=self._markers(view))

    def _daily(self, view: View, daily: list[tuple]) -> str:
        if not daily:
            return f'<p class="note">{e(view.t("dash.no_visits"))}</p>'
        visits, installs = [d[1] for d in daily], [d[2] or 0 for d in daily]
        peak = max(daily, key=lambda d: d[1])
        desc = view.t("dash.daily_desc", first=view.day(daily[0][0]), last=view.day(daily[-1][0]),
                      visits=view.n(sum(visits)), installs=view.n(sum(installs)), peak=view.day(peak[0]),
                      peak_visits=view.n(peak[1]))
        series = [Series(view.t("dash.series_visits"), visits), Series(view.t("dash.series_installs"), installs)]
        return line_chart([view.day(d[0]) for d in daily], series, chart_id="daily",
                          title=view.t("dash.daily_title"), desc=desc, fmt=view.n)

    def _area_table(self, view: View, data: AreaData, level: str, sort: str, descending: bool, path: str) -> str:
        keys = ("households", "coverage", "residents", "smartphones", "with_app", "rate_smartphones",
                "rate_residents", "visits")
        columns = [Column("name", view.t(f"dash.level_{level}"), False)] + [
            Column(k, view.t(f"dash.col_{k}")) for k in keys]

        def cells(f: Figures, name: str) -> list[str]:
            return [name, e(view.n(f.households)), e(view.p(f.coverage)), e(view.n(f.residents)),
                    e(view.n(f.smartphones)), e(view.n(f.with_app)), e(view.p(f.rate_smartphones)),
                    rate_cell(view, f.rate_residents, BASELINE, self.target), e(view.n(f.visits))]

        rows = [cells(f, f'<a href="/admin/area/{f.area.id}">{e(f.area.name)}</a>')
                for f in sort_items(data.rows, AREA_SORTS, sort, descending)]
        return table(view, columns, rows, caption=view.t("dash.sort_hint"), sort=sort, descending=descending,
                     path=path, foot=cells(data.total, e(view.t("dash.total"))))

    def _exports(self, view: View, area: Area) -> str:
        return (f'<h2>{e(view.t("dash.exports_title"))}</h2><p class="note">'
                f'{e(view.t("dash.exports_note", name=area.name))}</p><p class="buttons">'
                f'<a href="/admin/export/{area.id}.xlsx" download>{e(view.t("dash.export_xlsx"))}</a>'
                f'<a href="/admin/export/{area.id}.csv" download>{e(view.t("dash.export_csv"))}</a></p>')

    # --- the village: the only page with household names ----------------------------------------------------------

    def _village_data(self, village: Area) -> tuple[Figures, list[tuple]]:
        total = self.reports.area_figures(village.id)
        return total, self.campaign.households_of(village.id, limit=max(1, total.households))

    async def _village_page(self, request: web.Request, view: View, village: Area,
                            trail: list[Area]) -> web.Response:
        total, households = await asyncio.to_thread(self._village_data, village)
        sort, descending = sort_args(request, HOUSEHOLD_SORTS, "day", True)
        pages = max(1, -(-len(households) // HOUSEHOLD_PAGE))
        asked = request.query.get("page", "1")
        number = min(pages, max(1, int(asked))) if asked.isdigit() and len(asked) < 6 else 1
        shown = sort_items(households, HOUSEHOLD_SORTS, sort, descending)[
            (number - 1) * HOUSEHOLD_PAGE:number * HOUSEHOLD_PAGE]
        keys = ("residents", "smartphones", "with_app", "installed")
        columns = [Column("label", view.t("dash.col_household"), False)] + [
            Column(k, view.t(f"dash.col_{k}")) for k in keys] + [Column("day", view.t("dash.col_day"), False)]
        rows = [[e(r[0]), e(view.n(r[1])), e(view.n(r[2])), e(view.n(r[3] + r[4])), e(view.n(r[4])),
                 e(view.day(r[5]))] for r in shown]
        parts = [self._trail(view, trail), cards(self._cards(view, total)), self._meter(view, total),
                 f'<h2>{e(view.t("dash.households_title"))}</h2>',
                 f'<p class="note">{e(view.t("dash.personal_note"))}</p>']
        if rows:
            parts.append(table(view, columns, rows, caption=view.t("dash.sort_hint"), sort=sort,
                               descending=descending, path=request.path))
        else:
            parts.append(f'<p class="note">{e(view.t("dash.no_visits"))}</p>')
        if pages > 1:
            links = [f'<a href="{request.path}?sort={sort}&amp;dir={"desc" if descending else "asc"}&amp;page={p}"'
                     f'{" aria-current=page" if p == number else ""}>{p}</a>' for p in range(1, pages + 1)]
            parts.append(f'<p class="pages">{e(view.t("dash.pages"))} {"".join(links)}</p>')
        parts.append(self._exports(view, village))
        await asyncio.to_thread(self.admin_store.audit, request[VIEWER].session.user_key, "dashboard:village",
                                str(village.id), True)
        return html_response(page(view, view.t("dash.area_title", name=village.name), "".join(parts)))

    # --- report files ---------------------------------------------------------------------------------------------

    def _write_export(self, area: Area, fmt: str, lang: str) -> Path:
        """The area's report (one row per area of the level below, totals, and in xlsx every visit) in a file."""
        by = child_level(area.level) or "village"
        scope_id = None if area.level == "province" else area.id
        if area.level == "village":
            total = self.reports.area_figures(area.id)
            rows = [total]
        else:
            rows, total = self.reports.figures(scope_id, by)
        titles = export_titles(self.i18n, lang, area.name, None, None, self.clock())
        handle, name = tempfile.mkstemp(prefix="dashboard-", suffix=f".{fmt}")
        os.close(handle)
        path = Path(name)
        try:
            if fmt == "xlsx":
                write_xlsx(path, rows, total, self.reports.raw_rows(scope_id), titles, by)
            else:
                write_csv(path, rows, total, titles, by)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    async def export(self, request: web.Request) -> web.StreamResponse:
        """The report of an area in the viewer's scope as xlsx or csv, written in a thread, streamed back."""
        viewer, view = self._context(request)
        area, allowed, _ = await asyncio.to_thread(self._locate, viewer, int(request.match_info["id"]))
        fmt = request.match_info["fmt"]
        if area is None:
            return html_response(message_page(view, view.t("dash.not_found_title"), view.t("dash.not_found")), 404)
        if not allowed:
            return await self._refuse(view, viewer, f"export:{area.id}")
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.export_slots)
        async with self._slots:     # a province's xlsx takes a while: a few at a time
            path = await asyncio.to_thread(self._write_export, area, fmt, view.lang)
        await asyncio.to_thread(self.admin_store.audit, viewer.session.user_key, "dashboard:export",
                                f"{area.id}.{fmt}", True)
        slug = re.sub(r"[^a-z0-9]+", "-", fold(area.name).lower()).strip("-") or "bao-cao"
        response = web.StreamResponse(headers={
            "Content-Type": MIME[fmt] + ("; charset=utf-8" if fmt == "csv" else ""),
            "Content-Disposition": f'attachment; filename="bao-cao-{slug}-{self.clock():%Y%m%d-%H%M}.{fmt}"'})
        try:
            response.content_length = path.stat().st_size
            await response.prepare(request)
            with path.open("rb") as handle:
                while chunk := await asyncio.to_thread(handle.read, 256 * 1024):
                    await response.write(chunk)
            await response.write_eof()
        finally:
            path.unlink(missing_ok=True)
        return response


def build_dashboard(storage: Storage, campaign: CampaignStore, admin_store: AdminStore, i18n: I18n,
                    settings: Settings, *, content: ContentSource | None = None, agencies: AgencySource | None = None,
                    clock: Clock = vietnam_now) -> Dashboard:
    """The dashboard as the settings want it (sign-in links, session length, the target rate)."""
    auth = DashboardAuth(DashboardStore(storage), campaign, admin_store, i18n, clock,
                         session_hours=settings.session_hours,
                         secure_cookies=settings.public_url.startswith("https://"))
    return Dashboard(auth, campaign, ReportService(campaign), admin_store, i18n, clock,
                     target_rate=settings.target_rate, agencies=agencies, content=content)
