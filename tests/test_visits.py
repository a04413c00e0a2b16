"""Logging visits: the guided form, the quick form, validation, revisits, edit and undo, restarts, concurrency."""
from __future__ import annotations

import asyncio
import threading

import pytest

from bot.campaign.visit_rules import NUMBER_FIELDS
from bot.campaign.visits import STEPS
from bot.content.loader import Content
from bot.core.messages import Location
from bot.i18n import I18n
from bot.runtime.worker import EngineWorker
from bot.storage.campaign_store import CampaignStore, VisitInput
from bot.storage.database import Storage
from tests.campaign_fixtures import Chat, FixedClock, campaign_engine, village


@pytest.fixture()
def world(content: Content, i18n: I18n, storage: Storage):
    clock = FixedClock()
    engine, store, teams = campaign_engine(content, i18n, storage, clock)
    store.set_member("telegram:m1", village(store, "Thôn Đông An Vĩnh"), "member")
    store.set_member("telegram:m2", village(store, "Thôn Đông An Vĩnh"), "member")
    store.set_member("telegram:far", village(store, "Thôn Kỳ Tân"), "member")
    return engine, store, clock


def households(store: CampaignStore) -> list[tuple]:
    return store.db.execute("SELECT label, residents, smartphones, had_app, installed, visits FROM households"
                            " ORDER BY id").fetchall()


def test_guided_form_with_buttons_and_typing(world) -> None:
    engine, store, _ = world
    chat = Chat(engine, "m1")
    chat.say("/ghi")
    assert "Số nhà hoặc tên chủ hộ" in chat.text()
    chat.say("Nhà bà Năm")
    assert "có bao nhiêu người" in chat.text() and "v:n:residents:1" in chat.payloads()
    chat.say(payload="v:n:residents:5")
    assert "v:n:smartphones:5" in chat.payloads() and "v:n:smartphones:6" not in chat.payloads()
    chat.say("3 người")
    chat.say(payload="v:n:had_app:1")
    assert "v:n:installed:2" in chat.payloads() and "v:n:installed:3" not in chat.payloads()
    chat.say("2")
    chat.say(payload="v:skip:note")
    chat.say(location=Location(15.38, 109.12))
    assert "Kiểm tra lại" in chat.text() and "Vị trí: đã có" in chat.text()
    chat.say(payload="v:save")
    assert "Đã lưu hộ Nhà bà Năm" in chat.text()
    assert households(store) == [("Nhà bà Năm", 5, 3, 1, 2, 1)]
    row = store.db.execute("SELECT latitude, longitude, day FROM visits").fetchone()
    assert row == (15.38, 109.12, "2020-08-20")


@pytest.mark.parametrize("answers, error", [
    (["60"], "tối đa 50"), (["0"], "ít nhất 1"), (["2.5"], "số nguyên"), (["-1"], "không được âm"),
    (["ba"], "gõ một con số"), (["4", "5"], "không thể nhiều hơn số người trong hộ"),
    (["4", "2", "3"], "không thể nhiều hơn số người có điện thoại"), (["4", "2", "1", "2"], "Số cài mới tối đa là 1"),
])
def test_form_rejects_bad_numbers_and_asks_again(world, answers: list[str], error: str) -> None:
    engine, store, _ = world
    chat = Chat(engine, "m1")
    chat.say("/ghi")
    chat.say("Hộ A")
    for answer in answers:
        chat.say(answer)
    assert error in chat.text()
    assert store.db["households"].count == 0


def test_label_rules(world) -> None:
    engine, _, _ = world
    chat = Chat(engine, "m1")
    chat.say("/ghi")
    chat.say("x" * 101)
    assert "dài quá" in chat.text()
    chat.say("   ")
    assert "Số nhà hoặc tên chủ hộ" in chat.text()


