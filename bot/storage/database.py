"""SQLite storage with sqlite-utils: schema migrations and every SQL statement of the project."""
from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from bot.core.ports import Turn
from bot.core.state import State, UserState

TEXT_MAX = 1000   # a question is stored up to this length; a pasted novel is not worth keeping whole

migrations = Migrations("bot")


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    """Users, the message log and unanswered questions."""
    db.table("users").create({"key": str, "channel": str, "user_id": str, "chat_id": str, "lang": str, "os": str,
                        "state": str, "data": str, "first_seen": str, "last_seen": str, "messages": int},
                       pk="key", not_null={"channel", "user_id"}, defaults={"messages": 0})
    db.table("messages").create({"id": int, "at": str, "user_key": str, "channel": str, "text": str, "normalised": str,
                           "lang": str, "matched_id": str, "kind": str, "confidence": float, "outcome": str,
                           "ms": float}, pk="id")
    db.table("messages").create_index(["at"])
    db.table("messages").create_index(["matched_id"])
    db.table("unanswered").create({"key": str, "text": str, "channel": str, "count": int, "best_id": str,
                             "confidence": float, "first_seen": str, "last_seen": str}, pk="key")
    db.table("unanswered").create_index(["count"])


@migrations()
def m002_events(db: sqlite_utils.Database) -> None:
    """Platform event ids already handled, so that a re-delivered event is handled once."""
    db.table("events").create({"key": str, "at": str}, pk="key")
    db.table("events").create_index(["at"])


@migrations()
def m003_campaign(db: sqlite_utils.Database) -> None:
    """The install campaign: the area tree, admins, village teams and invites, households and their visits."""
    # One statement at a time: executescript would COMMIT and break the migration's transaction.
    schema = """
    CREATE TABLE areas (
        id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES areas(id), level TEXT NOT NULL,
        name TEXT NOT NULL, key TEXT NOT NULL, households INTEGER, created_at TEXT NOT NULL);
    CREATE UNIQUE INDEX areas_parent_key ON areas(IFNULL(parent_id, 0), key);
    CREATE INDEX areas_level ON areas(level, key);
    CREATE TABLE admins (
        user_key TEXT PRIMARY KEY, area_id INTEGER REFERENCES areas(id), added_by TEXT, added_at TEXT NOT NULL);
    CREATE TABLE members (
        user_key TEXT PRIMARY KEY, area_id INTEGER NOT NULL REFERENCES areas(id), role TEXT NOT NULL,
        invite_code TEXT, joined_at TEXT NOT NULL);
    CREATE INDEX members_area ON members(area_id);
    CREATE TABLE invites (
        code TEXT PRIMARY KEY, area_id INTEGER NOT NULL REFERENCES areas(id), role TEXT NOT NULL,
        created_by TEXT, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT,
        max_uses INTEGER NOT NULL, uses INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE households (
        id INTEGER PRIMARY KEY, area_id INTEGER NOT NULL REFERENCES areas(id),
        commune_id INTEGER NOT NULL, district_id INTEGER NOT NULL,
        label TEXT NOT NULL, key TEXT NOT NULL, residents INTEGER NOT NULL, smartphones INTEGER NOT NULL,
        had_app INTEGER NOT NULL, installed INTEGER NOT NULL, note TEXT, latitude REAL, longitude REAL,
        first_day TEXT NOT NULL, last_day TEXT NOT NULL, last_at TEXT NOT NULL, visits INTEGER NOT NULL,
        last_user_key TEXT NOT NULL);
    CREATE UNIQUE INDEX households_area_key ON households(area_id, key);
    CREATE INDEX households_commune ON households(commune_id);
    CREATE INDEX households_district ON households(district_id);
    CREATE TABLE visits (
        id INTEGER PRIMARY KEY, household_id INTEGER NOT NULL REFERENCES households(id),
        area_id INTEGER NOT NULL, commune_id INTEGER NOT NULL, district_id INTEGER NOT NULL, user_key TEXT NOT NULL, at TEXT NOT NULL, day TEXT NOT NULL,
        action TEXT NOT NULL, residents INTEGER NOT NULL, smartphones INTEGER NOT NULL, had_app INTEGER NOT NULL,
        installed INTEGER NOT NULL, note TEXT, latitude REAL, longitude REAL, undone INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX visits_area_day ON visits(area_id, day);
    CREATE INDEX visits_commune_day ON visits(commune_id, day);
    CREATE INDEX visits_district_day ON visits(district_id, day);
    CREATE INDEX visits_day ON visits(day);
    CREATE INDEX visits_user_day ON visits(user_key, day);
    CREATE INDEX visits_household ON visits(household_id)
    """
    for statement in schema.split(";"):
        db.execute(statement)


