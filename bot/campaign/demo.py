"""A realistic synthetic install campaign (areas, teams, households, visits) for demos and benchmarks."""
from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from bot.clock import VIETNAM, Clock, vietnam_now
from bot.config import ROOT
from bot.storage.campaign_store import Area, CampaignStore, name_key

AREAS_YAML = ROOT / "areas" / "quang_ngai.yaml"
AREAS_CSV = ROOT / "areas" / "quang_ngai.csv"
PROVINCE = "Quảng Ngãi"
# Quảng Ngãi's district-level units in 2020, used when no area file can be read.
DISTRICTS = ("Thành phố Quảng Ngãi", "Thị xã Đức Phổ", "Huyện Bình Sơn", "Huyện Sơn Tịnh", "Huyện Tư Nghĩa",
             "Huyện Nghĩa Hành", "Huyện Mộ Đức", "Huyện Ba Tơ", "Huyện Minh Long", "Huyện Sơn Hà",
             "Huyện Sơn Tây", "Huyện Trà Bồng", "Huyện Lý Sơn")
FIRST = ("An", "Bình", "Tịnh", "Nghĩa", "Đức", "Phổ", "Hành", "Sơn", "Trà", "Ba", "Long", "Phú", "Hòa", "Thạnh",
         "Tân", "Hưng", "Phước", "Thuận", "Minh", "Quang", "Hiệp", "Kỳ", "Châu", "Lợi")
SECOND = ("Sơn", "Hải", "Phong", "Thuận", "Hiệp", "Thạnh", "Minh", "Trung", "Đông", "Tây", "Nam", "Bắc", "Hà",
          "Lâm", "Điền", "Châu", "Khánh", "Lộc", "Tân", "Mỹ", "Hòa", "Phú", "Vinh", "Xuân")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ", "Ngô", "Hồ",
          "Dương", "Đinh", "Đoàn")
MIDDLE = ("Văn", "Thị", "Đình", "Minh", "Ngọc", "Quang", "Thanh", "Hữu", "Công", "Xuân")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Liên", "Long", "Mai", "Nam", "Nga",
         "Phúc", "Quý", "Sáu", "Tâm", "Thảo", "Thu", "Tín", "Trí", "Vân", "Xuân", "Yến")
NOTES = ("Vắng chủ nhà, hẹn quay lại", "Máy cũ không có Bluetooth", "Người già, con cháu cài giúp",
         "Đã hướng dẫn bật Bluetooth", "Xin số điện thoại để nhắc sau")
HOUSEHOLDS_PER_VILLAGE = 220
VILLAGES_PER_COMMUNE = 8
WEEKS = 6


@dataclass
class _Village:
    area: Area
    commune_id: int
    district_id: int
    team: list[str]
    start: int                       # the team's first campaign day (index from the campaign's start)
    households: int = 0


def province_names(yaml_path: Path = AREAS_YAML, csv_path: Path = AREAS_CSV) -> tuple[str, list[str]]:
    """The province and its district-level units from the shipped area file, else the built-in list."""
    try:
        data = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
        districts = [str(d).strip() for d in data.get("districts") or [] if str(d).strip()]
        if districts:
            return str(data.get("province") or PROVINCE).strip(), districts
    except (OSError, yaml.YAMLError, AttributeError):
        pass
    return PROVINCE, district_names(csv_path)