def test_quick_form_confirms_then_saves(world) -> None:
    engine, store, _ = world
    chat = Chat(engine, "m1")
    chat.say("/ghi nha ong Ba, 5, 3, 1, 2 ; hen quay lai")
    assert "Kiểm tra lại" in chat.text() and "hen quay lai" in chat.text()
    chat.say(payload="v:save")
    assert households(store) == [("nha ong Ba", 5, 3, 1, 2, 1)]


@pytest.mark.parametrize("line, error", [
    ("/ghi 5 3 1 2", "cần tên hộ"), ("/ghi Nhà A 5 3 1", "cần tên hộ"), ("/ghi Nhà A 5 6 1 1", "không thể nhiều hơn"),
    ("/ghi Nhà A 70 3 1 1", "tối đa 50"), ("/ghi Nhà A 5 3 2 2", "không thể nhiều hơn số người có điện thoại"),
])
def test_quick_form_errors_say_what_to_fix(world, line: str, error: str) -> None:
    engine, store, _ = world
    chat = Chat(engine, "m1")
    chat.say(line)
    assert error in chat.text() and "Ví dụ" in chat.text()
    assert store.db["households"].count == 0 and store.db["visits"].count == 0


def test_revisit_updates_the_household_and_keeps_history(world) -> None:
    engine, store, _ = world
    first, second = Chat(engine, "m1"), Chat(engine, "m2")
    first.say("/ghi Nhà ông Tư 4 2 0 1")
    first.say(payload="v:save")
    second.say("/ghi NHÀ ÔNG TU 4 2 1 1")       # same household: case and marks do not matter
    second.say(payload="v:save")
    assert "đã có trong danh sách" in second.text()
    assert households(store) == [("NHÀ ÔNG TU", 4, 2, 1, 1, 2)]
    assert store.db["visits"].count == 2


def test_same_label_in_another_village_is_another_household(world) -> None:
    engine, store, _ = world
    for user in ("m1", "far"):
        chat = Chat(engine, user)
        chat.say("/ghi Nhà số 1 3 1 0 1")
        chat.say(payload="v:save")
    assert store.db["households"].count == 2


def test_today_edit_last_and_undo(world) -> None:
    engine, store, _ = world
    chat = Chat(engine, "m1")
    for line in ("/ghi Hộ Một 3 2 0 2", "/ghi Hộ Hai 4 2 1 1"):
        chat.say(line)
        chat.say(payload="v:save")
    chat.say("/homnay")
    assert "2 hộ" in chat.text() and "Hộ Hai" in chat.text()
    chat.say("/sua")
    chat.say(payload="v:edit")
    chat.say(payload="v:f:label")
    chat.say("Hộ Hai B")
    assert "Kiểm tra lại" in chat.text()
    chat.say(payload="v:save")
    assert [h[0] for h in households(store)] == ["Hộ Một", "Hộ Hai B"]
    chat.say("/hoantac")
    chat.press("v:undo:")
    assert "Đã bỏ" in chat.text()
    assert [h[0] for h in households(store)] == ["Hộ Một"]
    chat.say(payload="v:undo:999")               # a forged undo button: refused politely
    assert "cũ" in chat.text()


def test_undo_of_a_revisit_restores_the_previous_figures(world) -> None:
    engine, store, _ = world
    chat = Chat(engine, "m1")
    for line in ("/ghi Hộ Ba 5 3 0 1", "/ghi Hộ Ba 5 3 1 2"):
        chat.say(line)
        chat.say(payload="v:save")
    chat.say("/hoantac")
    chat.press("v:undo:")
    assert households(store) == [("Hộ Ba", 5, 3, 0, 1, 1)]


def test_unfinished_form_survives_a_restart(world, content: Content, i18n: I18n, storage: Storage) -> None:
    engine, store, clock = world
    Chat(engine, "m1").say("/ghi")
    Chat(engine, "m1").say("Nhà Sáu")
    Chat(engine, "m1").say("6")
    restarted, _, _ = campaign_engine(content, i18n, Storage(storage.db), clock)   # a new engine, same file
    chat = Chat(restarted, "m1")
    chat.say("4")
    assert "đã cài" in chat.text()
    for answer in ("1", "1"):
        chat.say(answer)
    chat.say(payload="v:skip:note")
    chat.say(payload="v:skip:location")
    chat.say(payload="v:save")
    assert households(store) == [("Nhà Sáu", 6, 4, 1, 1, 1)]


