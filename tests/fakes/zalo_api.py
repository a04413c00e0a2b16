"""A fake Zalo OA API and OAuth server for tests, on 127.0.0.1 and a free port.

It answers ``POST /v3.0/oa/message/cs`` (customer-service messages) and ``POST /v4/oa/access_token``
(refresh) in Zalo's wire shapes::

    fake = FakeZaloApi()
    await fake.start()          # fake.url serves as both ZALO_API_URL and ZALO_OAUTH_URL
    fake.fail_next(-230)        # the next message is answered {"error": -230, ...}
    fake.fail_next("5xx", 2)    # the next two get HTTP 502; "429" and "timeout" work too
    fake.expire_access_token()  # the current access token now gets -216 until a refresh

Accepted messages are in ``fake.messages``; every message request (failed ones too) in ``fake.requests``;
every refresh form in ``fake.refreshes``. A refresh issues a new pair, invalidates the old access token and
rejects the old refresh token (Zalo's refresh tokens are single-use).
"""
from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

ERRORS = {
    -216: "Access token is invalid",
    -220: "Access token has expired",
    -230: "User has not interacted with the OA in the last 7 days",
    -213: "User has not followed the OA",
    -32: "Request rate exceeded",
    -201: "Parameter is invalid",
}
TEXT_LIMIT = 2000
BUTTONS_MAX = 5


@dataclass
class Request:
    """One message request as the fake saw it, and what it answered."""

    token: str
    body: dict[str, Any]
    answer: str        # "ok", "-230", "5xx", "timeout"…


class FakeZaloApi:
    """The fake server.  ``await start()`` / ``await stop()``."""

    def __init__(self, app_id: str = "4291763606161179100", app_secret: str = "app-secret",
                 access_token: str = "AT-0", refresh_token: str = "RT-0", *, refresh_delay: float = 0.0,
                 stall_s: float = 5.0) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.access_token, self.refresh_token = access_token, refresh_token
        self.valid_access = {access_token}
        self.refresh_delay, self.stall_s = refresh_delay, stall_s
        self.messages: list[dict[str, Any]] = []
        self.requests: list[Request] = []
        self.refreshes: list[dict[str, str]] = []
        self._failures: deque[Any] = deque()
        self._numbers = itertools.count(1)
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_post("/v3.0/oa/message/cs", self._message)
        self.app.router.add_post("/v4/oa/access_token", self._refresh)
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]   # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self._closing.set()
        if self.runner is not None:
            await self.runner.cleanup()

    # --- steering -------------------------------------------------------------------------------------------

    def fail_next(self, failure: int | str, times: int = 1) -> None:
        """Answer the next message requests with a Zalo error code, "5xx", "429" or "timeout"."""
        self._failures.extend([failure] * times)

    def expire_access_token(self) -> None:
        """Every access token issued so far now gets -216."""
        self.valid_access.clear()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until at least count messages were accepted; return them all."""
        async def enough() -> None:
            while len(self.messages) < count:
                self._changed.clear()
                await self._changed.wait()
        await asyncio.wait_for(enough(), timeout)
        return self.messages

    def texts(self, user_id: str | None = None) -> list[str]:
        """The text of every accepted message (to one user), in order."""
        return [m["message"].get("text", "") for m in self.messages
                if user_id is None or m["recipient"]["user_id"] == user_id]

    # --- handlers -------------------------------------------------------------------------------------------

    async def _message(self, request: web.Request) -> web.Response:
        token = request.headers.get("access_token", "")
        body = await request.json()
        failure = self._failures.popleft() if self._failures else None
        self.requests.append(Request(token, body, str(failure) if failure is not None else "ok"))
        self._changed.set()
        if failure == "5xx":
            return web.Response(status=502, text="Bad Gateway")
        if failure == "429":
            return web.Response(status=429, text="Too Many Requests")
        if failure == "timeout":
            try:
                await asyncio.wait_for(self._closing.wait(), self.stall_s)
            except asyncio.TimeoutError:
                pass
            return web.json_response({"error": 0, "message": "Success", "data": {}})
        if isinstance(failure, int):
            return self._error(failure)
        if token not in self.valid_access:
            return self._error(-216)
        problem = self._check(body)
        if problem:
            return web.json_response({"error": -201, "message": f"Parameter is invalid: {problem}"})
        self.messages.append(body)
        number = next(self._numbers)
        return web.json_response({"error": 0, "message": "Success",
                                  "data": {"message_id": f"m{number:020d}", "user_id": body["recipient"]["user_id"]}})

    @staticmethod
    def _error(code: int) -> web.Response:
        return web.json_response({"error": code, "message": ERRORS.get(code, "Unknown error")})

    @staticmethod
    def _check(body: dict[str, Any]) -> str | None:
        """What Zalo would refuse in a message body, or None."""
        user_id = (body.get("recipient") or {}).get("user_id")
        message = body.get("message")
        if not isinstance(user_id, str) or not user_id.isdigit():
            return "recipient.user_id"
        if not isinstance(message, dict) or not (message.get("text") or message.get("attachment")):
            return "message"
        if len(message.get("text", "")) > TEXT_LIMIT:
            return "text too long"
        payload = (message.get("attachment") or {}).get("payload") or {}
        buttons = payload.get("buttons") or []
        if len(buttons) > BUTTONS_MAX or any(b.get("type") not in ("oa.query.hide", "oa.query.show", "oa.open.url")
                                             or not b.get("title") for b in buttons):
            return "buttons"
        if payload.get("template_type") == "media":
            elements = payload.get("elements") or []
            if not elements or not all(e.get("media_type") == "image" and e.get("url") for e in elements):
                return "elements"
        return None

    async def _refresh(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.refreshes.append(form)
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        if request.headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id:
            return web.json_response({"error": -14002, "error_name": "Invalid app id or secret key"})
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
        number = len(self.refreshes)
        self.access_token, self.refresh_token = f"AT-{number}", f"RT-{number}"
        self.valid_access = {self.access_token}
        return web.json_response({"access_token": self.access_token, "refresh_token": self.refresh_token,
                                  "expires_in": "90000"})
