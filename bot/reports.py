"""Campaign figures by area (service) and the chat reports: /tiendo, /baocao with drill-down, /ds, /xuatexcel."""
from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterator

from bot.campaign_store import LEVELS, Area, CampaignStore, name_key
from bot.clock import Clock
from bot.exports import export_titles, write_xlsx
from bot.features import Ctx, Feature, Handler
from bot.i18n import I18n
from bot.messages import Button, Reply
from bot.roles import Role, can_see, role_of

log = logging.getLogger(__name__)

P = "r:"
BASELINE = 0.06          # share of residents who had the app when the provincial campaign started
AREA_PAGE = 12           # drill-down buttons per message, two per row
HOUSEHOLD_PAGE = 30
LEVEL_WORDS = {"district": "district", "huyen": "district", "commune": "commune", "xa": "commune",
               "village": "village", "thon": "village"}


@dataclass(frozen=True)
class Figures:
    """One area's campaign figures over a period."""

    area: Area
    known_households: int | None
    households: int
    residents: int
    smartphones: int
    had_app: int
    installed: int
    visits: int
    active_days: int
    parents: tuple[str, ...] = ()      # names of the areas above, district first (the province left out)

    @property
    def with_app(self) -> int:
        """People with the app after the visits: had it already, or installed it then."""
        return self.had_app + self.installed

    @property
    def rate_smartphones(self) -> float | None:
        """Share of smartphone owners with the app."""
        return self.with_app / self.smartphones if self.smartphones else None

    @property
    def rate_residents(self) -> float | None:
        """Share of residents with the app."""
        return self.with_app / self.residents if self.residents else None

    @property
    def coverage(self) -> float | None:
        """Share of the known households visited (None when the count is unknown)."""
        return self.households / self.known_households if self.known_households else None

    @property
    def visits_per_day(self) -> float | None:
        """Visits per day with at least one visit."""
        return self.visits / self.active_days if self.active_days else None


class AreaTree:
    """The whole area tree, loaded once per report."""

    def __init__(self, areas: list[Area]) -> None:
        self.by_id = {a.id: a for a in areas}
        self.children: dict[int | None, list[Area]] = defaultdict(list)
        for area in areas:                      # all_areas is sorted by name: children lists are too
            self.children[area.parent_id].append(area)
        roots = self.children.get(None, [])
        self.root = roots[0] if roots else None
        self.known: dict[int, int | None] = {}
        for level in reversed(LEVELS):
            for area in (a for a in areas if a.level == level):
                counts = [k for c in self.children.get(area.id, []) if (k := self.known.get(c.id)) is not None]
                self.known[area.id] = sum(counts) if counts else area.households

    def below(self, area: Area, level: str) -> list[Area]:
        """The areas of a level under area, in tree order (district, then commune, then name)."""
        if area.level == level:
            return [area]
        return [a for child in self.children.get(area.id, []) for a in self.below(child, level)]

    def parents(self, area: Area) -> tuple[str, ...]:
        """Names above the area, district first, the province left out."""
        names: list[str] = []
        current = self.by_id.get(area.parent_id) if area.parent_id else None
        while current is not None and current.parent_id is not None:
            names.append(current.name)
            current = self.by_id.get(current.parent_id)
        return tuple(reversed(names))

    def name(self, area_id: int) -> str:
        """An area's name ('' when unknown)."""
        area = self.by_id.get(area_id)
        return area.name if area else ""


