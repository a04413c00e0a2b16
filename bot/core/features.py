"""The plug for capabilities beside the FAQ (visits, admin…): their commands, buttons and conversation states."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from bot.core.messages import Incoming, Reply
from bot.core.state import State, UserState


@dataclass
class Ctx:
    """One message as a feature sees it: who sent what, their state, and the language to answer in."""

    msg: Incoming
    user: UserState
    lang: str


Handler = Callable[[Ctx, str], list[Reply]]


class Feature:
    """A capability plugged into the engine; every hook may return None to say 'not mine'."""

    prefix: str = ""                          # button payloads that start with this belong to the feature
    states: frozenset[State] = frozenset()    # conversation states the feature owns

    def commands(self) -> dict[str, Handler]:
        """Command name (without '/') -> handler(ctx, argument)."""
        return {}

    def on_payload(self, ctx: Ctx, payload: str) -> list[Reply] | None:
        """A button of this feature was pressed; None when the payload is stale or forged."""
        return None

    def on_message(self, ctx: Ctx) -> list[Reply] | None:
        """A text or location while the user is in one of this feature's states."""
        return None

    def on_text(self, ctx: Ctx) -> list[Reply] | None:
        """Any plain text before the FAQ sees it (keep it cheap); None to let the FAQ answer."""
        return None

    def on_start(self, ctx: Ctx, argument: str) -> list[Reply] | None:
        """A `/start ARGUMENT` deep link; None when it is not this feature's."""
        return None
