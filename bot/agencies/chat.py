"""Agency reports: admins register reporting units and invite their focal persons; focal persons report.

Unit invite codes are "DV" and six letters or digits, so they never look like a village team's six-character
code. A focal person joins with `/thamgiadv CODE`, the bare code, the Telegram link `/start unit_CODE`, or
`/thamgia CODE` when the feature is given the team feature's join handler (`team_join`) and comes after it in
the engine's features: it then answers `/thamgia` itself and hands every other code to the teams."""
from __future__ import annotations

import logging
import re
import secrets
from datetime import date, timedelta

from bot.agencies.form import P, ReportForm, day_text
from bot.agencies.rules import KINDS, parse_kind
from bot.agencies.unit_import import committee_district, find_district
from bot.campaign.roles import role_of
from bot.campaign.teams import CODE_ALPHABET
from bot.clock import Clock
from bot.core.features import Ctx, Feature, Handler
from bot.core.messages import Button, Reply
from bot.core.state import State
from bot.i18n import I18n
from bot.storage.agency_store import AgencyStore, Unit, UnitInvite
from bot.storage.campaign_store import CampaignStore, name_key

log = logging.getLogger(__name__)

CODE_PREFIX = "DV"
CODE_RE = re.compile(rf"^{CODE_PREFIX}[{CODE_ALPHABET}]{{6}}$")
DEEP_LINK = "unit_"
NAME_MAX = 150
LIST_MAX = 60           # lines in one chat message; the dashboard has the whole list


def new_code() -> str:
    """A random unit invite code: DV and six characters."""
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def tree_order(units: list[Unit]) -> list[tuple[Unit, int]]:
    """Units depth first with their depth, children after their parent; a unit whose parent is not in the list
    starts a tree of its own."""
    ids = {u.id for u in units}
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id if unit.parent_id in ids else None, []).append(unit)
    ordered, stack = [], [(u, 0) for u in reversed(children.get(None, []))]
    while stack:
        unit, depth = stack.pop()
        ordered.append((unit, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(unit.id, [])))
    return ordered


def week_start(day: date) -> date:
    """The Monday of the week a day is in: 'this week' for reports and reminders."""
    return day - timedelta(days=day.weekday())


