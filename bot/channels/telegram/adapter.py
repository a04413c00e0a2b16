"""The Telegram channel: updates to Incoming, Replies to Bot API calls (python-telegram-bot 22). Translation only."""
from __future__ import annotations

import html
import logging
from pathlib import Path

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes, ExtBot

from bot.core.chunks import split_text
from bot.core.messages import Incoming, Location, Reply
from bot.i18n import I18n
from bot.runtime.worker import EngineWorker

log = logging.getLogger(__name__)

CHANNEL = "telegram"
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH        # 4,096
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH      # 1,024
COMMANDS = ("start", "help", "huongdan", "android", "iphone", "english", "tiengviet")
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard (payload as callback data)."""
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.payload) for b in row]
                                 for row in reply.buttons])


def incoming(update: Update, text: str = "", payload: str = "") -> Incoming:
    """The channel-neutral form of a message or button press."""
    user, chat, message = update.effective_user, update.effective_chat, update.message
    where = message.location if message else None
    return Incoming(CHANNEL, str(user.id), str(chat.id), text=text, payload=payload,
                    location=Location(where.latitude, where.longitude) if where else None,
                    language_hint=user.language_code or "", event_id=str(update.update_id),
                    display_name=user.first_name or "")


def addressed_text(message: Message, bot: ExtBot) -> str | None:
    """The text meant for the bot, mention removed; None for a group message that is not for it."""
    text = message.text or message.caption or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    entities = message.entities if message.text else message.caption_entities
    if entities and entities[0].type == MessageEntity.BOT_COMMAND and entities[0].offset == 0:
        _, at, name = text.split(maxsplit=1)[0].partition("@")   # "/help@OtherBot" is for another bot
        return text if not at or name.lower() == bot.username.lower() else None
    found = message.parse_entities() if message.text else message.parse_caption_entities()
    mentions = [said for entity, said in found.items()
                if (entity.type == MessageEntity.MENTION and said[1:].lower() == bot.username.lower())
                or (entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id)]
    replied = message.reply_to_message
    if not mentions and not (replied and replied.from_user and replied.from_user.id == bot.id):
        return None
    for said in mentions:
        text = text.replace(said, "", 1)
    return text.strip()


class TelegramAdapter:
    """PTB handlers: hand updates to the engine worker and send what it answers."""

    def __init__(self, worker: EngineWorker, i18n: I18n) -> None:
        self.worker = worker
        self.i18n = i18n
        self.photo_ids: dict[str, str] = {}   # image path -> Telegram file_id: upload each image once

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A message: to the engine when it is addressed to the bot."""
        text = addressed_text(update.message, context.bot)
        if text is not None and update.effective_user:
            replies = await self.worker.handle(incoming(update, text=text))
            await self.send(context.bot, update.message.chat_id, replies)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press: answer it at once (the client shows a spinner until then), then the engine."""
        query = update.callback_query
        try:
            await query.answer()
        except TelegramError as error:   # too old or answered already: the press still counts
            log.info("update %s: callback not answered: %s", update.update_id, error.message)
        if update.effective_chat is None:
            return
        replies = await self.worker.handle(incoming(update, payload=query.data or ""))
        edit_id = query.message.message_id if query.message else None
        await self.send(context.bot, update.effective_chat.id, replies, edit_id)

    async def send(self, bot: ExtBot, chat_id: int, replies: list[Reply], edit_id: int | None = None) -> None:
        """Send replies in order: edited in place, as a photo, or as text split under the limit."""
        for reply in replies:
            markup = keyboard(reply)
            if reply.edit and edit_id and not reply.image and len(reply.text) <= TEXT_LIMIT:
                try:
                    await bot.edit_message_text(html.escape(reply.text, quote=False), chat_id=chat_id,
                                                message_id=edit_id, reply_markup=markup)
                    continue
                except BadRequest as error:   # "not modified", too old, or a photo: send a new message
                    log.info("edit failed, sending instead: %s", error.message)
            if reply.document:   # a report file: the text goes with it as its caption when it fits
                fits = len(reply.text) <= CAPTION_LIMIT
                await bot.send_document(chat_id, Path(reply.document),
                                        caption=html.escape(reply.text, quote=False) if fits else None,
                                        reply_markup=markup if fits else None)
                if fits:
                    continue
            if reply.image:
                fits = len(reply.text) <= CAPTION_LIMIT
                await self.send_photo(bot, chat_id, reply.image, reply.text if fits else None, markup if fits else None)
                if fits:
                    continue
            chunks = split_text(reply.text, TEXT_LIMIT)
            for number, chunk in enumerate(chunks, 1):
                await bot.send_message(chat_id, html.escape(chunk, quote=False),
                                       reply_markup=markup if number == len(chunks) else None)

    async def send_photo(self, bot: ExtBot, chat_id: int, path: str, caption: str | None,
                         markup: InlineKeyboardMarkup | None) -> None:
        """Send an image, uploading it only the first time."""
        photo = self.photo_ids.get(path) or Path(path)
        sent = await bot.send_photo(chat_id, photo, caption=html.escape(caption, quote=False) if caption else None,
                                    reply_markup=markup)
        if sent.photo:
            self.photo_ids[path] = sent.photo[-1].file_id

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log a failure by update id only, and apologise where a reply is still possible."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(error, Forbidden):   # blocked by the user, or removed from the group
            log.info("update %s: cannot reach the chat: %s", update_id, error.message)
            return
        if isinstance(error, TelegramError):   # API and network errors (BadRequest, TimedOut, NetworkError)
            log.warning("update %s: Telegram error %s: %s", update_id, type(error).__name__, error.message)
        else:
            log.error("update %s: handler failed", update_id, exc_info=error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        lang = update.effective_user.language_code if update.effective_user else ""
        try:
            await context.bot.send_message(update.effective_chat.id,
                                           html.escape(self.i18n.t(lang or "", "error.generic"), quote=False))
        except TelegramError as failure:
            log.info("update %s: apology not sent: %s", update_id, type(failure).__name__)


async def register_commands(bot: ExtBot, i18n: I18n) -> None:
    """The command menu in Vietnamese (also the default) and English."""
    for lang, code in (("vi", None), ("vi", "vi"), ("en", "en")):
        commands = [BotCommand(name, i18n.t(lang, f"tg.cmd.{name}")) for name in COMMANDS]
        try:
            await bot.set_my_commands(commands, language_code=code)
        except TelegramError as error:   # the menu is a convenience: the bot works without it
            log.warning("could not set the command menu (%s): %s", code or "default", error.message)
