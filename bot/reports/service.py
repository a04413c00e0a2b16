"""Campaign figures by area: households visited, residents, smartphones, installs, rates, visits per day."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Iterator

from bot.storage.campaign_store import LEVELS, Area, CampaignStore

BASELINE = 0.06          # share of residents who had the app when the provincial campaign started


@dataclass(frozen=True)
class Figures:
    """One area's campaign figures over a period."""

    area: Area
    known_households: int | None
    households: int
    residents: int
    smartphones: int
    had_app: int
    installed: int
    visits: int
    active_days: int
    parents: tuple[str, ...] = ()      # names of the areas above, district first (the province left out)
    visited_known: int | None = None   # households visited in the villages whose count is known

    @property
    def with_app(self) -> int:
        """People with the app after the visits: had it already, or installed it then."""
        return self.had_app + self.installed

    @property
    def rate_smartphones(self) -> float | None:
        """Share of smartphone owners with the app."""
        return self.with_app / self.smartphones if self.smartphones else None

    @property
    def rate_residents(self) -> float | None:
        """Share of residents with the app."""
        return self.with_app / self.residents if self.residents else None

    @property
    def coverage(self) -> float | None:
        """Share of the known households visited, counting only villages whose count is known (None when no
        count is known): villages without a count would otherwise push it over 100%."""
        if not self.known_households:
            return None
        visited = self.households if self.visited_known is None else self.visited_known
        return visited / self.known_households

    @property
    def visits_per_day(self) -> float | None:
        """Visits per day with at least one visit."""
        return self.visits / self.active_days if self.active_days else None


class AreaTree:
    """The whole area tree, loaded once per report."""

    def __init__(self, areas: list[Area]) -> None:
        self.by_id = {a.id: a for a in areas}
        self.children: dict[int | None, list[Area]] = defaultdict(list)
        for area in areas:                      # all_areas is sorted by name: children lists are too
            self.children[area.parent_id].append(area)
        roots = self.children.get(None, [])
        self.root = roots[0] if roots else None
        self.known: dict[int, int | None] = {}
        for level in reversed(LEVELS):
            for area in (a for a in areas if a.level == level):
                counts = [k for c in self.children.get(area.id, []) if (k := self.known.get(c.id)) is not None]
                self.known[area.id] = sum(counts) if counts else area.households

    def below(self, area: Area, level: str) -> list[Area]:
        """The areas of a level under area, in tree order (district, then commune, then name)."""
        if area.level == level:
            return [area]
        return [a for child in self.children.get(area.id, []) for a in self.below(child, level)]

    def parents(self, area: Area) -> tuple[str, ...]:
        """Names above the area, district first, the province left out."""
        names: list[str] = []
        current = self.by_id.get(area.parent_id) if area.parent_id else None
        while current is not None and current.parent_id is not None:
            names.append(current.name)
            current = self.by_id.get(current.parent_id)
        return tuple(reversed(names))

    def name(self, area_id: int) -> str:
        """An area's name ('' when unknown)."""
        area = self.by_id.get(area_id)
        return area.name if area else ""


class ReportService:
    """Figures per area from the grouped queries: a few scans per report, whatever the number of areas."""

    def __init__(self, store: CampaignStore) -> None:
        self.store = store

    def tree(self) -> AreaTree:
        """The area tree as it is now."""
        return AreaTree(self.store.all_areas())

    def figures(self, scope_id: int | None, by: str, day_from: str | None = None,
                day_to: str | None = None) -> tuple[list[Figures], Figures]:
        """One row per area of level `by` under the scope (areas without visits included, as zeros) and the
        scope's totals; scope None is the province, and `by` must be below the scope's level.

        Households are counted once, by their last visit: a household is in the period when its latest visit
        day is, with that visit's figures, so a revisit moves its figures rather than counting it twice.
        Visits and active days come from the visits themselves (undone ones left out)."""
        tree = self.tree()
        scope = self._scope(tree, scope_id)
        if by not in LEVELS or LEVELS.index(by) <= LEVELS.index(scope.level):
            raise ValueError(f"cannot split a {scope.level} by {by}")
        return self._compute(tree, scope, by, day_from, day_to)

    def area_figures(self, area_id: int | None, day_from: str | None = None,
                     day_to: str | None = None) -> Figures:
        """One area's totals (None = the province), counted as in figures()."""
        tree = self.tree()
        scope = self._scope(tree, area_id)
        return self._compute(tree, scope, "district" if scope.level == "province" else scope.level,
                             day_from, day_to)[1]

    def raw_rows(self, scope_id: int | None, day_from: str | None = None,
                 day_to: str | None = None) -> Iterator[tuple]:
        """Every visit in the scope, oldest first, with area names and no member id or location:
        (day, time, district, commune, village, household, action, residents, smartphones, had_app, installed,
        note)."""
        tree = self.tree()
        scope = self._scope(tree, scope_id)
        where, params = _filter(scope)
        days: dict[str, date] = {}
        names = {a.id: a.name for a in tree.by_id.values()}
        for row in self.store.raw_visits(where, params, day_from, day_to):
            day = days.get(row[1]) or days.setdefault(row[1], date.fromisoformat(row[1]))
            yield (day, row[2][11:16], names.get(row[3], ""), names.get(row[4], ""), names.get(row[5], ""),
                   *row[6:13])

    def _scope(self, tree: AreaTree, area_id: int | None) -> Area:
        scope = tree.root if area_id is None else tree.by_id.get(area_id)
        if scope is None:
            raise LookupError(f"no area {area_id}")
        return scope

    def _compute(self, tree: AreaTree, scope: Area, by: str, day_from: str | None,
                 day_to: str | None) -> tuple[list[Figures], Figures]:
        where, params = _filter(scope)
        sums = self.store.household_sums(by, where, params, day_from, day_to)
        visits: dict[int, int] = defaultdict(int)
        days: dict[int, int] = defaultdict(int)
        all_days: set[str] = set()
        for group, day, count in self.store.visit_day_counts(by, where, params, day_from, day_to):
            visits[group] += count
            days[group] += 1
            all_days.add(day)
        per_village = sums if by == "village" else self.store.household_sums("village", where, params,
                                                                             day_from, day_to)

        def visited_known(area: Area) -> int:
            return sum(per_village[v.id][0] for v in tree.below(area, "village")
                       if v.households is not None and v.id in per_village)

        rows = [Figures(a, tree.known.get(a.id), *(sums.get(a.id) or (0, 0, 0, 0, 0)), visits.get(a.id, 0),
                        days.get(a.id, 0), tree.parents(a), visited_known(a)) for a in tree.below(scope, by)]
        totals = [sum(column) for column in zip(*sums.values())] or [0, 0, 0, 0, 0]
        total = Figures(scope, tree.known.get(scope.id), *totals, sum(visits.values()), len(all_days),
                        tree.parents(scope), visited_known(scope))
        return rows, total


def _filter(scope: Area) -> tuple[str, list]:
    return ("all", []) if scope.level == "province" else (scope.level, [scope.id])


def child_level(level: str) -> str | None:
    """The level just below (None under a village)."""
    index = LEVELS.index(level)
    return LEVELS[index + 1] if index + 1 < len(LEVELS) else None
