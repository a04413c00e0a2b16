"""The one aiohttp application: /healthz, the Telegram webhook (and later Zalo and the admin pages)."""
from __future__ import annotations

import hmac
import json
import logging
import re
from typing import TYPE_CHECKING, Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

if TYPE_CHECKING:
    from telegram.ext import Application

log = logging.getLogger(__name__)

TELEGRAM_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_FORM = re.compile(r"[A-Za-z0-9_-]{1,256}")   # what Telegram accepts as secret_token

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def webhook_problem(url: str, secret: str) -> str | None:
    """The catalog key explaining why a Telegram webhook cannot be set up, or None when it can."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return "cli.webhook_https"
    if not SECRET_FORM.fullmatch(secret):
        return "cli.webhook_secret"
    return None


async def healthz(request: web.Request) -> web.Response:
    """Liveness for load balancers and monitors."""
    return web.Response(text="ok")


def telegram_webhook(application: Application, secret: str) -> Handler:
    """The webhook route: check the secret header, queue the update for PTB, answer at once."""
    from telegram import Update

    expected = secret.encode()

    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json(loads=json.loads)
            update = Update.de_json(data, application.bot)
            if update is None:
                raise ValueError("empty update")
        except Exception as error:   # malformed JSON or not an Update: Telegram never sends these
            log.warning("webhook: bad update (%s)", type(error).__name__)
            return web.Response(status=400, text="bad update")
        await application.update_queue.put(update)
        return web.Response(text="ok")

    return handle


def make_web_app(*, telegram: Application | None = None, telegram_secret: str = "") -> web.Application:
    """The web application: /healthz always, POST /telegram/webhook when a Telegram Application is given."""
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    if telegram is not None:
        if not telegram_secret:
            raise ValueError("a Telegram webhook needs a secret")
        app.router.add_post(TELEGRAM_PATH, telegram_webhook(telegram, telegram_secret))
    return app
