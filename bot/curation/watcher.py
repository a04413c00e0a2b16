"""Keeping a running bot's content current: reload when the files change or `faq reload` raises the signal."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, cast

from bot.content.loader import ContentError
from bot.curation.live import ContentManager
from bot.storage.admin_store import AdminStore

log = logging.getLogger(__name__)

RELOAD = "reload"

RunInEngine = Callable[[Callable[[], object]], Awaitable[object]]


class _Seen:
    """The last reload signal this process has acted on."""

    def __init__(self, at: str | None) -> None:
        self.at = at


def _tick(manager: ContentManager, store: AdminStore, seen: _Seen) -> tuple[str, list[ContentError] | None]:
    """One look (on the engine's thread): reload on a new signal, else when the files changed."""
    signal = store.signal_time(RELOAD)
    if signal is not None and signal != seen.at:
        seen.at = signal
        return "signal", manager.reload_files()
    return "files", manager.reload_if_changed()


async def watch_content(manager: ContentManager, store: AdminStore, run_in_engine: RunInEngine,
                        interval: float = 3.0,
                        report: Callable[[list[ContentError]], None] | None = None) -> None:
    """Every interval, reload changed files or on a newer 'reload' signal; broken content keeps the old; never dies."""
    seen = _Seen(None)
    try:   # a signal raised before this process started is already in the content it loaded
        seen.at = await run_in_engine(lambda: store.signal_time(RELOAD))  # type: ignore[assignment]
    except Exception:
        log.exception("content watcher: cannot read the reload signal")
    while True:
        await asyncio.sleep(interval)
        try:
            trigger, errors = cast(tuple[str, "list[ContentError] | None"],
                                   await run_in_engine(lambda: _tick(manager, store, seen)))
        except Exception:
            log.exception("content watcher: reload failed; the bot keeps the old content")
            continue
        if errors is None:
            continue
        if errors:
            log.warning("content watcher (%s): reload refused, %d problems; the bot keeps the old content",
                        trigger, len(errors))
        else:
            log.info("content watcher (%s): content reloaded", trigger)
        if report is not None:
            try:
                report(errors)
            except Exception:
                log.exception("content watcher: reporting the reload failed")
