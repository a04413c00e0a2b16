"""Signing in to the dashboard without passwords: one-time links from the chat, sessions, CSRF, the admin check.

An admin sends /dashboard and gets a link valid for 10 minutes. Opening it shows a "Sign in" button: the GET
changes nothing, so a chat app fetching the link for a preview does not use it up; the button's POST redeems it
(once) and opens a session: a random id in an HttpOnly, SameSite=Lax cookie limited to /admin, stored as a hash,
with its own CSRF token for every later POST. The role is read from storage on every request.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import sys
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable, TextIO
from urllib.parse import urlencode

from aiohttp import web

from bot.campaign.roles import Role, role_of
from bot.clock import Clock, vietnam_now
from bot.core.features import Ctx, Feature, Handler
from bot.core.messages import Reply
from bot.dashboard.html import View, e, message_page, page
from bot.i18n import I18n
from bot.storage.admin_store import AdminStore
from bot.storage.campaign_store import CampaignStore
from bot.storage.dashboard_store import DashboardStore, Session

log = logging.getLogger(__name__)

SIGNIN_PATH = "/admin/signin/"
COOKIE = "dash_session"
SIGNIN_COOKIE = "dash_signin"      # double-submit token of the sign-in form (there is no session yet)
LINK_MINUTES = 10
TOUCH_SECONDS = 60                 # last_seen is written at most once a minute, not on every page
LANGS = ("vi", "en")
NEXT = re.compile(r"/admin/[A-Za-z0-9/_.?=&%-]*")     # where the language switch may send the browser back to
WebHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def secret_hash(secret: str) -> str:
    """What is stored instead of a link token or a session id."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(given: object, expected: str) -> bool:
    """Constant-time comparison of a submitted token with the expected one (empty never matches)."""
    return isinstance(given, str) and bool(given) and bool(expected) and hmac.compare_digest(
        given.encode(), expected.encode())


def public(handler: WebHandler) -> WebHandler:
    """Mark a route that needs no session (the sign-in link itself)."""
    handler.dashboard_public = True  # type: ignore[attr-defined]
    return handler


def safe_next(target: str) -> str:
    """A path inside the dashboard to go back to; anything else (another site) becomes the overview."""
    return target if NEXT.fullmatch(target) and "//" not in target else "/admin/"


@dataclass(frozen=True)
class Viewer:
    """The signed-in admin as one request sees them: the session, the role read just now, the language."""

    session: Session
    role: Role
    lang: str

    @property
    def scope(self) -> int | None:
        """The area they administer (None: the whole province)."""
        return self.role.admin_area


VIEWER = web.RequestKey("dashboard_viewer", Viewer)


