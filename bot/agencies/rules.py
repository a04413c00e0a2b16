"""Reading and checking what a unit's focal person types: the date, the numbers, the quick form, the rules;
and the short Vietnamese words admins use for a unit's kind."""
from __future__ import annotations

import re
from datetime import date, timedelta

from bot.campaign.visit_rules import Problem, parse_count
from bot.matching.normaliser import clean
from bot.storage.agency_store import KINDS, ReportInput
from bot.storage.campaign_store import name_key

STAFF_MAX = 100_000
FAMILY_MAX = 5 * STAFF_MAX          # a sanity bound: a few family members per staff member at most
FIRST_DAY = date(2020, 4, 1)        # the app was launched in April 2020: no report can be older
NUMBER_FIELDS = ("staff", "staff_smartphones", "staff_installed", "family_installed")

# Folded words -> kind. The kind's own code (so_ban_nganh…) works too.
KIND_WORDS = {
    "so": "so_ban_nganh", "ban": "so_ban_nganh", "nganh": "so_ban_nganh", "so ban nganh": "so_ban_nganh",
    "co quan": "so_ban_nganh",
    "ubnd": "ubnd_huyen", "huyen": "ubnd_huyen", "ubnd huyen": "ubnd_huyen", "uy ban": "ubnd_huyen",
    "truong": "truong_hoc", "truong hoc": "truong_hoc",
    "benh vien": "benh_vien", "bv": "benh_vien",
    "doanh nghiep": "doanh_nghiep", "dn": "doanh_nghiep", "cong ty": "doanh_nghiep",
    "khac": "khac",
    **{name_key(kind): kind for kind in KINDS},
}

_DATE = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})(?:\2(\d{2}|\d{4}))?$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$")
_TODAY = {"hom nay", "today", "nay"}
_YESTERDAY = {"hom qua", "yesterday", "qua"}


def _date(token: str) -> re.Match | None:
    """A date-looking token; "12.5" alone is a decimal number, not the 12th of May."""
    match = _DATE.match(token)
    return match if match and (match.group(2) != "." or match.group(4)) else None


def parse_kind(text: str) -> str | None:
    """A unit's kind from a short word ("sở", "trường", "bệnh viện"…); None when unknown."""
    return KIND_WORDS.get(name_key(text))


def parse_date(text: str, today: date) -> date | Problem:
    """'hôm nay', 'hôm qua', dd/mm or dd/mm/yyyy; dd/mm far ahead in this year means last year."""
    key = name_key(text)
    if key in _TODAY:
        return today
    if key in _YESTERDAY:
        return today - timedelta(days=1)
    match = _date(clean(text).strip())
    if not match:
        return Problem("agency.err.date_format", {})
    day, month, year = int(match.group(1)), int(match.group(3)), match.group(4)
    try:
        if year is None:
            value = date(today.year, month, day)
            if value - today > timedelta(days=31):   # 28/12 typed on 2 January: last December
                value = date(today.year - 1, month, day)
        else:
            value = date(int(year) + (2000 if len(year) == 2 else 0), month, day)
    except ValueError:
        return Problem("agency.err.no_such_date", {"text": clean(text).strip()})
    return check_date(value, today) or value


def check_date(value: date, today: date) -> Problem | None:
    """Not in the future, not before the app existed."""
    if value > today:
        return Problem("agency.err.future", {"today": today.strftime("%d/%m/%Y")})
    if value < FIRST_DAY:
        return Problem("agency.err.too_old", {"first": FIRST_DAY.strftime("%d/%m/%Y")})
    return None


def parse_number(text: str) -> int | Problem:
    """A whole, non-negative count; "1.200" or "1,200" is one thousand two hundred, as Vietnamese write it."""
    cleaned = clean(text).strip()
    if _THOUSANDS.match(cleaned):
        return int(re.sub(r"\D", "", cleaned))
    return parse_count(cleaned)


def upper_bound(field: str, values: dict) -> int:
    """The largest number allowed for a field, given the fields already answered."""
    if field == "staff":
        return STAFF_MAX
    if field == "staff_smartphones":
        return values.get("staff", STAFF_MAX)
    if field == "staff_installed":
        return values.get("staff_smartphones", values.get("staff", STAFF_MAX))
    return FAMILY_MAX


def check_field(field: str, value: int, values: dict) -> Problem | None:
    """A number for one field, against the fields answered before it."""
    if field == "staff" and value < 1:
        return Problem("agency.err.no_staff", {})
    limit = upper_bound(field, values)
    if value > limit:
        return Problem(f"agency.err.max_{field}", {"max": limit, "value": value})
    return None


def check(data: ReportInput, today: date) -> Problem | None:
    """Every rule: installed <= smartphones <= staff <= 100,000; the date in range."""
    values: dict = {}
    for field in NUMBER_FIELDS:
        value = getattr(data, field)
        if value is None:
            continue
        problem = check_field(field, value, values)
        if problem is not None:
            return problem
        values[field] = value
    return check_date(date.fromisoformat(data.as_of), today)


def parse_quick(text: str, today: date) -> ReportInput | Problem:
    """The one-line form: staff, with a smartphone, installed, [family members installed], [dd/mm[/yyyy]]."""
    tokens = [t for t in re.split(r"[\s,;]+", clean(text)) if t]
    dates = [t for t in tokens if _date(t)]
    numbers = [t for t in tokens if t not in dates]
    if len(dates) > 1 or len(numbers) not in (3, 4):
        return Problem("agency.err.quick_format", {})
    counts = []
    for token in numbers:
        count = parse_number(token)
        if isinstance(count, Problem):
            return count
        counts.append(count)
    as_of = parse_date(dates[0], today) if dates else today
    if isinstance(as_of, Problem):
        return as_of
    data = ReportInput(as_of.isoformat(), counts[0], counts[1], counts[2], counts[3] if len(counts) == 4 else None)
    return check(data, today) or data
