"""The campaign's records: areas, team members, invites, visits; and the look-up form of names."""
from __future__ import annotations

from dataclasses import dataclass

from bot.matching.normaliser import clean, fold, words

AREA_COLUMNS = "id, parent_id, level, name, households"    # the columns that make an Area, in order
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


def invite_usable(revoked_at: str | None, expires_at: str, uses: int, max_uses: int, at: str) -> bool:
    """The rule for every invite code (teams and agencies): not revoked, not expired, not used up."""
    return revoked_at is None and at < expires_at and uses < max_uses


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
        return invite_usable(self.revoked_at, self.expires_at, self.uses, self.max_uses, at)


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
