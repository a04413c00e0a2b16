"""The Zalo OA channel end to end: events signed like Zalo's through the project's real aiohttp app, the real
engine on a real SQLite file, and the real API client against a fake Zalo API and OAuth server on loopback."""
from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Awaitable, Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.zalo.adapter import PAYLOAD_PREFIX, ZaloChannel
from bot.channels.zalo.api import Backoff, ZaloApi
from bot.config import ROOT, Settings, load_settings
from bot.content.loader import Content
from bot.core.engine import Engine
from bot.core.messages import Incoming
from bot.i18n import I18n
from bot.runtime.serve import build_zalo, serve
from bot.runtime.web import (
    ZALO_PATH,
    ZALO_SIGNATURE,
    ZALO_TASKS,
    ZaloHook,
    make_web_app,
)
from bot.runtime.worker import EngineWorker
from bot.storage.database import Storage
from bot.storage.zalo_store import ZaloStore
from tests.campaign_fixtures import FixedClock, campaign_engine, village
from tests.fakes.telegram_api import FakeBotApi, text_update
from tests.fakes.zalo_api import FakeZaloApi
from tests.matcher_cache import CACHE, THRESHOLDS

APP_ID = "4291763606161179100"
OA_SECRET = "oa-Secret_Key-42"
APP_SECRET = "app-secret"
USER, OTHER = "8309393969855402319", "7300442764876318465"   # Zalo ids exceed 2^53
OA = "1423847451268726170"
stamps = itertools.count(1751100041636, 1000)
ids = itertools.count(1)
FAST = Backoff(first_s=0.05, max_s=0.2, tries=5)


def zalo_settings(fake: FakeZaloApi, **env: str) -> Settings:
    return load_settings({"ZALO_APP_ID": APP_ID, "ZALO_APP_SECRET": APP_SECRET, "ZALO_OA_SECRET_KEY": OA_SECRET,
                          "ZALO_ACCESS_TOKEN": "AT-0", "ZALO_REFRESH_TOKEN": "RT-0", "ZALO_API_URL": fake.url,
                          "ZALO_OAUTH_URL": fake.url, **env})


def event(name: str, user: str = USER, **fields: Any) -> dict[str, Any]:
    return {"app_id": APP_ID, "user_id_by_app": "5519876543210987654", "event_name": name,
            "timestamp": str(next(stamps)), "sender": {"id": user}, "recipient": {"id": OA}, **fields}


def text_event(text: str, user: str = USER, msg_id: str | None = None) -> dict[str, Any]:
    return event("user_send_text", user, message={"text": text, "msg_id": msg_id or f"{next(ids):020x}"})