def test_help_mid_form_keeps_the_form(world) -> None:
    engine, _, _ = world
    chat = Chat(engine, "m1")
    chat.say("/ghi")
    chat.say("/help")
    chat.say("Nhà Bảy")
    assert "có bao nhiêu người" in chat.text()


def test_cancel_writes_nothing(world) -> None:
    engine, store, _ = world
    chat = Chat(engine, "m1")
    chat.say("/ghi Hộ Huỷ 3 1 0 1")
    chat.say(payload="v:cancel")
    assert "Không có gì được lưu" in chat.text() and store.db["visits"].count == 0


def test_non_members_cannot_log_and_stale_form_buttons_are_refused(world) -> None:
    engine, store, _ = world
    citizen = Chat(engine, "citizen")
    citizen.say("/ghi Nhà X 3 1 0 1")
    assert "thành viên tổ công tác" in citizen.text()
    for payload in ("v:save", "v:n:residents:3", "v:skip:note", "v:f:label", "v:undo:1", "v:zzz"):
        citizen.say(payload=payload)
        assert "cũ" in citizen.text() or "thành viên" in citizen.text(), payload
    member = Chat(engine, "m1")
    member.say("/ghi")
    member.say(payload="v:n:smartphones:2")      # a button from another step
    assert "cũ" in member.text()
    assert store.db["visits"].count == 0


def test_member_removed_mid_form_cannot_save(world) -> None:
    engine, store, _ = world
    chat = Chat(engine, "m1")
    chat.say("/ghi Nhà Y 3 1 0 1")
    store.db.execute("DELETE FROM members WHERE user_key = 'telegram:m1'")
    chat.say(payload="v:save")
    assert "thành viên tổ công tác" in chat.text() and store.db["visits"].count == 0


def test_every_form_text_is_in_the_catalogs(i18n: I18n) -> None:
    keys = [f"visit.ask_{s}" for s in STEPS[:-1]] + [f"visit.field_{s}" for s in STEPS[:-1]]
    keys += [f"visit.err.max_{f}" for f in NUMBER_FIELDS]
    for lang in ("vi", "en"):
        assert all(i18n.t(lang, key) != key for key in keys)


async def test_many_members_logging_at_once_lose_nothing(world) -> None:
    engine, store, _ = world
    worker = EngineWorker(engine)
    ids = [f"c{i}" for i in range(20)]
    for user in ids:
        store.set_member(f"telegram:{user}", village(store, "Thôn Tây An Vĩnh"), "member")

    async def member(user: str) -> None:
        for n in range(5):
            from bot.core.messages import Incoming
            await worker.handle(Incoming("telegram", user, user, text=f"/ghi Hộ {user}-{n} 3 2 0 1"))
            await worker.handle(Incoming("telegram", user, user, payload="v:save"))

    await asyncio.gather(*(member(u) for u in ids))
    worker.close()
    assert store.db["households"].count == 100 and store.db["visits"].count == 100


def test_two_connections_writing_at_once_lose_nothing(world, storage: Storage) -> None:
    _, store, clock = world
    path = storage.db.execute("PRAGMA database_list").fetchone()[2]
    area = store.area(village(store, "Thôn Tây An Vĩnh"))
    chain = store.ancestors(area.id)

    def writer(tag: str) -> None:
        own = CampaignStore(Storage.open(path))
        for n in range(50):
            own.save_visit(f"t:{tag}", area, chain[2].id, chain[1].id, VisitInput(f"{tag}{n}", 3, 1, 0, 1), clock())

    threads = [threading.Thread(target=writer, args=(tag,)) for tag in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.db["visits"].count == 200
