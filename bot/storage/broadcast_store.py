"""SQL for broadcasts: the message, its recipients' delivery states, citizens' opt-out."""
from __future__ import annotations

from dataclasses import dataclass

from bot.storage.database import Queries, inserted, now

# A recipient's life: pending -> claimed (about to be sent) -> sent | failed | blocked.
# A row still 'claimed' after a restart may or may not have been sent: it becomes 'unknown', never resent.
PENDING, CLAIMED, SENT, FAILED, BLOCKED, UNKNOWN = "pending", "claimed", "sent", "failed", "blocked", "unknown"


@dataclass(frozen=True)
class Broadcast:
    """One broadcast."""

    id: int
    created_by: str
    text: str
    district_id: int | None
    status: str           # queued | sending | done | cancelled


class BroadcastStore(Queries):
    """Broadcast rows; each write is one transaction."""

    def audience(self, district_id: int | None) -> list[str]:
        """Who would receive it: everyone who talked to the bot and did not opt out or block it; with a
        district, the team members of that district's villages and the district's admins (citizens do not
        tell the bot where they live)."""
        with self.lock:
            if district_id is None:
                rows = self.db.execute("SELECT key FROM users WHERE opt_out = 0 AND blocked = 0"
                                       " AND channel IN ('telegram', 'zalo') ORDER BY key").fetchall()
            else:
                rows = self.db.execute(
                    "SELECT u.key FROM users u WHERE u.opt_out = 0 AND u.blocked = 0"
                    " AND u.channel IN ('telegram', 'zalo') AND (u.key IN (SELECT m.user_key FROM members m"
                    " JOIN areas v ON v.id = m.area_id JOIN areas c ON c.id = v.parent_id WHERE c.parent_id = ?)"
                    " OR u.key IN (SELECT user_key FROM admins WHERE area_id = ?)) ORDER BY u.key",
                    [district_id, district_id]).fetchall()
        return [r[0] for r in rows]

    def create(self, created_by: str, text: str, district_id: int | None) -> tuple[Broadcast, int]:
        """Queue a broadcast with its recipients fixed now; returns it and the number of recipients."""
        recipients = self.audience(district_id)
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            b_id = inserted(self.db.execute("INSERT INTO broadcasts (created_by, created_at, text, district_id, status)"
                                   " VALUES (?,?,?,?,'queued')", [created_by, now(), text, district_id]))
            self.db.conn.executemany("INSERT INTO broadcast_recipients (broadcast_id, user_key, status)"
                                     " VALUES (?,?,?)", [(b_id, key, PENDING) for key in recipients])
        return Broadcast(b_id, created_by, text, district_id, "queued"), len(recipients)

    def active(self) -> list[Broadcast]:
        """Broadcasts still to send, oldest first."""
        with self.lock:
            rows = self.db.execute("SELECT id, created_by, text, district_id, status FROM broadcasts"
                                   " WHERE status IN ('queued', 'sending') ORDER BY id").fetchall()
        return [Broadcast(*r) for r in rows]

    def recover(self) -> int:
        """After a restart: rows claimed but never settled become 'unknown' (at most once, never twice)."""
        with self.lock, self.db.conn:
            return self.db.execute("UPDATE broadcast_recipients SET status = ? WHERE status = ?",
                                   [UNKNOWN, CLAIMED]).rowcount

    def claim(self, broadcast_id: int, limit: int) -> list[str]:
        """Take the next pending recipients, marking them claimed in the same transaction."""
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("UPDATE broadcasts SET status = 'sending', started_at = IFNULL(started_at, ?)"
                            " WHERE id = ?", [now(), broadcast_id])
            keys = [r[0] for r in self.db.execute(
                "SELECT user_key FROM broadcast_recipients WHERE broadcast_id = ? AND status = ? LIMIT ?",
                [broadcast_id, PENDING, limit]).fetchall()]
            self.db.conn.executemany("UPDATE broadcast_recipients SET status = ?, at = ? WHERE broadcast_id = ?"
                                     " AND user_key = ?", [(CLAIMED, now(), broadcast_id, k) for k in keys])
        return keys

    def settle(self, broadcast_id: int, user_key: str, status: str, error: str = "") -> None:
        """Record what happened to one recipient; a block also marks the user as blocked."""
        with self.lock, self.db.conn:
            self.db.execute("UPDATE broadcast_recipients SET status = ?, at = ?, error = ? WHERE broadcast_id = ?"
                            " AND user_key = ?", [status, now(), error[:200] or None, broadcast_id, user_key])
            if status == BLOCKED:
                self.db.execute("UPDATE users SET blocked = 1 WHERE key = ?", [user_key])

    def finish(self, broadcast_id: int) -> dict[str, int]:
        """Close a broadcast with nothing pending; returns its counts by status."""
        with self.lock, self.db.conn:
            self.db.execute("UPDATE broadcasts SET status = 'done', finished_at = ? WHERE id = ?",
                            [now(), broadcast_id])
            rows = self.db.execute("SELECT status, COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ?"
                                   " GROUP BY status", [broadcast_id]).fetchall()
        return dict(rows)

    def set_opt_out(self, user_key: str, channel: str, opt_out: bool) -> None:
        """A citizen stops or resumes broadcasts (the user row is made if this is their first message)."""
        user_id = user_key.split(":", 1)[-1]
        with self.lock, self.db.conn:
            self.db.execute("INSERT OR IGNORE INTO users (key, channel, user_id, first_seen, last_seen, messages)"
                            " VALUES (?,?,?,?,?,0)", [user_key, channel, user_id, now(), now()])
            self.db.execute("UPDATE users SET opt_out = ? WHERE key = ?", [int(opt_out), user_key])

    def counts(self, broadcast_id: int) -> dict[str, int]:
        """Recipients by status so far."""
        with self.lock:
            return dict(self.db.execute("SELECT status, COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ?"
                                        " GROUP BY status", [broadcast_id]).fetchall())
