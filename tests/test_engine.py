"""The engine end to end over the shipped content and a real SQLite file: routing, guides, state, bad input."""
from __future__ import annotations

import sqlite3

import pytest

from bot.core.engine import Engine
from bot.core.messages import Incoming, Reply
from bot.core.replies import P_MENU
from bot.core.state import State


def say(engine: Engine, text: str = "", payload: str = "", user: str = "1", hint: str = "vi") -> list[Reply]:
    return engine.handle(Incoming("test", user, user, text=text, payload=payload, language_hint=hint))


def last_turn(engine: Engine) -> dict:
    return next(engine.storage.db.query("SELECT * FROM messages ORDER BY id DESC LIMIT 1"))


def payloads(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies for b in r.flat_buttons()]


def test_start_greets_and_shows_menu(engine: Engine) -> None:
    replies = say(engine, "/start")
    assert "Xin chào" in replies[0].text
    assert any(p.startswith("f:install") for p in payloads(replies))


def test_start_in_english_for_english_users(engine: Engine) -> None:
    replies = say(engine, "/start", hint="en-GB")
    assert replies[0].text.startswith("Hello")


def test_question_with_and_without_diacritics_gets_the_same_answer(engine: Engine) -> None:
    a = say(engine, "Bluezone có tốn pin không?", user="a")
    b = say(engine, "bluezone co ton pin ko", user="b")
    assert a[0].meta.get("id") == b[0].meta.get("id") == "battery"
    assert last_turn(engine)["outcome"] == "answered"


def test_english_question_gets_english_answer(engine: Engine) -> None:
    replies = say(engine, "does the app drain my battery", user="en")
    entry = engine.content.entries["battery"]
    assert replies[0].text == entry.answer["en"]


def test_install_asks_for_os_then_remembers_it(engine: Engine) -> None:
    first = say(engine, "cài bluezone thế nào")
    assert first[0].meta["id"] == "install"
    android = next(p for p in payloads(first) if p.startswith("g:") and "android" in p)
    step = say(engine, payload=android)
    assert step[0].meta == {"guide": android[2:-2], "step": 0}
    again = say(engine, "cài bluezone thế nào")      # the OS is known now: straight to the guide
    assert again[0].meta["id"] == "install" and "1/" in again[0].text


def test_guide_next_back_done_and_state(engine: Engine) -> None:
    guide = engine.content.guides["android_install"]
    replies = say(engine, payload="g:android_install:0")
    assert engine.storage.load_user("test:1", "test").state == State.GUIDE
    nxt = next(p for p in payloads(replies) if p.endswith(":1"))
    second = say(engine, payload=nxt)
    assert second[0].edit and f"2/{len(guide.steps)}" in second[0].text
    back = say(engine, payload=next(p for p in payloads(second) if p.endswith(":0")))
    assert f"1/{len(guide.steps)}" in back[0].text
    last = say(engine, payload=f"g:android_install:{len(guide.steps) - 1}")
    assert "gd:android_install" in payloads(last)
    say(engine, payload="gd:android_install")
    assert engine.storage.load_user("test:1", "test").state == State.IDLE


@pytest.mark.parametrize("payload", ["g:nope:0", "g:android_install:99", "g:android_install:-1", "f:nope",
                                     "zzz", "g:", "f:" + "x" * 500, "l:fr", "gd:nope"])
def test_stale_or_forged_buttons_get_the_menu(engine: Engine, payload: str) -> None:
    replies = say(engine, payload=payload)
    assert P_MENU in payloads(replies) or "f:install" in payloads(replies)     # the main menu's buttons
    assert "cũ" in replies[0].text
    assert last_turn(engine)["outcome"] == "stale"


def test_out_of_scope_is_declined(engine: Engine) -> None:
    for question in ("cài zalo như thế nào", "tai nghe bluetooth không kết nối được"):
        replies = say(engine, question)
        assert replies[0].meta.get("id") is None and "ngoài phạm vi" in replies[0].text
        assert last_turn(engine)["outcome"] == "out_of_scope"
        assert last_turn(engine)["matched_id"] not in engine.content.entries


def test_unknown_question_is_recorded_for_admins(engine: Engine) -> None:
    say(engine, "qwerty asdf zxcv")
    say(engine, "qwerty asdf zxcv", user="2")
    rows = engine.storage.unanswered()
    assert rows[0]["count"] == 2 and rows[0]["text"] == "qwerty asdf zxcv"


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "\u200b\u200b", "\x00\x01\x02", "x" * 20000,
                                  "<script>alert(1)</script>", "'; DROP TABLE users; --", "Привет мир 你好",
                                  "cài\u0300 blue\u200bzone"])
def test_bad_input_never_crashes(engine: Engine, text: str) -> None:
    replies = say(engine, text)
    assert replies and all(r.text for r in replies)
    assert last_turn(engine)["outcome"] != "error"      # answered by design, not by the engine's safety net


def test_unknown_command(engine: Engine) -> None:
    assert "/help" in say(engine, "/khongco")[0].text


def test_commands_with_bot_suffix_and_os_shortcuts(engine: Engine) -> None:
    assert say(engine, "/help@TestBot")[0].text
    replies = say(engine, "/iphone")
    assert replies[0].meta["id"] == "install_ios"
    assert engine.storage.load_user("test:1", "test").os == "ios"


def test_language_switch(engine: Engine) -> None:
    say(engine, "/english")
    assert say(engine, "/start")[0].text.startswith("Hello")
    say(engine, "/tiengviet")
    assert "Xin chào" in say(engine, "/start")[0].text


@pytest.mark.engine_errors      # the engine logs that it could not store the turn
def test_database_failure_still_answers(engine: Engine) -> None:
    engine.storage.db.execute("DROP TABLE messages")   # every later write fails
    replies = say(engine, "bluezone co ton pin ko")
    assert replies[0].meta.get("id") == "battery"


@pytest.mark.engine_errors
def test_locked_database_still_answers(engine: Engine, tmp_path) -> None:
    other = sqlite3.connect(engine.storage.db.conn.execute("PRAGMA database_list").fetchone()[2], timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    engine.storage.db.conn.execute("PRAGMA busy_timeout = 50")
    try:
        assert say(engine, "bluezone co ton pin ko")[0].meta.get("id") == "battery"
    finally:
        other.rollback()
        other.close()
