"""What the engine needs from storage, as a protocol: the engine never imports the storage package, and a test
or another store can stand in for SQLite."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.core.state import UserState


@dataclass(frozen=True)
class Turn:
    """What one message did, for the log: question, answer id, confidence, outcome, time taken."""

    user_key: str
    channel: str
    text: str
    normalised: str
    lang: str
    matched_id: str | None
    kind: str
    confidence: float
    outcome: str          # answered | suggested | unanswered | intent | button | command | guide | empty
    ms: float


class ConversationStore(Protocol):
    """Users' state, the message log and the once-only check for re-delivered events."""

    def load_user(self, key: str, channel: str) -> UserState:
        """The stored state of a user, or a fresh one."""

    def save_turn(self, user: UserState, chat_id: str, turn: Turn | None) -> None:
        """Store the user's state and the message log line in one transaction."""

    def first_delivery(self, key: str) -> bool:
        """True the first time an event key is seen, False for a re-delivery."""