class DashboardAuth:
    """Links, sessions, the middleware that guards every /admin route, and the sign-in routes."""

    def __init__(self, store: DashboardStore, campaign: CampaignStore, admin_store: AdminStore, i18n: I18n,
                 clock: Clock = vietnam_now, *, session_hours: int = 8, secure_cookies: bool = False) -> None:
        self.store, self.campaign, self.admin_store, self.i18n = store, campaign, admin_store, i18n
        self.clock = clock
        self.session_hours = session_hours
        self.secure_cookies = secure_cookies      # set when the public URL is https (TLS ends at a proxy)

    def _at(self, delta: timedelta = timedelta()) -> str:
        return (self.clock() + delta).astimezone(timezone.utc).isoformat(timespec="seconds")

    # --- links and sessions (blocking: SQLite; the web handlers call them off the event loop) ----------------

    def make_link(self, user_key: str) -> str:
        """A new one-time sign-in link for the user, as a URL path (valid LINK_MINUTES minutes)."""
        token = secrets.token_urlsafe(32)
        self.store.cleanup(self._at())
        self.store.add_link(secret_hash(token), user_key, self._at(), self._at(timedelta(minutes=LINK_MINUTES)))
        return SIGNIN_PATH + token

    def link_url(self, base_url: str, user_key: str) -> str:
        """The whole link, on the public base URL."""
        return base_url.rstrip("/") + self.make_link(user_key)

    def sign_in(self, token: str) -> tuple[str, Session] | None:
        """Redeem a link (once) and open a session for an admin: (the cookie's secret, the session)."""
        user_key = self.store.redeem_link(secret_hash(token), self._at())
        if user_key is None:
            return None
        allowed = role_of(self.campaign, user_key).admin
        self.admin_store.audit(user_key, "dashboard:signin", "", allowed)
        if not allowed:
            return None
        raw = secrets.token_urlsafe(32)
        session = self.store.add_session(secret_hash(raw), user_key, secrets.token_urlsafe(32), "", self._at(),
                                         self._at(timedelta(hours=self.session_hours)))
        return raw, session

    def viewer(self, raw_id: str, lang: str = "") -> Viewer | None:
        """The session behind a cookie, if live and still an admin's; ?lang= is remembered in it."""
        if not raw_id:
            return None
        at = self._at()
        session = self.store.session(secret_hash(raw_id), at)
        if session is None:
            return None
        role = role_of(self.campaign, session.user_key)
        if not role.admin:       # the role was taken away: every session of theirs ends now
            self.store.end_sessions_of(session.user_key)
            self.admin_store.audit(session.user_key, "dashboard:signed_out", "", False, "no longer an admin")
            return None
        if lang in LANGS and lang != session.lang:
            self.store.set_lang(session.id_hash, lang)
            session = replace(session, lang=lang)
        if datetime.fromisoformat(at) - datetime.fromisoformat(session.last_seen) >= timedelta(
                seconds=TOUCH_SECONDS):
            self.store.touch(session.id_hash, at)
        return Viewer(session, role, self.i18n.lang(session.lang or self.i18n.default))

    # --- the web side -----------------------------------------------------------------------------------------

    def view(self, request: web.Request, viewer: Viewer | None = None) -> View:
        """The page context for a request: language, CSRF token, the path to come back to (without ?lang)."""
        query = {k: v for k, v in request.query.items() if k != "lang"}
        path = request.path + (f"?{urlencode(query)}" if query else "")
        if viewer is None:
            lang = request.query.get("lang", "")
            return View(self.i18n, lang if lang in LANGS else self.i18n.default, "", path, signed_in=False)
        return View(self.i18n, viewer.lang, viewer.session.csrf, path)

    def secure(self, request: web.Request) -> bool:
        """Cookies get Secure when the request came over https or the public URL is https."""
        return request.secure or self.secure_cookies

    @web.middleware
    async def middleware(self, request: web.Request, handler: WebHandler) -> web.StreamResponse:
        """Every /admin route but the sign-in link needs a live admin session; every POST its CSRF token."""
        if getattr(handler, "dashboard_public", False):
            return await handler(request)
        viewer = await asyncio.to_thread(self.viewer, request.cookies.get(COOKIE, ""),
                                         request.query.get("lang", ""))
        if viewer is None:
            view = self.view(request)
            response = web.Response(status=401, content_type="text/html", text=message_page(
                view, view.t("dash.signin_needed_title"), view.t("dash.signin_needed")))
            if COOKIE in request.cookies:
                response.del_cookie(COOKIE, path="/admin")
            return response
        request[VIEWER] = viewer
        if request.method not in ("GET", "HEAD"):
            form = await request.post()
            if not same_secret(form.get("csrf"), viewer.session.csrf):
                log.warning("dashboard: POST without a valid CSRF token refused (%s)", request.path)
                view = self.view(request, viewer)
                return web.Response(status=403, content_type="text/html", text=message_page(
                    view, view.t("dash.forbidden_title"), view.t("dash.csrf_failed")))
        return await handler(request)

    def add_routes(self, app: web.Application) -> None:
        """The sign-in link (GET shows a button, POST redeems), sign-out and the language switch."""
        app.router.add_get("/signin/{token}", self.signin_page)
        app.router.add_post("/signin/{token}", self.signin)
        app.router.add_post("/signout", self.signout)
        app.router.add_post("/lang", self.switch_lang)

    @public
    async def signin_page(self, request: web.Request) -> web.Response:
        """The link opened: a button that signs in (nothing is used up by merely opening it)."""
        view = self.view(request)
        token = request.match_info["token"]
        if not await asyncio.to_thread(self.store.link_usable, secret_hash(token), self._at()):
            return self._link_refused(view)
        nonce = secrets.token_urlsafe(24)
        form = (f'<form method="post" action="{e(request.path)}"><input type="hidden" name="csrf" value="{nonce}">'
                f'<p><button type="submit" class="big">{e(view.t("dash.signin_button"))}'
                f'</button></p></form>')
        response = web.Response(content_type="text/html", text=page(
            view, view.t("dash.signin_title"), f'<p>{e(view.t("dash.signin_intro"))}</p>{form}'))
        response.set_cookie(SIGNIN_COOKIE, nonce, max_age=LINK_MINUTES * 60, path="/admin/signin", httponly=True,
                            samesite="Strict", secure=self.secure(request))
        return response

    @public
    async def signin(self, request: web.Request) -> web.Response:
        """The button pressed: redeem the link once, open the session, go to the overview."""
        view = self.view(request)
        form = await request.post()
        if not same_secret(form.get("csrf"), request.cookies.get(SIGNIN_COOKIE, "")):
            return web.Response(status=403, content_type="text/html", text=message_page(
                view, view.t("dash.forbidden_title"), view.t("dash.csrf_failed")))
        signed = await asyncio.to_thread(self.sign_in, request.match_info["token"])
        if signed is not None and request.cookies.get(COOKIE):       # a session already open here ends
            await asyncio.to_thread(self.store.end_session, secret_hash(request.cookies[COOKIE]))
        if signed is None:
            return self._link_refused(view)
        response = web.Response(status=303, headers={"Location": "/admin/"})
        response.set_cookie(COOKIE, signed[0], max_age=self.session_hours * 3600, path="/admin", httponly=True,
                            samesite="Lax", secure=self.secure(request))
        response.del_cookie(SIGNIN_COOKIE, path="/admin/signin")
        log.info("dashboard: signed in (channel=%s)", signed[1].user_key.split(":", 1)[0])
        return response

    def _link_refused(self, view: View) -> web.Response:
        return web.Response(status=403, content_type="text/html", text=message_page(
            view, view.t("dash.link_invalid_title"), view.t("dash.link_invalid", minutes=LINK_MINUTES)))

    async def signout(self, request: web.Request) -> web.Response:
        """End this browser's session (a POST with the CSRF token)."""
        viewer: Viewer = request[VIEWER]
        await asyncio.to_thread(self.store.end_session, viewer.session.id_hash)
        view = replace(self.view(request, viewer), signed_in=False)
        response = web.Response(content_type="text/html", text=message_page(
            view, view.t("dash.signed_out_title"), view.t("dash.signed_out")))
        response.del_cookie(COOKIE, path="/admin")
        return response

    async def switch_lang(self, request: web.Request) -> web.Response:
        """Switch the session's language (a POST with the CSRF token), back to the page it came from."""
        viewer: Viewer = request[VIEWER]
        form = await request.post()
        lang = form.get("lang")
        if lang in LANGS:
            await asyncio.to_thread(self.store.set_lang, viewer.session.id_hash, str(lang))
        return web.Response(status=303, headers={"Location": safe_next(str(form.get("next") or ""))})


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """No caching of personal figures, no framing, no fetching from anywhere but here."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self';"
        " frame-ancestors 'none'; base-uri 'none'")


class DashboardCommand(Feature):
    """/dashboard in the chat: an admin gets a one-time sign-in link; anyone else is told no (both audited)."""

    def __init__(self, auth: DashboardAuth, i18n: I18n, base_url: str) -> None:
        self.auth, self.i18n, self.base_url = auth, i18n, base_url

    def commands(self) -> dict[str, Handler]:
        """The one command."""
        return {"dashboard": self.cmd_dashboard}

    def cmd_dashboard(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/dashboard: the link, for admins only."""
        allowed = role_of(self.auth.campaign, ctx.user.key).admin
        self.auth.admin_store.audit(ctx.user.key, "dashboard", "", allowed)
        if not allowed:
            log.info("dashboard link refused (channel=%s)", ctx.msg.channel)
            return [Reply(self.i18n.t(ctx.lang, "admin.not_allowed"))]
        url = self.auth.link_url(self.base_url, ctx.user.key)
        return [Reply(self.i18n.t(ctx.lang, "dash.link_reply", url=url, minutes=LINK_MINUTES))]


