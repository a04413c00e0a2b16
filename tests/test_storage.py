"""Storage on real SQLite files: migrations, WAL, user state, the message log, unanswered questions."""
from __future__ import annotations

from pathlib import Path

from bot.core.state import State, UserState
from bot.core.ports import Turn
from bot.storage.database import Storage, migrations


def turn(text: str, outcome: str, key: str = "console:1") -> Turn:
    return Turn(key, "console", text, text.lower(), "vi", "battery", "entry", 0.5, outcome, 1.2)


def test_schema_is_created_once_and_reopens(tmp_path: Path) -> None:
    path = str(tmp_path / "sub" / "bot.db")
    first = Storage.open(path)
    assert first.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"users", "messages", "unanswered"} <= set(first.db.table_names())
    first.close()
    second = Storage.open(path)   # migrations already applied: nothing to redo
    assert not migrations.pending(second.db)
    second.close()


def test_user_state_round_trip(storage: Storage) -> None:
    user = storage.load_user("telegram:7", "telegram")
    assert user.is_new and user.state == State.IDLE
    user.lang, user.os, user.state, user.data = "en", "ios", State.GUIDE, {"guide": "g", "step": 2}
    storage.save_turn(user, "7", None)
    again = storage.load_user("telegram:7", "telegram")
    assert (again.lang, again.os, again.state, again.data, again.is_new) == ("en", "ios", State.GUIDE,
                                                                            {"guide": "g", "step": 2}, False)


def test_unknown_stored_state_starts_clean(storage: Storage) -> None:
    storage.save_turn(UserState("c:1", "c"), "1", None)
    storage.db.execute("UPDATE users SET state = 'from_the_future', data = '{broken'")
    user = storage.load_user("c:1", "c")
    assert user.state == State.IDLE and user.data == {}


def test_unanswered_questions_are_counted(storage: Storage) -> None:
    user = UserState("console:1", "console")
    for _ in range(3):
        storage.save_turn(user, "1", turn("Hỏi lạ", "unanswered"))
    storage.save_turn(user, "1", turn("Hỏi khác", "suggested"))
    storage.save_turn(user, "1", turn("Pin", "answered"))
    rows = storage.unanswered()
    assert [(r["text"], r["count"]) for r in rows] == [("Hỏi lạ", 3), ("Hỏi khác", 1)]
    assert storage.db["messages"].count == 5
    assert storage.db.execute("SELECT messages FROM users").fetchone()[0] == 5


def test_hostile_text_is_stored_verbatim_and_cut(storage: Storage) -> None:
    evil = "'); DROP TABLE users; -- <script>" + "x" * 5000
    storage.save_turn(UserState("console:1", "console"), "1", turn(evil, "unanswered"))
    stored = storage.db.execute("SELECT text FROM messages").fetchone()[0]
    assert stored.startswith("'); DROP TABLE users;") and len(stored) == 1000
    assert "users" in storage.db.table_names()
