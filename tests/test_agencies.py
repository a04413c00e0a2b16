"""Agency reports: units imported and added, focal persons invited and joining, the report form and quick form,
validation, history kept on replacing, late units, permissions, weekly reminders once per week across a restart."""
from __future__ import annotations

import argparse
import asyncio
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.agencies.chat import Agencies
from bot.agencies.reminders import remind_late_units, remind_once
from bot.agencies.unit_import import import_csv
from bot.campaign.teams import Teams
from bot.campaign.visits import Visits
from bot.cli import agencies as cli_agencies
from bot.clock import VIETNAM
from bot.content.loader import Content
from bot.core.engine import Engine
from bot.core.state import State
from bot.i18n import I18n
from bot.storage.agency_store import AgencyStore, ReportInput
from bot.storage.campaign_store import CampaignStore
from bot.storage.database import Storage
from tests.campaign_fixtures import Chat, FixedClock, seeded_store
from tests.matcher_cache import CACHE, THRESHOLDS

UNITS_CSV = """don_vi_cha,don_vi,loai,huyen
,Sở Y tế,sở,
Sở Y tế,Bệnh viện Đa khoa tỉnh,bệnh viện,
,UBND huyện Bình Sơn,ubnd,
UBND huyện Bình Sơn,Trường THCS Bình Thạnh,trường,
,Công ty TNHH Hòa Phát Dung Quất,doanh nghiệp,Bình Sơn
,Sở Giáo dục và Đào tạo,so_ban_nganh,
"""
CODE = re.compile(r"\bDV[A-Z0-9]{6}\b")


class World:
    """The engine with the teams, visits and agencies features, the stores, a clock the test moves."""

    def __init__(self, content: Content, i18n: I18n, storage: Storage) -> None:
        self.clock = FixedClock()          # Thursday 20 August 2020, 09:00 in Vietnam
        self.campaign: CampaignStore = seeded_store(storage)
        self.store = AgencyStore(storage)
        self.i18n = i18n
        i18n.defaults["app"] = content.pack.app_name
        teams = Teams(self.campaign, i18n, self.clock)
        self.agencies = Agencies(self.store, self.campaign, i18n, self.clock, team_join=teams.cmd_join)
        self.engine = Engine(content, i18n, storage, THRESHOLDS,
                             (teams, Visits(self.campaign, i18n, self.clock), self.agencies), cache=CACHE)
        self.campaign.add_admin("telegram:admin")
        count, problems = import_csv(self.store, self.campaign, UNITS_CSV)
        assert count == 6 and not problems, problems

    def unit(self, name: str):
        found = self.store.find_units(name, limit=1)
        assert found, name
        return found[0]

    def focal(self, user: str, unit: str, channel: str = "telegram") -> Chat:
        """A user who joined a unit with a fresh code."""
        code = self.agencies.issue_invite(self.unit(unit).id, "test").code
        chat = Chat(self.engine, user, channel)
        chat.say(f"/thamgiadv {code}")
        assert self.store.focal_unit(f"{channel}:{user}").name == self.unit(unit).name
        return chat


@pytest.fixture()
def world(content: Content, i18n: I18n, storage: Storage) -> World:
    return World(content, i18n, storage)


