"""The fake Bot API server works with the real python-telegram-bot over loopback HTTP."""
from __future__ import annotations

import asyncio
import io

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.telegram_api import (
    FakeBotApi,
    UploadedFile,
    callback_update,
    location_update,
    photo_update,
    text_update,
)

TOKEN = "123:ABC"
USER = 4242
GROUP = -100500


@pytest.fixture()
async def fake() -> FakeBotApi:
    api = FakeBotApi(TOKEN)
    await api.start()
    yield api
    await api.stop()


def build_app(fake: FakeBotApi, token: str = TOKEN, *, with_updater: bool = True) -> Application:
    builder = Application.builder().token(token).base_url(fake.base_url).base_file_url(fake.base_file_url)
    if not with_updater:
        builder = builder.updater(None)
    return builder.build()


KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Yes", callback_data="yes"), InlineKeyboardButton("No", callback_data="no")]]
)


async def test_polling_round_trip_with_real_application(fake: FakeBotApi) -> None:
    replies: list[Message] = []
    edited: list[Message | bool] = []

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        replies.append(await update.message.reply_text("echo: " + update.message.text, reply_markup=KEYBOARD))

    async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("got it")
        edited.append(await query.edit_message_text(f"you chose {query.data}"))

    app = build_app(fake)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(on_callback))

    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        assert app.bot.username == "TestBot"
        fake.push_update(text_update(1, USER, "xin chào"))
        [sent] = await fake.wait_for("sendMessage")
        assert sent["chat_id"] == USER
        assert sent["text"] == "echo: xin chào"
        assert sent["reply_markup"] == KEYBOARD.to_dict()
        assert fake.sent_texts(USER) == ["echo: xin chào"]

        msg_id = fake.sent_messages[0]["message_id"]  # the reply the fake returned to PTB
        fake.push_update(callback_update(2, USER, "yes", msg_id, reply_markup=KEYBOARD.to_dict()))
        [answer] = await fake.wait_for("answerCallbackQuery")
        [edit] = await fake.wait_for("editMessageText")
        assert answer == {"callback_query_id": "cbq-2", "text": "got it"}
        assert edit["chat_id"] == USER and edit["message_id"] == msg_id
        assert fake.sent_texts() == ["echo: xin chào", "you chose yes"]
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    # PTB parsed the fake's answers into real objects.
    assert replies[0].chat.type == "private" and replies[0].from_user.is_bot
    assert replies[0].reply_markup == KEYBOARD
    assert isinstance(edited[0], Message) and edited[0].text == "you chose yes"
    methods = fake.methods_called()
    assert methods[0] == "getMe" and "deleteWebhook" in methods
    # Both updates were confirmed via offset, nothing is left in the queue.
    assert fake.pending_updates == []


async def test_bad_token_raises_invalid_token(fake: FakeBotApi) -> None:
    app = build_app(fake, "999:WRONG", with_updater=False)
    try:
        with pytest.raises(InvalidToken):
            await app.initialize()
    finally:
        await app.bot.shutdown()
    assert fake.calls == []  # rejected requests are not recorded


# PTB 22 itself warns inside RetryAfter.__init__ about retry_after becoming a timedelta.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_failures_surface_as_ptb_errors(fake: FakeBotApi) -> None:
    app = build_app(fake, with_updater=False)
    await app.initialize()
    try:
        fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
        with pytest.raises(Forbidden, match="blocked by the user"):
            await app.bot.send_message(USER, "hi")
        # only the next call fails
        msg = await app.bot.send_message(USER, "hi again")
        assert msg.text == "hi again"

        fake.fail_next("sendMessage", 429, retry_after=3)
        with pytest.raises(RetryAfter) as info:
            await app.bot.send_message(USER, "flood")
        assert "Retry in 3" in str(info.value)

        fake.fail_next("editMessageText", 400, "Bad Request: message is not modified", times=2)
        for _ in range(2):
            with pytest.raises(BadRequest, match="not modified"):
                await app.bot.edit_message_text("x", chat_id=USER, message_id=1)
    finally:
        await app.shutdown()
    assert [c.method for c in fake.calls if c.method != "getMe"] == ["sendMessage"] * 3 + ["editMessageText"] * 2


