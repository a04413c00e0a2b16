"""The one aiohttp application: /healthz, the Telegram and Zalo webhooks (and later the admin pages)."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable, Protocol
from urllib.parse import urlsplit

from aiohttp import web

if TYPE_CHECKING:
    from telegram.ext import Application

log = logging.getLogger(__name__)

TELEGRAM_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_FORM = re.compile(r"[A-Za-z0-9_-]{1,256}")   # what Telegram accepts as secret_token
ZALO_PATH = "/zalo/webhook"
ZALO_SIGNATURE = "X-ZEvent-Signature"
ZALO_TASKS = web.AppKey("zalo_tasks", set[asyncio.Task[None]])    # events being handled after the 200 went out

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


@dataclass(frozen=True)
class ZaloHook:
    """What the Zalo route needs: the event handler, and the app id and OA secret key that sign events."""

    handle: Callable[[dict], Awaitable[None]]
    app_id: str
    secret_key: str


def zalo_signature(app_id: str, body: bytes, timestamp: str, secret_key: str) -> str:
    """The X-ZEvent-Signature value Zalo sends: mac= SHA-256 hex of app id, raw body, timestamp, OA secret key."""
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret_key.encode()).hexdigest()
    return f"mac={digest}"


def zalo_event(body: bytes) -> dict | None:
    """The event as a dict with every number kept as its text (ids can exceed 2^53), or None."""
    try:
        event = json.loads(body, parse_int=str, parse_float=str)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def zalo_webhook(hook: ZaloHook, tasks: set[asyncio.Task]) -> Handler:
    """The Zalo route: check the signature over the raw body, answer 200 at once, handle the event after."""

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()   # the raw bytes: the signature is over them, not over re-encoded JSON
        given = request.headers.get(ZALO_SIGNATURE, "").strip().lower()
        event = zalo_event(body)
        stamp = event.get("timestamp") if event else None
        if not given or event is None or not isinstance(stamp, str):
            log.warning("zalo webhook: unsigned or malformed request refused")
            return web.Response(status=401, text="unauthorized")
        expected = zalo_signature(hook.app_id, body, stamp, hook.secret_key)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("zalo webhook: bad signature refused")
            return web.Response(status=401, text="unauthorized")
        if str(event.get("event_name", "")).startswith("oa_send_"):   # the OA's own messages, echoed
            return web.Response(text="ok")
        task: asyncio.Task[None] = asyncio.ensure_future(hook.handle(event))
        tasks.add(task)   # a reference, so the task is not garbage-collected mid-way
        task.add_done_callback(_zalo_done(tasks))
        return web.Response(text="ok")

    return handle


def _zalo_done(tasks: set[asyncio.Task]) -> Callable[[asyncio.Task], None]:
    def done(task: asyncio.Task) -> None:
        tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("zalo webhook: event handling failed", exc_info=task.exception())
    return done


async def _finish_zalo_tasks(app: web.Application) -> None:
    """On shutdown, let events already acknowledged finish (briefly): Zalo will not send them again."""
    pending: set[asyncio.Task[None]] = app[ZALO_TASKS]
    if pending:
        await asyncio.wait(set(pending), timeout=10)


class RouteProvider(Protocol):
    """Something that mounts its own routes (the admin dashboard under /admin)."""

    def add_routes(self, app: web.Application) -> None: ...


def make_web_app(*, telegram: Application | None = None, telegram_secret: str = "",
                 zalo: ZaloHook | None = None, dashboard: RouteProvider | None = None,
                 routes: tuple[RouteProvider, ...] = ()) -> web.Application:
    """The web application: /healthz always, POST /telegram/webhook and POST /zalo/webhook when configured,
    the admin dashboard under /admin and other routes (the web chat) when given."""
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    for provider in (dashboard, *routes):
        if provider is not None:
            provider.add_routes(app)
    if telegram is not None:
        if not telegram_secret:
            raise ValueError("a Telegram webhook needs a secret")
        app.router.add_post(TELEGRAM_PATH, telegram_webhook(telegram, telegram_secret))
    if zalo is not None:
        if not zalo.app_id or not zalo.secret_key:
            raise ValueError("a Zalo webhook needs the app id and the OA secret key")
        app[ZALO_TASKS] = set()
        app.router.add_post(ZALO_PATH, zalo_webhook(zalo, app[ZALO_TASKS]))
        app.on_shutdown.append(_finish_zalo_tasks)
    return app
