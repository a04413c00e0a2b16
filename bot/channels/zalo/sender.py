"""Zalo delivery for broadcasts: the text goes into the persistent outbox, which retries until it is sent."""
from __future__ import annotations

from bot.broadcasts.broadcast import Sender
from bot.channels.zalo.api import ZaloApi
from bot.core.chunks import split_text

LIMIT = 2000


def zalo_sender(api: ZaloApi) -> Sender:
    """A Sender over the outbox: 'sent' means handed over for delivery (retried across restarts)."""

    async def send(user_id: str, text: str) -> str:
        await api.enqueue(user_id, [{"text": chunk} for chunk in split_text(text, LIMIT)])
        return "sent"

    return send
