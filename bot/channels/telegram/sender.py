"""Telegram delivery for broadcasts: one text to one chat, the outcome as 'sent', 'blocked' or 'failed'."""
from __future__ import annotations

import html
import logging

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.broadcasts.broadcast import Sender
from bot.core.chunks import split_text

log = logging.getLogger(__name__)

LIMIT = 4000


def telegram_sender(bot: Bot) -> Sender:
    """A Sender over python-telegram-bot (its AIORateLimiter paces and retries flood errors)."""

    async def send(user_id: str, text: str) -> str:
        try:
            for chunk in split_text(text, LIMIT):
                await bot.send_message(chat_id=int(user_id), text=html.escape(chunk))
        except Forbidden:           # blocked by the user, or the account is gone
            return "blocked"
        except BadRequest as error:
            return "blocked" if "chat not found" in error.message.lower() else "failed"
        except (TelegramError, ValueError) as error:
            log.warning("telegram broadcast delivery failed: %s", type(error).__name__)
            return "failed"
        return "sent"

    return send
