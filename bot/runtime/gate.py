"""What every channel needs before the engine: drop re-delivered events, slow down floods."""
from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass
from enum import StrEnum


class Admission(StrEnum):
    """The gate's verdict on one incoming message."""

    OK = "ok"
    DUPLICATE = "duplicate"     # already handled: acknowledge, do nothing
    SLOW_DOWN = "slow_down"     # first message over the limit: one polite warning
    IGNORE = "ignore"           # still over the limit: silence


@dataclass(frozen=True)
class FloodLimits:
    """How many messages a user may send in a window, and how long they are then ignored."""

    messages: int = 20
    window_s: float = 60.0
    pause_s: float = 60.0


class FloodGuard:
    """Per-user sliding-window counter, in memory: a restart forgiving a flood is harmless."""

    def __init__(self, limits: FloodLimits = FloodLimits(), clock=time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.recent: dict[str, deque[float]] = defaultdict(deque)
        self.paused_until: dict[str, float] = {}

    def check(self, user_key: str) -> Admission:
        """Count one message from user_key and say whether to handle it."""
        now = self.clock()
        until = self.paused_until.get(user_key)
        if until is not None:
            if now < until:
                return Admission.IGNORE
            del self.paused_until[user_key]
            self.recent[user_key].clear()
        window = self.recent[user_key]
        while window and now - window[0] > self.limits.window_s:
            window.popleft()
        window.append(now)
        if len(window) > self.limits.messages:
            self.paused_until[user_key] = now + self.limits.pause_s
            return Admission.SLOW_DOWN
        if len(self.recent) > 10000:   # forget idle users so memory stays flat
            for key in [k for k, q in self.recent.items() if not q or now - q[-1] > self.limits.window_s][:5000]:
                del self.recent[key]
        return Admission.OK
