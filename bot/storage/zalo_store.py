"""The SQL of the Zalo channel: the OA token pair, the persistent outbox and each user's numbered choices."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.storage.database import Storage, now

CHANNEL = "zalo"
PENDING, SENT, UNREACHABLE, FAILED = "pending", "sent", "unreachable", "failed"
ERROR_MAX = 300   # a stored error line is a hint for the operator, not a log


@dataclass(frozen=True)
class TokenPair:
    """The OA access token, its single-use refresh token and when the access token expires (epoch seconds)."""

    access_token: str
    refresh_token: str
    expires_at: float | None = None


@dataclass(frozen=True)
class OutboxItem:
    """One message waiting to be sent: the Zalo message object and how many tries it has had."""

    id: int
    user_id: str
    message: dict
    attempts: int


class ZaloStore:
    """Every SQL statement of the Zalo channel, on the bot's one connection and lock."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.db = storage.db

    # --- tokens ---------------------------------------------------------------------------------------------

    def tokens(self) -> tuple[TokenPair, str] | None:
        """The stored pair and the fingerprint of the settings it was seeded from, or None."""
        with self.storage.lock:
            row = self.db.execute("SELECT access_token, refresh_token, expires_at, seed FROM zalo_tokens"
                                  " WHERE id = 1").fetchone()
        return None if row is None else (TokenPair(row[0], row[1], row[2]), row[3])

    def save_tokens(self, pair: TokenPair, seed: str) -> None:
        """Replace the pair in one statement (atomic: a crash leaves the old pair or the new one, never half)."""
        with self.storage.lock, self.db.conn:
            self.db.execute(
                "INSERT INTO zalo_tokens (id, access_token, refresh_token, expires_at, seed, updated_at)"
                " VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET access_token=excluded.access_token,"
                " refresh_token=excluded.refresh_token, expires_at=excluded.expires_at, seed=excluded.seed,"
                " updated_at=excluded.updated_at",
                [pair.access_token, pair.refresh_token, pair.expires_at, seed, now()])

    # --- outbox ---------------------------------------------------------------------------------------------

    def enqueue(self, user_id: str, messages: list[dict], at: float) -> None:
        """Queue messages for a user, in order, due at once."""
        stamp = now()
        with self.storage.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            for message in messages:
                self.db.execute(
                    "INSERT INTO outbox (channel, user_id, payload, next_try_at, status, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [CHANNEL, user_id, json.dumps(message, ensure_ascii=False), at, PENDING, stamp])

    def next_due(self, user_id: str, at: float) -> OutboxItem | None:
        """The user's oldest pending message when it is due; later ones wait behind it, so order is kept."""
        with self.storage.lock:
            row = self.db.execute(
                "SELECT id, payload, attempts, next_try_at FROM outbox WHERE status = ? AND channel = ?"
                " AND user_id = ? ORDER BY id LIMIT 1", [PENDING, CHANNEL, user_id]).fetchone()
        if row is None or row[3] > at:
            return None
        return OutboxItem(row[0], user_id, json.loads(row[1]), row[2])

    def due_users(self, at: float, limit: int = 200) -> list[str]:
        """Users with a pending message due now (after a restart, or after a back-off)."""
        with self.storage.lock:
            rows = self.db.execute(
                "SELECT DISTINCT user_id FROM outbox WHERE status = ? AND channel = ? AND next_try_at <= ?"
                " LIMIT ?", [PENDING, CHANNEL, at, limit]).fetchall()
        return [row[0] for row in rows]

    def mark_sent(self, item_id: int) -> None:
        """The message reached Zalo."""
        self._update(item_id, "status = ?, attempts = attempts + 1, last_error = NULL", [SENT])

    def retry_later(self, item_id: int, next_try_at: float, error: str) -> None:
        """A failure worth retrying: count it and wait until next_try_at."""
        self._update(item_id, "attempts = attempts + 1, next_try_at = ?, last_error = ?",
                     [next_try_at, error[:ERROR_MAX]])

    def give_up(self, item_id: int, status: str, error: str) -> None:
        """A failure not worth retrying (unreachable user, refused message, too many tries): record it."""
        self._update(item_id, "status = ?, attempts = attempts + 1, last_error = ?", [status, error[:ERROR_MAX]])

    def _update(self, item_id: int, assignments: str, values: list) -> None:
        with self.storage.lock, self.db.conn:
            self.db.execute(f"UPDATE outbox SET {assignments} WHERE id = ?", [*values, item_id])

    def forget_sent(self, days: int = 7) -> int:
        """Drop sent messages older than days; failures stay for the operator to read."""
        before = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="seconds")
        with self.storage.lock, self.db.conn:
            return self.db.execute("DELETE FROM outbox WHERE status = ? AND created_at < ?", [SENT, before]).rowcount

    # --- numbered choices -----------------------------------------------------------------------------------

    def set_choices(self, user_id: str, payloads: list[str]) -> None:
        """The payloads behind the numbers last shown to a user ([] forgets them)."""
        with self.storage.lock, self.db.conn:
            if payloads:
                self.db.execute(
                    "INSERT INTO zalo_choices (user_id, payloads, at) VALUES (?, ?, ?) ON CONFLICT(user_id)"
                    " DO UPDATE SET payloads = excluded.payloads, at = excluded.at",
                    [user_id, json.dumps(payloads, ensure_ascii=False), now()])
            else:
                self.db.execute("DELETE FROM zalo_choices WHERE user_id = ?", [user_id])

    def choice(self, user_id: str, number: int) -> str | None:
        """The payload behind a number the user typed, or None when no such number was shown."""
        with self.storage.lock:
            row = self.db.execute("SELECT payloads FROM zalo_choices WHERE user_id = ?", [user_id]).fetchone()
        payloads = json.loads(row[0]) if row else []
        return payloads[number - 1] if 1 <= number <= len(payloads) else None
