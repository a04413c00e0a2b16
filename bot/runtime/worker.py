"""Runs the synchronous engine for async channels: one worker thread (one SQLite writer), gate first."""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from bot.core.engine import Engine
from bot.core.messages import Incoming, Reply
from bot.runtime.gate import Admission, FloodGuard

log = logging.getLogger(__name__)


class EngineWorker:
    """The engine behind an async interface, with de-duplication and flood control for network channels."""

    def __init__(self, engine: Engine, flood: FloodGuard | None = None) -> None:
        self.engine = engine
        self.flood = flood or FloodGuard()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")

    async def handle(self, msg: Incoming) -> list[Reply]:
        """Handle one message off the event loop; [] for a duplicate or an ignored flood message."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, self.handle_sync, msg)

    def handle_sync(self, msg: Incoming) -> list[Reply]:
        """The same, on the calling thread."""
        refused = self._gate(msg)
        return self.engine.handle(msg) if refused is None else refused

    def notice_sync(self, msg: Incoming, key: str) -> list[Reply]:
        """A catalog text for a message the engine does not read (a sticker, a photo), through the same gate."""
        refused = self._gate(msg)
        return [self.engine.notice(msg, key)] if refused is None else refused

    def _gate(self, msg: Incoming) -> list[Reply] | None:
        """None to go ahead; else what to answer instead ([] for a duplicate or an ignored flood)."""
        if msg.event_id:
            try:
                if not self.engine.storage.first_delivery(f"{msg.channel}:{msg.event_id}"):
                    log.info("duplicate event ignored (channel=%s event=%s)", msg.channel, msg.event_id)
                    return []
            except Exception:   # when the database fails, answering twice beats not answering
                log.exception("could not check event (channel=%s event=%s)", msg.channel, msg.event_id)
        verdict = self.flood.check(msg.user_key)
        if verdict is Admission.SLOW_DOWN:
            log.info("flood: slowing down a user (channel=%s)", msg.channel)
            return [self.engine.notice(msg, "flood.slow_down")]
        if verdict is Admission.IGNORE:
            return []
        return None

    def close(self) -> None:
        """Finish queued work and stop the thread."""
        self.executor.shutdown(wait=True)
