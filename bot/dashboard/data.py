"""The dashboard's data between the database and the pages: an area's report, sorting, and a short-lived cache."""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Sequence

from aiohttp import web

from bot.reports.service import Figures
from bot.storage.campaign_store import name_key

log = logging.getLogger(__name__)

AREA_SORTS: dict[str, Callable[[Figures], Any]] = {
    "name": lambda f: name_key(f.area.name), "households": lambda f: f.households,
    "coverage": lambda f: f.coverage, "residents": lambda f: f.residents, "smartphones": lambda f: f.smartphones,
    "with_app": lambda f: f.with_app, "rate_smartphones": lambda f: f.rate_smartphones,
    "rate_residents": lambda f: f.rate_residents, "visits": lambda f: f.visits}
HOUSEHOLD_SORTS: dict[str, Callable[[tuple], Any]] = {
    "label": lambda r: name_key(r[0]), "residents": lambda r: r[1], "smartphones": lambda r: r[2],
    "with_app": lambda r: r[3] + r[4], "installed": lambda r: r[4], "day": lambda r: r[5]}


@dataclass(frozen=True)
class AreaData:
    """One area's report: its rows by the level below, its totals, and visits and installs per day."""

    rows: list[Figures]
    total: Figures
    daily: list[tuple]
    made_at: datetime


def sort_items(items: Sequence, keys: dict[str, Callable], sort: str, descending: bool) -> list:
    """Items sorted by one key; those without a value (no smartphones: no rate) go last either way."""
    key = keys[sort]
    known = [i for i in items if key(i) is not None]
    return sorted(known, key=key, reverse=descending) + [i for i in items if key(i) is None]


def sort_args(request: web.Request, keys: dict, default: str, descending: bool) -> tuple[str, bool]:
    """?sort=KEY&dir=asc|desc, checked against the table's keys."""
    sort = request.query.get("sort", "")
    if sort not in keys:
        return default, descending
    return sort, request.query.get("dir") == "desc"


class FreshCache:
    """Values computed in a thread and kept `ttl` seconds; an older one (up to `stale` seconds) is served at once
    while a single refresh runs, so a page waits for the database only when nothing usable is kept."""

    def __init__(self, ttl: float = 30.0, stale: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.stale, self.clock = ttl, stale, clock
        self.values: dict[Any, tuple[float, Any]] = {}
        self.running: dict[Any, asyncio.Task] = {}

    async def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        """The kept value, or a fresh one."""
        kept = self.values.get(key)
        age = self.clock() - kept[0] if kept else None
        if kept and age < self.ttl:
            return kept[1]
        task = self.running.get(key) or self._launch(key, compute)
        if kept and age < self.stale:
            return kept[1]
        return await asyncio.shield(task)

    def start(self, key: Any, compute: Callable[[], Any]) -> None:
        """Compute a value in the background unless one is kept or on its way (a warm-up)."""
        if key not in self.values and key not in self.running:
            self._launch(key, compute)

    def _launch(self, key: Any, compute: Callable[[], Any]) -> asyncio.Task:
        task = self.running[key] = asyncio.create_task(self._refresh(key, compute))
        task.add_done_callback(_log_failure)
        return task

    async def _refresh(self, key: Any, compute: Callable[[], Any]) -> Any:
        try:
            value = await asyncio.to_thread(compute)
            self.values[key] = (self.clock(), value)
            return value
        finally:
            self.running.pop(key, None)

    async def close(self) -> None:
        """Let refreshes still running finish (they hold the database)."""
        if self.running:
            await asyncio.gather(*self.running.values(), return_exceptions=True)


def _log_failure(task: asyncio.Task) -> None:
    """A refresh nobody waited for still has its failure logged (the next page view tries again)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("dashboard: figures could not be computed", exc_info=task.exception())
