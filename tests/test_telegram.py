"""The Telegram channel end to end: the real python-telegram-bot Application over real HTTP against the fake
Bot API on loopback, the real engine and a real SQLite file; webhooks through the project's aiohttp app."""
from __future__ import annotations

import asyncio
import html
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Awaitable, Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from telegram.ext import Application

from bot.channels.telegram.adapter import ALLOWED_UPDATES, COMMANDS
from bot.channels.telegram.run import (
    build_application,
    run_telegram,
    start_telegram,
    stop_telegram,
)
from bot.config import ROOT, Settings, load_settings
from bot.content.loader import Content
from bot.core.engine import Engine
from bot.i18n import I18n
from bot.runtime.gate import FloodGuard, FloodLimits
from bot.runtime.web import SECRET_HEADER, TELEGRAM_PATH, make_web_app, webhook_problem
from bot.runtime.worker import EngineWorker
from bot.storage.database import Storage
from tests.fakes.telegram_api import (
    Call,
    FakeBotApi,
    callback_update,
    chat_dict,
    location_update,
    text_update,
)
from tests.matcher_cache import CACHE, THRESHOLDS

TOKEN = "123:ABC"
SECRET = "s3cret_Token-1"
USER, OTHER, GROUP = 4242, 5353, -100500
ids = itertools.count(1)   # update ids only ever grow, as Telegram's do


def nid() -> int:
    return next(ids)


def tg_settings(fake: FakeBotApi) -> Settings:
    return load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": fake.base_url,
                          "TELEGRAM_WEBHOOK_SECRET": SECRET})


def esc(text: str) -> str:
    return html.escape(text, quote=False)


@pytest.fixture()
async def fake() -> FakeBotApi:
    api = FakeBotApi(TOKEN)
    await api.start()
    yield api
    await api.stop()


Launch = Callable[..., Awaitable[tuple[Application, EngineWorker]]]


@pytest.fixture()
async def launch(fake: FakeBotApi, i18n: I18n) -> Launch:
    """Starts Applications (long polling, or updater-less for webhooks) and stops them after the test."""
    started: list[tuple[Application, EngineWorker]] = []

    async def start(engine: Engine, *, webhook: bool = False, flood: FloodGuard | None = None):
        worker = EngineWorker(engine, flood)
        app = build_application(tg_settings(fake), worker, i18n, webhook=webhook)
        started.append((app, worker))
        await start_telegram(app, i18n)
        if not webhook:
            await app.updater.start_polling(poll_interval=0.0, timeout=timedelta(seconds=1),
                                            allowed_updates=ALLOWED_UPDATES)
        return app, worker

    yield start
    for app, worker in reversed(started):
        await stop_telegram(app)
        worker.close()


@pytest.fixture()
async def app(launch: Launch, engine: Engine) -> Application:
    return (await launch(engine))[0]


async def settle(fake: FakeBotApi, app: Application, last_id: int) -> None:
    """Wait until every update up to last_id was fetched (the next poll confirms it) and fully handled."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while not any(int(p.get("offset") or 0) > last_id for p in fake.calls_to("getUpdates")):
        assert loop.time() < deadline, "updates were not fetched"
        await asyncio.sleep(0.01)
    await asyncio.wait_for(app.update_queue.join(), 5)


async def exchange(fake: FakeBotApi, app: Application, *updates: dict[str, Any]) -> list[Call]:
    """Push updates, wait until they are handled, and return the bot's calls (polls left out)."""
    start = len(fake.calls)
    for update in updates:
        fake.push_update(update)
    await settle(fake, app, max(u["update_id"] for u in updates))
    return [c for c in fake.calls[start:] if c.method != "getUpdates"]


def sent(calls: list[Call], method: str = "sendMessage") -> list[dict[str, Any]]:
    return [c.params for c in calls if c.method == method]


def payloads(params: dict[str, Any]) -> list[str]:
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row]


def message_id_of(fake: FakeBotApi, params: dict[str, Any]) -> int:
    """The id the fake gave the message sent with these params."""
    return next(m["message_id"] for m in reversed(fake.sent_messages)
                if m.get("text") == params.get("text") and m.get("caption") == params.get("caption"))


