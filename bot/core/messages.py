"""Channel-neutral message types passed between adapters and the engine."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    """A shared position, in decimal degrees."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class Incoming:
    """One message from a user, as any channel delivers it."""

    channel: str
    user_id: str
    chat_id: str = ""
    text: str = ""
    payload: str = ""          # set when the user pressed a button
    location: Location | None = None
    language_hint: str = ""    # e.g. Telegram's language_code
    event_id: str = ""         # the platform's id, for de-duplication
    display_name: str = ""     # never logged; used only to greet

    @property
    def user_key(self) -> str:
        """The user's id, unique across channels."""
        return f"{self.channel}:{self.user_id}"


@dataclass(frozen=True)
class Button:
    """A button: a short label and the payload it sends back (<= 64 bytes for Telegram)."""

    label: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One message to send: text, optional buttons (rows), optional image path."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    image: str | None = None
    document: str | None = None  # a file to send (an Excel report), by path
    edit: bool = False          # a guide step: the channel may edit the previous message in place
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def flat_buttons(self) -> list[Button]:
        """All buttons, row after row."""
        return [b for row in self.buttons for b in row]
