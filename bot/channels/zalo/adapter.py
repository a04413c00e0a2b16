"""The Zalo OA channel: webhook events to Incoming, Replies to Zalo messages (sent through the outbox)."""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from pathlib import Path
from typing import Any, AsyncIterator, Callable
from urllib.parse import quote

from bot.channels.zalo.api import ZaloApi
from bot.core.chunks import split_text
from bot.core.messages import Button, Incoming, Location, Reply
from bot.runtime.worker import EngineWorker
from bot.storage.zalo_store import ZaloStore

log = logging.getLogger(__name__)

CHANNEL = "zalo"
TEXT_LIMIT = 2000          # Zalo's limit for one text message
BUTTONS_MAX = 5            # buttons in one template message
PAYLOAD_PREFIX = "#p:"     # an oa.query.hide button sends its payload back as the user's (hidden) text
WELCOME_EVENTS = ("follow", "user_click_chatnow")   # the same /start as every other channel
QUIET_EVENTS = frozenset({"unfollow", "user_received_message", "user_seen_message", "user_reacted_message",
                          "add_user_to_tag", "user_submit_info"})
NUMBER = re.compile(r"\s*(\d{1,2})\s*[.)]?\s*")


def user_of(event: dict) -> str:
    """The Zalo user an event is about, as a string (ids can exceed 2^53)."""
    name = event.get("event_name")
    if name == "follow":
        return str((event.get("follower") or {}).get("id") or "")
    if name == "user_click_chatnow" and event.get("user_id"):
        return str(event["user_id"])
    return str((event.get("sender") or {}).get("id") or "")


def location_of(event: dict) -> Location | None:
    """A shared position; Zalo sends the coordinates as strings."""
    try:
        coordinates = event["message"]["attachments"][0]["payload"]["coordinates"]
        return Location(float(coordinates["latitude"]), float(coordinates["longitude"]))
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def buttons_message(text: str, buttons: list[Button]) -> dict:
    """A text with up to five buttons whose payload comes back as a user_send_text."""
    message: dict[str, Any] = {"text": text}
    if buttons:
        message["attachment"] = {"type": "template", "payload": {"buttons": [
            {"title": b.label, "type": "oa.query.hide", "payload": PAYLOAD_PREFIX + b.payload} for b in buttons]}}
    return message


def image_message(url: str) -> dict:
    """A media template showing one image from a public URL."""
    return {"attachment": {"type": "template", "payload": {
        "template_type": "media", "elements": [{"media_type": "image", "url": url}]}}}