class ReportService:
    """Figures per area from the grouped queries: a few scans per report, whatever the number of areas."""

    def __init__(self, store: CampaignStore) -> None:
        self.store = store

    def tree(self) -> AreaTree:
        """The area tree as it is now."""
        return AreaTree(self.store.all_areas())

    def figures(self, scope_id: int | None, by: str, day_from: str | None = None,
                day_to: str | None = None) -> tuple[list[Figures], Figures]:
        """One row per area of level `by` under the scope (areas without visits included, as zeros) and the
        scope's totals; scope None is the province, and `by` must be below the scope's level.

        Households are counted once, by their last visit: a household is in the period when its latest visit
        day is, with that visit's figures, so a revisit moves its figures rather than counting it twice.
        Visits and active days come from the visits themselves (undone ones left out)."""
        tree = self.tree()
        scope = self._scope(tree, scope_id)
        if by not in LEVELS or LEVELS.index(by) <= LEVELS.index(scope.level):
            raise ValueError(f"cannot split a {scope.level} by {by}")
        return self._compute(tree, scope, by, day_from, day_to)

    def area_figures(self, area_id: int | None, day_from: str | None = None,
                     day_to: str | None = None) -> Figures:
        """One area's totals (None = the province), counted as in figures()."""
        tree = self.tree()
        scope = self._scope(tree, area_id)
        return self._compute(tree, scope, "district" if scope.level == "province" else scope.level,
                             day_from, day_to)[1]

    def raw_rows(self, scope_id: int | None, day_from: str | None = None,
                 day_to: str | None = None) -> Iterator[tuple]:
        """Every visit in the scope, oldest first, with area names and no member id or location:
        (day, time, district, commune, village, household, action, residents, smartphones, had_app, installed,
        note)."""
        tree = self.tree()
        scope = self._scope(tree, scope_id)
        where, params = _filter(scope)
        days: dict[str, date] = {}
        names = {a.id: a.name for a in tree.by_id.values()}
        for row in self.store.raw_visits(where, params, day_from, day_to):
            day = days.get(row[1]) or days.setdefault(row[1], date.fromisoformat(row[1]))
            yield (day, row[2][11:16], names.get(row[3], ""), names.get(row[4], ""), names.get(row[5], ""),
                   *row[6:13])

    def _scope(self, tree: AreaTree, area_id: int | None) -> Area:
        scope = tree.root if area_id is None else tree.by_id.get(area_id)
        if scope is None:
            raise LookupError(f"no area {area_id}")
        return scope

    def _compute(self, tree: AreaTree, scope: Area, by: str, day_from: str | None,
                 day_to: str | None) -> tuple[list[Figures], Figures]:
        where, params = _filter(scope)
        sums = self.store.household_sums(by, where, params, day_from, day_to)
        visits: dict[int, int] = defaultdict(int)
        days: dict[int, int] = defaultdict(int)
        all_days: set[str] = set()
        for group, day, count in self.store.visit_day_counts(by, where, params, day_from, day_to):
            visits[group] += count
            days[group] += 1
            all_days.add(day)
        rows = [Figures(a, tree.known.get(a.id), *(sums.get(a.id) or (0, 0, 0, 0, 0)), visits.get(a.id, 0),
                        days.get(a.id, 0), tree.parents(a)) for a in tree.below(scope, by)]
        totals = [sum(column) for column in zip(*sums.values())] or [0, 0, 0, 0, 0]
        total = Figures(scope, tree.known.get(scope.id), *totals, sum(visits.values()), len(all_days),
                        tree.parents(scope))
        return rows, total


def _filter(scope: Area) -> tuple[str, list]:
    return ("all", []) if scope.level == "province" else (scope.level, [scope.id])


def child_level(level: str) -> str | None:
    """The level just below (None under a village)."""
    index = LEVELS.index(level)
    return LEVELS[index + 1] if index + 1 < len(LEVELS) else None


