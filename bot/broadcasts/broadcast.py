"""Broadcast reminders: admins write, preview, pick the audience and confirm in the chat; a paced background
sender delivers at most once per person, resumes after a restart, and reports delivered/failed/blocked."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable, Protocol

from bot.campaign.roles import role_of
from bot.core.features import Ctx, Feature, Handler
from bot.core.messages import Button, Reply
from bot.core.state import State
from bot.i18n import I18n
from bot.storage.admin_store import AdminStore
from bot.storage.broadcast_store import BLOCKED, FAILED, SENT, BroadcastStore
from bot.storage.campaign_store import CampaignStore

log = logging.getLogger(__name__)

P = "b:"
TEXT_MAX = 1500


class Sender(Protocol):
    """A channel's way to deliver one text to one user: returns 'sent', 'blocked' or 'failed'."""

    async def __call__(self, user_id: str, text: str) -> str: ...


@dataclass(frozen=True)
class Pace:
    """Messages per second a channel allows for broadcasts (Telegram: about 30/s overall)."""

    per_second: float


DEFAULT_PACE = {"telegram": Pace(25.0), "zalo": Pace(10.0)}


class Broadcasts(Feature):
    """/broadcast for admins; /tatthongbao and /batthongbao for everyone."""

    prefix = P
    states = frozenset({State.BROADCAST_INPUT})

    def __init__(self, bstore: BroadcastStore, admin_store: AdminStore, store: CampaignStore, i18n: I18n,
                 wake: Callable[[], None] = lambda: None) -> None:
        self.bstore, self.admin_store, self.store, self.i18n = bstore, admin_store, store, i18n
        self.wake = wake     # tells the running sender there is work (it also looks every few seconds)

    def commands(self) -> dict[str, Handler]:
        """Broadcast commands."""
        return {"broadcast": self.cmd_broadcast, "thongbao": self.cmd_broadcast,
                "tatthongbao": self.cmd_opt_out, "batthongbao": self.cmd_opt_in}

    def _t(self, ctx: Ctx, key: str, **values: object) -> str:
        return self.i18n.t(ctx.lang, key, **values)

    def _admin(self, ctx: Ctx, action: str) -> bool:
        allowed = role_of(self.store, ctx.user.key).admin
        self.admin_store.audit(ctx.user.key, action, "", allowed)
        if not allowed:
            log.warning("broadcast refused (channel=%s)", ctx.msg.channel)
        return allowed

    def cmd_opt_out(self, ctx: Ctx, argument: str) -> list[Reply]:
        """Stop receiving broadcasts."""
        self.bstore.set_opt_out(ctx.user.key, ctx.msg.channel, True)
        return [Reply(self._t(ctx, "broadcast.opted_out"))]

    def cmd_opt_in(self, ctx: Ctx, argument: str) -> list[Reply]:
        """Receive broadcasts again."""
        self.bstore.set_opt_out(ctx.user.key, ctx.msg.channel, False)
        return [Reply(self._t(ctx, "broadcast.opted_in"))]

    def cmd_broadcast(self, ctx: Ctx, argument: str) -> list[Reply]:
        """Start writing a broadcast (or give its text right after the command)."""
        if not self._admin(ctx, "broadcast"):
            return [Reply(self._t(ctx, "admin.not_allowed"))]
        if argument.strip():
            return self._preview(ctx, argument.strip())
        ctx.user.state, ctx.user.data = State.BROADCAST_INPUT, {}
        return [Reply(self._t(ctx, "broadcast.ask_text"), ((Button(self._t(ctx, "admin.btn_cancel"), P + "x"),),))]

    def on_message(self, ctx: Ctx) -> list[Reply] | None:
        """The broadcast's text."""
        ctx.user.reset()
        if not self._admin(ctx, "broadcast:text"):
            return [Reply(self._t(ctx, "admin.not_allowed"))]
        return self._preview(ctx, ctx.msg.text.strip())

    def _preview(self, ctx: Ctx, text: str) -> list[Reply]:
        if not text or len(text) > TEXT_MAX:
            return [Reply(self._t(ctx, "broadcast.bad_text", max=TEXT_MAX))]
        scope = role_of(self.store, ctx.user.key).admin_area
        ctx.user.state, ctx.user.data = State.BROADCAST_INPUT, {"text": text, "ready": True}
        rows = []
        if scope is None:
            rows.append((Button(self._t(ctx, "broadcast.btn_all", n=len(self.bstore.audience(None))), P + "all"),))
            province = self.store.province()
            districts = self.store.children(province.id) if province else []
        else:
            districts = [a for a in [self.store.area(scope)] if a]
        for district in districts:
            rows.append((Button(self._t(ctx, "broadcast.btn_district", name=district.name,
                                        n=len(self.bstore.audience(district.id))), f"{P}d:{district.id}"),))
        rows.append((Button(self._t(ctx, "admin.btn_cancel"), P + "x"),))
        return [Reply(self._t(ctx, "broadcast.preview", text=text), tuple(rows))]

    def on_payload(self, ctx: Ctx, payload: str) -> list[Reply] | None:
        """Audience, confirm, cancel."""
        action = payload[len(P):]
        if action == "x":
            ctx.user.reset()
            return [Reply(self._t(ctx, "admin.cancelled"))]
        if not self._admin(ctx, f"broadcast:{action}"):
            return [Reply(self._t(ctx, "admin.not_allowed"))]
        text = ctx.user.data.get("text") if ctx.user.state == State.BROADCAST_INPUT else None
        if not text:
            return None
        scope = role_of(self.store, ctx.user.key).admin_area
        if action == "all" and scope is None:
            return self._confirm(ctx, None)
        if action.startswith("d:") and action[2:].isdigit():
            district = self.store.area(int(action[2:]))
            if district and district.level == "district" and self.store.is_within(district.id, scope):
                return self._confirm(ctx, district.id)
        if action.startswith("go:"):
            target = action[3:]
            district_id = None if target == "all" else int(target) if target.isdigit() else -1
            if district_id == -1 or (district_id is None and scope is not None) or \
                    (district_id is not None and not self.store.is_within(district_id, scope)):
                return None
            broadcast, count = self.bstore.create(ctx.user.key, text, district_id)
            ctx.user.reset()
            self.admin_store.audit(ctx.user.key, "broadcast:queued", str(broadcast.id), True, f"{count} recipients")
            self.wake()
            return [Reply(self._t(ctx, "broadcast.queued", n=self.i18n.number(ctx.lang, count)))]
        return None

    def _confirm(self, ctx: Ctx, district_id: int | None) -> list[Reply]:
        count = len(self.bstore.audience(district_id))
        target = "all" if district_id is None else str(district_id)
        rows = ((Button(self._t(ctx, "broadcast.btn_send", n=count), f"{P}go:{target}"),
                 Button(self._t(ctx, "admin.btn_cancel"), P + "x")),)
        return [Reply(self._t(ctx, "broadcast.confirm", n=self.i18n.number(ctx.lang, count)), rows)]


