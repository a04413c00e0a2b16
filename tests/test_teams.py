"""Teams: invite codes, joining three ways, roles checked on every call, areas added by admins."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.content.loader import Content
from bot.i18n import I18n
from bot.storage.database import Storage
from tests.campaign_fixtures import Chat, FixedClock, campaign_engine, village


@pytest.fixture()
def world(content: Content, i18n: I18n, storage: Storage):
    clock = FixedClock()
    engine, store, teams = campaign_engine(content, i18n, storage, clock)
    store.add_admin("telegram:admin")
    return engine, store, teams, clock


def code_in(text: str) -> str:
    return text.split("/thamgia ")[1].split()[0]


def test_admin_creates_team_leader_joins_by_deep_link_and_invites_members(world) -> None:
    engine, store, teams, _ = world
    admin = Chat(engine, "admin")
    admin.say("/taonhom Thôn Đông An Vĩnh")
    leader_code = code_in(admin.text())
    leader = Chat(engine, "lead")
    leader.say(f"/start team_{leader_code}")
    assert "tổ trưởng" in leader.text()
    assert store.member("telegram:lead").role == "leader"
    # a leader's code is single-use
    Chat(engine, "other").say(f"/thamgia {leader_code}")
    assert store.member("telegram:other") is None
    leader.say("/moi")
    member_code = code_in(leader.text())
    zalo_member = Chat(engine, "m1", channel="zalo")
    zalo_member.say(member_code.lower())          # Zalo has no deep links: the bare code works
    assert store.member("zalo:m1").area_id == village(store, "Đông An Vĩnh")
    Chat(engine, "m2").say(f"/thamgia {member_code}")
    assert store.member("telegram:m2").role == "member"


def test_ambiguous_village_offers_a_choice_and_forged_choice_is_refused(world) -> None:
    engine, store, _, _ = world
    admin = Chat(engine, "admin")
    admin.say("/moi an hai")
    assert len([p for p in admin.payloads() if p.startswith("t:m:")]) == 3
    admin.press("t:m:")
    assert "/thamgia" in admin.text()
    stranger = Chat(engine, "stranger")
    stranger.say(payload=f"t:l:{village(store, 'Thôn An Hải')}")
    assert "không có quyền" in stranger.text()


def test_codes_expire_and_can_be_revoked(world) -> None:
    engine, store, _, clock = world
    admin = Chat(engine, "admin")
    admin.say("/moi Thôn Kỳ Tân")
    code = code_in(admin.text())
    admin.say(f"/huyma {code}")
    assert "Đã huỷ" in admin.text()
    Chat(engine, "late").say(f"/thamgia {code}")
    assert store.member("telegram:late") is None
    admin.say("/moi Thôn Kỳ Tân")
    fresh = code_in(admin.text())
    clock.at += timedelta(days=15)
    Chat(engine, "later").say(f"/thamgia {fresh}")
    assert store.member("telegram:later") is None


def test_non_admins_cannot_create_teams_or_add_areas(world) -> None:
    engine, store, _, _ = world
    citizen = Chat(engine, "citizen")
    for command in ("/taonhom Thôn Kỳ Tân", "/moi Thôn Kỳ Tân", "/themkhuvuc Huyện Lý Sơn / Xã Mới / Thôn Mới"):
        citizen.say(command)
        assert "không có quyền" in citizen.text(), command
    assert not store.find_areas("Xã Mới")


def test_district_admin_is_limited_to_their_district(world) -> None:
    engine, store, _, _ = world
    ly_son = store.find_areas("Lý Sơn", level="district")[0]
    store.add_admin("telegram:lyson", ly_son.id)
    admin = Chat(engine, "lyson")
    admin.say("/moi Thôn Kỳ Tân")            # in Mộ Đức
    assert "không có quyền" in admin.text()
    admin.say("/moi Thôn Tây An Vĩnh")
    assert "/thamgia" in admin.text()
    admin.say("/themkhuvuc Huyện Mộ Đức / Xã Đức Lợi / Thôn Mới")
    assert "Không tìm thấy huyện" in admin.text()


def test_admin_adds_an_area_with_a_household_count(world) -> None:
    engine, store, _, _ = world
    admin = Chat(engine, "admin")
    admin.say("/themkhuvuc huyen ly son / Xã An Bình / Thôn An Bình; 210")
    assert "Đã thêm" in admin.text()
    area = store.find_areas("an binh", level="village")[0]
    assert area.households == 210 and store.ancestors(area.id)[1].name == "Huyện Lý Sơn"
    admin.say("/themkhuvuc chỉ một tên")
    assert "Cách thêm" in admin.text()


def test_wrong_codes_get_a_clear_message(world) -> None:
    engine, _, _, _ = world
    chat = Chat(engine, "x")
    for text in ("/thamgia ZZZZZZ", "/thamgia ' OR 1=1 --", "/start team_NOPE"):
        chat.say(text)
        assert "Mã mời không đúng" in chat.text(), text
    chat.say("/thamgia")
    assert "/thamgia ABC234" in chat.text()
