"""SQL for the install campaign: areas, admins, village teams, invites, households and visits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Iterable, Iterator

from bot.storage import Storage, now
from bot.text import clean, fold, words

LEVELS = ("province", "district", "commune", "village")


def name_key(name: str) -> str:
    """The look-up form of a name or household label: folded, lower-case, single-spaced, no punctuation."""
    return " ".join(words(fold(clean(name).casefold())))


@dataclass(frozen=True)
class Area:
    """A node of the area tree."""

    id: int
    parent_id: int | None
    level: str
    name: str
    households: int | None = None


@dataclass(frozen=True)
class Member:
    """A task-team member's place: their village and role (member or leader)."""

    user_key: str
    area_id: int
    role: str


@dataclass(frozen=True)
class Invite:
    """An invite code to a village team."""

    code: str
    area_id: int
    role: str
    expires_at: str
    revoked_at: str | None
    max_uses: int
    uses: int

    def usable(self, at: str) -> bool:
        """Not revoked, not expired, not used up."""
        return self.revoked_at is None and at < self.expires_at and self.uses < self.max_uses


@dataclass(frozen=True)
class VisitInput:
    """What a team member recorded about one household."""

    label: str
    residents: int
    smartphones: int
    had_app: int
    installed: int
    note: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Visit:
    """A stored visit (one line of a household's history)."""

    id: int
    household_id: int
    area_id: int
    user_key: str
    at: str
    action: str
    data: VisitInput


_AREA_COLUMNS = "id, parent_id, level, name, households"
_VISIT_COLUMNS = ("v.id, v.household_id, v.area_id, v.user_key, v.at, v.action, h.label, v.residents,"
                  " v.smartphones, v.had_app, v.installed, v.note, v.latitude, v.longitude")


def _visit(row: tuple) -> Visit:
    return Visit(row[0], row[1], row[2], row[3], row[4], row[5], VisitInput(*row[6:]))


