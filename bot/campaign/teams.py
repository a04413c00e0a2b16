"""Village task teams: invite codes, joining (deep link, command or bare code), admins adding areas."""
from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta

from bot.campaign.roles import can_invite, role_of
from bot.clock import Clock
from bot.core.features import Ctx, Feature, Handler
from bot.core.messages import Button, Reply
from bot.i18n import I18n
from bot.storage.campaign_store import LEVELS, Area, CampaignStore, Invite, name_key

log = logging.getLogger(__name__)

P = "t:"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O or 1/I: codes are read aloud and typed
CODE_LENGTH = 6
CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
DEEP_LINK = "team_"
MEMBER_USES, LEADER_USES = 50, 1


def new_code() -> str:
    """A random invite code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class Teams(Feature):
    """Team membership and area management as a feature of the engine."""

    prefix = P

    def __init__(self, store: CampaignStore, i18n: I18n, clock: Clock, invite_days: int = 14,
                 telegram_username: str = "") -> None:
        self.store = store
        self.i18n = i18n
        self.clock = clock
        self.invite_days = invite_days
        self.telegram_username = telegram_username

    def commands(self) -> dict[str, Handler]:
        """Team and admin commands."""
        return {"thamgia": self.cmd_join, "join": self.cmd_join, "moi": self.cmd_invite,
                "taonhom": self.cmd_create_team, "huyma": self.cmd_revoke, "themkhuvuc": self.cmd_add_area,
                "tocongtac": self.cmd_help}

    def _t(self, ctx: Ctx, key: str, **values: object) -> str:
        return self.i18n.t(ctx.lang, key, **values)

    def _now(self) -> str:
        return self.clock().isoformat(timespec="seconds")

    def place(self, area_id: int) -> str:
        """'Thôn X, Xã Y, Huyện Z' for messages."""
        return ", ".join(a.name for a in reversed(self.store.ancestors(area_id)[1:]))

    # --- joining --------------------------------------------------------------------------------------------

    def cmd_join(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/thamgia CODE."""
        code = argument.strip().upper()
        if not code:
            return [Reply(self._t(ctx, "team.join_how"))]
        return self._join(ctx, code)

    def on_start(self, ctx: Ctx, argument: str) -> list[Reply] | None:
        """The Telegram deep link /start team_CODE."""
        if not argument.startswith(DEEP_LINK):
            return None
        return self._join(ctx, argument[len(DEEP_LINK):].upper())

    def on_text(self, ctx: Ctx) -> list[Reply] | None:
        """A bare message that is exactly a live invite code joins too (Zalo has no deep links)."""
        code = ctx.msg.text.strip().upper()
        if not CODE_RE.match(code) or self.store.invite(code) is None:
            return None
        return self._join(ctx, code)

    def _join(self, ctx: Ctx, code: str) -> list[Reply]:
        invite = self.store.redeem(code, ctx.user.key, self._now()) if CODE_RE.match(code) else None
        if invite is None:
            log.info("invite refused (channel=%s)", ctx.msg.channel)
            return [Reply(self._t(ctx, "team.code_invalid"))]
        log.info("joined a team (channel=%s role=%s)", ctx.msg.channel, invite.role)
        key = "team.joined_leader" if invite.role == "leader" else "team.joined"
        return [Reply(self._t(ctx, key, place=self.place(invite.area_id)) + "\n\n" + self._t(ctx, "team.help"))]

    # --- invites --------------------------------------------------------------------------------------------

    def cmd_invite(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/moi: a leader invites to their village; an admin names the village."""
        role = role_of(self.store, ctx.user.key)
        if not argument and role.member is not None:
            return self._make(ctx, role.member.area_id, "member")
        if not role.admin:
            return self._refuse(ctx)
        return self._pick_village(ctx, argument, "member")

    def cmd_create_team(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/taonhom VILLAGE: an admin makes the leader's invite for a village."""
        if not role_of(self.store, ctx.user.key).admin:
            return self._refuse(ctx)
        return self._pick_village(ctx, argument, "leader")

    def _pick_village(self, ctx: Ctx, text: str, invite_role: str) -> list[Reply]:
        if not text.strip():
            return [Reply(self._t(ctx, "team.name_village"))]
        found = self.store.find_areas(text, level="village")
        if not found:
            return [Reply(self._t(ctx, "team.no_village", name=text.strip()))]
        if len(found) == 1 or name_key(found[0].name) == name_key(text):   # exact names sort first
            return self._make(ctx, found[0].id, invite_role)
        rows = tuple((Button(self.place(a.id)[:60], f"{P}{invite_role[0]}:{a.id}"),) for a in found[:8])
        return [Reply(self._t(ctx, "team.which_village"), rows)]

    def on_payload(self, ctx: Ctx, payload: str) -> list[Reply] | None:
        """The village chosen from a list."""
        kind, _, area = payload[len(P):].partition(":")
        if kind not in ("m", "l") or not area.isdigit():
            return None
        return self._make(ctx, int(area), "member" if kind == "m" else "leader")

    def _make(self, ctx: Ctx, area_id: int, invite_role: str) -> list[Reply]:
        role = role_of(self.store, ctx.user.key)
        area = self.store.area(area_id)
        if area is None or area.level != "village":
            return [Reply(self._t(ctx, "team.no_village", name=str(area_id)))]
        if not can_invite(self.store, role, area_id) or (invite_role == "leader" and not role.admin):
            return self._refuse(ctx)
        invite = self.issue_invite(area_id, invite_role, ctx.user.key)
        return [Reply(self.invite_text(ctx.lang, invite))]

    def issue_invite(self, area_id: int, invite_role: str, created_by: str) -> Invite:
        """A new code for a village's team: single-use for a leader, shared by the members otherwise."""
        expires = (self.clock() + timedelta(days=self.invite_days)).isoformat(timespec="seconds")
        uses = LEADER_USES if invite_role == "leader" else MEMBER_USES
        return self.store.create_invite(new_code(), area_id, invite_role, created_by, expires, uses)

    def invite_text(self, lang: str, invite: Invite) -> str:
        """The message that hands an invite over: the code, the place, the link, how long it lasts."""
        key = "team.invite_leader" if invite.role == "leader" else "team.invite_member"
        text = self.i18n.t(lang, key, code=invite.code, place=self.place(invite.area_id),
                           days=self.i18n.number(lang, self.invite_days))
        if self.telegram_username:
            link = f"https://t.me/{self.telegram_username}?start={DEEP_LINK}{invite.code}"
            text += "\n" + self.i18n.t(lang, "team.invite_link", link=link)
        return text

    def cmd_revoke(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/huyma CODE: whoever could make the code can revoke it."""
        invite = self.store.invite(argument.strip().upper())
        if invite is None:
            return [Reply(self._t(ctx, "team.code_unknown"))]
        if not can_invite(self.store, role_of(self.store, ctx.user.key), invite.area_id):
            return self._refuse(ctx)
        self.store.revoke(invite.code)
        return [Reply(self._t(ctx, "team.revoked", code=invite.code))]

    # --- areas and help -------------------------------------------------------------------------------------

    def cmd_add_area(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/themkhuvuc Huyện / Xã / Thôn [; số hộ]: an admin adds communes and villages."""
        role = role_of(self.store, ctx.user.key)
        if not role.admin:
            return self._refuse(ctx)
        path, _, count = argument.partition(";")
        names = [n.strip() for n in path.split("/") if n.strip()]
        households = int(count.strip()) if count.strip().isdigit() else None
        if not 2 <= len(names) <= 3 or (count.strip() and households is None):
            return [Reply(self._t(ctx, "team.area_format"))]
        districts = self.store.find_areas(names[0], "district", limit=1)
        district = districts[0] if districts else None
        if district is None or not self.store.is_within(district.id, role.admin_area):
            return [Reply(self._t(ctx, "team.no_district", name=names[0]))]
        added: Area = district
        for level, name in zip(LEVELS[2:], names[1:]):
            added = self.store.add_area(added.id, level, name, households if level == LEVELS[-1] else None)
        log.info("admin added an area (channel=%s level=%s)", ctx.msg.channel, added.level)
        return [Reply(self._t(ctx, "team.area_added", place=self.place(added.id)))]

    def cmd_help(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/tocongtac: what a team member can do, with the quick form."""
        return [Reply(self._t(ctx, "team.help"))]

    def _refuse(self, ctx: Ctx) -> list[Reply]:
        log.info("team command refused (channel=%s)", ctx.msg.channel)
        return [Reply(self._t(ctx, "team.not_allowed"))]
