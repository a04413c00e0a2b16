"""`bot.py serve`: the one aiohttp server with /healthz, the Zalo webhook and the Telegram webhook, as configured."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Callable, Coroutine, Protocol, cast

import aiohttp
from aiohttp import web

from bot.channels.webchat.adapter import WebChat
from bot.channels.zalo.adapter import ZaloChannel
from bot.channels.zalo.api import Backoff, ZaloApi
from bot.config import Settings
from bot.core.engine import Engine
from bot.i18n import I18n
from bot.runtime.lifecycle import stop_on_signals
from bot.runtime.web import RouteProvider, ZaloHook, make_web_app
from bot.runtime.worker import EngineWorker
from bot.storage.database import Storage
from bot.storage.zalo_store import ZaloStore

log = logging.getLogger(__name__)


class Built(Protocol):
    """What serve needs of the App that bot.py builds."""

    engine: Engine
    storage: Storage


class ServeError(Exception):
    """A channel could not start; the message says which and why."""


def zalo_configured(settings: Settings) -> bool:
    """Zalo is on when the app id and the OA secret key (which signs webhook events) are set."""
    return bool(settings.zalo_app_id and settings.zalo_oa_secret_key)


def telegram_configured(settings: Settings) -> bool:
    """The Telegram webhook is served when the token and the webhook secret are set."""
    return bool(settings.telegram_token and settings.telegram_webhook_secret)


def build_zalo(settings: Settings, worker: EngineWorker, session: aiohttp.ClientSession | None,
               backoff: Backoff = Backoff(), timeout_s: float = 10.0,
               poll_s: float = 2.0) -> tuple[ZaloChannel, ZaloApi]:
    """The Zalo adapter and its API client over the bot's database."""
    # every engine a worker runs is built on the SQLite Storage (bot/app.py); the engine itself knows only the port
    store = ZaloStore(cast(Storage, worker.engine.storage))
    api = ZaloApi(store, session, api_url=settings.zalo_api_url, oauth_url=settings.zalo_oauth_url,
                  app_id=settings.zalo_app_id, app_secret=settings.zalo_app_secret, backoff=backoff,
                  timeout_s=timeout_s, poll_s=poll_s)
    channel = ZaloChannel(worker, api, store, settings.zalo_image_base_url, worker.engine.content.base_dir)
    return channel, api


async def serve(settings: Settings, worker: EngineWorker, i18n: I18n, host: str, port: int, *,
                stop: asyncio.Event | None = None,
                background: Callable[[dict[str, Any], EngineWorker], list[Coroutine]] | None = None,
                dashboard: RouteProvider | None = None, webchat: bool = True) -> None:
    """Serve until SIGINT/SIGTERM (or stop is set), then stop taking requests, finish, and close.

    `background` receives the running channels' broadcast senders and gives coroutines to run beside the
    server (broadcasts, content watching); they are cancelled when the server stops."""
    stop = stop or stop_on_signals()
    telegram = api = None
    tasks: list[asyncio.Task] = []
    async with aiohttp.ClientSession() as session:   # the process's one HTTP client session
        try:
            hook = None
            if zalo_configured(settings):
                channel, api = build_zalo(settings, worker, session)
                await api.start(settings.zalo_access_token, settings.zalo_refresh_token)
                hook = ZaloHook(channel.handle, settings.zalo_app_id, settings.zalo_oa_secret_key)
            if telegram_configured(settings):
                telegram = await _start_telegram(settings, worker, i18n)
            if hook is None and telegram is None:
                log.warning("serve: neither Zalo (ZALO_APP_ID + ZALO_OA_SECRET_KEY) nor Telegram "
                            "(TELEGRAM_BOT_TOKEN + TELEGRAM_WEBHOOK_SECRET) is configured; serving the web chat, "
                            "the admin pages and /healthz")
            senders: dict[str, Any] = {}
            if api is not None:
                from bot.channels.zalo.sender import zalo_sender
                senders["zalo"] = zalo_sender(api)
            if telegram is not None:
                from bot.channels.telegram.sender import telegram_sender
                senders["telegram"] = telegram_sender(telegram.bot)
            tasks = [asyncio.create_task(job) for job in (background(senders, worker) if background else [])]
            chat = (WebChat(worker, i18n, settings.chat_embed_origins, settings.default_locale),) if webchat else ()
            app = make_web_app(telegram=telegram, telegram_secret=settings.telegram_webhook_secret, zalo=hook,
                               dashboard=dashboard, routes=chat)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            try:
                await web.TCPSite(runner, host, port).start()
                log.info("serve: listening on %s:%s (zalo: %s, telegram: %s, web chat: %s)", host, port,
                         "on" if hook else "off", "on" if telegram else "off", "/chat" if webchat else "off")
                await stop.wait()
            finally:   # stop taking webhook posts first; events already acknowledged are finished
                await runner.cleanup()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if api is not None:
                await api.close()
            if telegram is not None:
                from bot.channels.telegram.run import stop_telegram
                await stop_telegram(telegram)
            log.info("serve: stopped")


async def _start_telegram(settings: Settings, worker: EngineWorker, i18n: I18n) -> Any:
    """The Telegram Application without an Updater: updates arrive on this server's webhook route.

    The webhook URL is registered once with `bot.py telegram --webhook URL` (Telegram keeps it)."""
    from telegram.error import TelegramError

    from bot.channels.telegram.run import (
        build_application,
        start_telegram,
        stop_telegram,
    )

    application = build_application(settings, worker, i18n, webhook=True)
    try:
        await start_telegram(application, i18n)
    except TelegramError as error:
        with contextlib.suppress(Exception):
            await stop_telegram(application)
        raise ServeError(f"Telegram did not start: {error.message}") from None
    return application


def run_serve(settings: Settings, app: Built, i18n: I18n, host: str, port: int,
              background: Callable[[dict[str, Any], EngineWorker], list[Coroutine]] | None = None) -> int:
    """Run the server for the bot built in bot.py; returns the exit status."""
    worker = EngineWorker(app.engine)
    try:
        asyncio.run(serve(settings, worker, i18n, host, port, background=background,
                          dashboard=getattr(app, "dashboard", None)))
    except ServeError as error:
        log.error("serve: %s", error)
        return 2
    except OSError as error:   # the port is taken, or the address is not this machine's
        log.error("serve: cannot listen on %s:%s: %s", host, port, error)
        return 2
    finally:
        worker.close()
        app.storage.close()
    return 0
