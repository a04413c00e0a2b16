"""The campaign's clock: Vietnam time (UTC+7, no daylight saving), injectable for tests."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

VIETNAM = timezone(timedelta(hours=7), "ICT")

Clock = Callable[[], datetime]


def vietnam_now() -> datetime:
    """The current time in Vietnam."""
    return datetime.now(VIETNAM)
