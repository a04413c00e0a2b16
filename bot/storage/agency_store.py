"""SQL for agency reports: reporting units in a tree, focal persons and their invites, reports, reminders."""
from __future__ import annotations

from dataclasses import dataclass

from bot.campaign.model import invite_usable
from bot.matching.normaliser import clean
from bot.storage.campaign_store import name_key
from bot.storage.database import Queries, inserted, now

KINDS = ("so_ban_nganh", "ubnd_huyen", "truong_hoc", "benh_vien", "doanh_nghiep", "khac")


@dataclass(frozen=True)
class Unit:
    """A reporting unit: a department, a district People's Committee, a school, a hospital, a business…"""

    id: int
    parent_id: int | None
    name: str
    kind: str
    area_id: int | None       # the district it belongs to, for district admins' scope (None: province level)


@dataclass(frozen=True)
class UnitReport:
    """A unit's report as of a date, with the names the dashboard shows beside it."""

    unit_id: int
    unit_name: str
    parent_name: str | None
    kind: str
    as_of: str
    staff: int
    staff_smartphones: int
    staff_installed: int
    family_installed: int | None
    reported_at: str


@dataclass(frozen=True)
class ReportInput:
    """What a focal person reports."""

    as_of: str               # ISO date
    staff: int
    staff_smartphones: int
    staff_installed: int
    family_installed: int | None = None


@dataclass(frozen=True)
class UnitInvite:
    """An invite code for a unit's focal person."""

    code: str
    unit_id: int
    expires_at: str
    revoked_at: str | None
    max_uses: int
    uses: int

    def usable(self, at: str) -> bool:
        """Not revoked, not expired, not used up."""
        return invite_usable(self.revoked_at, self.expires_at, self.uses, self.max_uses, at)


@dataclass(frozen=True)
class ImportRow:
    """One unit to import: its parent is an existing unit (parent_id) or an earlier row (parent_row)."""

    parent_id: int | None
    parent_row: int | None
    name: str
    kind: str
    area_id: int | None


_UNIT = "id, parent_id, name, kind, area_id"
_INVITE = "code, unit_id, expires_at, revoked_at, max_uses, uses"
_LATEST = ("SELECT r.unit_id, u.name, p.name, u.kind, r.as_of, r.staff, r.staff_smartphones, r.staff_installed,"
           " r.family_installed, r.at FROM unit_reports r JOIN units u ON u.id = r.unit_id"
           " LEFT JOIN units p ON p.id = u.parent_id WHERE r.superseded = 0 AND r.id = (SELECT r2.id FROM"
           " unit_reports r2 WHERE r2.unit_id = r.unit_id AND r2.superseded = 0 ORDER BY r2.as_of DESC, r2.id DESC"
           " LIMIT 1)")


