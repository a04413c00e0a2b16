"""SQL for the web dashboard: one-time sign-in links and sessions (only hashes of their secrets are stored)."""
from __future__ import annotations

from dataclasses import dataclass

from bot.storage.database import Queries


@dataclass(frozen=True)
class Session:
    """A signed-in browser: whose it is, its CSRF token, its language, when it ends."""

    id_hash: str
    user_key: str
    csrf: str
    lang: str
    created_at: str
    expires_at: str
    last_seen: str


_SESSION = "id_hash, user_key, csrf, lang, created_at, expires_at, last_seen"


class DashboardStore(Queries):
    """Links and sessions; every time is ISO text in UTC, given by the caller (tests move the clock)."""

    # --- one-time links -------------------------------------------------------------------------------------

    def add_link(self, token_hash: str, user_key: str, created_at: str, expires_at: str) -> None:
        """Store a new sign-in link by the hash of its token."""
        with self.lock, self.db.conn:
            self.db.execute("INSERT INTO dashboard_links (token_hash, user_key, created_at, expires_at)"
                            " VALUES (?,?,?,?)", [token_hash, user_key, created_at, expires_at])

    def link_usable(self, token_hash: str, at: str) -> bool:
        """True when the link exists, is unused and has not expired (nothing changes)."""
        with self.lock:
            row = self.db.execute("SELECT 1 FROM dashboard_links WHERE token_hash = ? AND used_at IS NULL"
                                  " AND expires_at > ?", [token_hash, at]).fetchone()
        return row is not None

    def redeem_link(self, token_hash: str, at: str) -> str | None:
        """Use a link, atomically: its user's key, or None when unknown, used or expired."""
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute("SELECT user_key FROM dashboard_links WHERE token_hash = ? AND used_at IS NULL"
                                  " AND expires_at > ?", [token_hash, at]).fetchone()
            if row is None:
                return None
            self.db.execute("UPDATE dashboard_links SET used_at = ? WHERE token_hash = ?", [at, token_hash])
            return row[0]

    # --- sessions -------------------------------------------------------------------------------------------

    def add_session(self, id_hash: str, user_key: str, csrf: str, lang: str, created_at: str,
                    expires_at: str) -> Session:
        """Open a session."""
        with self.lock, self.db.conn:
            self.db.execute(f"INSERT INTO dashboard_sessions ({_SESSION}) VALUES (?,?,?,?,?,?,?)",
                            [id_hash, user_key, csrf, lang, created_at, expires_at, created_at])
        return Session(id_hash, user_key, csrf, lang, created_at, expires_at, created_at)

    def session(self, id_hash: str, at: str) -> Session | None:
        """A session that has not expired."""
        with self.lock:
            row = self.db.execute(f"SELECT {_SESSION} FROM dashboard_sessions WHERE id_hash = ? AND expires_at > ?",
                                  [id_hash, at]).fetchone()
        return Session(*row) if row else None

    def touch(self, id_hash: str, at: str) -> None:
        """Note that the session was used."""
        with self.lock, self.db.conn:
            self.db.execute("UPDATE dashboard_sessions SET last_seen = ? WHERE id_hash = ?", [at, id_hash])

    def set_lang(self, id_hash: str, lang: str) -> None:
        """Remember the session's language."""
        with self.lock, self.db.conn:
            self.db.execute("UPDATE dashboard_sessions SET lang = ? WHERE id_hash = ?", [lang, id_hash])

    def end_session(self, id_hash: str) -> None:
        """Sign one browser out."""
        with self.lock, self.db.conn:
            self.db.execute("DELETE FROM dashboard_sessions WHERE id_hash = ?", [id_hash])

    def end_sessions_of(self, user_key: str) -> int:
        """Sign a user out everywhere (e.g. no longer an admin); returns how many sessions ended."""
        with self.lock, self.db.conn:
            return self.db.execute("DELETE FROM dashboard_sessions WHERE user_key = ?", [user_key]).rowcount

    def cleanup(self, at: str) -> tuple[int, int]:
        """Delete expired links and sessions; returns (links, sessions) deleted."""
        with self.lock, self.db.conn:
            links = self.db.execute("DELETE FROM dashboard_links WHERE expires_at <= ?", [at]).rowcount
            sessions = self.db.execute("DELETE FROM dashboard_sessions WHERE expires_at <= ?", [at]).rowcount
        return links, sessions