class Reports(Feature):
    """Progress and reports in the chat, for members, leaders and admins."""

    prefix = P

    def __init__(self, store: CampaignStore, service: ReportService, i18n: I18n, clock: Clock,
                 export_dir: Path) -> None:
        self.store = store
        self.service = service
        self.i18n = i18n
        self.clock = clock
        self.export_dir = Path(export_dir)

    def commands(self) -> dict[str, Handler]:
        """Report commands."""
        return {"tiendo": self.cmd_progress, "baocao": self.cmd_report, "ds": self.cmd_list,
                "xuatexcel": self.cmd_export}

    def _t(self, ctx: Ctx, key: str, **values: object) -> str:
        return self.i18n.t(ctx.lang, key, **values)

    def _n(self, ctx: Ctx, value: float | None, rate: bool = False) -> str:
        if value is None:
            return "–"
        return self.i18n.percent(ctx.lang, value) if rate else self.i18n.number(ctx.lang, round(value, 1))

    # --- /tiendo ----------------------------------------------------------------------------------------------

    def cmd_progress(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/tiendo: the member's own visits today and in total, and their village's figures."""
        member = self.store.member(ctx.user.key)
        if member is None:
            return [Reply(self._t(ctx, "report.not_member"))]
        today = self.clock().date().isoformat()
        mine = self._t(ctx, "report.progress_mine",
                       today=self._n(ctx, self.store.count_visits_by(ctx.user.key, today)),
                       total=self._n(ctx, self.store.count_visits_by(ctx.user.key)))
        village = self.service.area_figures(member.area_id)
        return [Reply(mine + "\n\n" + self.figures_text(ctx, village))]

    def figures_text(self, ctx: Ctx, f: Figures) -> str:
        """An area's figures in a few short lines."""
        lines = [self._t(ctx, "report.title", name=f.area.name)]
        if not f.visits and not f.households:
            return "\n".join(lines + [self._t(ctx, "report.no_visits")])
        if f.known_households:
            lines.append(self._t(ctx, "report.households_known", households=self._n(ctx, f.households),
                                 known=self._n(ctx, f.known_households), coverage=self._n(ctx, f.coverage, True)))
        else:
            lines.append(self._t(ctx, "report.households", households=self._n(ctx, f.households)))
        lines += [self._t(ctx, "report.people", residents=self._n(ctx, f.residents),
                          smartphones=self._n(ctx, f.smartphones)),
                  self._t(ctx, "report.apps", had_app=self._n(ctx, f.had_app), installed=self._n(ctx, f.installed)),
                  self._t(ctx, "report.rate_phones", rate=self._n(ctx, f.rate_smartphones, True)),
                  self._t(ctx, "report.rate_residents", rate=self._n(ctx, f.rate_residents, True),
                          baseline=self._n(ctx, BASELINE, True)),
                  self._t(ctx, "report.visits", visits=self._n(ctx, f.visits), days=self._n(ctx, f.active_days),
                          per_day=self._n(ctx, f.visits_per_day))]
        return "\n".join(lines)

    # --- /baocao and its drill-down ---------------------------------------------------------------------------

    def cmd_report(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/baocao [AREA]: a leader's village, an admin's scope (or an area inside it), with drill-down."""
        role = role_of(self.store, ctx.user.key)
        if not role.admin and role.member is None:
            return [Reply(self._t(ctx, "report.report_not_allowed"))]
        if argument:
            found = self.store.find_areas(argument, limit=20)
            visible = [a for a in found if can_see(self.store, role, a.id)]
            if not visible:
                key = "report.not_allowed" if found else "report.area_unknown"
                return [Reply(self._t(ctx, key, name=argument))]
            return [self._area_reply(ctx, role, visible[0], 0)]
        if not role.admin:
            return [self._area_reply(ctx, role, self.store.area(role.member.area_id), 0)]
        area = self.store.area(role.admin_area) if role.admin_area else self.store.province()
        if area is None:
            return [Reply(self._t(ctx, "report.no_areas"))]
        return [self._area_reply(ctx, role, area, 0)]

    def on_payload(self, ctx: Ctx, payload: str) -> list[Reply] | None:
        """Drill-down and list pages; every id is checked against the presser's rights again."""
        parts = payload[len(P):].split(":")
        if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) < 10 for p in parts[1:]):
            return None
        area = self.store.area(int(parts[1]))
        page = int(parts[2]) if len(parts) == 3 else 0
        role = role_of(self.store, ctx.user.key)
        if area is None:
            return None
        if parts[0] == "a" and can_see(self.store, role, area.id):
            return self._checked(self._area_reply(ctx, role, area, page))
        if parts[0] == "l" and area.level == "village" and self.may_list(role, area.id):
            return self._checked(self._list_reply(ctx, area, page))
        return None

    @staticmethod
    def _checked(reply: Reply | None) -> list[Reply] | None:
        return [reply] if reply is not None else None

    def _area_reply(self, ctx: Ctx, role: Role, area: Area, page: int) -> Reply | None:
        level = child_level(area.level)
        scope_id = None if area.level == "province" else area.id
        if level is None:
            total, rows = self.service.area_figures(area.id), []
        else:
            rows, total = self.service.figures(scope_id, level)
        pages = max(1, -(-len(rows) // AREA_PAGE))
        if page >= pages:
            return None
        text = self.figures_text(ctx, total)
        buttons = [Button(self._t(ctx, "report.child_button", name=f.area.name,
                                  rate=self._n(ctx, f.rate_smartphones, True)), f"{P}a:{f.area.id}")
                   for f in rows[page * AREA_PAGE:(page + 1) * AREA_PAGE]]
        keyboard = [tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2)]
        if rows:
            text += "\n\n" + self._t(ctx, "report.children", level=self._t(ctx, f"report.level_{level}"),
                                     page=page + 1, pages=pages)
        keyboard += self._pages(ctx, f"{P}a:{area.id}", page, pages)
        if area.level == "village" and self.may_list(role, area.id):
            keyboard.append((Button(self._t(ctx, "report.btn_list"), f"{P}l:{area.id}:0"),))
        if area.parent_id and can_see(self.store, role, area.parent_id):
            parent = self.store.area(area.parent_id)
            keyboard.append((Button(self._t(ctx, "report.btn_up", name=parent.name), f"{P}a:{parent.id}"),))
        return Reply(text, tuple(keyboard))

    def _pages(self, ctx: Ctx, base: str, page: int, pages: int) -> list[tuple[Button, ...]]:
        row = []
        if page > 0:
            row.append(Button(self._t(ctx, "report.btn_prev"), f"{base}:{page - 1}"))
        if page + 1 < pages:
            row.append(Button(self._t(ctx, "report.btn_next"), f"{base}:{page + 1}"))
        return [tuple(row)] if row else []

    # --- /ds: the household list (personal data) ---------------------------------------------------------------

    def may_list(self, role: Role, village_id: int) -> bool:
        """Household labels are personal: only the village's leader, or an admin whose area holds it."""
        if role.admin and self.store.is_within(village_id, role.admin_area):
            return True
        return role.leader and role.member is not None and role.member.area_id == village_id

    def cmd_list(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/ds [VILLAGE]: the village's visited households, latest first, 30 a page."""
        role = role_of(self.store, ctx.user.key)
        if not role.admin and not role.leader:
            return [Reply(self._t(ctx, "report.list_not_allowed"))]
        if not argument:
            if not role.leader:
                return [Reply(self._t(ctx, "report.list_which"))]
            return [self._list_reply(ctx, self.store.area(role.member.area_id), 0)]
        found = self.store.find_areas(argument, level="village", limit=20)
        allowed = [a for a in found if self.may_list(role, a.id)]
        if not allowed:
            return [Reply(self._t(ctx, "report.list_not_allowed" if found else "report.area_unknown",
                                  name=argument))]
        return [self._list_reply(ctx, allowed[0], 0)]

    def _list_reply(self, ctx: Ctx, village: Area, page: int) -> Reply | None:
        total = self.store.household_sums("village", "village", [village.id], None, None)
        count = total[village.id][0] if village.id in total else 0
        pages = max(1, -(-count // HOUSEHOLD_PAGE))
        if page >= pages:
            return None
        back = (Button(self._t(ctx, "report.btn_back_report"), f"{P}a:{village.id}"),)
        if not count:
            return Reply(self._t(ctx, "report.list_empty", village=village.name), (back,))
        rows = self.store.households_of(village.id, limit=HOUSEHOLD_PAGE, offset=page * HOUSEHOLD_PAGE)
        lines = [self._t(ctx, "report.list_header", village=village.name, total=self._n(ctx, count),
                         page=page + 1, pages=pages)]
        for n, (label, residents, phones, had, installed, day) in enumerate(rows, page * HOUSEHOLD_PAGE + 1):
            lines.append(self._t(ctx, "report.list_line", n=n, label=label, residents=residents, phones=phones,
                                 apps=had + installed, day=self.i18n.date(ctx.lang, date.fromisoformat(day))))
        return Reply("\n".join(lines), tuple(self._pages(ctx, f"{P}l:{village.id}", page, pages)) + (back,))

    # --- /xuatexcel ---------------------------------------------------------------------------------------------

    def cmd_export(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/xuatexcel [district|commune|village]: the admin's area as an Excel file (admins only)."""
        role = role_of(self.store, ctx.user.key)
        if not role.admin:
            return [Reply(self._t(ctx, "report.export_admins_only"))]
        scope = self.store.area(role.admin_area) if role.admin_area else self.store.province()
        if scope is None:
            return [Reply(self._t(ctx, "report.no_areas"))]
        allowed = list(LEVELS[LEVELS.index(scope.level) + 1:]) or ["village"]
        by = LEVEL_WORDS.get(name_key(argument)) if argument else allowed[0]
        if by not in allowed:
            return [Reply(self._t(ctx, "report.export_bad_level", example=allowed[0],
                                  levels=", ".join(allowed)))]
        path = self.export_dir / f"bao-cao-{by}-{self.clock():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}.xlsx"
        scope_id = None if scope.level == "province" else scope.id
        if scope.level == "village":
            total = self.service.area_figures(scope.id)
            rows = [total]
        else:
            rows, total = self.service.figures(scope_id, by)
        self.export_dir.mkdir(parents=True, exist_ok=True)
        titles = export_titles(self.i18n, ctx.lang, scope.name, None, None, self.clock())
        write_xlsx(path, rows, total, self.service.raw_rows(scope_id), titles, by)
        log.info("report file written (level=%s rows=%d)", by, len(rows))
        text = self._t(ctx, "report.export_ready", level=self._t(ctx, f"report.level_{by}"), name=scope.name,
                       households=self._n(ctx, total.households), visits=self._n(ctx, total.visits))
        return [Reply(text, document=str(path))]
