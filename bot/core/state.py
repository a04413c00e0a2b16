"""Per-user conversation state: named states shared by every channel, stored as text."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class State(StrEnum):
    """Where a user is in the conversation."""

    IDLE = "idle"
    GUIDE = "guide"
    VISIT_FORM = "visit_form"       # a task-team member is filling in a household visit
    ADMIN_INPUT = "admin_input"     # an admin is typing a new answer or paraphrase
    BROADCAST_INPUT = "broadcast"   # an admin is writing a broadcast
    AGENCY_FORM = "agency_form"     # a unit's focal person is filling in an agency report


@dataclass
class UserState:
    """What the bot remembers about one user between messages."""

    key: str
    channel: str
    lang: str = ""            # "" until known: then the language hint or the default is used
    os: str = ""              # android | ios, once the user told us
    state: State = State.IDLE
    data: dict = field(default_factory=dict)   # state details, e.g. {"guide": id, "step": n}
    is_new: bool = True

    def reset(self) -> None:
        """Leave any open guide or form."""
        self.state = State.IDLE
        self.data = {}