@migrations()
def m004_admin(db: sqlite_utils.Database) -> None:
    """Admins' FAQ edits (revisions over the YAML content), the audit trail, broadcasts and citizens' opt-out."""
    schema = """
    CREATE TABLE faq_revisions (
        id INTEGER PRIMARY KEY, entry_id TEXT NOT NULL, kind TEXT NOT NULL, lang TEXT, value TEXT NOT NULL,
        previous TEXT, user_key TEXT NOT NULL, at TEXT NOT NULL, reverted_at TEXT, reverted_by TEXT);
    CREATE INDEX faq_revisions_entry ON faq_revisions(entry_id, id);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY, at TEXT NOT NULL, user_key TEXT NOT NULL, action TEXT NOT NULL,
        target TEXT, allowed INTEGER NOT NULL, detail TEXT);
    CREATE INDEX audit_at ON audit(at);
    CREATE TABLE broadcasts (
        id INTEGER PRIMARY KEY, created_by TEXT NOT NULL, created_at TEXT NOT NULL, text TEXT NOT NULL,
        district_id INTEGER, status TEXT NOT NULL, started_at TEXT, finished_at TEXT);
    CREATE TABLE broadcast_recipients (
        broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id), user_key TEXT NOT NULL, status TEXT NOT NULL,
        at TEXT, error TEXT, PRIMARY KEY (broadcast_id, user_key));
    CREATE INDEX broadcast_recipients_status ON broadcast_recipients(broadcast_id, status);
    CREATE TABLE signals (name TEXT PRIMARY KEY, at TEXT NOT NULL);
    ALTER TABLE users ADD COLUMN opt_out INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE users ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE unanswered ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
    ALTER TABLE unanswered ADD COLUMN resolved_entry TEXT
    """
    for statement in schema.split(";"):
        db.execute(statement)


@migrations()
def m010_zalo(db: sqlite_utils.Database) -> None:
    """Zalo: the OA token pair (one row), the persistent outbox, and each user's numbered choices."""
    schema = """
    CREATE TABLE zalo_tokens (
        id INTEGER PRIMARY KEY CHECK (id = 1), access_token TEXT NOT NULL, refresh_token TEXT NOT NULL,
        expires_at REAL, seed TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY, channel TEXT NOT NULL, user_id TEXT NOT NULL, payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, next_try_at REAL NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
        last_error TEXT, created_at TEXT NOT NULL);
    CREATE INDEX outbox_pending ON outbox(status, channel, user_id, id);
    CREATE INDEX outbox_created ON outbox(created_at);
    CREATE TABLE zalo_choices (user_id TEXT PRIMARY KEY, payloads TEXT NOT NULL, at TEXT NOT NULL)
    """
    for statement in schema.split(";"):
        db.execute(statement)


@migrations()
def m020_agencies(db: sqlite_utils.Database) -> None:
    """Agency reports: reporting units in a tree, their focal persons and invites, reports, weekly reminders."""
    schema = """
    CREATE TABLE units (
        id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES units(id), name TEXT NOT NULL, key TEXT NOT NULL,
        kind TEXT NOT NULL, area_id INTEGER REFERENCES areas(id), created_at TEXT NOT NULL);
    CREATE UNIQUE INDEX units_parent_key ON units(IFNULL(parent_id, 0), key);
    CREATE INDEX units_key ON units(key);
    CREATE INDEX units_area ON units(area_id);
    CREATE TABLE unit_focal (
        user_key TEXT PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(id), invite_code TEXT,
        joined_at TEXT NOT NULL);
    CREATE INDEX unit_focal_unit ON unit_focal(unit_id);
    CREATE TABLE unit_invites (
        code TEXT PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(id), created_by TEXT,
        created_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT, max_uses INTEGER NOT NULL,
        uses INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE unit_reports (
        id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(id), as_of TEXT NOT NULL,
        staff INTEGER NOT NULL, staff_smartphones INTEGER NOT NULL, staff_installed INTEGER NOT NULL,
        family_installed INTEGER, user_key TEXT NOT NULL, at TEXT NOT NULL, superseded INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX unit_reports_unit ON unit_reports(unit_id, superseded, as_of);
    CREATE TABLE reminder_weeks (week TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT);
    CREATE TABLE unit_reminders (
        week TEXT NOT NULL, user_key TEXT NOT NULL, unit_id INTEGER NOT NULL, at TEXT NOT NULL,
        status TEXT NOT NULL, PRIMARY KEY (week, user_key))
    """
    for statement in schema.split(";"):
        db.execute(statement)


@migrations()
def m030_dashboard(db: sqlite_utils.Database) -> None:
    """The web dashboard: one-time sign-in links and sessions, both stored as hashes of their secrets only."""
    schema = """
    CREATE TABLE dashboard_links (
        token_hash TEXT PRIMARY KEY, user_key TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
        used_at TEXT);
    CREATE INDEX dashboard_links_expires ON dashboard_links(expires_at);
    CREATE TABLE dashboard_sessions (
        id_hash TEXT PRIMARY KEY, user_key TEXT NOT NULL, csrf TEXT NOT NULL, lang TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL, expires_at TEXT NOT NULL, last_seen TEXT NOT NULL);
    CREATE INDEX dashboard_sessions_user ON dashboard_sessions(user_key);
    CREATE INDEX dashboard_sessions_expires ON dashboard_sessions(expires_at)
    """
    for statement in schema.split(";"):
        db.execute(statement)


