"""The web chat's routes: GET /chat (the page) and POST /chat/api (one message in, the replies out as JSON).

A visitor is known by a random token in an HttpOnly cookie; only a hash of it reaches the database. Messages pass
the same gate as every channel (flood control); answers are the engine's, rendered by the page."""
from __future__ import annotations

import hashlib
import json
import secrets

from aiohttp import web

from bot.channels.webchat.page import chat_page
from bot.core.messages import Incoming, Reply
from bot.i18n import I18n
from bot.runtime.worker import EngineWorker

CHANNEL = "web"
COOKIE = "bz_chat"
COOKIE_DAYS = 30
MAX_BODY = 8 * 1024          # one message; a larger post is refused before it is read
MAX_TEXT = 2000
MAX_PAYLOAD = 64             # as on Telegram: the engine's payloads are short


class WebChat:
    """Mounts the chat page and its API on the one web application."""

    def __init__(self, worker: EngineWorker, i18n: I18n, embed_origins: tuple[str, ...] = (),
                 lang: str = "vi") -> None:
        self.worker, self.i18n, self.embed_origins, self.lang = worker, i18n, embed_origins, lang

    def add_routes(self, app: web.Application) -> None:
        """GET /chat and POST /chat/api."""
        app.router.add_get("/chat", self.page)
        app.router.add_post("/chat/api", self.api)

    def _headers(self, nonce: str = "") -> dict[str, str]:
        source = f"'nonce-{nonce}'" if nonce else "'none'"      # the page's own inline script and style only
        ancestors = " ".join(self.embed_origins) if self.embed_origins else "'none'"
        csp = (f"default-src 'none'; script-src {source}; style-src {source}; connect-src 'self'; img-src 'self' data:; "
               f"base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}")
        headers = {"Content-Security-Policy": csp, "Referrer-Policy": "no-referrer",
                   "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
        if not self.embed_origins:
            headers["X-Frame-Options"] = "DENY"
        return headers

    async def page(self, request: web.Request) -> web.Response:
        """The chat page, in the visitor's language when the query says so (?lang=en)."""
        lang = self.i18n.lang(request.query.get("lang", self.lang))
        nonce = secrets.token_urlsafe(16)
        page = chat_page(self.i18n, lang, nonce, self.worker.engine.content.pack.app_name)
        return web.Response(text=page, content_type="text/html", charset="utf-8", headers=self._headers(nonce))

    async def api(self, request: web.Request) -> web.Response:
        """One message from the page; the replies as JSON. Refusals are JSON too, in the visitor's language."""
        lang = self.i18n.lang(request.query.get("lang", self.lang))
        if request.content_length is None or request.content_length > MAX_BODY:
            return self._error(lang, "webchat.too_long", 413)
        try:
            body = json.loads(await request.read())
        except ValueError:
            return self._error(lang, "webchat.bad_request", 400)
        text, payload = (body.get("text"), body.get("payload")) if isinstance(body, dict) else (None, None)
        if not isinstance(text, str | None) or not isinstance(payload, str | None) or not (text or payload):
            return self._error(lang, "webchat.bad_request", 400)
        if len(text or "") > MAX_TEXT or len(payload or "") > MAX_PAYLOAD:
            return self._error(lang, "webchat.too_long", 413)
        token = request.cookies.get(COOKIE, "")
        fresh = not (20 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum())
        if fresh:
            token = secrets.token_urlsafe(24)
        visitor = hashlib.sha256(token.encode()).hexdigest()[:24]     # the token itself is never stored
        msg = Incoming(CHANNEL, visitor, visitor, text=text or "", payload=payload or "", language_hint=lang)
        replies = await self.worker.handle(msg)
        response = web.json_response({"replies": [_reply_json(r) for r in replies]}, headers=self._headers())
        if fresh:
            response.set_cookie(COOKIE, token, max_age=COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
                                secure=request.secure, path="/chat")
        return response

    def _error(self, lang: str, key: str, status: int) -> web.Response:
        return web.json_response({"error": self.i18n.t(lang, key)}, status=status, headers=self._headers())


def _reply_json(reply: Reply) -> dict[str, object]:
    """A reply as the page draws it: text and rows of buttons (label, payload)."""
    return {"text": reply.text,
            "buttons": [[{"label": b.label, "payload": b.payload} for b in row] for row in reply.buttons]}