async def test_media_commands_webhook_and_groups(fake: FakeBotApi) -> None:
    async with Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
        # multipart upload
        photo_msg = await bot.send_photo(GROUP, photo=io.BytesIO(b"\x89PNG fake"), caption="pic", reply_markup=KEYBOARD)
        assert photo_msg.chat.type == "group" and photo_msg.caption == "pic"
        assert photo_msg.reply_markup == KEYBOARD
        upload = fake.calls_to("sendPhoto")[0]["photo"]
        assert isinstance(upload, UploadedFile) and upload.data == b"\x89PNG fake"
        # the uploaded file can be fetched back through getFile + base_file_url
        tg_file = await bot.get_file(photo_msg.photo[-1].file_id)
        assert bytes(await tg_file.download_as_bytearray()) == b"\x89PNG fake"
        # file_id / URL string
        by_id = await bot.send_photo(USER, photo="AgACAgIAAxkBAAI")
        assert by_id.photo[-1].file_id == "AgACAgIAAxkBAAI"
        doc = await bot.send_document(USER, document=io.BytesIO(b"hello"), filename="a.txt")
        assert doc.document.file_name == "a.txt" and doc.document.file_size == 5
        # message ids increase per chat
        assert (await bot.send_message(GROUP, "2")).message_id == 2
        assert (await bot.send_message(USER, "3")).message_id == 3

        assert await bot.send_chat_action(USER, "typing") is True
        cmds = [BotCommand("start", "Bắt đầu"), BotCommand("help", "Trợ giúp")]
        assert await bot.set_my_commands(cmds, language_code="vi")
        assert await bot.get_my_commands(language_code="vi") == tuple(cmds)
        assert await bot.get_my_commands() == ()
        assert fake.commands_for("vi")[0] == {"command": "start", "description": "Bắt đầu"}

        assert await bot.set_webhook("https://example.test/hook", secret_token="s3cret")
        assert fake.webhook["url"] == "https://example.test/hook" and fake.webhook["secret_token"] == "s3cret"
        assert (await bot.get_webhook_info()).url == "https://example.test/hook"
        assert await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
        assert await bot.log_out() is True


async def test_raw_http_encodings_unknown_method_and_long_polling(fake: FakeBotApi) -> None:
    url = f"{fake.base_url}{TOKEN}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/noSuchMethod") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        async with http.get(f"{fake.base_url}1:X/getMe") as resp:
            assert resp.status == 401 and (await resp.json())["description"] == "Unauthorized"

        markup = '{"inline_keyboard": [[{"text": "a", "callback_data": "1"}]]}'
        async with http.post(f"{url}/sendMessage", data={"chat_id": "7", "text": "123", "reply_markup": markup}) as resp:
            body = await resp.json()
        assert body["ok"] and body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "a"
        async with http.post(f"{url}/sendMessage", json={"chat_id": 7, "text": "true"}) as resp:
            assert (await resp.json())["result"]["message_id"] == 2
        async with http.get(f"{url}/getMe") as resp:
            assert (await resp.json())["result"]["is_bot"] is True
        assert fake.calls_to("sendMessage")[0] == {
            "chat_id": 7,
            "text": "123",
            "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "1"}]]},
        }
        assert fake.sent_texts(7) == ["123", "true"]

        # long polling: empty after the (capped) timeout, woken early by push_update
        loop = asyncio.get_running_loop()
        start = loop.time()
        async with http.post(f"{url}/getUpdates", json={"timeout": 0.2}) as resp:
            assert (await resp.json())["result"] == []
        assert 0.15 <= loop.time() - start < 1.0

        async def push_later() -> None:
            await asyncio.sleep(0.05)
            fake.push_update(location_update(10, USER, 10.77, 106.7))
            fake.push_update(photo_update(11, USER))

        pusher = asyncio.create_task(push_later())
        async with http.post(f"{url}/getUpdates", data={"timeout": "30"}) as resp:
            updates = (await resp.json())["result"]
        await pusher
        assert [u["update_id"] for u in updates] == [10, 11]
        parsed = [Update.de_json(u, None) for u in updates]
        assert parsed[0].message.location.latitude == pytest.approx(10.77)
        assert parsed[1].message.photo and parsed[1].message.text is None

        async with http.post(f"{url}/getUpdates", json={"offset": 11, "timeout": 0}) as resp:
            assert [u["update_id"] for u in (await resp.json())["result"]] == [11]
        assert [u["update_id"] for u in fake.pending_updates] == [11]

    # builders
    cmd = text_update(1, USER, "/start@TestBot hi", chat_id=GROUP)
    assert cmd["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 14}]
    assert cmd["message"]["chat"]["type"] == "group"
    assert Update.de_json(cmd, None).message.chat.id == GROUP

    with pytest.raises(AssertionError, match="getUpdates"):
        await fake.wait_for("sendPhoto", timeout=0.05)
    fake.clear()
    assert fake.calls == [] and fake.pending_updates == []
