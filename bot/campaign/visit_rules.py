"""Reading and checking what a task team types about a household: numbers, the quick form, the rules."""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.matching.normaliser import clean
from bot.storage.campaign_store import VisitInput

LABEL_MAX = 100
NOTE_MAX = 500
RESIDENTS_MAX = 50
NUMBER_FIELDS = ("residents", "smartphones", "had_app", "installed")

_INT = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:người|nguoi|ng|máy|may|cái|cai)?\s*$", re.IGNORECASE)
_QUICK = re.compile(r"^(?P<label>.*?)[\s,;:]+(?P<a>\d+)[\s,/\-]+(?P<b>\d+)[\s,/\-]+(?P<c>\d+)[\s,/\-]+(?P<d>\d+)\s*$")


@dataclass(frozen=True)
class Problem:
    """Something to fix, as a catalog key and the values its text needs."""

    key: str
    values: dict


def parse_count(text: str) -> int | Problem:
    """A whole, non-negative number typed by a person ("3", " 3 người")."""
    match = _INT.match(clean(text))
    if not match:
        return Problem("visit.err.not_number", {})
    raw = match.group(1)
    if "." in raw or "," in raw:
        return Problem("visit.err.not_whole", {})
    value = int(raw)
    if value < 0:
        return Problem("visit.err.negative", {})
    return value


def parse_label(text: str) -> str | Problem:
    """A household label: the house number or the head of household's name, 1–100 characters."""
    label = clean(text).strip(" ,;:-")
    if not label:
        return Problem("visit.err.label_empty", {})
    if len(label) > LABEL_MAX:
        return Problem("visit.err.label_long", {"max": LABEL_MAX})
    return label


def parse_quick(text: str) -> VisitInput | Problem:
    """The one-line form: a label, then residents, smartphones, had the app, installed now; '; note' optional."""
    body, _, note = clean(text).partition(";")
    match = _QUICK.match(body.strip())
    if not match:
        return Problem("visit.err.quick_format", {})
    label = parse_label(match.group("label"))
    if isinstance(label, Problem):
        return label
    data = VisitInput(label, int(match.group("a")), int(match.group("b")), int(match.group("c")),
                      int(match.group("d")), note.strip()[:NOTE_MAX])
    problem = check(data)
    return problem or data


def check(data: VisitInput) -> Problem | None:
    """The rules: already + installed now <= smartphones <= residents <= 50."""
    if data.residents > RESIDENTS_MAX:
        return Problem("visit.err.too_many", {"max": RESIDENTS_MAX})
    if data.residents < 1:
        return Problem("visit.err.no_residents", {})
    if data.smartphones > data.residents:
        return Problem("visit.err.phones_over_residents", {"phones": data.smartphones, "residents": data.residents})
    if data.had_app + data.installed > data.smartphones:
        return Problem("visit.err.apps_over_phones", {"apps": data.had_app + data.installed,
                                                      "phones": data.smartphones})
    return None


def upper_bound(field: str, values: dict) -> int:
    """The largest number allowed for a field, given the fields already answered."""
    if field == "residents":
        return RESIDENTS_MAX
    if field == "smartphones":
        return values.get("residents", RESIDENTS_MAX)
    if field == "had_app":
        return values.get("smartphones", RESIDENTS_MAX)
    return values.get("smartphones", RESIDENTS_MAX) - values.get("had_app", 0)


def check_field(field: str, value: int, values: dict) -> Problem | None:
    """A number for one field, against the fields answered before it."""
    if field == "residents" and value < 1:
        return Problem("visit.err.no_residents", {})
    limit = upper_bound(field, values)
    if value > limit:
        return Problem(f"visit.err.max_{field}", {"max": limit})
    return None