class AgencyStore(Queries):
    """Queries over the agency tables; every write is one short transaction."""

    # --- units ----------------------------------------------------------------------------------------------

    def _upsert(self, parent_id: int | None, name: str, kind: str, area_id: int | None, stamp: str) -> int:
        self.db.execute("INSERT INTO units (parent_id, name, key, kind, area_id, created_at) VALUES (?,?,?,?,?,?)"
                        " ON CONFLICT(IFNULL(parent_id, 0), key) DO UPDATE SET kind = excluded.kind,"
                        " area_id = IFNULL(excluded.area_id, area_id)",
                        [parent_id, clean(name), name_key(name), kind, area_id, stamp])
        return self.db.execute("SELECT id FROM units WHERE IFNULL(parent_id, 0) = ? AND key = ?",
                               [parent_id or 0, name_key(name)]).fetchone()[0]

    def add_unit(self, parent_id: int | None, name: str, kind: str, area_id: int | None = None) -> Unit:
        """Add a unit under parent, or update the kind (and a given district) of the one of that name there."""
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            unit_id = self._upsert(parent_id, name, kind, area_id, now())
        return self.unit(unit_id)  # type: ignore[return-value]

    def import_units(self, rows: list[ImportRow]) -> list[int]:
        """Add or update units in file order, in one transaction; returns their ids."""
        stamp, ids = now(), list[int]()
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            for row in rows:
                parent = row.parent_id if row.parent_row is None else ids[row.parent_row]
                ids.append(self._upsert(parent, row.name, row.kind, row.area_id, stamp))
        return ids

    def units(self) -> list[Unit]:
        """Every unit: top-level ones first, then grouped by parent, each group by name."""
        return [Unit(*r) for r in self._all(f"SELECT {_UNIT} FROM units ORDER BY IFNULL(parent_id, 0), key", [])]

    def unit(self, unit_id: int) -> Unit | None:
        """One unit by id."""
        row = self._one(f"SELECT {_UNIT} FROM units WHERE id = ?", [unit_id])
        return Unit(*row) if row else None

    def child(self, parent_id: int | None, name: str) -> Unit | None:
        """The unit of that name (diacritics and case ignored) directly under parent (None: top level)."""
        row = self._one(f"SELECT {_UNIT} FROM units WHERE IFNULL(parent_id, 0) = ? AND key = ?",
                        [parent_id or 0, name_key(name)])
        return Unit(*row) if row else None

    def units_named(self, name: str) -> list[Unit]:
        """Every unit with exactly that name (diacritics and case ignored), top-level ones first."""
        return [Unit(*r) for r in self._all(f"SELECT {_UNIT} FROM units WHERE key = ? ORDER BY parent_id IS NOT NULL,"
                                            " id", [name_key(name)])]

    def find_units(self, text: str, limit: int = 10) -> list[Unit]:
        """Units whose name contains the words typed, diacritics ignored; an exact name first."""
        key = name_key(text)
        if not key:
            return []
        # Keys hold only letters, digits and single spaces (name_key), so LIKE needs no escaping.
        return [Unit(*r) for r in self._all(f"SELECT {_UNIT} FROM units WHERE key LIKE ?"
                                            " ORDER BY key != ?, length(key), key LIMIT ?", [f"%{key}%", key, limit])]

    # --- focal persons and invites --------------------------------------------------------------------------

    def focal_unit(self, user_key: str) -> Unit | None:
        """The unit a user reports for, if any."""
        row = self._one(f"SELECT {', '.join('u.' + c for c in _UNIT.split(', '))} FROM unit_focal f"
                        " JOIN units u ON u.id = f.unit_id WHERE f.user_key = ?", [user_key])
        return Unit(*row) if row else None

    def focal_people(self, unit_id: int) -> list[str]:
        """The user keys of a unit's focal persons, first joined first."""
        return [r[0] for r in self._all("SELECT user_key FROM unit_focal WHERE unit_id = ? ORDER BY joined_at",
                                        [unit_id])]

    def create_invite(self, code: str, unit_id: int, created_by: str, expires_at: str,
                      max_uses: int = 1) -> UnitInvite:
        """Store a new invite code for a unit's focal person."""
        with self.lock, self.db.conn:
            self.db.execute("INSERT INTO unit_invites (code, unit_id, created_by, created_at, expires_at, max_uses)"
                            " VALUES (?,?,?,?,?,?)", [code, unit_id, created_by, now(), expires_at, max_uses])
        return UnitInvite(code, unit_id, expires_at, None, max_uses, 0)

    def invite(self, code: str) -> UnitInvite | None:
        """An invite by code."""
        row = self._one(f"SELECT {_INVITE} FROM unit_invites WHERE code = ?", [code])
        return UnitInvite(*row) if row else None

    def redeem(self, code: str, user_key: str, at: str) -> UnitInvite | None:
        """Use a code to become the unit's focal person, atomically; None when unknown or no longer usable."""
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute(f"SELECT {_INVITE} FROM unit_invites WHERE code = ?", [code]).fetchone()
            if row is None or not UnitInvite(*row).usable(at):
                return None
            self.db.execute("UPDATE unit_invites SET uses = uses + 1 WHERE code = ?", [code])
            self.db.execute("INSERT INTO unit_focal (user_key, unit_id, invite_code, joined_at) VALUES (?,?,?,?)"
                            " ON CONFLICT(user_key) DO UPDATE SET unit_id = excluded.unit_id,"
                            " invite_code = excluded.invite_code, joined_at = excluded.joined_at",
                            [user_key, row[1], code, now()])
            return UnitInvite(*row)

    def revoke(self, code: str) -> bool:
        """Revoke a code; False when unknown or already revoked."""
        with self.lock, self.db.conn:
            return self.db.execute("UPDATE unit_invites SET revoked_at = ? WHERE code = ? AND revoked_at IS NULL",
                                   [now(), code]).rowcount == 1

    # --- reports --------------------------------------------------------------------------------------------

    def save_report(self, unit_id: int, data: ReportInput, user_key: str, at: str) -> tuple[int, bool]:
        """Store a report in one transaction; one for the same unit and date is superseded (kept in the history).
        Returns the new report's id and whether it replaced one."""
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            replaced = self.db.execute("UPDATE unit_reports SET superseded = 1 WHERE unit_id = ? AND as_of = ?"
                                       " AND superseded = 0", [unit_id, data.as_of]).rowcount
            report_id = inserted(self.db.execute(
                "INSERT INTO unit_reports (unit_id, as_of, staff, staff_smartphones, staff_installed,"
                " family_installed, user_key, at) VALUES (?,?,?,?,?,?,?,?)",
                [unit_id, data.as_of, data.staff, data.staff_smartphones, data.staff_installed,
                 data.family_installed, user_key, at]))
        return report_id, replaced > 0

    def report_on(self, unit_id: int, as_of: str) -> ReportInput | None:
        """The unit's current report for one date, if any."""
        row = self._one("SELECT as_of, staff, staff_smartphones, staff_installed, family_installed FROM unit_reports"
                        " WHERE unit_id = ? AND as_of = ? AND superseded = 0", [unit_id, as_of])
        return ReportInput(*row) if row else None

    def history(self, unit_id: int) -> list[tuple]:
        """Every report of a unit, superseded ones included, oldest first:
        (as_of, staff, staff_smartphones, staff_installed, family_installed, user_key, at, superseded)."""
        return self._all("SELECT as_of, staff, staff_smartphones, staff_installed, family_installed, user_key, at,"
                         " superseded FROM unit_reports WHERE unit_id = ? ORDER BY id", [unit_id])

    def latest_reports(self, area_id: int | None = None) -> list[UnitReport]:
        """The latest non-superseded report of every unit (by date), optionally only units linked to a district."""
        sql, params = _LATEST, []
        if area_id is not None:
            sql += " AND u.area_id = ?"
            params.append(area_id)
        return [UnitReport(*r) for r in self._all(sql + " ORDER BY IFNULL(p.key, ''), u.key", params)]

    def late_units(self, since: str, area_id: int | None = None) -> list[Unit]:
        """Units with a focal person and no report as of `since` (an ISO date) or later."""
        sql = (f"SELECT {_UNIT} FROM units u WHERE EXISTS (SELECT 1 FROM unit_focal f WHERE f.unit_id = u.id)"
               " AND NOT EXISTS (SELECT 1 FROM unit_reports r WHERE r.unit_id = u.id AND r.superseded = 0"
               " AND r.as_of >= ?)")
        params: list = [since]
        if area_id is not None:
            sql += " AND u.area_id = ?"
            params.append(area_id)
        return [Unit(*r) for r in self._all(sql + " ORDER BY u.key", params)]

    def units_without_focal(self, area_id: int | None = None) -> list[Unit]:
        """Units nobody reports for yet (they cannot be late: they need an invite first)."""
        sql = f"SELECT {_UNIT} FROM units u WHERE NOT EXISTS (SELECT 1 FROM unit_focal f WHERE f.unit_id = u.id)"
        params: list = []
        if area_id is not None:
            sql += " AND u.area_id = ?"
            params.append(area_id)
        return [Unit(*r) for r in self._all(sql + " ORDER BY u.key", params)]

    # --- weekly reminders -----------------------------------------------------------------------------------

    def late_focal(self, since: str) -> list[tuple[str, Unit, str]]:
        """(user key, unit, the user's language or '') for every focal person of a late unit."""
        rows = self._all(f"SELECT f.user_key, {', '.join('u.' + c for c in _UNIT.split(', '))}, IFNULL(us.lang, '')"
                         " FROM unit_focal f JOIN units u ON u.id = f.unit_id LEFT JOIN users us ON us.key = f.user_key"
                         " WHERE NOT EXISTS (SELECT 1 FROM unit_reports r WHERE r.unit_id = u.id"
                         " AND r.superseded = 0 AND r.as_of >= ?) ORDER BY f.user_key", [since])
        return [(r[0], Unit(*r[1:6]), r[6]) for r in rows]

    def reminder_week(self, week: str) -> str | None:
        """'started' or 'finished' when this week's reminders were (being) sent, else None."""
        row = self._one("SELECT finished_at FROM reminder_weeks WHERE week = ?", [week])
        return None if row is None else "finished" if row[0] else "started"

    def start_reminder_week(self, week: str) -> None:
        """Record that this week's reminders are being sent."""
        with self.lock, self.db.conn:
            self.db.execute("INSERT OR IGNORE INTO reminder_weeks (week, started_at) VALUES (?,?)", [week, now()])

    def finish_reminder_week(self, week: str) -> None:
        """Record that this week's reminders are all sent."""
        with self.lock, self.db.conn:
            self.db.execute("UPDATE reminder_weeks SET finished_at = ? WHERE week = ?", [now(), week])

    def claim_reminder(self, week: str, user_key: str, unit_id: int) -> bool:
        """Take one person's reminder for a week before sending it; False when it was taken before (at most once)."""
        with self.lock, self.db.conn:
            return self.db.execute("INSERT OR IGNORE INTO unit_reminders (week, user_key, unit_id, at, status)"
                                   " VALUES (?,?,?,?,'claimed')", [week, user_key, unit_id, now()]).rowcount == 1

    def settle_reminder(self, week: str, user_key: str, status: str) -> None:
        """The outcome of one reminder: sent, blocked or failed."""
        with self.lock, self.db.conn:
            self.db.execute("UPDATE unit_reminders SET status = ? WHERE week = ? AND user_key = ?",
                            [status, week, user_key])

    def reminders_of(self, week: str) -> list[tuple[str, int, str]]:
        """(user key, unit id, status) of a week's reminders."""
        return self._all("SELECT user_key, unit_id, status FROM unit_reminders WHERE week = ? ORDER BY user_key",
                         [week])
