"""Admins editing the FAQ from the chat, learning from unanswered questions, and permission refusals."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import ROOT
from bot.core.engine import Engine
from bot.core.messages import Incoming
from bot.curation.faq_admin import FaqAdmin
from bot.curation.learning import Learning, group_questions
from bot.curation.live import ContentManager
from bot.i18n import I18n
from bot.storage.admin_store import AdminStore
from bot.storage.campaign_store import CampaignStore
from bot.storage.database import Storage
from tests.campaign_fixtures import Chat, FixedClock
from tests.matcher_cache import CACHE, THRESHOLDS


@pytest.fixture()
def world(tmp_path: Path, i18n: I18n, storage: Storage):
    faq, intents = tmp_path / "faq", tmp_path / "intents"
    shutil.copytree(ROOT / "faq", faq)
    shutil.copytree(ROOT / "intents", intents)
    admin_store, store = AdminStore(storage), CampaignStore(storage)
    manager = ContentManager(faq, intents, admin_store)
    i18n.defaults["app"] = manager.current.pack.app_name
    admin = FaqAdmin(manager, admin_store, store, i18n)
    learning = Learning(manager, admin_store, store, i18n, FixedClock(), suggest=lambda text: [])
    engine = Engine(manager.current, i18n, storage, THRESHOLDS, (admin, learning), cache=CACHE)
    manager.subscribe(engine.load)
    admin.language_of, learning.suggest = engine.language_of, engine.suggest_entries
    store.add_admin("telegram:boss")
    return engine, manager, admin_store, faq


def answer_id(engine: Engine, text: str) -> str | None:
    turn = engine.process(Incoming("telegram", "citizen", "c", text=text)).turn
    return turn.matched_id if turn.outcome == "answered" else None


def test_edit_answer_takes_effect_at_once_and_rolls_back(world) -> None:
    engine, manager, admin_store, _ = world
    boss = Chat(engine, "boss")
    before = manager.current.entries["battery"].answer["vi"]
    boss.say("/faq battery")
    boss.press("a:ans:vi:battery")
    boss.say("Ứng dụng tốn rất ít pin. (câu trả lời mới)")
    assert "Đã lưu" in boss.text()
    citizen = Chat(engine, "citizen")
    citizen.say("bluezone có tốn pin không")
    assert citizen.last[0].text == "Ứng dụng tốn rất ít pin. (câu trả lời mới)"
    boss.say("/lichsu battery")
    assert "answer vi" in boss.text()
    boss.press("a:rb:")
    assert "Đã hoàn tác 1" in boss.text()
    citizen.say("bluezone có tốn pin không")
    assert citizen.last[0].text == before
    assert admin_store.history("battery")[0].reverted_at is not None


def test_add_paraphrase_changes_the_next_answer(world) -> None:
    engine, manager, _, _ = world
    question = "quạt máy nhà tui kêu ro ro có phải do ứng dụng không"
    assert answer_id(engine, question) is None
    Chat(engine, "boss").say(f"/themcau check_working {question}")
    assert engine.live.wait(30)          # the matcher is refitted in the background
    assert answer_id(engine, question) == "check_working"
    assert question in manager.current.entries["check_working"].paraphrases["vi"]


def test_new_entry_hide_and_show(world) -> None:
    engine, manager, _, _ = world
    boss = Chat(engine, "boss")
    boss.say("/themmuc quet_qr Quét mã QR nơi công cộng")
    boss.say("Từ năm 2021, nhiều nơi yêu cầu quét mã QR khi vào cửa.")
    assert "Đã thêm mục quet_qr" in boss.text()
    assert "quet_qr" in manager.current.entries
    boss.say("/an battery")
    assert answer_id(engine, "bluezone có tốn pin không") != "battery"
    boss.say("/hien battery")
    assert answer_id(engine, "bluezone có tốn pin không") == "battery"


@pytest.mark.parametrize("command, message", [
    ("/themmuc Bad-Id Tiêu đề", "Cách thêm mục mới"), ("/themmuc battery Pin", "đã có"),
    ("/themcau battery x", "từ 2 đến"), ("/faq no_such", "Không có mục"), ("/suatraloi battery fr", "vi hoặc en"),
])
def test_bad_edits_are_refused_with_what_to_do(world, command: str, message: str) -> None:
    engine, _, admin_store, _ = world
    boss = Chat(engine, "boss")
    boss.say(command)
    assert message in boss.text()
    assert not admin_store.active_revisions()


def test_empty_and_too_long_answers_are_refused(world) -> None:
    engine, _, admin_store, _ = world
    boss = Chat(engine, "boss")
    boss.say("/suatraloi battery")
    boss.say("x" * 1600)
    assert "quá giới hạn" in boss.text() and not admin_store.active_revisions()


def test_non_admins_are_refused_and_audited(world) -> None:
    engine, _, admin_store, _ = world
    citizen = Chat(engine, "nobody")
    for command in ("/faq", "/suatraloi battery", "/themcau battery câu mới", "/an battery", "/lichsu battery",
                    "/reload", "/chuatraloi", "/thongke"):
        citizen.say(command)
        assert "không có quyền" in citizen.text(), command
    for payload in ("a:ans:vi:battery", "a:rb:1", "a:hide:battery", "u:ign:1"):
        citizen.say(payload=payload)
        assert "không có quyền" in citizen.text(), payload
    refused = admin_store.db.execute("SELECT COUNT(*) FROM audit WHERE allowed = 0").fetchone()[0]
    assert refused == 12 and not admin_store.active_revisions()


def test_role_is_checked_again_when_the_typed_answer_arrives(world) -> None:
    engine, _, admin_store, _ = world
    boss = Chat(engine, "boss")
    boss.say("/suatraloi battery")
    admin_store.db.execute("DELETE FROM admins")
    boss.say("câu trả lời của người không còn quyền")
    assert "không có quyền" in boss.text() and not admin_store.active_revisions()


def test_reload_keeps_old_content_when_files_are_broken(world) -> None:
    engine, manager, _, faq = world
    boss = Chat(engine, "boss")
    path = faq / "entries" / "using.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good + "\n  - id: [broken\n", encoding="utf-8")
    boss.say("/reload")
    assert "vẫn dùng nội dung cũ" in boss.text() and "using.yaml" in boss.text()
    assert answer_id(engine, "bluezone có tốn pin không") == "battery"
    path.write_text(good.replace("Có tốn pin không?", "Pin có hao không?"), encoding="utf-8")
    boss.say("/reload")
    assert "Đã đọc lại" in boss.text()
    assert manager.current.entries["battery"].title["vi"] == "Pin có hao không?"


def test_unanswered_grouping_and_the_paraphrase_button(world) -> None:
    engine, manager, admin_store, _ = world
    for user, text in (("a", "máy bơm nước nhà tui có liên quan chi không"),
                       ("b", "may bom nuoc nha tui co lien quan chi khong"),
                       ("c", "máy bơm nước nhà tôi có liên quan gì không"),
                       ("d", "xyzzy plugh")):
        Chat(engine, user).say(text)
    groups = group_questions(admin_store.open_unanswered())
    assert [g.count for g in groups][:2] == [3, 1]        # three spellings of one question, and the gibberish
    boss = Chat(engine, "boss")
    boss.say("/chuatraloi")
    assert "máy bơm" in boss.text() or "may bom" in boss.text()
    first_row = int(next(p for p in boss.payloads() if p.startswith("u:new:")).split(":")[2])
    boss.say(payload=f"u:is:{first_row}:check_working")
    assert "Đã thêm" in boss.text()
    assert engine.live.wait(30)          # the matcher is refitted in the background
    assert answer_id(engine, "máy bơm nước nhà tui có liên quan chi không") == "check_working"
    boss.say(payload=f"u:is:{first_row}:check_working")
    assert "đã được xử lý" in boss.text()
    boss.say("/thongke")
    assert "test" not in boss.text() and "telegram:" in boss.text()