class Broadcaster:
    """Delivers queued broadcasts in the background: paced per channel, at most once per recipient."""

    def __init__(self, bstore: BroadcastStore, senders: dict[str, Sender], i18n: I18n, lang: str = "vi",
                 paces: dict[str, Pace] | None = None, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 batch: int = 50) -> None:
        self.bstore, self.senders, self.i18n, self.lang = bstore, senders, i18n, lang
        self.paces = paces or DEFAULT_PACE
        self.sleep, self.batch = sleep, batch
        self.wakeup = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """There is new work; safe to call from the engine's worker thread."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.wakeup.set)

    async def run(self, poll_seconds: float = 3.0) -> None:
        """Forever: recover after a restart, then send whatever is queued; cancelled to stop."""
        self.loop = asyncio.get_running_loop()
        recovered = self.bstore.recover()
        if recovered:
            log.warning("broadcast: %d deliveries were in flight at the last stop; not resent", recovered)
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:   # a bad row or a channel outage must not end broadcasting for good
                log.exception("broadcast loop failed; retrying")
            try:
                await asyncio.wait_for(self.wakeup.wait(), poll_seconds)
            except asyncio.TimeoutError:
                pass
            self.wakeup.clear()

    async def run_once(self) -> int:
        """Send every pending delivery of every active broadcast; returns how many were attempted."""
        attempted = 0
        for broadcast in self.bstore.active():
            while keys := self.bstore.claim(broadcast.id, self.batch):
                for key in keys:
                    await self._deliver(broadcast.id, key, broadcast.text)
                    attempted += 1
            counts = self.bstore.finish(broadcast.id)
            log.info("broadcast %s done: %s", broadcast.id, counts)
            await self._report(broadcast.created_by, counts)
        return attempted

    async def _deliver(self, broadcast_id: int, user_key: str, text: str) -> None:
        channel, _, user_id = user_key.partition(":")
        sender = self.senders.get(channel)
        if sender is None:
            self.bstore.settle(broadcast_id, user_key, FAILED, "no sender for channel")
            return
        try:
            result = await sender(user_id, text)
        except Exception as error:   # one failed delivery is counted, not fatal
            log.warning("broadcast delivery failed (channel=%s): %s", channel, type(error).__name__)
            result = FAILED
        self.bstore.settle(broadcast_id, user_key, result if result in (SENT, BLOCKED, FAILED) else FAILED)
        pace = self.paces.get(channel)
        if pace:
            await self.sleep(1.0 / pace.per_second)

    async def _report(self, creator: str, counts: dict[str, int]) -> None:
        channel, _, user_id = creator.partition(":")
        sender = self.senders.get(channel)
        if sender is None:
            return
        text = self.i18n.t(self.lang, "broadcast.done", sent=counts.get(SENT, 0), failed=counts.get(FAILED, 0)
                           + counts.get("unknown", 0), blocked=counts.get(BLOCKED, 0))
        try:
            await sender(user_id, text)
        except Exception:
            log.warning("broadcast report could not be delivered (channel=%s)", channel)
