"""The dashboard's list pages: the agencies' latest reports with who is late, and citizens' questions with the most
asked FAQ entries. Both read through narrow interfaces (AgencySource, ContentSource), so either may be absent."""
from __future__ import annotations

import asyncio
from datetime import timedelta, timezone
from typing import Any, Callable, Protocol

from aiohttp import web

from bot.clock import Clock, vietnam_now
from bot.dashboard.auth import VIEWER, DashboardAuth
from bot.dashboard.data import sort_args, sort_items
from bot.dashboard.html import Column, View, e, html_response, page, table
from bot.storage.admin_store import AdminStore
from bot.storage.campaign_store import name_key

FAQ_DAYS = 30
AGENCY_SORTS: dict[str, Callable[[Any], Any]] = {
    "unit": lambda r: name_key(r.unit_name), "parent": lambda r: name_key(r.parent_name or ""),
    "kind": lambda r: r.kind, "as_of": lambda r: r.as_of, "staff": lambda r: r.staff,
    "smartphones": lambda r: r.staff_smartphones, "installed": lambda r: r.staff_installed,
    "rate": lambda r: r.staff_installed / r.staff_smartphones if r.staff_smartphones else None,
    "family": lambda r: r.family_installed, "reported": lambda r: r.reported_at}


def _day_or_text(view: View, value: str) -> str:
    try:
        return view.day(value[:10])
    except ValueError:       # not an ISO date: shown as given
        return value


class AgencySource(Protocol):
    """What the agency page reads (bot.storage.agency_store.AgencyStore)."""

    def latest_reports(self, area_id: int | None = None) -> list: ...

    def late_units(self, since: str, area_id: int | None = None) -> list: ...


class ContentSource(Protocol):
    """The live content (bot.curation.live.ContentManager): FAQ titles for the questions page."""

    current: Any