class CampaignStore:
    """Queries over the campaign tables; every write is one short transaction."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.db = storage.db
        self.lock = storage.lock

    def _one(self, sql: str, params: list) -> tuple | None:
        with self.lock:
            return self.db.execute(sql, params).fetchone()

    def _all(self, sql: str, params: list) -> list[tuple]:
        with self.lock:
            return self.db.execute(sql, params).fetchall()

    # --- areas ----------------------------------------------------------------------------------------------

    def add_area(self, parent_id: int | None, level: str, name: str, households: int | None = None) -> Area:
        """Add an area under parent (or return the existing one of that name); a known household count updates."""
        key = name_key(name)
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute(f"SELECT {_AREA_COLUMNS} FROM areas WHERE IFNULL(parent_id, 0) = ? AND key = ?",
                                  [parent_id or 0, key]).fetchone()
            if row is None:
                cursor = self.db.execute(
                    "INSERT INTO areas (parent_id, level, name, key, households, created_at) VALUES (?,?,?,?,?,?)",
                    [parent_id, level, clean(name), key, households, now()])
                return Area(cursor.lastrowid, parent_id, level, clean(name), households)
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
        row = self._one(f"SELECT {_AREA_COLUMNS} FROM areas WHERE id = ?", [area_id])
        return Area(*row) if row else None

    def province(self) -> Area | None:
        """The root of the tree."""
        row = self._one(f"SELECT {_AREA_COLUMNS} FROM areas WHERE parent_id IS NULL ORDER BY id LIMIT 1", [])
        return Area(*row) if row else None

    def children(self, area_id: int) -> list[Area]:
        """The areas directly under an area, by name."""
        return [Area(*r) for r in self._all(f"SELECT {_AREA_COLUMNS} FROM areas WHERE parent_id = ? ORDER BY key",
                                            [area_id])]

    def find_areas(self, text: str, level: str | None = None, limit: int = 10) -> list[Area]:
        """Areas whose name contains the words typed, diacritics ignored; an exact name first."""
        key = name_key(text)
        if not key:
            return []
        # Keys hold only letters, digits and single spaces (name_key), so LIKE needs no escaping.
        sql, params = f"SELECT {_AREA_COLUMNS} FROM areas WHERE key LIKE ?", [f"%{key}%"]
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
                household_id = self.db.execute(
                    "INSERT INTO households (area_id, commune_id, district_id, label, key, residents, smartphones,"
                    " had_app, installed, note, latitude, longitude, first_day, last_day, last_at, visits,"
                    " last_user_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?)",
                    [village.id, commune_id, district_id, data.label, key, *values, day, day, stamp,
                     user_key]).lastrowid
            else:
                household_id = row[0]
                self.db.execute(
                    "UPDATE households SET label = ?, residents = ?, smartphones = ?, had_app = ?, installed = ?,"
                    " note = ?, latitude = ?, longitude = ?, last_day = ?, last_at = ?, visits = visits + 1,"
                    " last_user_key = ? WHERE id = ?", [data.label, *values, day, stamp, user_key, household_id])
            action = "new" if row is None else "update"
            visit_id = self.db.execute(
                "INSERT INTO visits (household_id, area_id, commune_id, district_id, user_key, at, day, action,"
                " residents, smartphones, had_app, installed, note, latitude, longitude)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [household_id, village.id, commune_id, district_id, user_key, stamp, day, action,
                 *values]).lastrowid
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

    # --- report figures -------------------------------------------------------------------------------------

    def all_areas(self) -> list[Area]:
        """The whole tree (a province has a few thousand areas at most)."""
        return [Area(*r) for r in self._all(f"SELECT {_AREA_COLUMNS} FROM areas ORDER BY level, key", [])]

    def household_totals(self, group: str, where: str, params: list, day_from: str | None,
                         day_to: str | None) -> dict[int, tuple[int, int, int, int, int]]:
        """Per group id: (households, residents, smartphones, had_app, installed), last visit in the range."""
        column = _GROUP_COLUMNS[group]
        sql = (f"SELECT {column}, COUNT(*), SUM(residents), SUM(smartphones), SUM(had_app), SUM(installed)"
               f" FROM households WHERE {_where(where)}")
        sql, params = _day_range(sql, list(params), "last_day", day_from, day_to)
        return {r[0]: tuple(r[1:]) for r in self._all(sql + f" GROUP BY {column}", params)}

    def visit_days(self, group: str, where: str, params: list, day_from: str | None,
                   day_to: str | None) -> dict[int, tuple[int, int]]:
        """Per group id: (visits, distinct days with visits) in the range."""
        column = _GROUP_COLUMNS[group]
        sql = f"SELECT {column}, COUNT(*), COUNT(DISTINCT day) FROM visits WHERE undone = 0 AND {_where(where)}"
        sql, params = _day_range(sql, list(params), "day", day_from, day_to)
        return {r[0]: (r[1], r[2]) for r in self._all(sql + f" GROUP BY {column}", params)}

    def daily(self, where: str, params: list, day_from: str | None, day_to: str | None) -> list[tuple]:
        """Visits and installs per day: (day, visits, installed)."""
        sql = f"SELECT day, COUNT(*), SUM(installed) FROM visits WHERE undone = 0 AND {_where(where)}"
        sql, params = _day_range(sql, list(params), "day", day_from, day_to)
        return self._all(sql + " GROUP BY day ORDER BY day", params)

    def raw_visits(self, where: str, params: list, day_from: str | None, day_to: str | None,
                   batch: int = 5000):
        """Every visit with its household label, oldest first, streamed in batches (for exports)."""
        sql = ("SELECT v.id, v.day, v.at, v.district_id, v.commune_id, v.area_id, h.label, v.action, v.residents,"
               " v.smartphones, v.had_app, v.installed, v.note, v.user_key FROM visits v"
               f" JOIN households h ON h.id = v.household_id WHERE v.undone = 0 AND {_where(where, 'v.')}")
        sql, params = _day_range(sql, list(params), "v.day", day_from, day_to)
        last_id = 0
        while True:
            rows = self._all(sql + " AND v.id > ? ORDER BY v.id LIMIT ?", params + [last_id, batch])
            if not rows:
                return
            yield from rows
            last_id = rows[-1][0]

    # --- progress counts and bulk filling (reports, demo) ---------------------------------------------------

    def count_visits_by(self, user_key: str, day: str | None = None) -> int:
        """How many visits a member logged (undone ones left out), on one day or in total."""
        sql, params = "SELECT COUNT(*) FROM visits WHERE user_key = ? AND undone = 0", [user_key]
        if day:
            sql += " AND day = ?"
            params.append(day)
        return self._one(sql, params)[0]

    def household_sums(self, group: str, where: str, params: list, day_from: str | None,
                       day_to: str | None) -> dict[int, tuple[int, int, int, int, int]]:
        """household_totals, planned for speed: a plain table scan for the whole province (an index walk in
        group order reads rows in random order, three times slower at 300,000 households), the scope's index
        otherwise."""
        column = _GROUP_COLUMNS[group]
        source = "households NOT INDEXED" if where == "all" else "households"
        sql = (f"SELECT {column}, COUNT(*), SUM(residents), SUM(smartphones), SUM(had_app), SUM(installed)"
               f" FROM {source} WHERE {_where(where)}")
        sql, params = _day_range(sql, list(params), "last_day", day_from, day_to)
        return {r[0]: tuple(r[1:]) for r in self._all(sql + f" GROUP BY +{column}", params)}

    def visit_day_counts(self, group: str, where: str, params: list, day_from: str | None,
                         day_to: str | None) -> list[tuple[int, str, int]]:
        """(group id, day, visits) for every group and day with visits in the range (undone ones left out):
        one pass gives each group's visits and active days and the scope's own active days.

        For the whole province the (group, day) index alone is read (no row look-ups: three times faster at
        300,000 visits) and the few undone visits, found by a plain scan, are taken off."""
        column = _GROUP_COLUMNS[group]
        if where != "all":
            sql = f"SELECT {column}, day, COUNT(*) FROM visits WHERE undone = 0 AND {_where(where)}"
            sql, params = _day_range(sql, list(params), "day", day_from, day_to)
            return self._all(sql + f" GROUP BY +{column}, day", params)
        index = {"district": "visits_district_day", "commune": "visits_commune_day", "village": "visits_area_day"}
        sql, values = _day_range(f"SELECT {column}, day, COUNT(*) FROM visits INDEXED BY {index[group]}"
                                 " WHERE 1 = 1", [], "day", day_from, day_to)
        undone_sql, undone_values = _day_range(f"SELECT {column}, day, COUNT(*) FROM visits NOT INDEXED"
                                               " WHERE undone = 1", [], "day", day_from, day_to)
        with self.lock:
            counts = {(g, d): n for g, d, n in self.db.execute(sql + f" GROUP BY {column}, day", values)}
            for g, d, n in self.db.execute(undone_sql + f" GROUP BY {column}, day", undone_values):
                counts[(g, d)] -= n
        return [(g, d, n) for (g, d), n in counts.items() if n > 0]

    def bulk_insert(self, households: Iterable[tuple], visits: Iterable[tuple], batch: int = 20000) -> int:
        """Insert a prepared campaign in batches, one transaction each (demo fills; not beside a running bot).

        households: (area_id, commune_id, district_id, label, residents, smartphones, had_app, installed, note,
        latitude, longitude, first_day, last_day, last_at, visits, last_user_key), already holding its last
        visit's figures as save_visit keeps them. visits: (household index in that sequence, user_key, at, day,
        action, residents, smartphones, had_app, installed, note, latitude, longitude). Returns the households."""
        with self.lock:
            base = self.db.execute("SELECT IFNULL(MAX(id), 0) FROM households").fetchone()[0]
            cache = self.db.execute("PRAGMA cache_size").fetchone()[0]
            self.db.execute("PRAGMA cache_size = -65536")   # 64 MB while filling: index pages stay in memory
        try:
            return self._bulk_insert(base, households, visits, batch)
        finally:
            with self.lock:
                self.db.execute(f"PRAGMA cache_size = {int(cache)}")
                # fold the fill into the database file: readers then need not walk a log of 100 MB or more
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _bulk_insert(self, base: int, households: Iterable[tuple], visits: Iterable[tuple], batch: int) -> int:
        areas: list[tuple] = []   # (village, commune, district) per household, for its visits
        count = 0
        for chunk in _chunks(households, batch):
            rows = []
            for row in chunk:
                count += 1
                areas.append(row[:3])
                rows.append((base + count, *row[:4], name_key(row[3]), *row[4:]))
            self._insert_many(
                "INSERT INTO households (id, area_id, commune_id, district_id, label, key, residents, smartphones,"
                " had_app, installed, note, latitude, longitude, first_day, last_day, last_at, visits,"
                " last_user_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        for chunk in _chunks(visits, batch):
            self._insert_many(
                "INSERT INTO visits (household_id, area_id, commune_id, district_id, user_key, at, day, action,"
                " residents, smartphones, had_app, installed, note, latitude, longitude)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(base + v[0] + 1, *areas[v[0]], *v[1:]) for v in chunk])
        return count

    def _insert_many(self, sql: str, rows: list[tuple]) -> None:
        with self.lock, self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.conn.executemany(sql, rows)


_GROUP_COLUMNS = {"district": "district_id", "commune": "commune_id", "village": "area_id"}
_WHERE = {"all": "1 = 1", "district": "{}district_id = ?", "commune": "{}commune_id = ?", "village": "{}area_id = ?"}


def _where(scope: str, alias: str = "") -> str:
    """The filter for a report scope (the whole province, or one district, commune or village)."""
    return _WHERE[scope].format(alias)


def _day_range(sql: str, params: list, column: str, day_from: str | None, day_to: str | None) -> tuple[str, list]:
    if day_from:
        sql += f" AND {column} >= ?"
        params.append(day_from)
    if day_to:
        sql += f" AND {column} <= ?"
        params.append(day_to)
    return sql, params



def _chunks(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk
