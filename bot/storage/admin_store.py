"""SQL for the admins' tools: FAQ revisions, the audit trail, cross-process signals, unanswered questions."""
from __future__ import annotations

import json
from dataclasses import dataclass

from bot.storage.database import Queries, inserted, now

KINDS = ("answer", "title", "paraphrase", "new_entry", "hide", "show")


@dataclass(frozen=True)
class Revision:
    """One admin edit of the FAQ: what changed, what it was before, who and when; reverted ones stay listed."""

    id: int
    entry_id: str
    kind: str
    lang: str | None
    value: object
    previous: object
    user_key: str
    at: str
    reverted_at: str | None


def _revision(row: tuple) -> Revision:
    return Revision(row[0], row[1], row[2], row[3], json.loads(row[4]), json.loads(row[5]) if row[5] else None,
                    row[6], row[7], row[8])


_REVISION = "id, entry_id, kind, lang, value, previous, user_key, at, reverted_at"


class AdminStore(Queries):
    """Revisions, audit, signals and the unanswered list; each write is one transaction."""

    def add_revision(self, entry_id: str, kind: str, lang: str | None, value: object, previous: object,
                     user_key: str) -> Revision:
        """Record an edit (it takes effect when the content is rebuilt with active revisions)."""
        stamp = now()
        with self.lock, self.db.conn:
            rev_id = inserted(self.db.execute(
                "INSERT INTO faq_revisions (entry_id, kind, lang, value, previous, user_key, at)"
                " VALUES (?,?,?,?,?,?,?)",
                [entry_id, kind, lang, json.dumps(value, ensure_ascii=False),
                 json.dumps(previous, ensure_ascii=False) if previous is not None else None, user_key,
                 stamp]))
        return Revision(rev_id, entry_id, kind, lang, value, previous, user_key, stamp, None)

    def active_revisions(self) -> list[Revision]:
        """Every edit not rolled back, oldest first: the order they apply in."""
        with self.lock:
            rows = self.db.execute(f"SELECT {_REVISION} FROM faq_revisions WHERE reverted_at IS NULL"
                                   " ORDER BY id").fetchall()
        return [_revision(r) for r in rows]

    def history(self, entry_id: str, limit: int = 20) -> list[Revision]:
        """An entry's edits, newest first."""
        with self.lock:
            rows = self.db.execute(f"SELECT {_REVISION} FROM faq_revisions WHERE entry_id = ?"
                                   " ORDER BY id DESC LIMIT ?", [entry_id, limit]).fetchall()
        return [_revision(r) for r in rows]

    def revision(self, rev_id: int) -> Revision | None:
        """One edit by id."""
        with self.lock:
            row = self.db.execute(f"SELECT {_REVISION} FROM faq_revisions WHERE id = ?", [rev_id]).fetchone()
        return _revision(row) if row else None

    def roll_back(self, rev_id: int, user_key: str) -> int:
        """Undo an edit and every later edit of the same entry; returns how many were reverted."""
        with self.lock, self.db.conn:
            row = self.db.execute("SELECT entry_id FROM faq_revisions WHERE id = ?", [rev_id]).fetchone()
            if row is None:
                return 0
            return self.db.execute("UPDATE faq_revisions SET reverted_at = ?, reverted_by = ? WHERE entry_id = ?"
                                   " AND id >= ? AND reverted_at IS NULL",
                                   [now(), user_key, row[0], rev_id]).rowcount

    def audit(self, user_key: str, action: str, target: str, allowed: bool, detail: str = "") -> None:
        """One line of the audit trail (every admin action, allowed or refused)."""
        with self.lock, self.db.conn:
            self.db.execute("INSERT INTO audit (at, user_key, action, target, allowed, detail) VALUES (?,?,?,?,?,?)",
                            [now(), user_key, action, target, int(allowed), detail[:500]])

    def signal(self, name: str) -> None:
        """Raise a signal other processes on the same database will notice (e.g. 'reload')."""
        with self.lock, self.db.conn:
            self.db.execute("INSERT INTO signals (name, at) VALUES (?, ?) ON CONFLICT(name) DO UPDATE"
                            " SET at = excluded.at", [name, now()])

    def signal_time(self, name: str) -> str | None:
        """When the signal was last raised."""
        with self.lock:
            row = self.db.execute("SELECT at FROM signals WHERE name = ?", [name]).fetchone()
        return row[0] if row else None

    # --- unanswered questions and weekly figures ------------------------------------------------------------

    def open_unanswered(self, limit: int = 500) -> list[tuple]:
        """Open unanswered or unsure questions, most asked first: (rowid, key, text, count, best_id, channel)."""
        with self.lock:
            return self.db.execute("SELECT rowid, key, text, count, best_id, channel FROM unanswered"
                                   " WHERE status = 'open' ORDER BY count DESC, last_seen DESC LIMIT ?",
                                   [limit]).fetchall()

    def close_unanswered(self, keys: list[str], status: str, entry_id: str | None) -> int:
        """Mark questions resolved (with the entry that now answers them) or ignored."""
        with self.lock, self.db.conn:
            return self.db.conn.executemany("UPDATE unanswered SET status = ?, resolved_entry = ? WHERE key = ?",
                                       [(status, entry_id, key) for key in keys]).rowcount

    def unanswered_row(self, rowid: int) -> tuple | None:
        """One open question by rowid: (rowid, key, text, count, best_id, channel)."""
        with self.lock:
            return self.db.execute("SELECT rowid, key, text, count, best_id, channel FROM unanswered"
                                   " WHERE rowid = ? AND status = 'open'", [rowid]).fetchone()

    def outcomes_since(self, since: str) -> list[tuple]:
        """(channel, outcome, messages) for citizens' questions since an ISO time."""
        with self.lock:
            return self.db.execute("SELECT channel, outcome, COUNT(*) FROM messages WHERE at >= ?"
                                   " AND outcome IN ('answered', 'suggested', 'unanswered', 'out_of_scope', 'intent')"
                                   " GROUP BY channel, outcome ORDER BY channel", [since]).fetchall()

    def most_asked(self, since: str, limit: int = 20) -> list[tuple[str, int]]:
        """FAQ entries citizens got since an ISO time, most first: (entry id, times), typed or picked."""
        with self.lock:
            return self.db.execute("SELECT matched_id, COUNT(*) FROM messages WHERE at >= ?"
                                   " AND matched_id IS NOT NULL AND outcome IN ('answered', 'button')"
                                   " GROUP BY matched_id ORDER BY COUNT(*) DESC, matched_id LIMIT ?",
                                   [since, limit]).fetchall()
