"""The Zalo OA HTTP client: customer-service messages through a persistent outbox, and token refresh."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable

import aiohttp

from bot.storage.zalo_store import FAILED, UNREACHABLE, OutboxItem, TokenPair, ZaloStore

log = logging.getLogger(__name__)

MESSAGE_PATH = "/v3.0/oa/message/cs"
REFRESH_PATH = "/v4/oa/access_token"
TOKEN_ERRORS = frozenset({-216, -220})        # access token invalid / expired: refresh, then retry once
UNREACHABLE_ERRORS = frozenset({-230, -213})  # no interaction for 7 days / not a follower or blocked: never retry
RATE_ERRORS = frozenset({-32})                # too many requests: retry later
ACCESS_TTL_S = 90_000        # Zalo documents about 25 hours when expires_in is missing
REFRESH_AHEAD_S = 600        # refresh this long before the access token expires
EARLY_RETRY_S = 60           # after a failed early refresh, wait this long before the next early one
SWEEP_EVERY_S = 3600         # how often sent messages older than a week are dropped


class RetryLater(Exception):
    """A failure worth another try later: network, timeout, 5xx, rate limit, a failed refresh."""


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off for the outbox: first delay, ceiling, and how many tries before giving up."""

    first_s: float = 5.0
    max_s: float = 3600.0
    tries: int = 12

    def delay(self, tries: int) -> float:
        """Seconds to wait after the given number of failed tries."""
        return min(self.first_s * 2 ** (tries - 1), self.max_s)


