"""A fake Telegram Bot API server for tests.

``FakeBotApi`` is a small aiohttp application bound to 127.0.0.1 on a free port.  The real
python-telegram-bot ``Application``/``Bot`` talks to it over real HTTP on loopback::

    fake = FakeBotApi(token="123:ABC")
    await fake.start()
    app = (
        Application.builder()
        .token("123:ABC")
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )

Every request is recorded in ``fake.calls``; updates are fed to ``getUpdates`` long polling with
``fake.push_update(text_update(...))``; failures are injected with ``fake.fail_next(...)``.

Only the parts of the Bot API a bot of this kind needs are implemented, but they answer in the
real wire format (``{"ok": true, "result": ...}``) with objects that PTB's ``de_json`` accepts.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = [
    "Call",
    "FakeBotApi",
    "UploadedFile",
    "WaitForTimeout",
    "callback_update",
    "location_update",
    "photo_update",
    "text_update",
    "user_dict",
    "chat_dict",
]

DEFAULT_TOKEN = "123:ABC"
DEFAULT_BOT_ID = 123
DEFAULT_BOT_USERNAME = "TestBot"
DEFAULT_BOT_FIRST_NAME = "Test Bot"

#: getUpdates never blocks longer than this (the real API allows 50 s; tests want speed).
MAX_POLL_TIMEOUT = 1.0

# Form fields whose value is always a plain string and must never be JSON-decoded, even when it
# looks like a number ("123") or a literal ("true").  Everything else that parses as JSON
# (numbers, booleans, objects, arrays) is decoded, which is how PTB encodes non-string values.
_RAW_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "inline_query_id",
        "pre_checkout_query_id",
        "shipping_query_id",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "url",
        "secret_token",
        "ip_address",
        "parse_mode",
        "action",
        "language_code",
        "file_id",
        "photo",
        "document",
        "video",
        "audio",
        "voice",
        "animation",
        "sticker",
        "thumbnail",
        "certificate",
        "name",
        "title",
        "description",
        "short_description",
        "emoji",
        "question",
        "explanation",
        "address",
        "first_name",
        "last_name",
        "phone_number",
        "vcard",
        "payload",
        "start_parameter",
        "switch_pm_text",
        "switch_pm_parameter",
        "next_offset",
    }
)
_NUMBER_RE = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


@dataclass
class Call:
    """One request received by the fake API."""

    method: str
    params: dict[str, Any]


@dataclass
class UploadedFile:
    """A file part of a multipart request (stored in ``Call.params`` under its field name)."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


class WaitForTimeout(AssertionError, asyncio.TimeoutError):
    """Raised by :meth:`FakeBotApi.wait_for`; catchable as AssertionError or TimeoutError."""


