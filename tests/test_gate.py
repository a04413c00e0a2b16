"""The gate before the engine: re-delivered events handled once, floods slowed down."""
from __future__ import annotations

from bot.core.engine import Engine
from bot.core.messages import Incoming
from bot.runtime.gate import Admission, FloodGuard, FloodLimits
from bot.runtime.worker import EngineWorker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_flood_guard_warns_once_then_ignores_then_forgives() -> None:
    clock = Clock()
    guard = FloodGuard(FloodLimits(messages=3, window_s=60, pause_s=30), clock)
    assert [guard.check("u") for _ in range(3)] == [Admission.OK] * 3
    assert guard.check("u") is Admission.SLOW_DOWN
    assert guard.check("u") is Admission.IGNORE
    assert guard.check("other") is Admission.OK
    clock.now = 31
    assert guard.check("u") is Admission.OK


def test_window_slides() -> None:
    clock = Clock()
    guard = FloodGuard(FloodLimits(messages=2, window_s=10, pause_s=10), clock)
    for t in (0, 5, 11, 16, 22):
        clock.now = t
        assert guard.check("u") is Admission.OK


def test_same_event_is_handled_once(engine: Engine) -> None:
    worker = EngineWorker(engine)
    msg = Incoming("telegram", "5", "5", text="bluezone co ton pin ko", event_id="1001")
    assert worker.handle_sync(msg)
    assert worker.handle_sync(msg) == []
    assert engine.storage.db["messages"].count == 1
    worker.close()


def test_flooding_user_gets_one_polite_warning(engine: Engine) -> None:
    worker = EngineWorker(engine, FloodGuard(FloodLimits(messages=2)))
    replies = [worker.handle_sync(Incoming("telegram", "9", "9", text="pin")) for _ in range(4)]
    assert replies[0] and replies[1]
    assert "chờ" in replies[2][0].text
    assert replies[3] == []
    worker.close()


async def test_async_handle_runs_off_the_loop(engine: Engine) -> None:
    worker = EngineWorker(engine)
    replies = await worker.handle(Incoming("telegram", "3", "3", text="/start"))
    assert "Xin chào" in replies[0].text
    worker.close()