def now() -> str:
    """The current UTC time as ISO text."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def connect(path: str) -> sqlite_utils.Database:
    """Open (creating if needed) the database file in WAL mode and apply pending migrations."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
    db = sqlite_utils.Database(conn)
    if path != ":memory:":
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    migrations.apply(db)
    return db


def inserted(cursor: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just wrote (sqlite3 types it as optional; after an INSERT it is set)."""
    if cursor.lastrowid is None:
        raise sqlite3.DatabaseError("an INSERT gave no row id")
    return cursor.lastrowid


class Queries:
    """Base of every storage module's class: the bot's one connection and lock, and two read helpers."""

    def __init__(self, storage: "Storage") -> None:
        self.storage = storage
        self.db = storage.db
        self.lock = storage.lock

    def _one(self, sql: str, params: list) -> tuple | None:
        with self.lock:
            return self.db.execute(sql, params).fetchone()

    def _all(self, sql: str, params: list) -> list[tuple]:
        with self.lock:
            return self.db.execute(sql, params).fetchall()


class Storage:
    """The bot's tables; one connection, one writer at a time."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.lock = threading.RLock()

    @classmethod
    def open(cls, path: str) -> "Storage":
        """Open the database at path (":memory:" for a throw-away one)."""
        return cls(connect(path))

    def close(self) -> None:
        """Close the connection."""
        self.db.conn.close()

    def load_user(self, key: str, channel: str) -> UserState:
        """The stored state of a user, or a fresh one."""
        with self.lock:
            row = self.db.execute("SELECT lang, os, state, data FROM users WHERE key = ?", [key]).fetchone()
        if row is None:
            return UserState(key=key, channel=channel)
        lang, os_, state, data = row
        try:
            parsed_state, parsed_data = State(state), json.loads(data or "{}")
        except (ValueError, TypeError):   # an unknown state from a newer or broken version: start clean
            parsed_state, parsed_data = State.IDLE, {}
        return UserState(key, channel, lang or "", os_ or "", parsed_state, parsed_data, is_new=False)

    def save_turn(self, user: UserState, chat_id: str, turn: Turn | None) -> None:
        """Store the user's state, the message log line and any unanswered question in one transaction."""
        stamp = now()
        user_id = user.key.split(":", 1)[1] if ":" in user.key else user.key
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO users (key, channel, user_id, chat_id, lang, os, state, data, first_seen, last_seen,"
                " messages) VALUES (?,?,?,?,?,?,?,?,?,?,1) ON CONFLICT(key) DO UPDATE SET chat_id=excluded.chat_id,"
                " lang=excluded.lang, os=excluded.os, state=excluded.state, data=excluded.data,"
                " last_seen=excluded.last_seen, messages=messages+1, blocked=0",
                [user.key, user.channel, user_id, chat_id, user.lang, user.os, str(user.state),
                 json.dumps(user.data, ensure_ascii=False), stamp, stamp])
            if turn is not None:
                self._log(turn, stamp)

    def _log(self, turn: Turn, stamp: str) -> None:
        self.db.execute(
            "INSERT INTO messages (at, user_key, channel, text, normalised, lang, matched_id, kind, confidence,"
            " outcome, ms) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [stamp, turn.user_key, turn.channel, turn.text[:TEXT_MAX], turn.normalised[:TEXT_MAX], turn.lang,
             turn.matched_id, turn.kind, turn.confidence, turn.outcome, turn.ms])
        if turn.outcome in ("unanswered", "suggested") and turn.normalised:
            self.db.execute(
                "INSERT INTO unanswered (key, text, channel, count, best_id, confidence, first_seen, last_seen)"
                " VALUES (?,?,?,1,?,?,?,?) ON CONFLICT(key) DO UPDATE SET count=count+1,"
                " last_seen=excluded.last_seen, best_id=excluded.best_id, confidence=excluded.confidence,"
                " status=CASE WHEN status='ignored' THEN 'ignored' ELSE 'open' END",
                [turn.normalised[:TEXT_MAX], turn.text[:TEXT_MAX], turn.channel, turn.matched_id,
                 turn.confidence, stamp, stamp])

    def first_delivery(self, key: str) -> bool:
        """Record an event id; False when it was recorded before (a retry or a duplicate)."""
        with self.lock, self.db.conn:
            cursor = self.db.execute("INSERT OR IGNORE INTO events (key, at) VALUES (?, ?)", [key, now()])
            return cursor.rowcount == 1

    def forget_events(self, before: str) -> int:
        """Drop event ids recorded before an ISO time; platforms stop retrying after minutes."""
        with self.lock, self.db.conn:
            return self.db.execute("DELETE FROM events WHERE at < ?", [before]).rowcount

    def unanswered(self, limit: int = 50) -> list[dict]:
        """The questions the bot could not answer or was unsure of, most asked first."""
        with self.lock:
            return list(self.db.query(
                "SELECT key, text, channel, count, best_id, confidence, first_seen, last_seen FROM unanswered"
                " WHERE status = 'open' ORDER BY count DESC, last_seen DESC LIMIT ?", [limit]))