class ApiError(Exception):
    """Raise from a method handler to answer ``{"ok": false, ...}``."""

    def __init__(self, error_code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters


@dataclass
class _Failure:
    error_code: int
    description: str
    parameters: dict | None
    times: int


# --------------------------------------------------------------------------------------------
# Bot API object builders (plain dicts in Bot API JSON form)
# --------------------------------------------------------------------------------------------


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def user_dict(
    user_id: int,
    *,
    first_name: str | None = None,
    username: str | None = None,
    language_code: str | None = "vi",
    is_bot: bool = False,
) -> dict[str, Any]:
    return _drop_none(
        {
            "id": user_id,
            "is_bot": is_bot,
            "first_name": first_name or f"User{user_id}",
            "username": username,
            "language_code": language_code,
        }
    )


def chat_dict(
    chat_id: int | str,
    chat_type: str | None = None,
    *,
    first_name: str | None = None,
    username: str | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """A Chat dict; type is "private" for positive ids and "group" for negative ones."""
    if isinstance(chat_id, str):  # "@channelusername" -> pretend it is a channel
        return {"id": _fake_id_for(chat_id), "type": "channel", "title": chat_id, "username": chat_id.lstrip("@")}
    if chat_type is None:
        chat_type = "private" if chat_id > 0 else "group"
    if chat_type == "private":
        return _drop_none(
            {
                "id": chat_id,
                "type": chat_type,
                "first_name": first_name or f"User{chat_id}",
                "username": username,
            }
        )
    return _drop_none({"id": chat_id, "type": chat_type, "title": title or f"Chat {chat_id}", "username": username})


def _fake_id_for(name: str) -> int:
    return -(1_000_000_000_000 + sum(ord(c) * (i + 1) for i, c in enumerate(name)))


def bot_user_dict(
    bot_id: int = DEFAULT_BOT_ID,
    username: str = DEFAULT_BOT_USERNAME,
    first_name: str = DEFAULT_BOT_FIRST_NAME,
) -> dict[str, Any]:
    return {"id": bot_id, "is_bot": True, "first_name": first_name, "username": username}


def _command_entities(text: str) -> list[dict[str, Any]] | None:
    if not text.startswith("/"):
        return None
    length = len(text.split(maxsplit=1)[0]) if text.strip() else 1
    # Bot API offsets/lengths are in UTF-16 code units.
    length = len(text[:length].encode("utf-16-le")) // 2
    return [{"type": "bot_command", "offset": 0, "length": length}]


def _user_message(
    update_id: int,
    user_id: int,
    chat_id: int | None,
    language_code: str | None,
    chat_type: str | None,
    username: str | None,
    message_id: int | None,
    date: int | None,
) -> dict[str, Any]:
    chat_id = user_id if chat_id is None else chat_id
    return {
        "message_id": update_id if message_id is None else message_id,
        "date": int(time.time()) if date is None else date,
        "chat": chat_dict(chat_id, chat_type, username=username if chat_id == user_id else None),
        "from": user_dict(user_id, username=username, language_code=language_code),
    }


def text_update(
    update_id: int,
    user_id: int,
    text: str,
    chat_id: int | None = None,
    language_code: str | None = "vi",
    chat_type: str | None = None,
    username: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    *,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """An Update with a text message.  "/cmd ..." texts get a bot_command entity automatically."""
    message = _user_message(update_id, user_id, chat_id, language_code, chat_type, username, message_id, date)
    message["text"] = text
    if entities is None:
        entities = _command_entities(text)
    if entities:
        message["entities"] = entities
    return {"update_id": update_id, "message": message}


def callback_update(
    update_id: int,
    user_id: int,
    data: str,
    message_id: int,
    chat_id: int | None = None,
    language_code: str | None = "vi",
    *,
    message_text: str = "Choose:",
    reply_markup: dict[str, Any] | None = None,
    bot_id: int = DEFAULT_BOT_ID,
    bot_username: str = DEFAULT_BOT_USERNAME,
    query_id: str | None = None,
) -> dict[str, Any]:
    """An Update with a callback_query pressed on a message previously sent by the bot."""
    chat_id = user_id if chat_id is None else chat_id
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat_dict(chat_id),
        "from": bot_user_dict(bot_id, bot_username),
        "text": message_text,
    }
    if reply_markup is not None:
        message["reply_markup"] = reply_markup
    return {
        "update_id": update_id,
        "callback_query": {
            "id": query_id if query_id is not None else f"cbq-{update_id}",
            "from": user_dict(user_id, language_code=language_code),
            "chat_instance": f"ci-{chat_id}",
            "data": data,
            "message": message,
        },
    }


def location_update(
    update_id: int,
    user_id: int,
    latitude: float,
    longitude: float,
    chat_id: int | None = None,
    language_code: str | None = "vi",
    *,
    message_id: int | None = None,
) -> dict[str, Any]:
    """An Update with a location message (no text)."""
    message = _user_message(update_id, user_id, chat_id, language_code, None, None, message_id, None)
    message["location"] = {"latitude": float(latitude), "longitude": float(longitude)}
    return {"update_id": update_id, "message": message}


def _photo_sizes(file_id: str, width: int = 1280, height: int = 960, file_size: int | None = None) -> list[dict]:
    sizes = []
    for scale, suffix in ((8, "s"), (2, "m"), (1, "")):
        w, h = max(1, width // scale), max(1, height // scale)
        sizes.append(
            _drop_none(
                {
                    "file_id": f"{file_id}{'-' + suffix if suffix else ''}",
                    "file_unique_id": f"u-{file_id}{suffix}",
                    "width": w,
                    "height": h,
                    "file_size": (file_size // (scale * scale)) if file_size else None,
                }
            )
        )
    return sizes


def photo_update(
    update_id: int,
    user_id: int,
    file_id: str = "photo-file-id",
    caption: str | None = None,
    chat_id: int | None = None,
    language_code: str | None = "vi",
    *,
    width: int = 1280,
    height: int = 960,
    message_id: int | None = None,
) -> dict[str, Any]:
    """An Update with a photo message: a photo array (small → large), no text."""
    message = _user_message(update_id, user_id, chat_id, language_code, None, None, message_id, None)
    message["photo"] = _photo_sizes(file_id, width, height, file_size=width * height // 10)
    if caption is not None:
        message["caption"] = caption
    return {"update_id": update_id, "message": message}


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

Handler = Callable[[dict[str, Any]], Any | Awaitable[Any]]


class FakeBotApi:
    """Fake Bot API server.  ``await start()`` / ``await stop()`` (or ``async with``)."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_first_name: str = DEFAULT_BOT_FIRST_NAME,
        max_poll_timeout: float = MAX_POLL_TIMEOUT,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else DEFAULT_BOT_ID
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.max_poll_timeout = max_poll_timeout

        self.calls: list[Call] = []
        #: Messages returned by sendMessage/sendPhoto/sendDocument/edit* (Bot API dicts).
        self.sent_messages: list[dict[str, Any]] = []
        #: (scope-json, language_code) -> list of BotCommand dicts.
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] = {"url": "", "secret_token": None, "allowed_updates": None}
        #: Uploaded/known files by file_id: (file_path, bytes).
        self.files: dict[str, tuple[str, bytes]] = {}

        self._updates: deque[dict[str, Any]] = deque()
        self._update_event = asyncio.Event()
        self._call_event = asyncio.Event()
        self._closing = False
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._message_ids: dict[Any, int] = defaultdict(int)
        self._file_counter = itertools.count(1)
        self._custom: dict[str, Handler] = {}

        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": lambda p: True,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "sendchataction": lambda p: True,
            "answercallbackquery": lambda p: True,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "getfile": self._get_file,
            "close": lambda p: True,
            "logout": lambda p: True,
        }

        self.app = web.Application()
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self.app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self._handle_file)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port: int | None = None

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> FakeBotApi:
        self._closing = False
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await self._site.start()
        server = getattr(self._site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        else:  # pragma: no cover - fallback for aiohttp internals changing
            self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._closing = True
        self._wake_pollers()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None
        self._site = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeBotApi is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Value for ``Application.builder().base_url(...)``; PTB appends ``TOKEN/method``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``Application.builder().base_file_url(...)``."""
        return f"{self.url}/file/bot"

    @property
    def bot_user(self) -> dict[str, Any]:
        return bot_user_dict(self.bot_id, self.bot_username, self.bot_first_name)

    # ---------------------------------------------------------------- test helpers

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (wakes a pending long poll)."""
        self._updates.append(update)
        self._wake_pollers()

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._updates)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        key = method.lower()
        return [c.params for c in self.calls if c.method.lower() == key]

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """Texts of sendMessage/editMessageText calls in order (optionally for one chat)."""
        texts = []
        for call in self.calls:
            if call.method.lower() not in ("sendmessage", "editmessagetext"):
                continue
            if chat_id is not None and str(call.params.get("chat_id")) != str(chat_id):
                continue
            texts.append(call.params.get("text"))
        return texts

    def methods_called(self) -> list[str]:
        return [c.method for c in self.calls]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` calls of ``method`` were recorded; returns their params."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                summary = [m for m in self.methods_called() if m.lower() != "getupdates"]
                polls = len(self.calls_to("getUpdates"))
                raise WaitForTimeout(
                    f"timed out after {timeout}s waiting for {count} call(s) of {method!r}; "
                    f"got {len(found)}. Recorded methods: {summary} (+{polls} getUpdates)"
                )
            event = self._call_event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def clear(self) -> None:
        """Forget recorded calls, sent messages, queued updates and pending failures."""
        self.calls.clear()
        self.sent_messages.clear()
        self._updates.clear()
        self._failures.clear()

    def fail_next(
        self,
        method: str,
        error_code: int = 400,
        description: str = "Bad Request: injected failure",
        times: int = 1,
        *,
        retry_after: int | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``error_code``.

        For 429 a ``parameters.retry_after`` is always sent (default 1), which PTB turns into
        ``telegram.error.RetryAfter``.
        """
        params = dict(parameters or {})
        if retry_after is None and error_code == 429:
            retry_after = 1
        if retry_after is not None:
            params["retry_after"] = retry_after
            if description.startswith("Bad Request"):
                description = f"Too Many Requests: retry after {retry_after}"
        self._failures[method.lower()].append(_Failure(error_code, description, params or None, times))

    def set_handler(self, method: str, handler: Handler) -> None:
        """Override/add a method: ``handler(params)`` returns the ``result`` (may be async,
        may raise :class:`ApiError`)."""
        self._custom[method.lower()] = handler

    def commands_for(self, language_code: str = "", scope: dict[str, Any] | str | None = None) -> list[dict]:
        return self.commands.get((self._scope_key(scope), language_code or ""), [])

    # ---------------------------------------------------------------- HTTP plumbing

    def _wake_pollers(self) -> None:
        event, self._update_event = self._update_event, asyncio.Event()
        event.set()

    def _record(self, method: str, params: dict[str, Any]) -> None:
        self.calls.append(Call(method, params))
        event, self._call_event = self._call_event, asyncio.Event()
        event.set()

    @staticmethod
    def _reply(ok_result: Any = None, *, error: ApiError | None = None) -> web.Response:
        if error is None:
            return web.json_response({"ok": True, "result": ok_result})
        body: dict[str, Any] = {"ok": False, "error_code": error.error_code, "description": error.description}
        if error.parameters:
            body["parameters"] = error.parameters
        return web.json_response(body, status=error.error_code)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await self._read_params(request)
        except (ValueError, json.JSONDecodeError) as exc:
            return self._reply(error=ApiError(400, f"Bad Request: can't parse request: {exc}"))
        if request.match_info["token"] != self.token:
            return self._reply(error=ApiError(401, "Unauthorized"))
        self._record(method, params)

        key = method.lower()
        queue = self._failures.get(key)
        if queue:
            failure = queue[0]
            failure.times -= 1
            if failure.times <= 0:
                queue.popleft()
            return self._reply(error=ApiError(failure.error_code, failure.description, failure.parameters))

        handler = self._custom.get(key) or self._methods.get(key)
        if handler is None:
            return self._reply(error=ApiError(404, "Not Found: method not found"))
        try:
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as exc:
            return self._reply(error=exc)
        return self._reply(result)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key, value in request.query.items():
            params[key] = self._decode(key, value)
        if not request.body_exists:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            for key, value in body.items():
                params[key] = self._decode(key, value) if isinstance(value, str) else value
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = UploadedFile(key, value.filename, value.content_type, value.file.read())
                else:
                    params[key] = self._decode(key, value)
        else:
            raw = await request.read()
            if raw.strip():
                raise ValueError(f"unsupported content type {ctype!r}")
        return params

    @staticmethod
    def _decode(key: str, value: Any) -> Any:
        """Undo PTB's form encoding: non-string values are sent JSON-dumped."""
        if not isinstance(value, str) or key in _RAW_STRING_FIELDS:
            return value
        text = value.strip()
        if text[:1] in ("{", "[") or text in ("true", "false", "null") or _NUMBER_RE.fullmatch(text):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return value
        return value

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._reply(error=ApiError(401, "Unauthorized"))
        file_path = request.match_info["file_path"]
        self._record("downloadFile", {"file_path": file_path})
        for path, data in self.files.values():
            if path == file_path:
                return web.Response(body=data, content_type="application/octet-stream")
        return self._reply(error=ApiError(404, "Not Found"))

    # ---------------------------------------------------------------- method implementations

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook["url"]:
            raise ApiError(
                409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        limit = max(1, min(limit, 100))
        timeout = min(float(params.get("timeout") or 0), self.max_poll_timeout)

        if offset > 0:  # confirm (drop) everything below offset
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()

        def pending() -> list[dict[str, Any]]:
            if offset < 0:
                return list(self._updates)[offset:][:limit]
            return [u for u in self._updates if u["update_id"] > offset - 1][:limit]

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = pending()
            remaining = deadline - loop.time()
            if found or remaining <= 0 or self._closing:
                return found
            event = self._update_event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def _next_message_id(self, chat_id: Any) -> int:
        self._message_ids[chat_id] += 1
        return self._message_ids[chat_id]

    def _require(self, params: dict[str, Any], *names: str) -> None:
        for name in names:
            if params.get(name) in (None, ""):
                raise ApiError(400, f"Bad Request: {name} is empty" if name == "text" else f"Bad Request: {name} is required")

    def _base_message(self, params: dict[str, Any], message_id: int | None = None) -> dict[str, Any]:
        chat_id = params["chat_id"]
        message: dict[str, Any] = {
            "message_id": message_id if message_id is not None else self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat_dict(chat_id),
            "from": self.bot_user,
        }
        thread = params.get("message_thread_id")
        if thread:
            message["message_thread_id"] = thread
        markup = params.get("reply_markup")
        # Real Telegram only echoes inline keyboards on a Message (ReplyKeyboardMarkup etc. are not
        # part of Message.reply_markup and PTB would fail to parse them).
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _store(self, message: dict[str, Any]) -> dict[str, Any]:
        self.sent_messages.append(message)
        return message

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "chat_id", "text")
        message = self._base_message(params)
        message["text"] = params["text"]
        if params.get("entities"):
            message["entities"] = params["entities"]
        return self._store(message)

    def _edit_target(self, params: dict[str, Any]) -> bool | None:
        if params.get("inline_message_id"):
            return True
        self._require(params, "chat_id", "message_id")
        return None

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        self._require(params, "text")
        if self._edit_target(params):
            return True
        message = self._base_message(params, message_id=int(params["message_id"]))
        message["text"] = params["text"]
        message["edit_date"] = int(time.time())
        if params.get("entities"):
            message["entities"] = params["entities"]
        return self._store(message)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if self._edit_target(params):
            return True
        message = self._base_message(params, message_id=int(params["message_id"]))
        message["text"] = ""
        message["edit_date"] = int(time.time())
        return self._store(message)

    def _register_file(self, uploaded: UploadedFile, kind: str) -> tuple[str, UploadedFile]:
        n = next(self._file_counter)
        file_id = f"{kind}-file-{n}"
        ext = ""
        if uploaded.filename and "." in uploaded.filename:
            ext = "." + uploaded.filename.rsplit(".", 1)[1]
        self.files[file_id] = (f"{kind}s/file_{n}{ext}", uploaded.data)
        return file_id, uploaded

    def _resolve_media(self, params: dict[str, Any], name: str, kind: str) -> tuple[str, UploadedFile | None]:
        """Returns (file_id, upload) for a media field: a multipart upload, attach://, or a string
        file_id/URL."""
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://"):])
        if isinstance(value, UploadedFile):
            return self._register_file(value, kind)
        if isinstance(value, str) and value:
            if value.startswith(("http://", "https://")):
                n = next(self._file_counter)
                return f"{kind}-url-{n}", None
            return value, None
        raise ApiError(400, f"Bad Request: there is no {name} in the request")

    def _add_caption(self, message: dict[str, Any], params: dict[str, Any]) -> None:
        if params.get("caption") is not None:
            message["caption"] = params["caption"]
        if params.get("caption_entities"):
            message["caption_entities"] = params["caption_entities"]

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "chat_id")
        file_id, upload = self._resolve_media(params, "photo", "photo")
        message = self._base_message(params)
        message["photo"] = _photo_sizes(file_id, file_size=upload.size if upload else None)
        self._add_caption(message, params)
        return self._store(message)

    def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "chat_id")
        file_id, upload = self._resolve_media(params, "document", "document")
        message = self._base_message(params)
        message["document"] = _drop_none(
            {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_name": (upload.filename if upload else None) or "document",
                "mime_type": (upload.content_type if upload else None) or "application/octet-stream",
                "file_size": upload.size if upload else None,
            }
        )
        self._add_caption(message, params)
        return self._store(message)

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "file_id")
        file_id = params["file_id"]
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, data = self.files[file_id]
        return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": len(data), "file_path": path}

    @staticmethod
    def _scope_key(scope: dict[str, Any] | str | None) -> str:
        if scope is None:
            scope = {"type": "default"}
        elif isinstance(scope, str):
            scope = {"type": scope}
        return json.dumps(scope, sort_keys=True)

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: commands must be an array")
        key = (self._scope_key(params.get("scope")), params.get("language_code") or "")
        self.commands[key] = commands
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands_for(params.get("language_code") or "", params.get("scope"))

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop((self._scope_key(params.get("scope")), params.get("language_code") or ""), None)
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if url and not url.startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {
            "url": url,
            "secret_token": params.get("secret_token"),
            "allowed_updates": params.get("allowed_updates"),
            "max_connections": params.get("max_connections"),
        }
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {"url": "", "secret_token": None, "allowed_updates": None}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return _drop_none(
            {
                "url": self.webhook["url"],
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
                "max_connections": self.webhook.get("max_connections") if self.webhook["url"] else None,
                "allowed_updates": self.webhook.get("allowed_updates") if self.webhook["url"] else None,
            }
        )