class Agencies(Feature):
    """Reporting units, focal persons and their reports, as a feature of the engine."""

    prefix = P
    states = frozenset({State.AGENCY_FORM})

    def __init__(self, store: AgencyStore, campaign: CampaignStore, i18n: I18n, clock: Clock,
                 invite_days: int = 14, telegram_username: str = "", team_join: Handler | None = None) -> None:
        self.store, self.campaign, self.i18n, self.clock = store, campaign, i18n, clock
        self.invite_days, self.telegram_username, self.team_join = invite_days, telegram_username, team_join
        self.form = ReportForm(store, i18n, clock)

    def commands(self) -> dict[str, Handler]:
        """Admin and focal-person commands."""
        commands: dict[str, Handler] = {
            "themdonvi": self.cmd_add_unit, "moidonvi": self.cmd_invite, "donvitre": self.cmd_late,
            "donvi": self.cmd_units, "huymadv": self.cmd_revoke, "thamgiadv": self.cmd_join_unit,
            "baocaodonvi": self.form.start}
        if self.team_join is not None:
            commands.update(thamgia=self.cmd_join_any, join=self.cmd_join_any)
        return commands

    def _t(self, ctx: Ctx, key: str, **values: object) -> str:
        return self.i18n.t(ctx.lang, key, **values)

    def _refuse(self, ctx: Ctx) -> list[Reply]:
        log.info("agency command refused (channel=%s)", ctx.msg.channel)
        return [Reply(self._t(ctx, "agency.not_allowed"))]

    def _admin(self, ctx: Ctx) -> tuple[bool, int | None]:
        role = role_of(self.campaign, ctx.user.key)
        return role.admin, role.admin_area

    def _in_scope(self, unit: Unit, scope: int | None) -> bool:
        return scope is None or (unit.area_id is not None and self.campaign.is_within(unit.area_id, scope))

    def path(self, unit: Unit) -> str:
        """'Parent › Unit' for messages."""
        parent = self.store.unit(unit.parent_id) if unit.parent_id else None
        return f"{parent.name} › {unit.name}" if parent else unit.name

    # --- units ----------------------------------------------------------------------------------------------

    def cmd_add_unit(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/themdonvi [Parent /] Unit; kind[; district]: an admin adds a reporting unit."""
        admin, scope = self._admin(ctx)
        if not admin:
            return self._refuse(ctx)
        path, _, rest = argument.partition(";")
        kind_text, _, district_text = rest.partition(";")
        names = [n.strip() for n in path.split("/") if n.strip()]
        if not names or any(len(n) > NAME_MAX for n in names):
            return [Reply(self._t(ctx, "agency.add_format", kinds=self.kind_words(ctx.lang)))]
        parent = self.resolve(names[:-1])
        if names[:-1] and parent is None:
            return [Reply(self._t(ctx, "agency.no_parent", name=" / ".join(names[:-1])))]
        kind = parse_kind(kind_text) if kind_text.strip() else parent.kind if parent else None
        if kind is None:
            return [Reply(self._t(ctx, "agency.unknown_kind", kind=kind_text.strip(), kinds=self.kind_words(ctx.lang)))]
        area_id = parent.area_id if parent else None
        if district_text.strip():
            district = find_district(self.campaign, district_text)
            if district is None:
                return [Reply(self._t(ctx, "agency.no_district", name=district_text.strip()))]
            area_id = district.id
        elif area_id is None and kind == "ubnd_huyen":
            district = committee_district(self.campaign, names[-1])
            area_id = district.id if district else None
        if scope is not None:   # a district's admin adds units of their district only
            area_id = scope if area_id is None else area_id
            if not self.campaign.is_within(area_id, scope):
                return self._refuse(ctx)
        unit = self.store.add_unit(parent.id if parent else None, names[-1], kind, area_id)
        log.info("admin added a unit (channel=%s kind=%s)", ctx.msg.channel, kind)
        area = self.campaign.area(unit.area_id) if unit.area_id else None
        return [Reply(self._t(ctx, "agency.unit_added", unit=self.path(unit), kind=self.kind_label(ctx.lang, kind),
                              area=area.name if area else self._t(ctx, "agency.province_level"), name=unit.name))]

    def resolve(self, names: list[str]) -> Unit | None:
        """A unit by its path of names: the first one anywhere (a top-level one first), then children."""
        if not names:
            return None
        found = self.store.units_named(names[0])
        if not found or (len(found) > 1 and found[0].parent_id is not None):
            return None
        unit: Unit | None = found[0]
        for name in names[1:]:
            unit = self.store.child(unit.id, name) if unit else None
        return unit

    def kind_label(self, lang: str, kind: str) -> str:
        """A kind in words."""
        return self.i18n.t(lang, f"agency.kind_{kind}")

    def kind_words(self, lang: str) -> str:
        """The kinds an admin may type, for help texts."""
        return "; ".join(self.i18n.t(lang, f"agency.kind_words_{kind}") for kind in KINDS)

    def cmd_units(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/donvi: the units in the admin's scope, whether they have a focal person, their latest report."""
        admin, scope = self._admin(ctx)
        if not admin:
            return self._refuse(ctx)
        units = [u for u in self.store.units() if self._in_scope(u, scope)]
        if not units:
            return [Reply(self._t(ctx, "agency.no_units"))]
        latest = {r.unit_id: r.as_of for r in self.store.latest_reports(scope)}
        without = {u.id for u in self.store.units_without_focal(scope)}
        lines = [self._t(ctx, "agency.units_header", n=self.i18n.number(ctx.lang, len(units)))]
        for unit, _ in tree_order(units)[:LIST_MAX]:
            last = day_text(date.fromisoformat(latest[unit.id])) if unit.id in latest else "–"
            key = "agency.unit_line_nofocal" if unit.id in without else "agency.unit_line"
            lines.append(self._t(ctx, key, unit=self.path(unit), kind=self.kind_label(ctx.lang, unit.kind), last=last))
        if len(units) > LIST_MAX:
            lines.append(self._t(ctx, "agency.more", n=len(units) - LIST_MAX))
        return [Reply("\n".join(lines))]

    def cmd_late(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/donvitre: units with a focal person and no report this week (since Monday)."""
        admin, scope = self._admin(ctx)
        if not admin:
            return self._refuse(ctx)
        monday = week_start(self.clock().date())
        late = self.store.late_units(monday.isoformat(), scope)
        without = len(self.store.units_without_focal(scope))
        if not late:
            text = self._t(ctx, "agency.none_late", since=day_text(monday))
        else:
            latest = {r.unit_id: r.as_of for r in self.store.latest_reports(scope)}
            lines = [self._t(ctx, "agency.late_header", n=self.i18n.number(ctx.lang, len(late)),
                             since=day_text(monday))]
            for unit in late[:LIST_MAX]:
                last = day_text(date.fromisoformat(latest[unit.id])) if unit.id in latest else None
                lines.append(self._t(ctx, "agency.late_line", unit=self.path(unit), last=last) if last
                             else self._t(ctx, "agency.late_line_never", unit=self.path(unit)))
            if len(late) > LIST_MAX:
                lines.append(self._t(ctx, "agency.more", n=len(late) - LIST_MAX))
            text = "\n".join(lines)
        if without:
            text += "\n\n" + self._t(ctx, "agency.without_focal", n=self.i18n.number(ctx.lang, without))
        return [Reply(text)]

    # --- invites --------------------------------------------------------------------------------------------

    def cmd_invite(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/moidonvi NAME: an admin makes the single-use code for a unit's focal person."""
        admin, scope = self._admin(ctx)
        if not admin:
            return self._refuse(ctx)
        if not argument.strip():
            return [Reply(self._t(ctx, "agency.name_unit"))]
        found = [u for u in self.store.find_units(argument, limit=20) if self._in_scope(u, scope)][:8]
        if not found:
            return [Reply(self._t(ctx, "agency.no_unit", name=argument.strip()))]
        exact = [u for u in found if name_key(u.name) == name_key(argument)]
        if len(found) == 1 or len(exact) == 1:
            return self._make(ctx, (exact or found)[0].id)
        rows = tuple((Button(self.path(u)[:60], f"{P}i:{u.id}"),) for u in found)
        return [Reply(self._t(ctx, "agency.which_unit"), rows)]

    def _make(self, ctx: Ctx, unit_id: int) -> list[Reply]:
        admin, scope = self._admin(ctx)
        unit = self.store.unit(unit_id)
        if not admin or unit is None or not self._in_scope(unit, scope):   # the choice may be forged
            return self._refuse(ctx)
        invite = self.issue_invite(unit.id, ctx.user.key)
        return [Reply(self.invite_text(ctx.lang, invite))]

    def issue_invite(self, unit_id: int, created_by: str) -> UnitInvite:
        """A new single-use code for a unit's focal person, valid for the invite days."""
        expires = (self.clock() + timedelta(days=self.invite_days)).isoformat(timespec="seconds")
        return self.store.create_invite(new_code(), unit_id, created_by, expires, 1)

    def invite_text(self, lang: str, invite: UnitInvite) -> str:
        """The message that hands an invite over: the code, the unit, how to join, how long it lasts."""
        unit = self.store.unit(invite.unit_id)
        text = self.i18n.t(lang, "agency.invite", code=invite.code, unit=self.path(unit) if unit else "",
                           days=self.i18n.number(lang, self.invite_days))
        if self.telegram_username:
            link = f"https://t.me/{self.telegram_username}?start={DEEP_LINK}{invite.code}"
            text += "\n" + self.i18n.t(lang, "agency.invite_link", link=link)
        return text

    def cmd_revoke(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/huymadv CODE: an admin of the unit's area revokes an unused code."""
        code = argument.strip().upper()
        invite = self.store.invite(code)
        if invite is None:
            return [Reply(self._t(ctx, "agency.code_unknown", code=code))]
        admin, scope = self._admin(ctx)
        unit = self.store.unit(invite.unit_id)
        if not admin or unit is None or not self._in_scope(unit, scope):
            return self._refuse(ctx)
        self.store.revoke(code)
        return [Reply(self._t(ctx, "agency.revoked", code=code))]

    # --- joining --------------------------------------------------------------------------------------------

    def cmd_join_unit(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/thamgiadv CODE."""
        code = argument.strip().upper()
        return self._join(ctx, code) if code else [Reply(self._t(ctx, "agency.join_how"))]

    def cmd_join_any(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/thamgia CODE: a unit code joins the unit; any other goes to the teams."""
        code = argument.strip().upper()
        if CODE_RE.match(code) or self.team_join is None:
            return self._join(ctx, code)
        return self.team_join(ctx, argument)

    def on_start(self, ctx: Ctx, argument: str) -> list[Reply] | None:
        """The Telegram deep link /start unit_CODE."""
        if not argument.startswith(DEEP_LINK):
            return None
        return self._join(ctx, argument[len(DEEP_LINK):].upper())

    def on_text(self, ctx: Ctx) -> list[Reply] | None:
        """A bare message that is exactly a live unit code joins too (Zalo has no deep links)."""
        code = ctx.msg.text.strip().upper()
        if not CODE_RE.match(code) or self.store.invite(code) is None:
            return None
        return self._join(ctx, code)

    def _join(self, ctx: Ctx, code: str) -> list[Reply]:
        at = self.clock().isoformat(timespec="seconds")
        invite = self.store.redeem(code, ctx.user.key, at) if CODE_RE.match(code) else None
        unit = self.store.unit(invite.unit_id) if invite else None
        if unit is None:
            log.info("unit invite refused (channel=%s)", ctx.msg.channel)
            return [Reply(self._t(ctx, "agency.code_invalid"))]
        log.info("a focal person joined a unit (channel=%s)", ctx.msg.channel)
        rows = ((Button(self._t(ctx, "agency.btn_report"), P + "new"),),)
        return [Reply(self._t(ctx, "agency.joined", unit=self.path(unit)) + "\n\n" + self._t(ctx, "agency.help"), rows)]

    # --- the form -------------------------------------------------------------------------------------------

    def on_message(self, ctx: Ctx) -> list[Reply] | None:
        """A typed answer while the report form is open."""
        return self.form.on_message(ctx)

    def on_payload(self, ctx: Ctx, payload: str) -> list[Reply] | None:
        """A unit chosen for an invite, or a form button."""
        action, _, rest = payload[len(P):].partition(":")
        if action == "i":
            return self._make(ctx, int(rest)) if rest.isdigit() else None
        return self.form.on_payload(ctx, action, rest)
