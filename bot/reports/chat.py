"""The chat reports: /tiendo, /baocao with drill-down, /ds (household list), /xuatexcel (Excel file)."""
from __future__ import annotations

import logging
import secrets
from datetime import date
from pathlib import Path

from bot.campaign.roles import Role, can_see, role_of
from bot.clock import Clock
from bot.core.features import Ctx, Feature, Handler
from bot.core.messages import Button, Reply
from bot.i18n import I18n
from bot.reports.exports import export_titles, write_xlsx
from bot.reports.service import BASELINE, Figures, ReportService, child_level
from bot.storage.campaign_store import LEVELS, Area, CampaignStore, name_key

log = logging.getLogger(__name__)

P = "r:"
AREA_PAGE = 12           # drill-down buttons per message, two per row
HOUSEHOLD_PAGE = 30
CHAT_RAW_MAX = 50_000    # raw visits written into a file asked for in the chat
LEVEL_WORDS = {"district": "district", "huyen": "district", "commune": "commune", "xa": "commune",
               "village": "village", "thon": "village"}


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
        # The engine's one worker writes the file: a province's every visit would hold up every citizen for
        # a minute, so the chat file carries the raw visits only up to a size; the CLI and dashboard have all.
        with_raw = total.visits <= CHAT_RAW_MAX
        write_xlsx(path, rows, total, self.service.raw_rows(scope_id) if with_raw else iter(()), titles, by)
        log.info("report file written (level=%s rows=%d raw=%s)", by, len(rows), with_raw)
        text = self._t(ctx, "report.export_ready", level=self._t(ctx, f"report.level_{by}"), name=scope.name,
                       households=self._n(ctx, total.households), visits=self._n(ctx, total.visits))
        if not with_raw:
            text += "\n" + self._t(ctx, "report.export_no_raw", max=self._n(ctx, CHAT_RAW_MAX))
        return [Reply(text, document=str(path))]