def district_names(path: Path = AREAS_CSV) -> list[str]:
    """District names from an area CSV (a `huyen`/`district` column, or `level`+`name` rows), else the built-in."""
    if not path.exists():
        return list(DISTRICTS)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = [{name_key(k or ""): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]
    except (OSError, csv.Error, UnicodeDecodeError):
        return list(DISTRICTS)
    names: list[str] = []
    for row in rows:
        level = name_key(row.get("level") or row.get("cap") or "")
        name = row.get("district") or row.get("huyen") or (
            row.get("name") or row.get("ten") if level in ("district", "huyen") else "")
        if name and name not in names:
            names.append(name)
    return names or list(DISTRICTS)


def _place_name(rng: random.Random, taken: set[str]) -> str:
    for _ in range(50):
        name = f"{rng.choice(FIRST)} {rng.choice(SECOND)}"
        if name not in taken and name.split()[0] != name.split()[1]:
            taken.add(name)
            return name
    name = f"{rng.choice(FIRST)} {len(taken) + 1}"
    taken.add(name)
    return name


def _build_tree(store: CampaignStore, households: int, rng: random.Random) -> list[_Village]:
    province_name, district_list = province_names()
    province = store.province() or store.add_area(None, "province", province_name)
    districts = [a for a in store.children(province.id) if a.level == "district"]
    if not districts:
        districts = [store.add_area(province.id, "district", n) for n in district_list]
    villages_wanted = max(4, round(households / HOUSEHOLDS_PER_VILLAGE))
    communes_wanted = max(1, round(villages_wanted / VILLAGES_PER_COMMUNE))
    villages: list[_Village] = []
    user = 0
    for c in range(communes_wanted):
        district = districts[c % len(districts)]
        taken = {a.name.split(" ", 1)[-1] for a in store.children(district.id)}
        kind = "Phường" if district.name.startswith("Thành phố") and rng.random() < 0.6 else "Xã"
        commune = store.add_area(district.id, "commune", f"{kind} {_place_name(rng, taken)}")
        count = villages_wanted // communes_wanted + (1 if c < villages_wanted % communes_wanted else 0)
        names: set[str] = set()
        for v in range(count):
            name = f"Tổ dân phố {v + 1}" if kind == "Phường" else f"Thôn {_place_name(rng, names)}"
            known = None if rng.random() < 0.1 else 0      # filled in once the village's size is known
            area = store.add_area(commune.id, "village", name, known)
            team = []
            for r in range(rng.randint(2, 4)):
                user += 1
                team.append(f"demo:{user}")
                store.set_member(team[-1], area.id, "leader" if r == 0 else "member")
            villages.append(_Village(area, commune.id, district.id, team, rng.randint(0, 10)))
    return villages


def _person(rng: random.Random) -> str:
    family = rng.choice(FAMILY)
    middle = rng.choice(MIDDLE)
    return f"{family} {middle} {rng.choice(GIVEN)}"


def _split(total: int, villages: list[_Village], rng: random.Random) -> None:
    weights = [rng.uniform(0.5, 1.5) for _ in villages]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % len(counts)] += 1
    for village, count in zip(villages, counts):
        village.households = count


def _figures(rng: random.Random, progress: float) -> tuple[int, int, int, int]:
    """One household's (residents, smartphones, had the app, installed during the visit)."""
    residents = min(8, max(1, round(rng.gauss(3.8, 1.6))))
    phones = sum(rng.random() < 0.62 for _ in range(residents))
    had = sum(rng.random() < 0.06 + 0.3 * progress for _ in range(phones))
    installed = sum(rng.random() < 0.55 for _ in range(phones - had))
    return residents, phones, had, installed


def fill_demo(store: CampaignStore, households: int, seed: int = 1, clock: Clock = vietnam_now) -> dict:
    """Fill the store with a synthetic campaign of about `households` households; returns what was made."""
    rng = random.Random(seed)
    villages = _build_tree(store, households, rng)
    _split(households, villages, rng)
    days = WEEKS * 7
    first_day = clock().date() - timedelta(days=days - 1)
    rows: list[tuple] = []
    events: list[tuple] = []
    for village in villages:
        _village_households(village, rng, first_day, days, rows, events)
        if village.area.households == 0:   # a known count near what the team found
            store.add_area(village.commune_id, "village", village.area.name,
                           max(village.households, round(village.households / rng.uniform(0.7, 1.0))))
    events.sort(key=lambda e: e[2])
    store.bulk_insert(rows, events)
    return {"villages": len(villages), "households": len(rows), "visits": len(events),
            "members": sum(len(v.team) for v in villages)}


def _village_households(village: _Village, rng: random.Random, first_day: date, days: int, rows: list[tuple],
                        events: list[tuple]) -> None:
    span = max(1, days - village.start - rng.randint(0, 8))
    for number in range(1, village.households + 1):
        index = len(rows)
        label = f"Số {number}, {_person(rng)}"
        day = village.start + min(span - 1, int(rng.triangular(0, span, span * 0.3)))
        residents, phones, had, installed = _figures(rng, day / days)
        note = rng.choice(NOTES) if rng.random() < 0.04 else None
        visits = [(day, residents, phones, had, installed, note)]
        if rng.random() < 0.1 and day < days - 1:   # the team came back: someone was not at home the first time
            again = min(days - 1, day + rng.randint(1, 7))
            more = sum(rng.random() < 0.6 for _ in range(phones - had - installed))
            visits.append((again, residents, phones, had + installed, more, None))
        stamps = []
        for n, (d, r, p, h, i, note_) in enumerate(visits):
            at = datetime.combine(first_day + timedelta(days=d), datetime.min.time(), VIETNAM) + timedelta(
                seconds=rng.randint(7 * 3600, 19 * 3600))
            stamp, who = at.isoformat(timespec="seconds"), rng.choice(village.team)
            stamps.append((stamp, who))
            events.append((index, who, stamp, stamp[:10], "new" if n == 0 else "update", r, p, h, i, note_,
                           None, None))
        last = visits[-1]
        rows.append((village.area.id, village.commune_id, village.district_id, label, *last[1:5], last[5], None,
                     None, stamps[0][0][:10], stamps[-1][0][:10], stamps[-1][0], len(visits), stamps[-1][1]))