# --- conversation ---------------------------------------------------------------------------------------------

async def test_start_greets_in_the_users_language_with_the_menu_as_inline_buttons(
        fake: FakeBotApi, app: Application, i18n: I18n) -> None:
    vi = sent(await exchange(fake, app, text_update(nid(), USER, "/start", language_code="vi")))
    assert [m["chat_id"] for m in vi] == [USER, USER]
    assert "Xin chào" in vi[0]["text"] and all(m["parse_mode"] == "HTML" for m in vi)
    assert vi[1]["text"] == esc(i18n.t("vi", "menu.prompt"))
    assert "f:install" in payloads(vi[1]) and "gl" in payloads(vi[1])
    en = sent(await exchange(fake, app, text_update(nid(), OTHER, "/start", language_code="en-GB")))
    assert en[0]["text"].startswith("Hello") and en[1]["text"] == esc(i18n.t("en", "menu.prompt"))


async def test_command_menu_is_registered_in_vietnamese_and_english(fake: FakeBotApi, app: Application,
                                                                    i18n: I18n) -> None:
    for code, lang in (("vi", "vi"), ("en", "en"), ("", "vi")):
        commands = fake.commands_for(code)
        assert [c["command"] for c in commands] == list(COMMANDS), code
        assert commands[0]["description"] == i18n.t(lang, "tg.cmd.start")
    assert fake.commands_for("vi") != fake.commands_for("en")


async def test_deep_link_and_guide_commands(fake: FakeBotApi, app: Application, engine: Engine) -> None:
    [answer] = sent(await exchange(fake, app, text_update(nid(), USER, "/start f:battery")))
    assert answer["text"] == esc(engine.content.entries["battery"].answer["vi"])
    guides = sent(await exchange(fake, app, text_update(nid(), USER, "/huongdan")))
    assert any(p.startswith("g:") for p in payloads(guides[-1]))
    [ios] = sent(await exchange(fake, app, text_update(nid(), USER, "/iphone")))
    assert "App Store" in ios["text"]


async def test_question_with_and_without_diacritics_gets_the_same_answer(
        fake: FakeBotApi, app: Application, engine: Engine) -> None:
    [marked] = sent(await exchange(fake, app, text_update(nid(), USER, "Bluezone có tốn pin không?")))
    [plain] = sent(await exchange(fake, app, text_update(nid(), OTHER, "bluezone co ton pin ko")))
    assert marked["text"] == plain["text"] == esc(engine.content.entries["battery"].answer["vi"])
    assert payloads(marked) == payloads(plain) and "m" in payloads(marked)


async def test_os_choice_then_a_guide_walked_with_next_and_back_edits_in_place(
        fake: FakeBotApi, app: Application, engine: Engine) -> None:
    total = len(engine.content.guides["android_install"].steps)
    [install] = sent(await exchange(fake, app, text_update(nid(), USER, "cài bluezone thế nào")))
    assert {"g:android_install:0", "g:ios_install:0"} <= set(payloads(install))

    calls = await exchange(fake, app, callback_update(nid(), USER, "g:android_install:0", message_id_of(fake, install)))
    [step] = sent(calls)
    assert len(sent(calls, "answerCallbackQuery")) == 1 and f"1/{total}" in step["text"]
    step_id = message_id_of(fake, step)

    for data, shown in (("g:android_install:1", 2), ("g:android_install:2", 3), ("g:android_install:1", 2)):
        calls = await exchange(fake, app, callback_update(nid(), USER, data, step_id))
        [edit] = sent(calls, "editMessageText")
        assert not sent(calls) and len(sent(calls, "answerCallbackQuery")) == 1
        assert edit["message_id"] == step_id and f"{shown}/{total}" in edit["text"]
        assert edit["parse_mode"] == "HTML" and payloads(edit)

    fake.fail_next("editMessageText", 400, "Bad Request: message is not modified")
    calls = await exchange(fake, app, callback_update(nid(), USER, "g:android_install:2", step_id))
    [fallback] = sent(calls)   # the edit failed: the step comes as a new message
    assert f"3/{total}" in fallback["text"] and "g:android_install:1" in payloads(fallback)


