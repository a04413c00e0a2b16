"""The area tree: seeding the province and its districts, importing communes and villages from CSV."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.storage.campaign_store import Area, CampaignStore, name_key

COLUMNS = ("huyen", "xa", "thon", "so_ho")


@dataclass(frozen=True)
class ImportProblem:
    """A CSV line that cannot be imported, and why (a catalog key and its values)."""

    line: int
    key: str
    values: dict


def seed_province(store: CampaignStore, path: Path) -> Area:
    """Create the province and its district-level units from the YAML file (idempotent)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    province = store.add_area(None, "province", data["province"])
    for name in data["districts"]:
        store.add_area(province.id, "district", name)
    return province


def read_csv(text: str, districts: dict[str, Area]) -> tuple[list[tuple[Area, str, str, int | None]],
                                                             list[ImportProblem]]:
    """Check every line; return the rows to import and the problems (nothing is imported if any)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name_key(h or "").replace(" ", "_") for h in (reader.fieldnames or [])]
    if header[:3] != list(COLUMNS[:3]):
        return [], [ImportProblem(1, "areas.err.header", {"columns": ",".join(COLUMNS)})]
    reader.fieldnames = header
    rows, problems = [], []
    for line, row in enumerate(reader, 2):
        district_name, commune, village = ((row.get(c) or "").strip() for c in COLUMNS[:3])
        count = (row.get("so_ho") or "").strip()
        district = districts.get(name_key(district_name))
        if not (district_name and commune and village):
            problems.append(ImportProblem(line, "areas.err.missing", {}))
        elif district is None:
            problems.append(ImportProblem(line, "areas.err.district", {"name": district_name}))
        elif count and not count.isdigit():
            problems.append(ImportProblem(line, "areas.err.count", {"value": count}))
        elif len(commune) > 100 or len(village) > 100:
            problems.append(ImportProblem(line, "areas.err.long", {}))
        else:
            rows.append((district, commune, village, int(count) if count else None))
    return rows, problems


def import_csv(store: CampaignStore, text: str) -> tuple[int, list[ImportProblem]]:
    """Import communes and villages; all or nothing. Returns (villages imported, problems)."""
    province = store.province()
    districts = {name_key(d.name): d for d in store.children(province.id)} if province else {}
    rows, problems = read_csv(text, districts)
    if problems:
        return 0, problems
    store.import_villages(rows)
    return len(rows), []
