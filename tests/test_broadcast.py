"""Broadcasts: preview and confirm, audience and opt-out, pacing, at-most-once delivery across a crash."""
from __future__ import annotations

import asyncio

import pytest

from bot.broadcasts.broadcast import Broadcaster, Broadcasts, Pace
from bot.content.loader import Content
from bot.core.state import UserState
from bot.i18n import I18n
from bot.storage.admin_store import AdminStore
from bot.storage.broadcast_store import BroadcastStore
from bot.storage.database import Storage
from tests.campaign_fixtures import Chat, FixedClock, campaign_engine, village


@pytest.fixture()
def world(content: Content, i18n: I18n, storage: Storage):
    bstore = BroadcastStore(storage)
    engine, store, _ = campaign_engine(content, i18n, storage, FixedClock())
    feature = Broadcasts(bstore, AdminStore(storage), store, i18n)
    engine, store, _ = campaign_engine(content, i18n, storage, FixedClock(), extra=(feature,))
    store.add_admin("telegram:boss")
    for n in range(30):
        storage.save_turn(UserState(f"telegram:{n}", "telegram"), str(n), None)
    for n in range(5):
        storage.save_turn(UserState(f"zalo:{n}", "zalo"), str(n), None)
    storage.save_turn(UserState("console:local", "console"), "local", None)   # no way to reach: not counted
    return engine, store, bstore, i18n


class Recorder:
    """A fake channel: records deliveries; some users have blocked the bot."""

    def __init__(self, blocked: set[str] = frozenset(), crash_after: int | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.blocked, self.crash_after = blocked, crash_after

    async def __call__(self, user_id: str, text: str) -> str:
        if self.crash_after is not None and len(self.sent) >= self.crash_after:
            raise asyncio.CancelledError()   # the process dies mid-broadcast
        self.sent.append((user_id, text))
        return "blocked" if user_id in self.blocked else "sent"


class Sleeps:
    def __init__(self) -> None:
        self.total = 0.0

    async def __call__(self, seconds: float) -> None:
        self.total += seconds


def queue(engine, text: str = "Nhắc bà con bật Bluetooth khi ra đường.") -> Chat:
    boss = Chat(engine, "boss")
    boss.say("/broadcast")
    boss.say(text)
    assert "Xem trước" in boss.text()
    boss.press("b:all")
    assert "Gửi ngay" in boss.text()
    boss.press("b:go:all")
    assert "Đã xếp hàng" in boss.text()
    return boss


def test_preview_confirm_and_audience(world) -> None:
    engine, _, bstore, _ = world
    Chat(engine, "7").say("/tatthongbao")
    queue(engine)
    broadcast = bstore.active()[0]
    assert len(bstore.counts(broadcast.id)) == 1 and bstore.counts(broadcast.id)["pending"] == 30 + 5 + 1 - 1
    # boss (telegram) talked too, console is never counted, user 7 opted out


async def test_delivery_is_paced_and_reports_counts(world) -> None:
    engine, _, bstore, i18n = world
    queue(engine)
    telegram, zalo, sleeps = Recorder(blocked={"3"}), Recorder(), Sleeps()
    sender = Broadcaster(bstore, {"telegram": telegram, "zalo": zalo}, i18n, sleep=sleeps,
                         paces={"telegram": Pace(25), "zalo": Pace(10)})
    await sender.run_once()
    assert len(telegram.sent) == 31 + 1 and len(zalo.sent) == 5     # 30 users + boss, then the report
    assert telegram.sent[-1][0] == "boss" and "1 người đã chặn" in telegram.sent[-1][1]
    assert sleeps.total == pytest.approx(31 / 25 + 5 / 10)
    assert not bstore.active()
    # the blocked user is skipped next time; writing to the bot again unblocks them
    assert "telegram:3" not in bstore.audience(None)
    Chat(engine, "3").say("xin chào")
    assert "telegram:3" in bstore.audience(None)


async def test_resume_after_a_crash_never_sends_twice(world, storage: Storage) -> None:
    engine, _, bstore, i18n = world
    queue(engine)
    first = Recorder(crash_after=12)
    with pytest.raises(asyncio.CancelledError):
        await Broadcaster(bstore, {"telegram": first, "zalo": Recorder()}, i18n, sleep=Sleeps(), batch=5).run_once()
    restarted = BroadcastStore(Storage(storage.db))
    in_flight = restarted.recover()            # claimed but unsettled at the crash: maybe sent, never resent
    second, zalo = Recorder(), Recorder()
    await Broadcaster(restarted, {"telegram": second, "zalo": zalo}, i18n, sleep=Sleeps(), batch=5).run_once()
    delivered_first = {u for u, _ in first.sent}
    delivered_second = [u for u, _ in second.sent[:-1]]           # the last one is the report to the boss
    assert not delivered_first & set(delivered_second)
    assert len(delivered_second) == len(set(delivered_second))
    counts = restarted.counts(restarted.db.execute("SELECT MAX(id) FROM broadcasts").fetchone()[0])
    zalo_users = 5
    assert counts["sent"] == 12 + len(delivered_second) + zalo_users
    assert counts.get("unknown", 0) == in_flight > 0
    assert sum(counts.values()) == 31 + zalo_users


def test_only_admins_broadcast_and_district_admins_stay_in_their_district(world) -> None:
    engine, store, bstore, _ = world
    citizen = Chat(engine, "5")
    citizen.say("/broadcast Tin giả")
    assert "không có quyền" in citizen.text()
    citizen.say(payload="b:go:all")
    assert "không có quyền" in citizen.text() and not bstore.active()
    ly_son = store.find_areas("Lý Sơn", level="district")[0]
    mo_duc = store.find_areas("Mộ Đức", level="district")[0]
    store.add_admin("telegram:local", ly_son.id)
    store.set_member("telegram:9", village(store, "Thôn Tây An Vĩnh"), "member")
    local = Chat(engine, "local")
    local.say("/broadcast Họp tổ công tác lúc 8 giờ.")
    assert "b:all" not in local.payloads() and f"b:d:{ly_son.id}" in local.payloads()
    local.say(payload=f"b:go:{mo_duc.id}")
    assert "cũ" in local.text() and not bstore.active()
    local.say("/broadcast Họp tổ công tác lúc 8 giờ.")
    local.press(f"b:d:{ly_son.id}")
    local.press("b:go:")
    assert bstore.counts(bstore.active()[0].id) == {"pending": 2}       # Lý Sơn's team member and its admin


def test_opt_out_and_in_work_on_a_first_message(world) -> None:
    engine, _, bstore, _ = world
    newcomer = Chat(engine, "new")
    newcomer.say("/tatthongbao")
    assert "không nhận" in newcomer.text() and "telegram:new" not in bstore.audience(None)
    newcomer.say("/batthongbao")
    assert "telegram:new" in bstore.audience(None)