@pytest.mark.parametrize("data", ["g:android_install:99", "zzz<b>", "f:" + "x" * 62, "gd:nope"])
async def test_stale_or_forged_callback_gets_a_polite_reply(fake: FakeBotApi, app: Application, data: str,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    calls = await exchange(fake, app, callback_update(nid(), USER, data, 1))
    assert len(sent(calls, "answerCallbackQuery")) == 1
    [reply] = sent(calls)
    assert "cũ" in reply["text"] and "f:install" in payloads(reply)   # "this button is old", and the menu
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_location_and_20000_character_message_are_handled(fake: FakeBotApi, app: Application,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    calls = await exchange(fake, app, text_update(nid(), USER, "cài bluezone " * 1538 + "x" * 6))
    assert sent(calls) and all(len(html.unescape(m["text"])) <= 4096 for m in sent(calls))
    assert sent(await exchange(fake, app, location_update(nid(), USER, 15.12, 108.8)))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# --- groups ---------------------------------------------------------------------------------------------------

def group_update(text: str, entities: list[dict] | None = None, reply_to_bot: bool = False) -> dict[str, Any]:
    update = text_update(nid(), USER, text, chat_id=GROUP, entities=entities)
    if reply_to_bot:
        update["message"]["reply_to_message"] = {
            "message_id": 1, "date": update["message"]["date"], "chat": chat_dict(GROUP),
            "from": {"id": 123, "is_bot": True, "first_name": "Test Bot", "username": "TestBot"}, "text": "…"}
    return update


async def test_group_answers_only_commands_mentions_and_replies_to_the_bot(
        fake: FakeBotApi, app: Application, engine: Engine) -> None:
    quiet = await exchange(fake, app, group_update("cài bluezone thế nào"), group_update("/help@OtherBot"),
                           group_update("hỏi @someone_else nhé", [{"type": "mention", "offset": 4, "length": 13}]))
    assert quiet == []

    mention = [{"type": "mention", "offset": 0, "length": 8}]
    [answer] = sent(await exchange(fake, app, group_update("@TestBot cài bluezone thế nào", mention)))
    assert answer["chat_id"] == GROUP and "g:android_install:0" in payloads(answer)
    last = next(engine.storage.db.query("SELECT text FROM messages ORDER BY id DESC LIMIT 1"))
    assert last["text"] == "cài bluezone thế nào"   # the mention is not part of the question

    text_mention = [{"type": "text_mention", "offset": 4, "length": 8,
                     "user": {"id": 123, "is_bot": True, "first_name": "Test Bot"}}]
    assert sent(await exchange(fake, app, group_update("hỏi Test Bot: tốn pin không", text_mention)))
    assert sent(await exchange(fake, app, group_update("/help@TestBot")))
    assert sent(await exchange(fake, app, group_update("/iphone")))
    assert sent(await exchange(fake, app, group_update("còn iphone thì sao", reply_to_bot=True)))


# --- limits and failures --------------------------------------------------------------------------------------

async def test_the_same_update_twice_is_answered_once(fake: FakeBotApi, app: Application) -> None:
    update = text_update(nid(), USER, "bluezone co ton pin ko")
    assert len(sent(await exchange(fake, app, update, update))) == 1


async def test_a_flooding_user_is_slowed_down_once_then_ignored(fake: FakeBotApi, launch: Launch, engine: Engine,
                                                                i18n: I18n) -> None:
    app, _ = await launch(engine, flood=FloodGuard(FloodLimits(messages=3, window_s=60, pause_s=60)))
    calls = await exchange(fake, app, *[text_update(nid(), USER, "/iphone") for _ in range(6)])
    texts = [m["text"] for m in sent(calls)]
    assert len(texts) == 4 and texts[3] == esc(i18n.t("vi", "flood.slow_down"))
    assert sent(await exchange(fake, app, text_update(nid(), OTHER, "/iphone")))   # others are not affected


async def test_a_blocked_user_does_not_stop_the_bot(fake: FakeBotApi, app: Application,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    blocked = nid()
    calls = await exchange(fake, app, text_update(blocked, USER, "/start"))
    assert len(sent(calls)) == 1   # the failed one; no apology to a chat that blocked us
    assert any(f"update {blocked}" in r.getMessage() and "blocked" in r.getMessage() for r in caplog.records)
    assert len(sent(await exchange(fake, app, text_update(nid(), OTHER, "/start")))) == 2


async def test_api_and_network_errors_are_logged_and_apologised(fake: FakeBotApi, app: Application, i18n: I18n,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    apology = esc(i18n.t("vi", "error.generic"))
    for code, description in ((400, "Bad Request: can't parse entities"), (502, "Bad Gateway")):
        fake.fail_next("sendMessage", code, description)
        update_id = nid()
        texts = [m["text"] for m in sent(await exchange(fake, app, text_update(update_id, USER, "/iphone")))]
        assert texts[-1] == apology
        assert any(f"update {update_id}" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


async def test_a_handler_exception_is_logged_and_apologised(fake: FakeBotApi, launch: Launch, engine: Engine,
                                                            i18n: I18n, caplog: pytest.LogCaptureFixture) -> None:
    app, worker = await launch(engine)
    worker.close()   # the engine thread is gone: every handle() now raises
    update_id = nid()
    [apology] = sent(await exchange(fake, app, text_update(update_id, USER, "/start", language_code="en")))
    assert apology["text"] == esc(i18n.t("en", "error.generic"))
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == f"update {update_id}: handler failed" and record.exc_info


async def test_logs_never_carry_the_token_or_the_users_words(fake: FakeBotApi, launch: Launch, engine: Engine,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app, _ = await launch(engine)
    fake.fail_next("sendMessage", 502, "Bad Gateway")
    await exchange(fake, app, text_update(nid(), USER, "số điện thoại 0905123456 tốn pin"),
                   callback_update(nid(), OTHER, "zzz", 1))
    assert caplog.records and TOKEN not in caplog.text and "0905123456" not in caplog.text


# --- rendering: escaping, long answers, photos ---------------------------------------------------------------

LONG_ANSWER = "\n\n".join(f"Đoạn {i}: <b>đậm</b> & \"trích\"" + " chữ" * 100 for i in range(30))


@pytest.fixture()
def rich_engine(content: Content, i18n: I18n, storage: Storage, tmp_path: Path) -> Engine:
    """The shipped content with a long answer holding markup, and guide steps with images."""
    (tmp_path / "step.png").write_bytes(b"\x89PNG fake image")
    battery = replace(content.entries["battery"], answer={"vi": LONG_ANSWER, "en": LONG_ANSWER})
    guide = content.guides["android_install"]
    long_step = {"vi": "Bước dài. " * 150, "en": "A long step. " * 100}
    steps = (replace(guide.steps[0], image="step.png"), replace(guide.steps[1], image="step.png", text=long_step),
             *guide.steps[2:])
    rich = replace(content, entries={**content.entries, "battery": battery},
                   guides={**content.guides, "android_install": replace(guide, steps=steps)}, base_dir=tmp_path)
    return Engine(rich, i18n, storage, THRESHOLDS, cache=CACHE)


async def test_long_answer_is_split_and_markup_is_escaped(fake: FakeBotApi, launch: Launch,
                                                          rich_engine: Engine) -> None:
    app, _ = await launch(rich_engine)
    parts = sent(await exchange(fake, app, text_update(nid(), USER, "bluezone co ton pin ko")))
    assert len(parts) >= 3 and all(len(html.unescape(p["text"])) <= 4096 for p in parts)
    assert [bool(p.get("reply_markup")) for p in parts] == [False] * (len(parts) - 1) + [True]
    assert "<b>" not in "".join(p["text"] for p in parts)
    assert parts[0]["text"].startswith("Đoạn 0: &lt;b&gt;đậm&lt;/b&gt; &amp; \"trích\"")
    assert "\n\n".join(html.unescape(p["text"]) for p in parts) == LONG_ANSWER


async def test_guide_steps_with_images_are_sent_as_photos(fake: FakeBotApi, launch: Launch,
                                                          rich_engine: Engine) -> None:
    app, _ = await launch(rich_engine)
    calls = await exchange(fake, app, callback_update(nid(), USER, "g:android_install:0", 1))
    [photo] = sent(calls, "sendPhoto")
    assert photo["photo"].data == b"\x89PNG fake image" and "1/" in photo["caption"] and payloads(photo)
    photo_id = next(m for m in fake.sent_messages if m.get("photo"))["message_id"]

    calls = await exchange(fake, app, callback_update(nid(), USER, "g:android_install:1", photo_id))
    [bare], [text] = sent(calls, "sendPhoto"), sent(calls)   # caption too long: the photo, then the text
    assert "caption" not in bare and "reply_markup" not in bare and "2/" in text["text"] and payloads(text)

    calls = await exchange(fake, app, callback_update(nid(), USER, "g:android_install:0", photo_id))
    [again] = sent(calls, "sendPhoto")
    assert isinstance(again["photo"], str)   # uploaded once, then sent by file_id


# --- webhook --------------------------------------------------------------------------------------------------

async def test_webhook_checks_the_secret_and_handles_each_update_once(fake: FakeBotApi, launch: Launch,
                                                                      engine: Engine) -> None:
    app, _ = await launch(engine, webhook=True)
    assert app.updater is None
    async with TestClient(TestServer(make_web_app(telegram=app, telegram_secret=SECRET))) as client:
        health = await client.get("/healthz")
        assert health.status == 200 and await health.text() == "ok"
        update = text_update(nid(), USER, "bluezone co ton pin ko")
        assert (await client.post(TELEGRAM_PATH, json=update)).status == 403
        assert (await client.post(TELEGRAM_PATH, json=update, headers={SECRET_HEADER: "wrong"})).status == 403
        await app.update_queue.join()
        assert fake.calls_to("sendMessage") == []

        good = {SECRET_HEADER: SECRET}
        assert (await client.post(TELEGRAM_PATH, data="{not json", headers=good)).status == 400
        assert (await client.post(TELEGRAM_PATH, json=["x"], headers=good)).status == 400
        for _ in range(2):   # Telegram re-delivers when it does not hear back in time
            assert (await client.post(TELEGRAM_PATH, json=update, headers=good)).status == 200
        await app.update_queue.join()
        assert len(fake.calls_to("sendMessage")) == 1
        assert (await client.get(TELEGRAM_PATH)).status == 405


def test_webhook_needs_https_and_a_valid_secret() -> None:
    assert webhook_problem("https://bot.example.org/telegram/webhook", SECRET) is None
    assert webhook_problem("http://bot.example.org/hook", SECRET) == "cli.webhook_https"
    assert webhook_problem("bot.example.org", SECRET) == "cli.webhook_https"
    for secret in ("", "has space", "x" * 257, "ngõ"):
        assert webhook_problem("https://bot.example.org/hook", secret) == "cli.webhook_secret"
    with pytest.raises(ValueError):
        make_web_app(telegram=object(), telegram_secret="")  # type: ignore[arg-type]


# --- running: run_telegram and bot.py -------------------------------------------------------------------------

async def test_run_telegram_polls_and_stops_cleanly(fake: FakeBotApi, engine: Engine, i18n: I18n) -> None:
    stop = asyncio.Event()
    worker = EngineWorker(engine)
    task = asyncio.create_task(run_telegram(tg_settings(fake), worker, i18n, None, stop=stop,
                                            poll_timeout=timedelta(seconds=1)))
    fake.push_update(text_update(nid(), USER, "/start"))
    await fake.wait_for("sendMessage", 2)
    stop.set()
    await asyncio.wait_for(task, 5)
    worker.close()
    assert "deleteWebhook" in fake.methods_called() and fake.commands_for("en")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_run_telegram_serves_the_webhook(fake: FakeBotApi, engine: Engine, i18n: I18n) -> None:
    stop, port = asyncio.Event(), free_port()
    worker = EngineWorker(engine)
    url = "https://bot.example.org/telegram/webhook"
    task = asyncio.create_task(run_telegram(tg_settings(fake), worker, i18n, url, "127.0.0.1", port, stop=stop))
    try:
        await fake.wait_for("setWebhook")
        assert fake.webhook["url"] == url and fake.webhook["secret_token"] == SECRET
        assert set(fake.webhook["allowed_updates"]) == {"message", "callback_query"}
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{port}{TELEGRAM_PATH}", json=text_update(nid(), USER, "/start"),
                                 headers={SECRET_HEADER: SECRET}) as response:
                assert response.status == 200
        await fake.wait_for("sendMessage", 2)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        worker.close()
    assert "getUpdates" not in fake.methods_called()


def run_cli(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    environ.update(BOT_DB=str(tmp_path / "cli.db"), **env)
    return subprocess.run([sys.executable, str(ROOT / "bot.py"), *args], capture_output=True, text=True,
                          encoding="utf-8", env=environ, cwd=tmp_path, timeout=60)


def test_cli_explains_missing_or_wrong_telegram_settings(tmp_path: Path) -> None:
    no_token = run_cli(["telegram"], tmp_path)
    assert no_token.returncode == 2 and "TELEGRAM_BOT_TOKEN" in no_token.stderr and "Hãy" in no_token.stderr
    listing = run_cli([], tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
    assert listing.returncode == 0 and "python bot.py telegram" in listing.stdout and "python bot.py chat" in listing.stdout
    http = run_cli(["telegram", "--webhook", "http://bot.example.org/hook"], tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
    assert http.returncode == 2 and "https://" in http.stderr
    secretless = run_cli(["telegram", "--webhook", "https://bot.example.org/hook"], tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
    assert secretless.returncode == 2 and "TELEGRAM_WEBHOOK_SECRET" in secretless.stderr
    for done in (no_token, listing, http, secretless):
        assert "Traceback" not in done.stderr


def test_ask_does_not_import_telegram(tmp_path: Path) -> None:
    probe = subprocess.run(
        [sys.executable, "-X", "importtime", str(ROOT / "bot.py"), "ask", "tốn pin không"], capture_output=True,
        text=True, encoding="utf-8", env={**os.environ, "BOT_DB": str(tmp_path / "a.db")}, cwd=tmp_path, timeout=60)
    assert probe.returncode == 0
    assert not [line for line in probe.stderr.splitlines() if line.rstrip().endswith(("| telegram", "| aiohttp"))]


async def test_bot_py_telegram_runs_against_the_fake_and_stops_on_sigterm(fake: FakeBotApi, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=fake.base_url, BOT_DB=str(tmp_path / "tg.db"),
               BOT_LOG_LEVEL="DEBUG")
    proc = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "bot.py"), "telegram", env=env,
                                                cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        await fake.wait_for("getUpdates", timeout=15)
        fake.push_update(text_update(nid(), USER, "bluezone co ton pin ko"))
        [answer] = await fake.wait_for("sendMessage")
        assert answer["parse_mode"] == "HTML" and "pin" in answer["text"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 10)
    log = err.decode("utf-8")
    assert proc.returncode == 0, log
    assert "Traceback" not in log and TOKEN not in log and "ton pin" not in log
    stored = Storage.open(str(tmp_path / "tg.db"))
    assert stored.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 1
    stored.close()


async def test_a_report_file_is_sent_as_a_document(tmp_path) -> None:
    """A Reply with a document becomes sendDocument with the text as caption."""
    from telegram import Bot

    from bot.channels.telegram.adapter import TelegramAdapter
    from bot.core.messages import Reply
    from tests.fakes.telegram_api import FakeBotApi

    path = tmp_path / "bao-cao.xlsx"
    path.write_bytes(b"PK fake xlsx")
    async with FakeBotApi() as fake:
        bot = Bot("123:ABC", base_url=fake.base_url, base_file_url=fake.base_file_url)
        async with bot:
            adapter = TelegramAdapter(worker=None, i18n=None)   # type: ignore[arg-type]
            await adapter.send(bot, 42, [Reply("Báo cáo <tỉnh>", document=str(path))])
        params = (await fake.wait_for("sendDocument"))[0]
    assert params["caption"] == "Báo cáo &lt;tỉnh&gt;" and params["chat_id"] == 42
