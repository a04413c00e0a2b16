"""Weekly reminders to units that have not reported this week, on their focal person's channel.

Once a week, on the configured weekday at or after the hour (Vietnam time), every focal person of a unit with no
report dated this week (since Monday) gets one reminder. The week and each reminder are recorded in the database
before sending, so a restart neither sends twice in the same week nor forgets the week: a run cut short by a stop
goes on with the people not reached yet."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Awaitable, Callable

from bot.agencies.chat import week_start
from bot.agencies.form import day_text
from bot.broadcasts.broadcast import Sender
from bot.clock import VIETNAM, Clock
from bot.i18n import I18n
from bot.storage.agency_store import AgencyStore
from bot.storage.broadcast_store import BLOCKED, FAILED, SENT

log = logging.getLogger(__name__)

POLL_SECONDS = 600.0      # how often the loop looks at the clock; the reminder goes out within this after the hour
PAUSE_SECONDS = 0.1       # between two reminders: well under Telegram's and Zalo's rates


def week_key(at: datetime) -> str:
    """The ISO week of a Vietnam time, e.g. '2020-W34'."""
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"


def due(at: datetime, weekday: int, hour: int) -> bool:
    """True from the configured weekday and hour until the end of the week (Sunday)."""
    return at.weekday() > weekday or (at.weekday() == weekday and at.hour >= hour)


async def remind_once(store: AgencyStore, senders: dict[str, Sender], i18n: I18n, clock: Clock, weekday: int,
                      hour: int = 8, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                      pause: float = PAUSE_SECONDS) -> int:
    """Send this week's reminders if they are due and not sent yet; returns how many were attempted."""
    at = clock()
    at = at.astimezone(VIETNAM) if at.tzinfo else at.replace(tzinfo=VIETNAM)
    week = week_key(at)
    if not due(at, weekday, hour) or store.reminder_week(week) == "finished":
        return 0
    store.start_reminder_week(week)
    monday = week_start(at.date())
    attempted, no_sender = 0, 0
    for user_key, unit, lang in store.late_focal(monday.isoformat()):
        channel, _, user_id = user_key.partition(":")
        sender = senders.get(channel)
        if sender is None:
            no_sender += 1
            continue
        if not store.claim_reminder(week, user_key, unit.id):   # sent (or in flight) before a restart
            continue
        text = i18n.t(lang or i18n.default, "agency.reminder", unit=unit.name, since=day_text(monday))
        try:
            result = await sender(user_id, text)
        except Exception as error:   # one failed delivery is recorded, not fatal
            log.warning("reminder delivery failed (channel=%s): %s", channel, type(error).__name__)
            result = FAILED
        store.settle_reminder(week, user_key, result if result in (SENT, BLOCKED, FAILED) else FAILED)
        attempted += 1
        await sleep(pause)
    store.finish_reminder_week(week)
    log.info("weekly reminders %s: %d sent or tried, %d on channels not running here", week, attempted, no_sender)
    return attempted


async def remind_late_units(agency_store: AgencyStore, senders: dict[str, Sender], i18n: I18n, clock: Clock,
                            weekday: int, hour: int = 8, *, poll_seconds: float = POLL_SECONDS,
                            sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
    """Forever: send the week's reminders when they are due; cancelled to stop."""
    while True:
        try:
            await remind_once(agency_store, senders, i18n, clock, weekday, hour, sleep)
        except asyncio.CancelledError:
            raise
        except Exception:   # a bad row or a database hiccup must not end reminders for good
            log.exception("weekly reminders failed; retrying")
        await sleep(poll_seconds)
