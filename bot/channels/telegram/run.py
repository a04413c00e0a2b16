"""Building and running the Telegram Application: long polling, or a webhook served by bot.runtime.web."""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any, Awaitable, Callable, Coroutine

from aiohttp import web
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.channels.telegram.adapter import (
    ALLOWED_UPDATES,
    TelegramAdapter,
    register_commands,
)
from bot.config import Settings
from bot.i18n import I18n
from bot.runtime.lifecycle import stop_on_signals
from bot.runtime.web import make_web_app
from bot.runtime.worker import EngineWorker

log = logging.getLogger(__name__)

POLL_TIMEOUT = timedelta(seconds=30)   # long polling: one request per half minute when nobody writes
CONCURRENT_UPDATES = 64


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Chats are served concurrently; one chat's updates run in arrival order, so guide steps never cross."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self.chats: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handlers once earlier updates of the same chat are done."""
        chat = update.effective_chat if isinstance(update, Update) else None
        key = chat.id if chat else 0
        lock, waiting = self.chats.setdefault(key, (asyncio.Lock(), [0]))
        waiting[0] += 1
        try:
            async with lock:
                await coroutine
        finally:
            waiting[0] -= 1
            if not waiting[0]:   # forget idle chats so memory stays flat
                del self.chats[key]

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def build_application(settings: Settings, worker: EngineWorker, i18n: I18n, webhook: bool = False) -> Application:
    """The PTB Application: rate-limited, HTML by default, handlers wired; no Updater in webhook mode."""
    for name in ("httpx", "telegram"):   # their debug lines carry the token in request URLs
        logging.getLogger(name).setLevel(logging.WARNING)
    builder = (Application.builder().token(settings.telegram_token).base_url(settings.telegram_base_url)
               .rate_limiter(AIORateLimiter(max_retries=2)).defaults(Defaults(parse_mode=ParseMode.HTML))
               .concurrent_updates(ChatOrderedProcessor(CONCURRENT_UPDATES)))
    if webhook:
        builder = builder.updater(None)
    app = builder.build()
    adapter = TelegramAdapter(worker, i18n)
    app.add_handler(CallbackQueryHandler(adapter.on_callback))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, adapter.on_message))
    app.add_error_handler(adapter.on_error)
    return app


async def start_telegram(app: Application, i18n: I18n) -> None:
    """Initialise (getMe), register the command menu and start processing updates."""
    await app.initialize()
    await register_commands(app.bot, i18n)
    await app.start()


async def stop_telegram(app: Application) -> None:
    """Stop in reverse order: polling, processing (queued updates are finished), then connections."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


async def run_telegram(settings: Settings, worker: EngineWorker, i18n: I18n, webhook_url: str | None,
                       host: str = "127.0.0.1", port: int = 8080, *, stop: asyncio.Event | None = None,
                       poll_timeout: timedelta = POLL_TIMEOUT,
                       background: Callable[[Application], list[Coroutine]] | None = None) -> None:
    """Run the bot until SIGINT/SIGTERM (or stop is set): long polling, or the webhook on host:port.

    `background` gives coroutines (broadcasts, content watching) that run beside the bot and stop with it."""
    stop = stop or stop_on_signals()
    app = build_application(settings, worker, i18n, webhook=webhook_url is not None)
    runner: web.AppRunner | None = None
    tasks: list[asyncio.Task] = []
    try:
        await start_telegram(app, i18n)
        tasks = [asyncio.create_task(job) for job in (background(app) if background else [])]
        if webhook_url is None:
            await app.updater.start_polling(poll_interval=0.0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES)
            log.info("telegram: long polling as @%s", app.bot.username)
        else:
            runner = web.AppRunner(make_web_app(telegram=app, telegram_secret=settings.telegram_webhook_secret),
                                   access_log=None)
            await runner.setup()
            await web.TCPSite(runner, host, port).start()
            await app.bot.set_webhook(webhook_url, secret_token=settings.telegram_webhook_secret,
                                      allowed_updates=ALLOWED_UPDATES)
            log.info("telegram: webhook as @%s on %s:%s", app.bot.username, host, port)
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if runner is not None:   # stop taking webhook posts first: Telegram re-delivers what we do not take
            await runner.cleanup()
        await stop_telegram(app)
        log.info("telegram: stopped")
