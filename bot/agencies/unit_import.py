"""Importing reporting units from CSV (don_vi_cha,don_vi,loai,huyen): every line checked, all or nothing."""
from __future__ import annotations

import csv
import io
import re

from bot.agencies.rules import parse_kind
from bot.campaign.areas import ImportProblem
from bot.storage.agency_store import AgencyStore, ImportRow, Unit
from bot.storage.campaign_store import Area, CampaignStore, name_key

COLUMNS = ("don_vi_cha", "don_vi", "loai", "huyen")
NAME_MAX = 150
_COMMITTEE = re.compile(r"(?i)^\s*(ubnd|uỷ ban nhân dân|ủy ban nhân dân|uy ban nhan dan)\s+")


def find_district(campaign: CampaignStore, text: str) -> Area | None:
    """A district by name, with or without 'Huyện', 'Thị xã', 'Thành phố'; None when unknown or ambiguous."""
    found = campaign.find_areas(text, "district", limit=2) if text.strip() else []
    if found and (len(found) == 1 or name_key(found[0].name) == name_key(text)):
        return found[0]
    return None


def committee_district(campaign: CampaignStore, unit_name: str) -> Area | None:
    """The district a district People's Committee is named after ('UBND huyện Bình Sơn')."""
    rest = _COMMITTEE.sub("", unit_name)
    return find_district(campaign, rest) if rest != unit_name else None


def existing_parent(store: AgencyStore, name: str) -> Unit | None | str:
    """The one unit of that name (a top-level one wins), None when there is none, 'ambiguous' otherwise."""
    found = store.units_named(name)
    if not found:
        return None
    return found[0] if len(found) == 1 or found[0].parent_id is None else "ambiguous"


def read_csv(text: str, store: AgencyStore, campaign: CampaignStore) -> tuple[list[ImportRow], list[ImportProblem]]:
    """Check every line; return the units to import and the problems (nothing is imported if any)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name_key(h or "").replace(" ", "_") for h in (reader.fieldnames or [])]
    if header[:3] != list(COLUMNS[:3]) or header[3:4] not in ([], ["huyen"]):
        return [], [ImportProblem(1, "agency.err.csv_header", {"columns": ",".join(COLUMNS)})]
    reader.fieldnames = header
    rows: list[ImportRow] = []
    lines: dict[tuple[str, str], int] = {}         # (parent key, unit key) -> line, for duplicates
    problems: list[ImportProblem] = []
    for line, raw in enumerate(reader, 2):
        values = {c: (raw.get(c) or "").strip() for c in COLUMNS}
        row = _row(values, rows, lines, store, campaign)
        if isinstance(row, ImportProblem):
            problems.append(ImportProblem(line, row.key, row.values))
            continue
        lines[(name_key(values["don_vi_cha"]), name_key(values["don_vi"]))] = line
        rows.append(row)
    return rows, problems


def _row(values: dict[str, str], rows: list[ImportRow], lines: dict[tuple[str, str], int], store: AgencyStore,
         campaign: CampaignStore) -> ImportRow | ImportProblem:
    parent_name, name, kind_text, district_name = (values[c] for c in COLUMNS)
    if not name:
        return ImportProblem(0, "agency.err.csv_missing", {})
    if len(name) > NAME_MAX or len(parent_name) > NAME_MAX:
        return ImportProblem(0, "agency.err.csv_long", {"max": NAME_MAX})
    if (name_key(parent_name), name_key(name)) in lines:
        return ImportProblem(0, "agency.err.csv_duplicate", {"line": lines[(name_key(parent_name), name_key(name))]})
    parent_row, parent_id, parent_kind, parent_area = None, None, None, None
    if parent_name:
        earlier = [i for i, r in enumerate(rows) if name_key(r.name) == name_key(parent_name)]
        parent = existing_parent(store, parent_name) if not earlier else None
        if len(earlier) > 1 or parent == "ambiguous":
            return ImportProblem(0, "agency.err.csv_parent_ambiguous", {"name": parent_name})
        if earlier:
            parent_row, parent_kind, parent_area = earlier[0], rows[earlier[0]].kind, rows[earlier[0]].area_id
        elif isinstance(parent, Unit):
            parent_id, parent_kind, parent_area = parent.id, parent.kind, parent.area_id
        else:
            return ImportProblem(0, "agency.err.csv_parent", {"name": parent_name})
    kind = parse_kind(kind_text) if kind_text else parent_kind
    if kind is None:
        return ImportProblem(0, "agency.err.csv_kind", {"value": kind_text})
    district = find_district(campaign, district_name) if district_name else None
    if district_name and district is None:
        return ImportProblem(0, "agency.err.csv_district", {"name": district_name})
    if district is None and parent_area is None and kind == "ubnd_huyen":
        district = committee_district(campaign, name)
    return ImportRow(parent_id, parent_row, name, kind, district.id if district else parent_area)


def import_csv(store: AgencyStore, campaign: CampaignStore, text: str) -> tuple[int, list[ImportProblem]]:
    """Import units; all or nothing. Returns (units imported, problems)."""
    rows, problems = read_csv(text, store, campaign)
    if problems:
        return 0, problems
    if not rows:
        return 0, [ImportProblem(2, "agency.err.csv_empty", {})]
    store.import_units(rows)
    return len(rows), []