def run_cli(world: World, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli_agencies.add_parsers(parser.add_subparsers(dest="mode"))
    args = parser.parse_args(list(argv))
    return cli_agencies.run(args, world.store, world.campaign, world.i18n, world.agencies, "vi")


# --- import ---------------------------------------------------------------------------------------------------

def test_import_builds_the_tree_with_kinds_and_districts(world: World, tmp_path: Path, capsys) -> None:
    binh_son = world.campaign.find_areas("Huyện Bình Sơn", "district")[0]
    units = {u.name: u for u in world.store.units()}
    assert len(units) == 6
    assert units["Bệnh viện Đa khoa tỉnh"].parent_id == units["Sở Y tế"].id
    assert units["Bệnh viện Đa khoa tỉnh"].kind == "benh_vien" and units["Sở Y tế"].area_id is None
    # a district's committee is linked to its district by name; its school inherits the district
    assert units["UBND huyện Bình Sơn"].area_id == binh_son.id
    assert units["Trường THCS Bình Thạnh"].area_id == binh_son.id
    assert units["Công ty TNHH Hòa Phát Dung Quất"].area_id == binh_son.id
    assert units["Sở Giáo dục và Đào tạo"].kind == "so_ban_nganh"
    # importing again (one more unit, one changed kind) updates in place
    path = tmp_path / "units.csv"
    path.write_text("\ufeffdon_vi_cha,don_vi,loai\nSở Y tế,Bệnh viện Đa khoa tỉnh,khác\n"
                    "Sở Giáo dục và Đào tạo,Trường THPT Lê Khiết,trường\n", encoding="utf-8")
    assert run_cli(world, "units", "import", str(path)) == 0
    assert "Đã nhập 2 đơn vị" in capsys.readouterr().out
    units = {u.name: u for u in world.store.units()}
    assert len(units) == 7 and units["Bệnh viện Đa khoa tỉnh"].kind == "khac"
    assert units["Trường THPT Lê Khiết"].parent_id == units["Sở Giáo dục và Đào tạo"].id
    assert run_cli(world, "units", "list") == 0
    assert "  Trường THPT Lê Khiết [Trường học]" in capsys.readouterr().out


def test_a_bad_file_names_every_wrong_line_and_imports_nothing(world: World, tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("don_vi_cha,don_vi,loai,huyen\n"
                    ",Sở Tư pháp,sở,\n"                      # 2: fine
                    ",,sở,\n"                               # 3: no name
                    ",Sở Nội vụ,cơ quan ngang bộ,\n"         # 4: unknown kind
                    "Sở Không Có,Phòng A,khác,\n"           # 5: unknown parent
                    ",Trường Tiểu học B,trường,Huyện Hư Cấu\n"   # 6: unknown district
                    ",Sở Tư pháp,sở,\n"                      # 7: the same as line 2
                    "Sở Tư pháp,Phòng Hộ tịch,,\n",          # 8: fine (kind from its parent)
                    encoding="utf-8")
    before = len(world.store.units())
    assert run_cli(world, "units", "import", str(path)) == 2
    err = capsys.readouterr().err
    for line in (3, 4, 5, 6, 7):
        assert f"Dòng {line}:" in err, line
    assert "Dòng 2:" not in err and "Dòng 8:" not in err
    for detail in ("cơ quan ngang bộ", "Sở Không Có", "Huyện Hư Cấu", "trùng với dòng 2"):
        assert detail in err
    assert "Chưa nhập gì" in err
    assert len(world.store.units()) == before
    path.write_text("ten,loai\nSở A,sở\n", encoding="utf-8")
    assert run_cli(world, "units", "import", str(path)) == 2
    assert "don_vi_cha,don_vi,loai,huyen" in capsys.readouterr().err
    assert run_cli(world, "units", "import", str(tmp_path / "missing.csv")) == 2


# --- invites and joining --------------------------------------------------------------------------------------

def test_admin_adds_a_unit_and_invites_its_focal_person_who_joins(world: World) -> None:
    admin = Chat(world.engine, "admin")
    admin.say("/themdonvi Sở Y tế / Trung tâm Kiểm soát bệnh tật; khác")
    assert "Đã thêm đơn vị: Sở Y tế › Trung tâm Kiểm soát bệnh tật" in admin.text()
    admin.say("/themdonvi UBND huyện Lý Sơn; ubnd")
    assert "Huyện Lý Sơn" in admin.text()
    admin.say("/moidonvi trung tam kiem soat benh tat")
    code = CODE.search(admin.text()).group()
    assert "chỉ dùng một lần" in admin.text() and f"/thamgia {code}" in admin.text()
    focal = Chat(world.engine, "cdc")
    focal.say(f"/thamgia {code}")                  # the same command as for teams
    assert "người đầu mối báo cáo của Sở Y tế › Trung tâm Kiểm soát bệnh tật" in focal.text()
    assert "/baocaodonvi" in focal.text()
    Chat(world.engine, "other").say(f"/thamgia {code}")       # single use
    assert world.store.focal_unit("telegram:other") is None
    # a bare code on Zalo, and the Telegram deep link
    admin.say("/moidonvi Sở Y tế")
    Chat(world.engine, "z1", channel="zalo").say(CODE.search(admin.text()).group().lower())
    assert world.store.focal_unit("zalo:z1").name == "Sở Y tế"
    admin.say("/moidonvi Sở Giáo dục")
    Chat(world.engine, "t1").say(f"/start unit_{CODE.search(admin.text()).group()}")
    assert world.store.focal_unit("telegram:t1").name == "Sở Giáo dục và Đào tạo"


def test_team_codes_still_join_teams_through_thamgia(world: World) -> None:
    admin = Chat(world.engine, "admin")
    admin.say("/taonhom Thôn Đông An Vĩnh")
    team_code = admin.text().split("/thamgia ")[1].split()[0]
    leader = Chat(world.engine, "lead")
    leader.say(f"/thamgia {team_code}")
    assert world.campaign.member("telegram:lead").role == "leader"
    leader.say("/thamgia ZZZZZZ")
    assert "Mã mời không đúng" in leader.text()
    leader.say("/thamgiadv DVZZZZZZ")
    assert "Mã mời không đúng" in leader.text()


def test_unit_codes_expire_and_can_be_revoked(world: World) -> None:
    admin = Chat(world.engine, "admin")
    admin.say("/moidonvi Sở Y tế")
    code = CODE.search(admin.text()).group()
    admin.say(f"/huymadv {code}")
    assert "Đã huỷ mã" in admin.text()
    Chat(world.engine, "late").say(f"/thamgiadv {code}")
    assert world.store.focal_unit("telegram:late") is None
    admin.say("/moidonvi Sở Y tế")
    fresh = CODE.search(admin.text()).group()
    world.clock.at += timedelta(days=15)
    Chat(world.engine, "later").say(f"/thamgiadv {fresh}")
    assert world.store.focal_unit("telegram:later") is None


def test_cli_invite(world: World, capsys) -> None:
    assert run_cli(world, "units", "invite", "benh vien da khoa tinh") == 0
    code = CODE.search(capsys.readouterr().out).group()
    assert world.store.invite(code).unit_id == world.unit("Bệnh viện Đa khoa tỉnh").id
    assert run_cli(world, "units", "invite", "Sở") == 2          # several units: named, nothing made
    assert "Sở Y tế" in capsys.readouterr().err
    assert run_cli(world, "units", "invite", "Không Có") == 2


# --- the form -------------------------------------------------------------------------------------------------

def test_guided_form_with_validation_skip_edit_and_save(world: World) -> None:
    focal = world.focal("hospital", "Bệnh viện Đa khoa tỉnh")
    focal.say("/baocaodonvi")
    assert "tính đến ngày nào" in focal.text()
    focal.say("25/8")
    assert "không được sau hôm nay (20/08/2020)" in focal.text()
    focal.say("1/1/2020")
    assert "không được trước ngày 01/04/2020" in focal.text()
    focal.say("31/2")
    assert "Không có ngày 31/2" in focal.text()
    focal.press("ag:d:0")                                    # today
    assert "Tổng số cán bộ" in focal.text()
    for wrong, says in (("nhiều lắm", "con số"), ("12,5", "số nguyên"), ("-3", "không được âm"),
                        ("0", "ít nhất 1"), ("100001", "tối đa là 100000")):
        focal.say(wrong)
        assert says in focal.text(), wrong
        assert world.engine.storage.load_user("telegram:hospital", "telegram").data["step"] == "staff"
    focal.say("450")
    focal.say("500")
    assert "(500) không thể nhiều hơn tổng số cán bộ (450)" in focal.text()
    focal.say("400")
    focal.say("401")
    assert "(401) không thể nhiều hơn số người có điện thoại thông minh (400)" in focal.text()
    focal.say("380")
    assert "Người nhà" in focal.text()
    focal.press("ag:skip")
    assert "Tổng số cán bộ, nhân viên: 450" in focal.text() and "Người nhà đã cài: –" in focal.text()
    focal.say("lưu đi")                                       # typing at the summary: use the buttons
    assert "bấm một nút" in focal.text()
    # edit: fewer staff invalidates the numbers above it, which are asked again
    focal.press("ag:edit")
    focal.press("ag:f:staff")
    focal.say("300")
    assert "có điện thoại thông minh" in focal.text()
    focal.say("290")
    focal.say("250")
    assert "Tổng số cán bộ, nhân viên: 300" in focal.text()
    focal.press("ag:edit")
    focal.press("ag:f:family_installed")
    focal.say("600")
    assert "Người nhà đã cài: 600" in focal.text()
    focal.press("ag:save")
    assert "Đã lưu báo cáo của Bệnh viện Đa khoa tỉnh ngày 20/08/2020" in focal.text()
    [report] = world.store.latest_reports()
    assert (report.unit_name, report.parent_name, report.kind, report.as_of) == \
        ("Bệnh viện Đa khoa tỉnh", "Sở Y tế", "benh_vien", "2020-08-20")
    assert (report.staff, report.staff_smartphones, report.staff_installed, report.family_installed) == \
        (300, 290, 250, 600)
    assert world.engine.storage.load_user("telegram:hospital", "telegram").state == State.IDLE


def test_quick_form_with_a_date_and_its_mistakes(world: World) -> None:
    focal = world.focal("school", "Trường THCS Bình Thạnh")
    focal.say("/baocaodonvi 45, 40, 38 03/08")
    assert "tính đến ngày 03/08/2020" in focal.text() and "Người nhà đã cài: –" in focal.text()
    focal.press("ag:save")
    focal.say("/baocaodonvi 1.200 1.000 990")                 # thousands written the Vietnamese way
    assert "Tổng số cán bộ, nhân viên: 1.200" in focal.text() and "Đã cài Bluezone: 990" in focal.text()
    focal.say("/baocaodonvi 45 40 38 70")
    focal.press("ag:save")
    assert [(r.as_of, r.family_installed) for r in world.store.latest_reports()] == [("2020-08-20", 70)]
    for line, says in (("45 40", "cần 3 hoặc 4 con số"),
                       ("45 50 38", "(50) không thể nhiều hơn tổng số cán bộ (45)"),
                       ("45 40 41", "(41) không thể nhiều hơn số người có điện thoại"),
                       ("45 40 38 21/08", "không được sau hôm nay"),
                       ("45 40 38 1/3/2020", "không được trước"),
                       ("45 40 3.5", "số nguyên")):
        focal.say(f"/baocaodonvi {line}")
        assert says in focal.text(), line
        assert "/baocaodonvi 120 100 80 150" in focal.text()
    focal.say("/baocaodonvi")
    focal.say("huỷ")
    assert "Đã bỏ báo cáo" in focal.text()


def test_a_new_report_for_the_same_date_replaces_the_old_and_keeps_history(world: World) -> None:
    focal = world.focal("doh", "Sở Y tế")
    focal.say("/baocaodonvi 120 100 80")
    focal.press("ag:save")
    assert "thay cho" not in focal.text()
    focal.say("/baocaodonvi 120 100 90 150")
    assert "đã có báo cáo cho ngày này" in focal.text()
    focal.press("ag:save")
    assert "thay cho báo cáo trước của cùng ngày" in focal.text()
    unit = world.unit("Sở Y tế")
    history = world.store.history(unit.id)
    assert [(h[3], h[7]) for h in history] == [(80, 1), (90, 0)]
    [latest] = world.store.latest_reports()
    assert latest.staff_installed == 90 and latest.family_installed == 150
    # an older date does not hide the latest one
    focal.say("/baocaodonvi 110 90 70 10/08")
    focal.press("ag:save")
    assert [r.as_of for r in world.store.latest_reports()] == ["2020-08-20"]
    assert len(world.store.history(unit.id)) == 3


def test_late_units_this_week_and_district_scope(world: World) -> None:
    hospital = world.focal("hospital", "Bệnh viện Đa khoa tỉnh")
    school = world.focal("school", "Trường THCS Bình Thạnh")
    world.focal("firm", "Công ty TNHH Hòa Phát Dung Quất")
    hospital.say("/baocaodonvi 450 400 380 16/08")          # last Sunday: last week
    hospital.press("ag:save")
    school.say("/baocaodonvi 45 40 38 17/08")                # Monday: this week
    school.press("ag:save")
    late = world.store.late_units("2020-08-17")
    assert [u.name for u in late] == ["Bệnh viện Đa khoa tỉnh", "Công ty TNHH Hòa Phát Dung Quất"]
    binh_son = world.campaign.find_areas("Huyện Bình Sơn", "district")[0]
    late_here = world.store.late_units("2020-08-17", binh_son.id)
    assert [u.name for u in late_here] == ["Công ty TNHH Hòa Phát Dung Quất"]
    assert [r.unit_name for r in world.store.latest_reports(binh_son.id)] == ["Trường THCS Bình Thạnh"]
    admin = Chat(world.engine, "admin")
    admin.say("/donvitre")
    text = admin.text()
    assert "từ thứ Hai 17/08/2020), 2 đơn vị chưa báo cáo" in text
    assert "Sở Y tế › Bệnh viện Đa khoa tỉnh – báo cáo gần nhất: 16/08/2020" in text
    assert "Công ty TNHH Hòa Phát Dung Quất – chưa báo cáo lần nào" in text
    assert "Còn 3 đơn vị chưa có người đầu mối" in text
    # a district's admin sees their district's units only
    world.campaign.add_admin("telegram:binhson", binh_son.id)
    district_admin = Chat(world.engine, "binhson")
    district_admin.say("/donvitre")
    assert "1 đơn vị chưa báo cáo" in district_admin.text() and "Bệnh viện" not in district_admin.text()
    district_admin.say("/donvi")
    assert "Trường THCS Bình Thạnh" in district_admin.text() and "Sở Y tế" not in district_admin.text()


# --- permissions ----------------------------------------------------------------------------------------------

def test_only_admins_manage_units_and_district_admins_stay_in_their_district(world: World) -> None:
    citizen = Chat(world.engine, "citizen")
    for command in ("/themdonvi Sở Mới; sở", "/moidonvi Sở Y tế", "/donvitre", "/donvi",
                    f"/huymadv {world.agencies.issue_invite(world.unit('Sở Y tế').id, 'test').code}"):
        citizen.say(command)
        assert "không có quyền" in citizen.text(), command
    citizen.say(payload=f"ag:i:{world.unit('Sở Y tế').id}")     # a forged choice
    assert "không có quyền" in citizen.text()
    assert not world.store.find_units("Sở Mới")
    ly_son = world.campaign.find_areas("Huyện Lý Sơn", "district")[0]
    world.campaign.add_admin("telegram:lyson", ly_son.id)
    district_admin = Chat(world.engine, "lyson")
    district_admin.say("/moidonvi Sở Y tế")
    assert "Không tìm thấy đơn vị" in district_admin.text()
    district_admin.say(payload=f"ag:i:{world.unit('Sở Y tế').id}")
    assert "không có quyền" in district_admin.text()
    district_admin.say("/themdonvi Trường Tiểu học An Vĩnh; trường")
    assert world.unit("Trường Tiểu học An Vĩnh").area_id == ly_son.id
    district_admin.say("/themdonvi Trường X; trường; Bình Sơn")
    assert "không có quyền" in district_admin.text()
    district_admin.say("/moidonvi Trường Tiểu học An Vĩnh")
    assert CODE.search(district_admin.text())


def test_chat_add_explains_its_format_and_kinds(world: World) -> None:
    admin = Chat(world.engine, "admin")
    admin.say("/themdonvi")
    assert "Cách thêm đơn vị" in admin.text() and "bệnh viện" in admin.text()
    admin.say("/themdonvi Sở Mới; cơ quan ngang bộ")
    assert "Chưa rõ loại đơn vị \"cơ quan ngang bộ\"" in admin.text()
    admin.say("/themdonvi Sở Không Có / Phòng A; khác")
    assert "Không tìm thấy đơn vị cha" in admin.text()
    admin.say("/themdonvi Trường B; trường; Huyện Hư Cấu")
    assert "Không tìm thấy huyện" in admin.text()


def test_a_focal_person_reports_only_for_their_own_unit(world: World) -> None:
    citizen = Chat(world.engine, "citizen")
    citizen.say("/baocaodonvi 10 5 5")
    assert "dành cho người đầu mối" in citizen.text()
    citizen.say(payload="ag:save")                                   # no open form: a stale button
    assert not world.store.latest_reports()
    focal = world.focal("doh", "Sở Y tế")
    focal.say("/baocaodonvi 120 100 80")
    # moved to another unit while the summary is open: the form was for the old unit, nothing is saved
    world.focal("doh", "Sở Giáo dục và Đào tạo")
    focal.press("ag:save")
    assert "dành cho người đầu mối" in focal.text()
    assert not world.store.latest_reports()
    focal.say("/baocaodonvi 60 50 40")
    focal.press("ag:save")
    assert [r.unit_name for r in world.store.latest_reports()] == ["Sở Giáo dục và Đào tạo"]


# --- reminders ------------------------------------------------------------------------------------------------

class Recorder:
    """A fake channel: records deliveries; may crash like a process being killed."""

    def __init__(self, crash_after: int | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.crash_after = crash_after

    async def __call__(self, user_id: str, text: str) -> str:
        if self.crash_after is not None and len(self.sent) >= self.crash_after:
            raise asyncio.CancelledError()
        self.sent.append((user_id, text))
        return "sent"


async def no_sleep(seconds: float) -> None:
    return None


def at(day: int, hour: int, month: int = 8) -> datetime:
    return datetime(2020, month, day, hour, 0, tzinfo=VIETNAM)


async def test_reminders_go_once_a_week_across_a_restart(world: World, storage: Storage, tmp_path: Path) -> None:
    world.focal("1", "Sở Y tế")
    world.focal("2", "Bệnh viện Đa khoa tỉnh")
    world.focal("3", "Trường THCS Bình Thạnh", channel="zalo")
    english = world.focal("4", "Sở Giáo dục và Đào tạo")
    english.say("/english")
    world.store.save_report(world.unit("Bệnh viện Đa khoa tỉnh").id, ReportInput("2020-08-17", 10, 5, 5),
                            "telegram:2", "2020-08-17T10:00:00")
    telegram, zalo = Recorder(), Recorder()
    senders = {"telegram": telegram, "zalo": zalo}
    clock = FixedClock(at(17, 7))                       # Monday, before the hour
    assert await remind_once(world.store, senders, world.i18n, clock, weekday=0, hour=8, sleep=no_sleep) == 0
    clock.at = at(17, 8)
    assert await remind_once(world.store, senders, world.i18n, clock, weekday=0, hour=8, sleep=no_sleep) == 3
    assert sorted(u for u, _ in telegram.sent) == ["1", "4"] and [u for u, _ in zalo.sent] == ["3"]
    texts = dict(telegram.sent)
    assert "Sở Y tế chưa gửi báo cáo" in texts["1"] and "/baocaodonvi" in texts["1"]
    assert "has not sent this week's report" in texts["4"]
    clock.at = at(18, 9)
    assert await remind_once(world.store, senders, world.i18n, clock, weekday=0, hour=8, sleep=no_sleep) == 0
    doh = world.unit("Sở Y tế").id
    # a restart: a new connection and new objects over the same file
    storage.close()
    reopened = Storage.open(str(tmp_path / "bot.db"))
    try:
        store = AgencyStore(reopened)
        assert await remind_once(store, senders, world.i18n, clock, weekday=0, hour=8, sleep=no_sleep) == 0
        assert len(telegram.sent) + len(zalo.sent) == 3
        # next week: only the units that are late again
        store.save_report(doh, ReportInput("2020-08-24", 10, 5, 5), "telegram:1",
                          "2020-08-24T07:00:00")
        clock.at = at(24, 8)
        assert await remind_once(store, senders, world.i18n, clock, weekday=0, hour=8, sleep=no_sleep) == 3
        assert sorted(u for u, _ in telegram.sent[2:]) == ["2", "4"]
        assert [w[2] for w in store.reminders_of("2020-W35")] == ["sent"] * 3
    finally:
        reopened.close()


async def test_a_run_cut_short_goes_on_without_resending(world: World) -> None:
    for n, unit in enumerate(("Sở Y tế", "Bệnh viện Đa khoa tỉnh", "Trường THCS Bình Thạnh", "UBND huyện Bình Sơn")):
        world.focal(str(n), unit)
    clock = FixedClock(at(20, 9))                        # Thursday, reminders set for Wednesday: due, never sent
    crashing = Recorder(crash_after=2)
    with pytest.raises(asyncio.CancelledError):
        await remind_once(world.store, {"telegram": crashing}, world.i18n, clock, weekday=2, sleep=no_sleep)
    after = Recorder()
    assert await remind_once(world.store, {"telegram": after}, world.i18n, clock, weekday=2, sleep=no_sleep) == 1
    # two delivered, one lost in the crash (never resent: at most once), one sent after the restart
    assert len(crashing.sent) == 2 and len(after.sent) == 1
    statuses = sorted(s for _, _, s in world.store.reminders_of("2020-W34"))
    assert statuses == ["claimed", "sent", "sent", "sent"]


async def test_the_loop_sends_on_the_configured_day_once_per_week(world: World) -> None:
    world.focal("1", "Sở Y tế")
    sender = Recorder()
    clock = FixedClock(at(17, 0))                        # the first minute of Monday 17 August
    ticks = 0

    async def sleep(seconds: float) -> None:
        nonlocal ticks
        if seconds < 60:                                 # the pause between two reminders
            return
        ticks += 1
        clock.at += timedelta(hours=3)
        if clock.at >= at(2, 0, month=9):
            raise asyncio.CancelledError()

    with pytest.raises(asyncio.CancelledError):
        await remind_late_units(world.store, {"telegram": sender}, world.i18n, clock, weekday=1, hour=8,
                                poll_seconds=3 * 3600, sleep=sleep)
    assert len(sender.sent) == 3                         # Tuesdays 18, 25 August and 1 September
    assert [w for w in ("2020-W34", "2020-W35", "2020-W36") if world.store.reminder_week(w) == "finished"] == \
        ["2020-W34", "2020-W35", "2020-W36"]
    assert ticks > 100


def test_week_state_is_kept_in_the_database(world: World) -> None:
    assert world.store.reminder_week("2020-W34") is None
    world.store.start_reminder_week("2020-W34")
    assert world.store.reminder_week("2020-W34") == "started"
    world.store.finish_reminder_week("2020-W34")
    assert world.store.reminder_week("2020-W34") == "finished"