def add_link_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`dashboard-link CHANNEL:ID`."""
    parser = subparsers.add_parser("dashboard-link", help="print a one-time sign-in link to the web dashboard")
    parser.add_argument("user", metavar="CHANNEL:ID", help="the admin's key, e.g. telegram:123")
    return parser


def run_link(args: argparse.Namespace, auth: DashboardAuth, base_url: str, out: TextIO | None = None,
             err: TextIO | None = None) -> int:
    """Print a link for an admin (exit 0), or say why not (exit 2)."""
    out, err, lang = out or sys.stdout, err or sys.stderr, auth.i18n.default
    user_key = args.user.strip()
    channel, sep, user_id = user_key.partition(":")
    if not (sep and channel and user_id):
        print(auth.i18n.t(lang, "dash.cli_bad_user", user=user_key), file=err)
        return 2
    if not role_of(auth.campaign, user_key).admin:
        auth.admin_store.audit(user_key, "dashboard:cli_link", "", False)
        print(auth.i18n.t(lang, "dash.cli_not_admin", user=user_key), file=err)
        return 2
    auth.admin_store.audit(user_key, "dashboard:cli_link", "", True)
    print(auth.link_url(base_url, user_key), file=out)
    print(auth.i18n.t(lang, "dash.cli_link_note", minutes=LINK_MINUTES), file=err)
    return 0
