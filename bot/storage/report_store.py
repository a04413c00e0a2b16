"""SQL behind reports and the demo: figures grouped by area, daily counts, raw visits, bulk filling."""
from __future__ import annotations

from itertools import islice
from typing import Iterable, Iterator

from bot.campaign.model import AREA_COLUMNS, Area, name_key
from bot.storage.database import Queries


class ReportQueries(Queries):
    """Read queries for reports and the demo's bulk insert, mixed into CampaignStore (same connection and lock)."""

    # --- report figures -------------------------------------------------------------------------------------

    def all_areas(self) -> list[Area]:
        """The whole tree (a province has a few thousand areas at most)."""
        return [Area(*r) for r in self._all(f"SELECT {AREA_COLUMNS} FROM areas ORDER BY level, key", [])]

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
        row = self._one(sql, params)
        return row[0] if row else 0

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
