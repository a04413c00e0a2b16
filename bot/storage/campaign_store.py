"""SQL for the install campaign: areas, admins, village teams, invites, households and visits."""
from __future__ import annotations

from datetime import datetime

from bot.campaign.model import (
    AREA_COLUMNS,
    LEVELS,
    Area,
    Invite,
    Member,
    Visit,
    VisitInput,
    name_key,
)
from bot.matching.normaliser import clean
from bot.storage.database import Queries, inserted, now
from bot.storage.report_store import ReportQueries

__all__ = ["LEVELS", "Area", "CampaignStore", "Invite", "Member", "Visit", "VisitInput", "name_key"]

_VISIT_COLUMNS = ("v.id, v.household_id, v.area_id, v.user_key, v.at, v.action, h.label, v.residents,"
                  " v.smartphones, v.had_app, v.installed, v.note, v.latitude, v.longitude")


def _visit(row: tuple) -> Visit:
    return Visit(row[0], row[1], row[2], row[3], row[4], row[5], VisitInput(*row[6:]))


class CampaignStore(ReportQueries, Queries):
    """Queries over the campaign tables; every write is one short transaction."""

    # --- areas ----------------------------------------------------------------------------------------------

    def add_area(self, parent_id: int | None, level: str, name: str, households: int | None = None) -> Area:
        """Add an area under parent (or return the existing one of that name); a known household count updates."""
        key = name_key(name)
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute(f"SELECT {AREA_COLUMNS} FROM areas WHERE IFNULL(parent_id, 0) = ? AND key = ?",
                                  [parent_id or 0, key]).fetchone()
            if row is None:
                cursor = self.db.execute(
                    "INSERT INTO areas (parent_id, level, name, key, households, created_at) VALUES (?,?,?,?,?,?)",
                    [parent_id, level, clean(name), key, households, now()])
                return Area(inserted(cursor), parent_id, level, clean(name), households)
            if households is not None and households != row[4]:
                self.db.execute("UPDATE areas SET households = ? WHERE id = ?", [households, row[0]])
            return Area(row[0], row[1], row[2], row[3], households if households is not None else row[4])

    def import_villages(self, rows: list[tuple[Area, str, str, int | None]]) -> None:
        """Add communes and villages (district, commune, village, known households) in one transaction."""
        stamp = now()
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            for district, commune, village, households in rows:
                self.db.execute("INSERT OR IGNORE INTO areas (parent_id, level, name, key, households, created_at)"
                                " VALUES (?,?,?,?,NULL,?)",
                                [district.id, "commune", clean(commune), name_key(commune), stamp])
                commune_id = self.db.execute("SELECT id FROM areas WHERE parent_id = ? AND key = ?",
                                             [district.id, name_key(commune)]).fetchone()[0]
                self.db.execute(
                    "INSERT INTO areas (parent_id, level, name, key, households, created_at) VALUES (?,?,?,?,?,?)"
                    " ON CONFLICT(IFNULL(parent_id, 0), key) DO UPDATE SET"
                    " households = IFNULL(excluded.households, households)",
                    [commune_id, "village", clean(village), name_key(village), households, stamp])

    def area(self, area_id: int) -> Area | None:
        """One area by id."""
        row = self._one(f"SELECT {AREA_COLUMNS} FROM areas WHERE id = ?", [area_id])
        return Area(*row) if row else None

    def province(self) -> Area | None:
        """The root of the tree."""
        row = self._one(f"SELECT {AREA_COLUMNS} FROM areas WHERE parent_id IS NULL ORDER BY id LIMIT 1", [])
        return Area(*row) if row else None

    def children(self, area_id: int) -> list[Area]:
        """The areas directly under an area, by name."""
        return [Area(*r) for r in self._all(f"SELECT {AREA_COLUMNS} FROM areas WHERE parent_id = ? ORDER BY key",
                                            [area_id])]

    def find_areas(self, text: str, level: str | None = None, limit: int = 10) -> list[Area]:
        """Areas whose name contains the words typed, diacritics ignored; an exact name first."""
        key = name_key(text)
        if not key:
            return []
        # Keys hold only letters, digits and single spaces (name_key), so LIKE needs no escaping.
        sql, params = f"SELECT {AREA_COLUMNS} FROM areas WHERE key LIKE ?", [f"%{key}%"]
        if level:
            sql += " AND level = ?"
            params.append(level)
        sql += " ORDER BY key != ?, length(key), key LIMIT ?"
        return [Area(*r) for r in self._all(sql, params + [key, limit])]

    def ancestors(self, area_id: int) -> list[Area]:
        """The area and every area above it, root first."""
        chain: list[Area] = []
        current = self.area(area_id)
        while current is not None and len(chain) < len(LEVELS):
            chain.append(current)
            current = self.area(current.parent_id) if current.parent_id else None
        return list(reversed(chain))

    def is_within(self, area_id: int, scope_id: int | None) -> bool:
        """True when area_id is scope_id or below it (None = the whole province)."""
        return scope_id is None or any(a.id == scope_id for a in self.ancestors(area_id))

    # --- people ---------------------------------------------------------------------------------------------

    def add_admin(self, user_key: str, area_id: int | None = None, added_by: str = "") -> None:
        """Make a user an admin (of the province, or of one area)."""
        with self.lock, self.db.conn:
            self.db.execute("INSERT INTO admins (user_key, area_id, added_by, added_at) VALUES (?,?,?,?)"
                            " ON CONFLICT(user_key) DO UPDATE SET area_id = excluded.area_id",
                            [user_key, area_id, added_by, now()])

    def admin_scope(self, user_key: str) -> tuple[bool, int | None]:
        """(is admin, the area they administer or None for the whole province)."""
        row = self._one("SELECT area_id FROM admins WHERE user_key = ?", [user_key])
        return (row is not None, row[0] if row else None)

    def member(self, user_key: str) -> Member | None:
        """The user's team place, if any."""
        row = self._one("SELECT user_key, area_id, role FROM members WHERE user_key = ?", [user_key])
        return Member(*row) if row else None

    def members_of(self, area_id: int) -> list[Member]:
        """Everyone in a village's team."""
        return [Member(*r) for r in self._all("SELECT user_key, area_id, role FROM members WHERE area_id = ?"
                                              " ORDER BY joined_at", [area_id])]

    def set_member(self, user_key: str, area_id: int, role: str, code: str | None = None) -> None:
        """Put a user in a village's team with a role."""
        with self.lock, self.db.conn:
            self._set_member(user_key, area_id, role, code)

    def _set_member(self, user_key: str, area_id: int, role: str, code: str | None) -> None:
        self.db.execute("INSERT INTO members (user_key, area_id, role, invite_code, joined_at) VALUES (?,?,?,?,?)"
                        " ON CONFLICT(user_key) DO UPDATE SET area_id = excluded.area_id, role = excluded.role,"
                        " invite_code = excluded.invite_code", [user_key, area_id, role, code, now()])

    # --- invites --------------------------------------------------------------------------------------------

    def create_invite(self, code: str, area_id: int, role: str, created_by: str, expires_at: str,
                      max_uses: int) -> Invite:
        """Store a new invite code."""
        with self.lock, self.db.conn:
            self.db.execute("INSERT INTO invites (code, area_id, role, created_by, created_at, expires_at, max_uses)"
                            " VALUES (?,?,?,?,?,?,?)", [code, area_id, role, created_by, now(), expires_at, max_uses])
        return Invite(code, area_id, role, expires_at, None, max_uses, 0)

    def invite(self, code: str) -> Invite | None:
        """An invite by code."""
        row = self._one("SELECT code, area_id, role, expires_at, revoked_at, max_uses, uses FROM invites"
                        " WHERE code = ?", [code])
        return Invite(*row) if row else None

    def redeem(self, code: str, user_key: str, at: str) -> Invite | None:
        """Use a code to join its team, atomically; None when the code is unknown or no longer usable."""
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute("SELECT code, area_id, role, expires_at, revoked_at, max_uses, uses FROM invites"
                                  " WHERE code = ?", [code]).fetchone()
            if row is None or not Invite(*row).usable(at):
                return None
            self.db.execute("UPDATE invites SET uses = uses + 1 WHERE code = ?", [code])
            self._set_member(user_key, row[1], row[2], code)
            return Invite(*row)

    def revoke(self, code: str) -> bool:
        """Revoke a code; False when unknown or already revoked."""
        with self.lock, self.db.conn:
            cursor = self.db.execute("UPDATE invites SET revoked_at = ? WHERE code = ? AND revoked_at IS NULL",
                                     [now(), code])
            return cursor.rowcount == 1

    def invites_of(self, area_id: int, at: str) -> list[Invite]:
        """The village's codes that can still be used."""
        rows = self._all("SELECT code, area_id, role, expires_at, revoked_at, max_uses, uses FROM invites"
                         " WHERE area_id = ? AND revoked_at IS NULL AND expires_at > ? AND uses < max_uses"
                         " ORDER BY created_at", [area_id, at])
        return [Invite(*r) for r in rows]

    # --- households and visits ------------------------------------------------------------------------------

    def save_visit(self, user_key: str, village: Area, commune_id: int, district_id: int, data: VisitInput,
                   at: datetime, replaces: int | None = None) -> tuple[Visit, bool]:
        """Store a visit in one transaction: a new household, or an update of the same one (history kept).

        `replaces` is a visit being corrected: it is undone in the same transaction. Returns the visit and
        whether the household was new."""
        stamp, day, key = at.isoformat(timespec="seconds"), at.date().isoformat(), name_key(data.label)
        values = [data.residents, data.smartphones, data.had_app, data.installed, data.note or None,
                  data.latitude, data.longitude]
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            if replaces is not None:
                self._undo(replaces)
            row = self.db.execute("SELECT id FROM households WHERE area_id = ? AND key = ?",
                                  [village.id, key]).fetchone()
            if row is None:
                household_id = inserted(self.db.execute(
                    "INSERT INTO households (area_id, commune_id, district_id, label, key, residents, smartphones,"
                    " had_app, installed, note, latitude, longitude, first_day, last_day, last_at, visits,"
                    " last_user_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?)",
                    [village.id, commune_id, district_id, data.label, key, *values, day, day, stamp,
                     user_key]))
            else:
                household_id = row[0]
                self.db.execute(
                    "UPDATE households SET label = ?, residents = ?, smartphones = ?, had_app = ?, installed = ?,"
                    " note = ?, latitude = ?, longitude = ?, last_day = ?, last_at = ?, visits = visits + 1,"
                    " last_user_key = ? WHERE id = ?", [data.label, *values, day, stamp, user_key, household_id])
            action = "new" if row is None else "update"
            visit_id = inserted(self.db.execute(
                "INSERT INTO visits (household_id, area_id, commune_id, district_id, user_key, at, day, action,"
                " residents, smartphones, had_app, installed, note, latitude, longitude)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [household_id, village.id, commune_id, district_id, user_key, stamp, day, action,
                 *values]))
        return Visit(visit_id, household_id, village.id, user_key, stamp, action, data), row is None

    def visits_by(self, user_key: str, day: str) -> list[Visit]:
        """A member's visits on one day, oldest first (undone ones left out)."""
        return [_visit(r) for r in self._all(
            f"SELECT {_VISIT_COLUMNS} FROM visits v JOIN households h ON h.id = v.household_id"
            " WHERE v.user_key = ? AND v.day = ? AND v.undone = 0 ORDER BY v.id", [user_key, day])]

    def last_visit(self, user_key: str) -> Visit | None:
        """A member's most recent visit that is not undone."""
        row = self._one(f"SELECT {_VISIT_COLUMNS} FROM visits v JOIN households h ON h.id = v.household_id"
                        " WHERE v.user_key = ? AND v.undone = 0 ORDER BY v.id DESC LIMIT 1", [user_key])
        return _visit(row) if row else None

    def undo_visit(self, visit_id: int) -> bool:
        """Undo a visit: the household goes back to its previous visit's figures, or away if it was new."""
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            return self._undo(visit_id)

    def _undo(self, visit_id: int) -> bool:
        row = self.db.execute("SELECT household_id FROM visits WHERE id = ? AND undone = 0", [visit_id]).fetchone()
        if row is None:
            return False
        household_id = row[0]
        self.db.execute("UPDATE visits SET undone = 1 WHERE id = ?", [visit_id])
        previous = self.db.execute(
            "SELECT residents, smartphones, had_app, installed, note, latitude, longitude, day, at, user_key"
            " FROM visits WHERE household_id = ? AND undone = 0 ORDER BY id DESC LIMIT 1", [household_id]).fetchone()
        if previous is None:   # the visit created the household: both go, nothing is left half-counted
            self.db.execute("DELETE FROM visits WHERE household_id = ?", [household_id])
            self.db.execute("DELETE FROM households WHERE id = ?", [household_id])
        else:
            self.db.execute(
                "UPDATE households SET residents = ?, smartphones = ?, had_app = ?, installed = ?, note = ?,"
                " latitude = ?, longitude = ?, last_day = ?, last_at = ?, last_user_key = ?, visits = visits - 1"
                " WHERE id = ?", [*previous, household_id])
        return True

    def households_of(self, area_id: int, limit: int = 200, offset: int = 0) -> list[tuple]:
        """A village's households, latest visit first: (label, residents, smartphones, had_app, installed, day)."""
        return self._all("SELECT label, residents, smartphones, had_app, installed, last_day FROM households"
                         " WHERE area_id = ? ORDER BY last_at DESC LIMIT ? OFFSET ?", [area_id, limit, offset])