class ZaloChannel:
    """Hands verified webhook events to the engine worker and queues what it answers."""

    def __init__(self, worker: EngineWorker, api: ZaloApi, store: ZaloStore, image_base_url: str = "",
                 content_dir: Path | None = None) -> None:
        self.worker, self.api, self.store = worker, api, store
        self.image_base_url, self.content_dir = image_base_url, content_dir
        self.turns: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    async def handle(self, event: dict) -> None:
        """One verified event: a message, a welcome, a short notice, or nothing."""
        name, user_id = str(event.get("event_name", "")), user_of(event)
        if name in QUIET_EVENTS:
            return
        if not user_id or not (name.startswith("user_send_") or name in WELCOME_EVENTS):
            log.info("zalo: event %r acknowledged and ignored", name[:50])
            return
        async with self._turn(user_id):   # one user's events are handled in arrival order
            msg = await self.incoming(event, name, user_id)
            if msg.text or msg.payload or msg.location:
                replies = await self.worker.handle(msg)
            else:   # images, stickers, files, voice…: ask for words
                replies = await self._run(self._notice_once, msg)
            if replies:
                await self.send(msg, replies)

    async def incoming(self, event: dict, name: str, user_id: str) -> Incoming:
        """The channel-neutral message; our buttons' payloads and typed choice numbers become payloads."""
        message = event.get("message") or {}
        event_id = str(message.get("msg_id") or "")
        if name in WELCOME_EVENTS:
            return Incoming(CHANNEL, user_id, user_id, text="/start",
                            event_id=f"{name}:{user_id}:{event.get('timestamp', '')}")
        if name == "user_send_location":
            return Incoming(CHANNEL, user_id, user_id, location=location_of(event), event_id=event_id)
        text = str(message.get("text") or "") if name == "user_send_text" else ""
        payload = text[len(PAYLOAD_PREFIX):] if text.startswith(PAYLOAD_PREFIX) else ""
        number = NUMBER.fullmatch(text)
        if number and not payload:
            payload = await self._run(self.store.choice, user_id, int(number.group(1))) or ""
        return Incoming(CHANNEL, user_id, user_id, text="" if payload else text, payload=payload, event_id=event_id)

    async def send(self, msg: Incoming, replies: list[Reply]) -> None:
        """Queue the replies as Zalo messages; remember the numbers shown, if any."""
        messages: list[dict] = []
        choices: list[str] = []
        for reply in replies:
            messages += await self.render(msg, reply, choices)
        await self._run(self.store.set_choices, msg.user_id, choices)
        await self.api.enqueue(msg.user_id, messages)

    async def render(self, msg: Incoming, reply: Reply, choices: list[str]) -> list[dict]:
        """One reply as messages: an image where it has a public URL, the text in pieces, buttons on the last."""
        text, buttons = reply.text, reply.flat_buttons()
        if len(buttons) > BUTTONS_MAX:
            typed = [b for b in buttons if b.label.strip().isdigit()]
            if typed:   # a form's number buttons: the number is simply typed
                text += "\n\n" + " · ".join(b.label for b in typed)
                buttons = [b for b in buttons if b not in typed][:BUTTONS_MAX]
            else:   # the first five as numbered buttons, the rest as a numbered list; typed numbers work for all
                first = len(choices) + 1
                choices += [b.payload for b in buttons]
                more = [f"{n}. {b.label}" for n, b in enumerate(buttons[BUTTONS_MAX:], first + BUTTONS_MAX)]
                text += "\n\n" + await self._text(msg, "zalo.more_choices") + "\n" + "\n".join(more)
                buttons = [Button(f"{n}. {b.label}", b.payload) for n, b in enumerate(buttons[:BUTTONS_MAX], first)]
        if reply.document:   # Zalo's file upload is not wired: say where the file can be had
            text += "\n\n" + await self._text(msg, "zalo.document_note")
        url = self.image_url(reply.image)
        out = [image_message(url)] if url else []
        chunks = split_text(text, TEXT_LIMIT) or ([" "] if buttons else [])
        out += [{"text": chunk} for chunk in chunks[:-1]]
        if chunks:
            out.append(buttons_message(chunks[-1], buttons))
        return out

    def image_url(self, image: str | None) -> str | None:
        """The public URL of a content image, or None when there is none (the text goes alone)."""
        if not image:
            return None
        if image.startswith(("https://", "http://")):
            return image
        if not self.image_base_url or self.content_dir is None:
            return None
        try:
            relative = Path(image).resolve().relative_to(self.content_dir.resolve())
        except ValueError:
            return None
        return f"{self.image_base_url}/{quote(relative.as_posix())}"

    def _notice_once(self, msg: Incoming) -> list[Reply]:
        return self.worker.notice_sync(msg, "zalo.type_question")

    async def _text(self, msg: Incoming, key: str) -> str:
        return (await self._run(self.worker.engine.notice, msg, key)).text

    async def _run(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run storage work on the engine's thread: off the event loop, one writer."""
        call = functools.partial(function, *args)
        return await asyncio.get_running_loop().run_in_executor(self.worker.executor, call)

    @contextlib.asynccontextmanager
    async def _turn(self, user_id: str) -> AsyncIterator[None]:
        lock, waiting = self.turns.setdefault(user_id, (asyncio.Lock(), [0]))
        waiting[0] += 1
        try:
            async with lock:
                yield
        finally:
            waiting[0] -= 1
            if not waiting[0]:   # forget idle users so memory stays flat
                del self.turns[user_id]