def sign(body: bytes, timestamp: str, secret: str = OA_SECRET) -> str:
    """Zalo's mac, computed here independently of bot.runtime.web."""
    return "mac=" + hashlib.sha256(APP_ID.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


def buttons(message: dict) -> list[dict]:
    return ((message["message"].get("attachment") or {}).get("payload") or {}).get("buttons", [])


@dataclass
class Running:
    """One start of the bot: storage, engine worker, Zalo client and adapter, the web app under a test client."""

    storage: Storage
    engine: Engine
    worker: EngineWorker
    api: ZaloApi
    channel: ZaloChannel
    client: TestClient
    closed: bool = False

    async def post(self, event: dict, signature: str | None = "sign", body: bytes | None = None) -> int:
        body = body if body is not None else json.dumps(event, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            signature = sign(body, event["timestamp"])
        if signature is not None:
            headers[ZALO_SIGNATURE] = signature
        response = await self.client.post(ZALO_PATH, data=body, headers=headers)
        response.release()
        return response.status

    async def settle(self) -> None:
        """Wait until acknowledged events are handled and their replies sent (or queued for later)."""
        tasks = self.client.server.app[ZALO_TASKS]
        while tasks:
            await asyncio.gather(*list(tasks), return_exceptions=True)
        await self.api.flush()

    async def exchange(self, fake: FakeZaloApi, *events: dict) -> list[dict]:
        """Post events (each must be acknowledged), wait, and return the messages the bot sent."""
        start = len(fake.messages)
        for item in events:
            assert await self.post(item) == 200
        await self.settle()
        return fake.messages[start:]

    def outbox(self) -> list[tuple]:
        query = "SELECT user_id, status, attempts, last_error FROM outbox ORDER BY id"
        return self.storage.db.execute(query).fetchall()

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self.client.close()
            await self.api.close()
            self.worker.close()
            self.storage.close()


Launch = Callable[..., Awaitable[Running]]


@pytest.fixture()
async def fake() -> FakeZaloApi:
    api = FakeZaloApi(APP_ID, APP_SECRET)
    await api.start()
    yield api
    await api.stop()


@pytest.fixture()
async def launch(fake: FakeZaloApi, content: Content, i18n: I18n, tmp_path: Path) -> Launch:
    """Starts the bot on tmp_path/zalo.db (again, for a restart) and stops everything after the test."""
    started: list[Running] = []

    async def start(make_engine: Callable[[Storage], Engine] | None = None, backoff: Backoff = FAST,
                    timeout_s: float = 2.0, **env: str) -> Running:
        storage = Storage.open(str(tmp_path / "zalo.db"))
        engine = make_engine(storage) if make_engine else Engine(content, i18n, storage, THRESHOLDS, cache=CACHE)
        worker = EngineWorker(engine)
        settings = zalo_settings(fake, **env)
        channel, api = build_zalo(settings, worker, None, backoff=backoff, timeout_s=timeout_s, poll_s=0.05)
        await api.start(settings.zalo_access_token, settings.zalo_refresh_token)
        client = TestClient(TestServer(make_web_app(zalo=ZaloHook(channel.handle, APP_ID, OA_SECRET))))
        await client.start_server()
        running = Running(storage, engine, worker, api, channel, client)
        started.append(running)
        return running

    yield start
    for running in reversed(started):
        await running.close()


@pytest.fixture()
async def bot(launch: Launch) -> Running:
    return await launch()


# --- conversation ---------------------------------------------------------------------------------------------

async def test_a_question_gets_its_answer_with_buttons(fake: FakeZaloApi, bot: Running) -> None:
    engine = bot.engine
    [answer] = await bot.exchange(fake, text_event("bluezone co ton pin ko"))
    assert answer["recipient"] == {"user_id": USER}
    assert answer["message"]["text"].startswith(engine.content.entries["battery"].answer["vi"])
    assert fake.requests[0].token == "AT-0"
    assert buttons(answer) and all(b["type"] == "oa.query.hide" and b["payload"].startswith(PAYLOAD_PREFIX)
                                   for b in buttons(answer))
    row = bot.storage.db.execute("SELECT user_key, channel, outcome, matched_id FROM messages").fetchone()
    assert row == (f"zalo:{USER}", "zalo", "answered", "battery")
    assert bot.outbox() == [(USER, "sent", 1, None)]


async def test_ids_given_as_json_numbers_stay_exact(fake: FakeZaloApi, bot: Running) -> None:
    stamp = str(next(stamps))
    body = ('{"app_id":"%s","event_name":"user_send_text","timestamp":%s,"sender":{"id":%s},'
            '"recipient":{"id":%s},"message":{"text":"/iphone","msg_id":"n1"}}' % (APP_ID, stamp, USER, OA)).encode()
    assert await bot.post({}, signature=sign(body, stamp), body=body) == 200
    await bot.settle()
    assert [m["recipient"]["user_id"] for m in fake.messages] == [USER]   # not 8309393969855402000


async def test_a_button_press_comes_back_as_a_hidden_query(fake: FakeZaloApi, bot: Running, i18n: I18n) -> None:
    [answer] = await bot.exchange(fake, text_event("bluezone la gi"))
    menu = next(b for b in buttons(answer) if b["payload"] == PAYLOAD_PREFIX + "m")
    assert menu["title"] == i18n.t("vi", "button.menu")
    [reply] = await bot.exchange(fake, text_event(menu["payload"]))   # oa.query.hide: the payload as the text
    assert reply["message"]["text"].startswith(i18n.t("vi", "menu.prompt"))
    last = bot.storage.db.execute("SELECT text, outcome FROM messages ORDER BY id DESC LIMIT 1").fetchone()
    assert last == ("m", "button")


async def test_more_than_five_buttons_become_a_numbered_list(fake: FakeZaloApi, bot: Running, i18n: I18n) -> None:
    engine = bot.engine
    [listing] = await bot.exchange(fake, text_event("/huongdan"))
    guides = engine.replies.guides_list("vi", "").flat_buttons()
    assert len(guides) > 5
    shown = buttons(listing)
    assert [b["title"] for b in shown] == [f"{n}. {g.label}" for n, g in enumerate(guides[:5], 1)]
    text = listing["message"]["text"]
    assert i18n.t("vi", "zalo.more_choices") in text
    assert all(f"{n}. {g.label}" in text for n, g in enumerate(guides[5:], 6))

    [step] = await bot.exchange(fake, text_event("7"))   # a typed number presses the seventh button
    guide = engine.content.guides[guides[6].payload.split(":")[1]]
    assert engine.content.text(guide.title, "vi") in step["message"]["text"] and "1/" in step["message"]["text"]
    assert bot.storage.db.execute("SELECT outcome FROM messages ORDER BY id DESC").fetchone() == ("button",)

    await bot.exchange(fake, text_event("7"))   # no numbered list on screen now: "7" is just text
    assert bot.storage.db.execute("SELECT outcome FROM messages ORDER BY id DESC").fetchone() != ("button",)


async def test_follow_and_chat_now_get_the_welcome_and_the_menu(fake: FakeZaloApi, bot: Running) -> None:
    expected = bot.engine.handle(Incoming("console", "someone", text="/start"))   # what another channel gets
    follow = {"app_id": APP_ID, "oa_id": OA, "event_name": "follow", "timestamp": str(next(stamps)),
              "source": "oa_profile", "user_id_by_app": "1", "follower": {"id": OTHER}}
    welcome, menu = await bot.exchange(fake, follow)
    assert welcome["recipient"]["user_id"] == OTHER and "attachment" not in welcome["message"]
    assert welcome["message"]["text"] == expected[0].text
    assert menu["message"]["text"].startswith(expected[1].text) and len(buttons(menu)) == 5
    chat_now = {"app_id": APP_ID, "oa_id": OA, "user_id": USER, "event_name": "user_click_chatnow",
                "timestamp": str(next(stamps))}
    again = await bot.exchange(fake, chat_now, chat_now)   # a re-delivery is welcomed once
    assert [m["message"]["text"] for m in again] == [welcome["message"]["text"], menu["message"]["text"]]
    assert {m["recipient"]["user_id"] for m in again} == {USER}


async def test_images_stickers_and_files_get_a_friendly_reply(fake: FakeZaloApi, bot: Running, i18n: I18n) -> None:
    image = event("user_send_image", message={"msg_id": "img1", "text": "", "attachments": [
        {"type": "image", "payload": {"url": "https://zalo.example/i.jpg", "thumbnail": "https://zalo.example/t.jp"}}]})
    sticker = event("user_send_sticker", message={"msg_id": "st1", "attachments": [
        {"type": "sticker", "payload": {"id": "a1b2", "url": "https://zalo.example/s.png"}}]})
    file = event("user_send_file", message={"msg_id": "f1", "attachments": [
        {"type": "file", "payload": {"url": "https://zalo.example/f.pdf", "name": "f.pdf", "size": "1024"}}]})
    sent = await bot.exchange(fake, image, sticker, file, image)   # the last is a re-delivery
    assert [m["message"]["text"] for m in sent] == [i18n.t("vi", "zalo.type_question")] * 3


async def test_unknown_events_and_the_oas_own_echoes_are_acknowledged_and_ignored(
        fake: FakeZaloApi, bot: Running, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    echo = event("oa_send_text", OA, message={"text": "an answer", "msg_id": "e1"})
    echo["recipient"] = {"id": USER}
    odd = event("user_did_something_new", message={"msg_id": "u1"})
    seen = event("user_seen_message", message={"msg_ids": ["m1"]})
    assert await bot.exchange(fake, echo, odd, seen) == []
    assert any("user_did_something_new" in r.getMessage() for r in caplog.records)
    assert bot.storage.db["events"].count == 0 and bot.storage.db["messages"].count == 0


# --- the webhook's signature and re-deliveries -----------------------------------------------------------------

async def test_a_bad_or_missing_signature_gets_401_and_writes_nothing(fake: FakeZaloApi, bot: Running) -> None:
    item = text_event("bluezone co ton pin ko")
    body = json.dumps(item).encode()
    forged = body.replace(b"ton pin", b"hack me")
    assert await bot.post(item, signature=None) == 401
    assert await bot.post(item, signature="mac=" + "0" * 64) == 401
    assert await bot.post(item, signature=sign(body, item["timestamp"], "wrong-secret")) == 401
    assert await bot.post(item, signature=sign(body, item["timestamp"]), body=forged) == 401
    assert await bot.post(item, signature=sign(b"{not json", item["timestamp"]), body=b"{not json") == 401
    await bot.settle()
    db = bot.storage.db
    assert fake.messages == [] and not bot.client.server.app[ZALO_TASKS]
    assert [db[t].count for t in ("events", "messages", "users", "outbox")] == [0, 0, 0, 0]
    assert await bot.post(item) == 200   # the same event, correctly signed


async def test_a_replayed_msg_id_is_handled_once_even_after_a_restart(fake: FakeZaloApi, launch: Launch) -> None:
    first = await launch()
    item = text_event("bluezone co ton pin ko", msg_id="a3f9c2")
    assert len(await first.exchange(fake, item, item)) == 1
    await first.close()
    second = await launch()
    assert await second.exchange(fake, item) == []
    assert second.storage.db["messages"].count == 1


# --- tokens ---------------------------------------------------------------------------------------------------

async def test_an_expired_token_is_refreshed_once_stored_first_and_the_message_retried(
        fake: FakeZaloApi, launch: Launch, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await launch()
    saved_at: list[tuple[str, int]] = []
    real_save = ZaloStore.save_tokens

    def recording_save(store: ZaloStore, pair, seed: str) -> None:
        real_save(store, pair, seed)
        saved_at.append((pair.access_token, len(fake.requests)))

    monkeypatch.setattr(ZaloStore, "save_tokens", recording_save)
    fake.expire_access_token()
    fake.refresh_delay = 0.4   # both users' sends fail before the refresh answers
    sent = await bot.exchange(fake, text_event("/iphone", USER), text_event("/android", OTHER))
    assert {m["recipient"]["user_id"] for m in sent} == {USER, OTHER}
    assert len(fake.refreshes) == 1   # the second failure waited for the first refresh
    assert fake.refreshes[0] == {"refresh_token": "RT-0", "app_id": APP_ID, "grant_type": "refresh_token"}
    [(token, requests_before)] = saved_at
    assert token == "AT-1"
    assert all(r.token != "AT-1" for r in fake.requests[:requests_before])   # stored before first use
    assert [r.token for r in fake.requests].count("AT-0") == 2
    stored = bot.storage.db.execute("SELECT access_token, refresh_token, expires_at FROM zalo_tokens").fetchone()
    assert stored[:2] == ("AT-1", "RT-1") and stored[2] > 0

    await bot.close()   # a restart with the same (now spent) settings keeps the stored pair
    again = await launch()
    await again.exchange(fake, text_event("/iphone"))
    assert fake.requests[-1].token == "AT-1" and len(fake.refreshes) == 1

    fake.fail_next(-220)   # "expired" works the same way as "invalid"
    [answer] = await again.exchange(fake, text_event("/android"))
    assert fake.requests[-1].token == "AT-2" and fake.requests[-2].answer == "-220"
    assert again.storage.db.execute("SELECT refresh_token FROM zalo_tokens").fetchone() == ("RT-2",)


async def test_the_token_is_refreshed_ahead_of_expiry_and_a_new_seed_replaces_the_pair(
        fake: FakeZaloApi, launch: Launch) -> None:
    bot = await launch()
    bot.api.tokens = replace(bot.api.tokens, expires_at=time.time() + 60)   # inside the ten-minute margin
    await bot.exchange(fake, text_event("/iphone"))
    assert len(fake.refreshes) == 1 and [r.token for r in fake.requests] == ["AT-1"]   # no -216 first
    await bot.close()
    reseeded = await launch(ZALO_ACCESS_TOKEN="AT-new", ZALO_REFRESH_TOKEN="RT-new")   # the operator's new pair
    assert (reseeded.api.tokens.access_token, reseeded.api.tokens.refresh_token) == ("AT-new", "RT-new")
    stored = reseeded.storage.db.execute("SELECT access_token, refresh_token FROM zalo_tokens").fetchall()
    assert stored == [("AT-new", "RT-new")]


async def test_a_failed_refresh_leaves_the_message_queued(fake: FakeZaloApi, launch: Launch) -> None:
    bot = await launch(backoff=Backoff(first_s=30))
    fake.expire_access_token()
    fake.refresh_token = "RT-someone-else"   # ours is rejected
    assert await bot.exchange(fake, text_event("/iphone")) == []
    [(user, status, attempts, error)] = bot.outbox()
    assert (status, attempts) == ("pending", 1) and "refresh refused" in error


# --- the outbox -----------------------------------------------------------------------------------------------

async def test_unreachable_users_are_recorded_and_not_retried(fake: FakeZaloApi, bot: Running) -> None:
    fake.fail_next(-230)
    assert await bot.exchange(fake, text_event("/iphone")) == []
    fake.fail_next(-213)
    assert await bot.exchange(fake, text_event("/android", OTHER)) == []
    await asyncio.sleep(0.3)   # several outbox rounds and back-off periods
    await bot.api.flush()
    assert len(fake.requests) == 2
    rows = bot.outbox()
    assert [(r[1], r[2]) for r in rows] == [("unreachable", 1), ("unreachable", 1)]
    assert rows[0][3].startswith("-230") and rows[1][3].startswith("-213")


async def test_network_trouble_is_retried_with_back_off(fake: FakeZaloApi, launch: Launch) -> None:
    bot = await launch(timeout_s=0.3)
    fake.fail_next("timeout")
    fake.fail_next("429")
    fake.fail_next(-32)
    await bot.exchange(fake, text_event("/iphone"))
    await fake.wait_for(1)
    await bot.api.flush()
    assert [r.answer for r in fake.requests] == ["timeout", "429", "-32", "ok"]
    assert bot.outbox() == [(USER, "sent", 4, None)]


async def test_a_5xx_is_retried_from_the_outbox_after_a_restart_in_order(fake: FakeZaloApi, launch: Launch) -> None:
    first = await launch(backoff=Backoff(first_s=0.5))
    fake.fail_next("5xx")
    follow = {"app_id": APP_ID, "event_name": "follow", "timestamp": str(next(stamps)), "follower": {"id": USER}}
    assert await first.exchange(fake, follow) == []   # the welcome failed; the menu waits behind it
    assert [r[1:3] for r in first.outbox()] == [("pending", 1), ("pending", 0)]
    await first.close()   # the bot stops before the retry is due

    second = await launch()
    welcome, menu = await fake.wait_for(2)
    assert "Xin chào" in welcome["message"]["text"] and buttons(menu)
    await second.api.flush()
    assert [r[1:3] for r in second.outbox()] == [("sent", 2), ("sent", 1)]


# --- rendering: long answers, images, documents, the visit form ------------------------------------------------

LONG = "\n\n".join(f"Đoạn {i}: " + " ".join(["chữ"] * 120) for i in range(12))


@pytest.fixture()
def rich(content: Content, i18n: I18n, tmp_path: Path) -> Callable[[Storage], Engine]:
    """The shipped content with a long answer, and a guide whose first step has an image."""
    pack = tmp_path / "pack"
    (pack / "img").mkdir(parents=True)
    (pack / "img" / "bước 1.png").write_bytes(b"\x89PNG")
    battery = replace(content.entries["battery"], answer={"vi": LONG, "en": LONG})
    guide = content.guides["android_install"]
    steps = (replace(guide.steps[0], image="img/bước 1.png"), *guide.steps[1:])
    changed = replace(content, entries={**content.entries, "battery": battery}, base_dir=pack,
                      guides={**content.guides, "android_install": replace(guide, steps=steps)})
    return lambda storage: Engine(changed, i18n, storage, THRESHOLDS, cache=CACHE)


async def test_long_answers_are_split_under_2000_with_buttons_on_the_last(fake: FakeZaloApi, launch: Launch,
                                                                          rich) -> None:
    bot = await launch(rich)
    parts = await bot.exchange(fake, text_event("bluezone co ton pin ko"))
    assert len(parts) >= 3 and all(len(p["message"]["text"]) <= 2000 for p in parts)
    assert [bool(buttons(p)) for p in parts] == [False] * (len(parts) - 1) + [True]
    assert "\n\n".join(p["message"]["text"] for p in parts).startswith(LONG)


async def test_guide_images_go_as_a_media_template_only_with_a_public_url(fake: FakeZaloApi, launch: Launch,
                                                                         rich) -> None:
    plain = await launch(rich)
    [step] = await plain.exchange(fake, text_event(PAYLOAD_PREFIX + "g:android_install:0"))
    assert "1/" in step["message"]["text"] and buttons(step)   # no public URL: the text alone
    await plain.close()
    public = await launch(rich, ZALO_IMAGE_BASE_URL="https://cdn.example.org/faq/")
    image, text = await public.exchange(fake, text_event(PAYLOAD_PREFIX + "g:android_install:0"))
    payload = image["message"]["attachment"]["payload"]
    url = "https://cdn.example.org/faq/img/b%C6%B0%E1%BB%9Bc%201.png"   # "bước 1.png", quoted
    assert payload == {"template_type": "media", "elements": [{"media_type": "image", "url": url}]}
    assert text["message"]["text"] == step["message"]["text"]


async def test_a_document_reply_is_sent_as_text_with_a_note(fake: FakeZaloApi, bot: Running, i18n: I18n) -> None:
    from bot.core.messages import Reply
    msg = Incoming("zalo", USER, USER, text="x")
    [message] = await bot.channel.render(msg, Reply("Báo cáo tuần", document="/tmp/r.xlsx"), [])
    assert message == {"text": "Báo cáo tuần\n\n" + i18n.t("vi", "zalo.document_note")}


async def test_a_member_logs_a_visit_with_typed_numbers_and_a_shared_location(
        fake: FakeZaloApi, launch: Launch, content: Content, i18n: I18n) -> None:
    def campaign(storage: Storage) -> Engine:
        engine, store, _ = campaign_engine(content, i18n, storage, FixedClock())
        store.set_member(f"zalo:{USER}", village(store, "Thôn Đông An Vĩnh"), "member")
        return engine

    bot = await launch(campaign)
    await bot.exchange(fake, text_event("/ghi"))
    [ask] = await bot.exchange(fake, text_event("Nhà bà Năm"))
    assert "có bao nhiêu người" in ask["message"]["text"] and "1 · 2 · 3" in ask["message"]["text"]
    assert [b["payload"] for b in buttons(ask)] == [PAYLOAD_PREFIX + "v:cancel"]   # the numbers are typed
    for typed in ("5", "3", "1", "2"):
        await bot.exchange(fake, text_event(typed))
    [note] = await bot.exchange(fake, text_event("không"))
    location = event("user_send_location", message={"msg_id": "loc1", "text": "Thôn Đông", "attachments": [
        {"type": "location", "payload": {"coordinates": {"latitude": "15.38", "longitude": "109.12"}}}]})
    [summary] = await bot.exchange(fake, location)
    assert "Vị trí: đã có" in summary["message"]["text"]
    save = next(b["payload"] for b in buttons(summary) if b["payload"].endswith("v:save"))
    [saved] = await bot.exchange(fake, text_event(save))
    assert "Đã lưu hộ Nhà bà Năm" in saved["message"]["text"]
    row = bot.storage.db.execute("SELECT residents, smartphones, had_app, installed, latitude, longitude FROM visits")
    assert row.fetchone() == (5, 3, 1, 2, 15.38, 109.12)


# --- serving: bot.runtime.serve and bot.py serve -----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_serve_runs_zalo_telegram_and_healthz_on_one_server(fake: FakeZaloApi, engine: Engine,
                                                                  i18n: I18n) -> None:
    telegram = FakeBotApi("123:ABC")
    await telegram.start()
    settings = zalo_settings(fake, TELEGRAM_BOT_TOKEN="123:ABC", TELEGRAM_BASE_URL=telegram.base_url,
                             TELEGRAM_WEBHOOK_SECRET="tg-secret")
    stop, port, worker = asyncio.Event(), free_port(), EngineWorker(engine)
    task = asyncio.create_task(serve(settings, worker, i18n, "127.0.0.1", port, stop=stop))
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(base + "/healthz") as health:
                        assert await health.text() == "ok"
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            item = text_event("/iphone")
            body = json.dumps(item).encode()
            async with http.post(base + ZALO_PATH, data=body,
                                 headers={ZALO_SIGNATURE: sign(body, item["timestamp"])}) as response:
                assert response.status == 200
            async with http.post(base + "/telegram/webhook", json=text_update(1, 4242, "/iphone"),
                                 headers={"X-Telegram-Bot-Api-Secret-Token": "tg-secret"}) as response:
                assert response.status == 200
        await fake.wait_for(1)
        await telegram.wait_for("sendMessage")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        worker.close()
        await telegram.stop()
    assert "App Store" in fake.texts(USER)[0]


async def test_bot_py_serve_answers_zalo_and_stops_on_sigterm(fake: FakeZaloApi, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_", "ZALO_"))}
    env.update(BOT_DB=str(tmp_path / "serve.db"), ZALO_APP_ID=APP_ID, ZALO_APP_SECRET=APP_SECRET,
               ZALO_OA_SECRET_KEY=OA_SECRET, ZALO_ACCESS_TOKEN="AT-0", ZALO_REFRESH_TOKEN="RT-0",
               ZALO_API_URL=fake.url, ZALO_OAUTH_URL=fake.url, BOT_LOG_LEVEL="DEBUG")
    port = free_port()
    proc = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "bot.py"), "serve", "--port", str(port),
                                                env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz"):
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            item = text_event("số 0905123456 có tốn pin không")
            body = json.dumps(item).encode()
            async with http.post(f"http://127.0.0.1:{port}{ZALO_PATH}", data=body,
                                 headers={ZALO_SIGNATURE: sign(body, item["timestamp"])}) as response:
                assert response.status == 200
        await fake.wait_for(1, timeout=10)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 15)
    log = err.decode("utf-8")
    assert proc.returncode == 0, log
    assert "Traceback" not in log and "AT-0" not in log and OA_SECRET not in log and "0905123456" not in log