def fingerprint(secret: str) -> str:
    """A short, one-way name for a seed token, to notice when the operator sets a new one."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16] if secret else ""


class ZaloApi:
    """Sends queued messages in order per user, refreshes the token pair once at a time, retries with back-off."""

    def __init__(self, store: ZaloStore, session: aiohttp.ClientSession | None, *, api_url: str, oauth_url: str,
                 app_id: str, app_secret: str, backoff: Backoff = Backoff(), timeout_s: float = 10.0,
                 poll_s: float = 2.0, clock: Callable[[], float] = time.time) -> None:
        self.store, self.session, self.own_session = store, session, session is None
        self.api_url, self.oauth_url, self.app_id, self.app_secret = api_url, oauth_url, app_id, app_secret
        self.backoff, self.poll_s, self.clock = backoff, poll_s, clock
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.tokens: TokenPair | None = None
        self.seed = ""
        self.early_after = 0.0   # no early refresh before this time (after one failed)
        self.refresh_lock = asyncio.Lock()
        self.active: dict[str, asyncio.Task] = {}   # user id -> the task sending that user's queue
        self.again: set[str] = set()                 # users whose queue grew while their task was busy
        self.loop_task: asyncio.Task | None = None
        self.stopping = asyncio.Event()
        self.db_calls: set[asyncio.Future] = set()   # storage work in flight: close() waits for it

    async def start(self, access_token: str = "", refresh_token: str = "") -> None:
        """Load the stored pair (or seed it from the settings) and start draining the outbox."""
        if self.session is None:
            self.session = aiohttp.ClientSession()
        stored = await self._db(self.store.tokens)
        seed = fingerprint(refresh_token or access_token)
        if seed and (stored is None or stored[1] != seed):   # first start, or the operator set a new pair
            self.tokens, self.seed = TokenPair(access_token, refresh_token), seed
            await self._db(self.store.save_tokens, self.tokens, seed)
        elif stored is not None:
            self.tokens, self.seed = stored
        else:
            log.warning("zalo: no access token yet: set ZALO_ACCESS_TOKEN and ZALO_REFRESH_TOKEN")
        self.loop_task = asyncio.create_task(self._run(), name="zalo-outbox")

    async def close(self, grace_s: float = 5.0) -> None:
        """Stop the loop, let sends in flight finish (briefly), close the session if it is ours."""
        self.stopping.set()   # no new sends start from here
        for tasks in ([self.loop_task] if self.loop_task else [], list(self.active.values())):
            if tasks:
                _, late = await asyncio.wait(tasks, timeout=grace_s)
                for task in late:   # a stalled request: the message stays pending, sent after the next start
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
        while self.db_calls:   # the caller closes the database next: no statement may still be running
            await asyncio.gather(*list(self.db_calls), return_exceptions=True)
        if self.own_session and self.session is not None:
            await self.session.close()

    async def _db(self, function: Callable[..., Any], *args: Any) -> Any:
        """Storage work off the event loop; it runs to its end even when the caller is cancelled."""
        call = asyncio.ensure_future(asyncio.to_thread(function, *args))
        self.db_calls.add(call)
        call.add_done_callback(self.db_calls.discard)
        return await asyncio.shield(call)

    async def enqueue(self, user_id: str, messages: list[dict]) -> None:
        """Store messages for a user (they survive a restart) and start sending them."""
        if messages:
            await self._db(self.store.enqueue, user_id, messages, self.clock())
            self.wake(user_id)

    def wake(self, user_id: str) -> None:
        """Send the user's due messages, unless a task is doing that already (or the client is closing)."""
        if self.stopping.is_set():
            return
        if user_id in self.active:
            self.again.add(user_id)
            return
        self.active[user_id] = asyncio.create_task(self._deliver(user_id), name="zalo-send")

    async def flush(self) -> None:
        """Wait until every send in flight has finished (for tests and shutdown)."""
        while self.active:
            await asyncio.gather(*list(self.active.values()), return_exceptions=True)

    async def _run(self) -> None:
        swept = 0.0
        while not self.stopping.is_set():
            try:
                for user_id in await self._db(self.store.due_users, self.clock()):
                    self.wake(user_id)
                if self._expiring():   # keeps the pair alive on quiet days
                    await self._refresh_early()
                if self.clock() - swept > SWEEP_EVERY_S:
                    swept = self.clock()
                    await self._db(self.store.forget_sent)
            except Exception:   # the loop must outlive any one failure
                log.exception("zalo: outbox loop failed")
            try:
                await asyncio.wait_for(self.stopping.wait(), self.poll_s)
            except asyncio.TimeoutError:
                pass

    async def _deliver(self, user_id: str) -> None:
        try:
            while True:
                self.again.discard(user_id)
                item = await self._db(self.store.next_due, user_id, self.clock())
                if item is None:
                    if user_id in self.again:
                        continue
                    return
                if not await self._attempt(item):
                    return
        except Exception:
            log.exception("zalo: delivery failed (outbox id kept for a retry)")
        finally:
            self.active.pop(user_id, None)

    async def _attempt(self, item: OutboxItem) -> bool:
        """Try one message; True when the queue may go on to the next one."""
        body = {"recipient": {"user_id": item.user_id}, "message": item.message}
        try:
            code, text = await self._send(body)
        except RetryLater as error:
            return await self._later(item, str(error))
        if code == 0:
            await self._db(self.store.mark_sent, item.id)
            return True
        if code in RATE_ERRORS or code in TOKEN_ERRORS:
            return await self._later(item, f"{code} {text}")
        status = UNREACHABLE if code in UNREACHABLE_ERRORS else FAILED
        log.log(logging.INFO if status == UNREACHABLE else logging.WARNING,
                "zalo: message %s not delivered: error %s %s", item.id, code, text[:100])
        await self._db(self.store.give_up, item.id, status, f"{code} {text}")
        return True

    async def _later(self, item: OutboxItem, error: str) -> bool:
        tries = item.attempts + 1
        if tries >= self.backoff.tries:
            log.warning("zalo: message %s given up after %s tries: %s", item.id, tries, error[:100])
            await self._db(self.store.give_up, item.id, FAILED, f"gave up: {error}")
            return True
        delay = self.backoff.delay(tries)
        log.info("zalo: message %s will be retried in %.0f s: %s", item.id, delay, error[:100])
        await self._db(self.store.retry_later, item.id, self.clock() + delay, error)
        return False

    async def _send(self, body: dict) -> tuple[int, str]:
        """Post one message; on a token error refresh once and post it again."""
        token = await self._access_token()
        code, text = await self._post(body, token)
        if code in TOKEN_ERRORS:
            await self.refresh(token)
            code, text = await self._post(body, self.tokens.access_token)
        return code, text

    async def _access_token(self) -> str:
        if self.tokens is None:
            raise RetryLater("no access token")
        if self._expiring():
            await self._refresh_early()
        return self.tokens.access_token

    def _expiring(self) -> bool:
        expires = self.tokens.expires_at if self.tokens else None
        return expires is not None and self.clock() >= max(expires - REFRESH_AHEAD_S, self.early_after)

    async def _refresh_early(self) -> None:
        try:
            await self.refresh(self.tokens.access_token)
        except RetryLater as error:   # the current token may still work a while; a -216 will try again
            self.early_after = self.clock() + EARLY_RETRY_S
            log.warning("zalo: early token refresh failed: %s", error)

    async def _post(self, body: dict, token: str) -> tuple[int, str]:
        try:
            async with self.session.post(self.api_url + MESSAGE_PATH, json=body, headers={"access_token": token},
                                         timeout=self.timeout) as response:
                if response.status >= 500 or response.status == 429:
                    raise RetryLater(f"HTTP {response.status}")
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise RetryLater(f"{type(error).__name__}") from None
        if not isinstance(data, dict):
            raise RetryLater("unexpected answer")
        return int(data.get("error") or 0), str(data.get("message") or "")

    async def refresh(self, stale: str) -> None:
        """Exchange the refresh token for a new pair, once at a time; stored before it is used."""
        async with self.refresh_lock:
            if self.tokens is not None and self.tokens.access_token != stale:
                return   # another send refreshed while this one waited: its pair is already in use
            if self.tokens is None or not self.tokens.refresh_token or not self.app_secret:
                raise RetryLater("cannot refresh: ZALO_REFRESH_TOKEN or ZALO_APP_SECRET is missing")
            form = {"refresh_token": self.tokens.refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"}
            try:
                async with self.session.post(self.oauth_url + REFRESH_PATH, data=form, timeout=self.timeout,
                                             headers={"secret_key": self.app_secret}) as response:
                    data = await response.json(content_type=None)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
                raise RetryLater(f"refresh: {type(error).__name__}") from None
            if not isinstance(data, dict) or not data.get("access_token") or not data.get("refresh_token"):
                reason = data.get("error_name") or data.get("message") if isinstance(data, dict) else ""
                raise RetryLater(f"refresh refused: {data.get('error') if isinstance(data, dict) else ''} {reason}")
            pair = TokenPair(str(data["access_token"]), str(data["refresh_token"]),
                             self.clock() + int(data.get("expires_in") or ACCESS_TTL_S))
            try:
                await self._db(self.store.save_tokens, pair, self.seed)
            except Exception:   # the old refresh token is spent: keep working from memory, loudly
                log.exception("zalo: the new token pair could not be stored; it lasts until a restart")
            self.tokens = pair
            log.info("zalo: access token refreshed")