class ListPages:
    """/admin/agencies and /admin/questions."""

    def __init__(self, auth: DashboardAuth, admin_store: AdminStore, clock: Clock = vietnam_now,
                 agencies: AgencySource | None = None, content: ContentSource | None = None) -> None:
        self.auth, self.admin_store, self.clock = auth, admin_store, clock
        self.agencies, self.content = agencies, content

    def add_routes(self, app: web.Application) -> None:
        """The two pages, on the dashboard's guarded sub-application."""
        app.router.add_get("/agencies", self.agencies_page)
        app.router.add_get("/questions", self.questions_page)

    # --- agency reports ---------------------------------------------------------------------------------------------

    def week_start(self) -> str:
        """Monday of this week (Vietnam time), the day from which a unit's report counts as on time."""
        today = self.clock().date()
        return (today - timedelta(days=today.weekday())).isoformat()

    async def agencies_page(self, request: web.Request) -> web.Response:
        """The units' latest reports and who has not reported this week (within the viewer's area)."""
        viewer = request[VIEWER]
        view = self.auth.view(request, viewer)
        title = view.t("dash.agencies_title")
        if self.agencies is None:
            body = f'<p class="note">{e(view.t("dash.no_agency_data"))}</p>'
            return html_response(page(view, title, body, "/admin/agencies"))
        since = self.week_start()
        reports = await asyncio.to_thread(self.agencies.latest_reports, viewer.scope)
        late = await asyncio.to_thread(self.agencies.late_units, since, viewer.scope)
        sort, descending = sort_args(request, AGENCY_SORTS, "unit", False)
        columns = [Column("unit", view.t("dash.col_unit"), False), Column("parent", view.t("dash.col_parent"), False),
                   Column("kind", view.t("dash.col_kind"), False), Column("as_of", view.t("dash.col_as_of"), False),
                   Column("staff", view.t("dash.col_staff")), Column("smartphones", view.t("dash.col_smartphones")),
                   Column("installed", view.t("dash.col_staff_installed")), Column("rate", view.t("dash.col_rate")),
                   Column("family", view.t("dash.col_family")),
                   Column("reported", view.t("dash.col_reported"), False)]
        rows = [[e(r.unit_name), e(r.parent_name or ""), e(self._kind(view, r.kind)), e(_day_or_text(view, r.as_of)),
                 e(view.n(r.staff)), e(view.n(r.staff_smartphones)), e(view.n(r.staff_installed)),
                 e(view.p(AGENCY_SORTS["rate"](r))), e(view.n(r.family_installed)),
                 e(r.reported_at[:16].replace("T", " "))]
                for r in sort_items(reports, AGENCY_SORTS, sort, descending)]
        parts = [f'<h2>{e(view.t("dash.late_title", since=view.day(since), n=view.n(len(late))))}</h2>']
        if late:
            parts.append("<ul>" + "".join(f"<li>{e(u.name)} <span class=note>({e(self._kind(view, u.kind))})</span>"
                                          f"</li>" for u in sorted(late, key=lambda u: name_key(u.name))) + "</ul>")
        else:
            parts.append(f'<p class="note">{e(view.t("dash.none_late"))}</p>')
        parts.append(f'<h2>{e(view.t("dash.reports_title"))}</h2>')
        parts.append(table(view, columns, rows, caption=view.t("dash.sort_hint"), sort=sort, descending=descending,
                           path=request.path) if rows else f'<p class="note">{e(view.t("dash.no_reports"))}</p>')
        return html_response(page(view, title, "".join(parts), "/admin/agencies"))

    @staticmethod
    def _kind(view: View, kind: str) -> str:
        key = f"agency.kind_{kind}"           # the agency reports' own names for their kinds
        text = view.t(key)
        return kind if text == key else text

    # --- citizens' questions ----------------------------------------------------------------------------------------

    def _entry_title(self, entry_id: str | None, lang: str) -> str:
        entries = getattr(getattr(self.content, "current", None), "entries", {}) or {}
        entry = entries.get(entry_id) if entry_id else None
        if entry is None:
            return entry_id or ""
        return entry.title.get(lang) or entry.title.get("vi") or entry_id

    async def questions_page(self, request: web.Request) -> web.Response:
        """Open unanswered questions (most asked first) and the FAQ entries asked most in the last 30 days."""
        viewer = request[VIEWER]
        view = self.auth.view(request, viewer)
        since = (self.clock() - timedelta(days=FAQ_DAYS)).astimezone(timezone.utc).isoformat(timespec="seconds")
        unanswered = await asyncio.to_thread(self.admin_store.open_unanswered, 100)
        asked = await asyncio.to_thread(self.admin_store.most_asked, since, 20)
        parts = [f'<h2>{e(view.t("dash.unanswered_title"))}</h2>',
                 f'<p class="note">{e(view.t("dash.unanswered_note"))}</p>']
        if unanswered:
            columns = [Column("", view.t("dash.col_question"), False), Column("", view.t("dash.col_times")),
                       Column("", view.t("dash.col_channel"), False), Column("", view.t("dash.col_closest"), False)]
            rows = [[e(r[2]), e(view.n(r[3])), e(r[5] or ""), e(self._entry_title(r[4], view.lang))]
                    for r in unanswered]
            parts.append(table(view, columns, rows, caption=""))
        else:
            parts.append(f'<p class="note">{e(view.t("dash.none_unanswered"))}</p>')
        parts.append(f'<h2>{e(view.t("dash.most_asked_title", days=FAQ_DAYS))}</h2>')
        if asked:
            columns = [Column("", view.t("dash.col_entry"), False), Column("", view.t("dash.col_times"))]
            rows = [[f"{e(self._entry_title(entry_id, view.lang))} <span class=note>({e(entry_id)})</span>",
                     e(view.n(count))] for entry_id, count in asked]
            parts.append(table(view, columns, rows, caption=""))
        else:
            parts.append(f'<p class="note">{e(view.t("dash.none_asked"))}</p>')
        return html_response(page(view, view.t("dash.questions_title"), "".join(parts), "/admin/questions"))
