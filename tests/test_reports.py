"""Report figures against hand-computed totals, and the chat reports' permissions, over a real SQLite file."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from bot.clock import VIETNAM
from bot.content.loader import Content
from bot.core.engine import Engine
from bot.core.features import Ctx
from bot.core.messages import Incoming, Reply
from bot.core.state import UserState
from bot.i18n import I18n
from bot.reports.chat import Reports
from bot.reports.service import BASELINE, Figures, ReportService
from bot.storage.campaign_store import Area, CampaignStore, VisitInput
from bot.storage.database import Storage
from tests.matcher_cache import CACHE, THRESHOLDS

NOW = datetime(2020, 8, 12, 15, 0, tzinfo=VIETNAM)


@dataclass
class Campaign:
    store: CampaignStore
    areas: dict[str, Area]


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2020, 8, day, hour, 0, tzinfo=VIETNAM)


def build_campaign(storage: Storage) -> Campaign:
    """P > D1 (C1: V1 known 10, V2 unknown; C2: V3 known 5), D2 (C3: V4 known 4, never visited).

    Two undone visits: one that created its household (both go), one revisit (its row stays, marked undone)."""
    store = CampaignStore(storage)
    a: dict[str, Area] = {"P": store.add_area(None, "province", "Quảng Ngãi")}
    a["D1"] = store.add_area(a["P"].id, "district", "Huyện Bình Sơn")
    a["D2"] = store.add_area(a["P"].id, "district", "Huyện Lý Sơn")
    a["C1"] = store.add_area(a["D1"].id, "commune", "Xã Bình Hải")
    a["C2"] = store.add_area(a["D1"].id, "commune", "Xã Bình Trị")
    a["C3"] = store.add_area(a["D2"].id, "commune", "Xã An Vĩnh")
    a["V1"] = store.add_area(a["C1"].id, "village", "Thôn Tân Hy", 10)
    a["V2"] = store.add_area(a["C1"].id, "village", "Thôn Thanh Thủy")
    a["V3"] = store.add_area(a["C2"].id, "village", "Thôn Vĩnh Trà", 5)
    a["V4"] = store.add_area(a["C3"].id, "village", "Thôn Đông", 4)
    store.set_member("test:lead1", a["V1"].id, "leader")
    store.set_member("test:mem1", a["V1"].id, "member")
    store.set_member("test:lead3", a["V3"].id, "leader")
    store.add_admin("test:admin")
    store.add_admin("test:admin2", a["D2"].id)

    def log(user: str, village: str, data: VisitInput, when: datetime) -> int:
        commune = {"V1": "C1", "V2": "C1", "V3": "C2", "V4": "C3"}[village]
        district = "D2" if village == "V4" else "D1"
        return store.save_visit(user, a[village], a[commune].id, a[district].id, data, when)[0].id

    log("test:mem1", "V1", VisitInput("Số 1", 5, 3, 1, 2), at(10))
    log("test:lead1", "V1", VisitInput("Nguyễn Văn A", 4, 2, 0, 1, latitude=15.1, longitude=108.8), at(10, 10))
    log("test:lead1", "V2", VisitInput("Số 7", 3, 1, 0, 1), at(11))
    undone = log("test:lead1", "V2", VisitInput("Số 8", 2, 2, 0, 2), at(11, 10))
    assert store.undo_visit(undone)
    log("test:lead3", "V3", VisitInput("Số 2", 6, 4, 1, 2, note="hẹn quay lại"), at(12))
    # a revisit undone: the household goes back to its first figures; the 13th has no visit left
    assert store.undo_visit(log("test:lead3", "V3", VisitInput("Số 2", 6, 4, 4, 0), at(13)))
    # the revisit: same household (label typed without diacritics), new figures, counted once
    log("test:mem1", "V1", VisitInput("so 1", 5, 3, 3, 0), at(12, 11))
    return Campaign(store, a)


@pytest.fixture()
def campaign(storage: Storage) -> Campaign:
    return build_campaign(storage)


@pytest.fixture()
def service(campaign: Campaign) -> ReportService:
    return ReportService(campaign.store)


def numbers(f: Figures) -> tuple:
    return (f.known_households, f.households, f.residents, f.smartphones, f.had_app, f.installed, f.visits,
            f.active_days)


def by_name(rows: list[Figures]) -> dict[str, Figures]:
    return {f.area.name: f for f in rows}


# --- figures -------------------------------------------------------------------------------------------------

def test_figures_by_village_match_hand_computed_totals(service: ReportService) -> None:
    rows, total = service.figures(None, "village")
    got = by_name(rows)
    assert [f.area.name for f in rows] == ["Thôn Tân Hy", "Thôn Thanh Thủy", "Thôn Vĩnh Trà", "Thôn Đông"]
    # V1: "Số 1" counted once with its revisit's figures (5, 3, 3, 0) + "Nguyễn Văn A" (4, 2, 0, 1)
    assert numbers(got["Thôn Tân Hy"]) == (10, 2, 9, 5, 3, 1, 3, 2)
    # V2: the undone visit and its household are gone
    assert numbers(got["Thôn Thanh Thủy"]) == (None, 1, 3, 1, 0, 1, 1, 1)
    assert numbers(got["Thôn Vĩnh Trà"]) == (5, 1, 6, 4, 1, 2, 1, 1)
    assert numbers(got["Thôn Đông"]) == (4, 0, 0, 0, 0, 0, 0, 0)      # no visits: still a row
    assert numbers(total) == (19, 4, 18, 10, 4, 4, 5, 3)
    assert total.with_app == 8 and total.rate_smartphones == pytest.approx(0.8)
    assert total.rate_residents == pytest.approx(8 / 18) and total.coverage == pytest.approx(3 / 19)   # V2 has no count: its household is left out
    assert total.visits_per_day == pytest.approx(5 / 3)
    assert got["Thôn Tân Hy"].coverage == pytest.approx(0.2) and got["Thôn Thanh Thủy"].coverage is None
    assert got["Thôn Đông"].rate_smartphones is None and got["Thôn Đông"].visits_per_day is None
    assert got["Thôn Tân Hy"].parents == ("Huyện Bình Sơn", "Xã Bình Hải")


def test_figures_by_district_and_commune_sum_known_households_of_villages(service: ReportService) -> None:
    rows, total = service.figures(None, "district")
    got = by_name(rows)
    assert numbers(got["Huyện Bình Sơn"]) == (15, 4, 18, 10, 4, 4, 5, 3)
    assert numbers(got["Huyện Lý Sơn"]) == (4, 0, 0, 0, 0, 0, 0, 0)
    rows, _ = service.figures(None, "commune")
    got = by_name(rows)
    assert numbers(got["Xã Bình Hải"]) == (10, 3, 12, 6, 3, 2, 4, 3)   # active days 10, 11 and 12
    assert numbers(got["Xã An Vĩnh"]) == (4, 0, 0, 0, 0, 0, 0, 0)
    assert sum(f.households for f in rows) == total.households


def test_a_scope_gives_only_its_own_areas(campaign: Campaign, service: ReportService) -> None:
    d1 = campaign.areas["D1"].id
    rows, total = service.figures(d1, "commune")
    assert [f.area.name for f in rows] == ["Xã Bình Hải", "Xã Bình Trị"]
    assert total.area.id == d1 and numbers(total) == (15, 4, 18, 10, 4, 4, 5, 3)
    rows, total = service.figures(campaign.areas["C1"].id, "village")
    assert [f.area.name for f in rows] == ["Thôn Tân Hy", "Thôn Thanh Thủy"] and total.households == 3
    with pytest.raises(ValueError):
        service.figures(d1, "district")
    with pytest.raises(ValueError):
        service.figures(campaign.areas["V1"].id, "village")


def test_a_date_range_counts_households_by_their_last_visit(service: ReportService) -> None:
    _, total = service.figures(None, "village", "2020-08-11", "2020-08-11")
    assert numbers(total)[1:] == (1, 3, 1, 0, 1, 1, 1)        # "Số 7" only
    rows, total = service.figures(None, "village", "2020-08-10", "2020-08-10")
    # "Số 1" was revisited on the 12th: its figures moved there; both visits of the 10th still count
    assert numbers(total)[1:] == (1, 4, 2, 0, 1, 2, 1)
    assert numbers(by_name(rows)["Thôn Tân Hy"])[1:] == (1, 4, 2, 0, 1, 2, 1)
    _, total = service.figures(None, "district", "2020-08-11", None)
    assert (total.households, total.visits, total.active_days) == (3, 3, 2)


def test_area_figures_for_one_village_and_the_province(campaign: Campaign, service: ReportService) -> None:
    v1 = service.area_figures(campaign.areas["V1"].id)
    assert numbers(v1) == (10, 2, 9, 5, 3, 1, 3, 2)
    assert numbers(service.area_figures(None)) == (19, 4, 18, 10, 4, 4, 5, 3)
    with pytest.raises(LookupError):
        service.area_figures(999_999)


def test_raw_rows_carry_names_but_no_member_or_location(service: ReportService) -> None:
    rows = list(service.raw_rows(None))
    assert len(rows) == 5
    first = rows[0]
    assert first[0].isoformat() == "2020-08-10" and first[1] == "09:00"
    assert first[2:7] == ("Huyện Bình Sơn", "Xã Bình Hải", "Thôn Tân Hy", "so 1", "new")
    flat = repr(rows)
    assert "test:" not in flat and "15.1" not in flat and "108.8" not in flat


# --- the chat ------------------------------------------------------------------------------------------------

@pytest.fixture()
def reports(campaign: Campaign, service: ReportService, i18n: I18n, tmp_path: Path) -> Reports:
    return Reports(campaign.store, service, i18n, lambda: NOW, tmp_path / "exports")


@pytest.fixture()
def bot(content: Content, i18n: I18n, storage: Storage, reports: Reports) -> Engine:
    return Engine(content, i18n, storage, THRESHOLDS, features=(reports,), cache=CACHE)


def say(engine: Engine, user: str, text: str = "", payload: str = "") -> list[Reply]:
    return engine.handle(Incoming("test", user, user, text=text, payload=payload, language_hint="vi"))


def press(reports: Reports, user: str, payload: str) -> list[Reply] | None:
    return reports.on_payload(Ctx(Incoming("test", user.split(":")[1], payload=payload), UserState(user, "test"),
                                  "vi"), payload)


def payloads(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies for b in r.flat_buttons()]


def test_progress_shows_the_members_own_and_village_figures(bot: Engine, i18n: I18n) -> None:
    text = say(bot, "mem1", "/tiendo")[0].text
    assert i18n.t("vi", "report.progress_mine", today="1", total="2") in text
    assert "Thôn Tân Hy" in text and "2 trên 10 hộ (20,0%)" in text
    assert i18n.percent("vi", BASELINE) == "6,0%" and "6,0%" in text
    assert say(bot, "nobody", "/tiendo")[0].text == i18n.t("vi", "report.not_member")


def test_numbers_are_formatted_for_vietnamese(campaign: Campaign, bot: Engine) -> None:
    store, v1 = campaign.store, campaign.areas["V1"]
    for n in range(1200):
        store.save_visit("test:lead1", v1, campaign.areas["C1"].id, campaign.areas["D1"].id,
                         VisitInput(f"Nhà {n}", 2, 1, 0, 1), at(12, 12))
    text = say(bot, "lead1", "/baocao")[0].text
    assert "1.202 trên 10 hộ" in text and "1.203 lượt thăm" in text


def test_a_member_sees_only_their_own_village(campaign: Campaign, bot: Engine, i18n: I18n) -> None:
    assert "Thôn Tân Hy" in say(bot, "mem1", "/baocao")[0].text
    refused = say(bot, "mem1", "/baocao Vĩnh Trà")[0].text
    assert refused == i18n.t("vi", "report.not_allowed", name="Vĩnh Trà")
    assert "Thôn Vĩnh Trà" in say(bot, "lead3", "/baocao vinh tra")[0].text
    assert say(bot, "nobody", "/baocao")[0].text == i18n.t("vi", "report.report_not_allowed")


def test_admin_drills_down_from_the_province(campaign: Campaign, bot: Engine, reports: Reports) -> None:
    a = campaign.areas
    replies = say(bot, "admin", "/baocao")
    assert "Quảng Ngãi" in replies[0].text and payloads(replies) == [f"r:a:{a['D1'].id}", f"r:a:{a['D2'].id}"]
    replies = say(bot, "admin", payload=f"r:a:{a['D1'].id}")
    assert "Huyện Bình Sơn" in replies[0].text
    assert payloads(replies) == [f"r:a:{a['C1'].id}", f"r:a:{a['C2'].id}", f"r:a:{a['P'].id}"]
    replies = press(reports, "test:admin", f"r:a:{a['V1'].id}")
    assert f"r:l:{a['V1'].id}:0" in payloads(replies) and f"r:a:{a['C1'].id}" in payloads(replies)


def test_forged_or_out_of_scope_ids_are_refused(campaign: Campaign, reports: Reports, bot: Engine) -> None:
    a = campaign.areas
    assert press(reports, "test:lead1", f"r:a:{a['V3'].id}") is None
    assert press(reports, "test:mem1", f"r:a:{a['C1'].id}") is None
    assert press(reports, "test:admin2", f"r:a:{a['D1'].id}") is None
    assert press(reports, "test:admin2", f"r:a:{a['P'].id}") is None
    for forged in ("r:a:999999", "r:a:x", "r:a:", "r:zz:1", "r:a:" + "9" * 30, "r:a:-1", "r:a:1:2:3", f"r:a:{a['V1'].id}:7", f"r:l:{a['D1'].id}:0"):
        assert press(reports, "test:admin", forged) is None, forged
    district = press(reports, "test:admin2", f"r:a:{a['D2'].id}")
    assert payloads(district) == [f"r:a:{a['C3'].id}"]       # no button up to the province
    replies = say(bot, "lead1", payload=f"r:a:{a['V3'].id}")
    assert "Vĩnh Trà" not in replies[0].text                  # the engine's stale-button answer instead


def test_drill_down_pages_twelve_buttons_two_per_row(campaign: Campaign, reports: Reports) -> None:
    store, d2, up = campaign.store, campaign.areas["D2"], f"r:a:{campaign.areas['P'].id}"
    for n in range(14):
        store.add_area(d2.id, "commune", f"Xã Mới {n:02d}")
    first = press(reports, "test:admin", f"r:a:{d2.id}")[0]
    assert all(len(row) <= 2 for row in first.buttons)
    areas = [b for b in first.flat_buttons() if b.payload.count(":") == 2 and b.payload != up]
    assert len(areas) == 12 and f"r:a:{d2.id}:1" in [b.payload for b in first.flat_buttons()]
    assert first.flat_buttons()[-1].payload == up
    second = press(reports, "test:admin", f"r:a:{d2.id}:1")[0]
    assert len([b for b in second.flat_buttons() if b.payload.count(":") == 2 and b.payload != up]) == 3
    assert f"r:a:{d2.id}:0" in [b.payload for b in second.flat_buttons()]
    assert press(reports, "test:admin", f"r:a:{d2.id}:2") is None


def test_household_list_only_for_the_leader_or_an_admin_in_scope(campaign: Campaign, bot: Engine,
                                                                  reports: Reports, i18n: I18n) -> None:
    v1 = campaign.areas["V1"].id
    text = say(bot, "lead1", "/ds")[0].text
    assert text.index("so 1") < text.index("Nguyễn Văn A")       # latest visit first
    assert "Nguyễn Văn A" in say(bot, "admin", "/ds Tân Hy")[0].text
    not_allowed = i18n.t("vi", "report.list_not_allowed")
    assert say(bot, "mem1", "/ds")[0].text == not_allowed
    assert say(bot, "lead3", "/ds Tân Hy")[0].text == not_allowed
    assert say(bot, "admin2", "/ds Tân Hy")[0].text == not_allowed
    assert say(bot, "admin", "/ds")[0].text == i18n.t("vi", "report.list_which")
    assert press(reports, "test:mem1", f"r:l:{v1}:0") is None
    assert press(reports, "test:lead3", f"r:l:{v1}:0") is None
    assert "Nguyễn Văn A" in press(reports, "test:lead1", f"r:l:{v1}:0")[0].text
    mem1 = press(reports, "test:mem1", f"r:a:{v1}")
    assert mem1 is not None and f"r:l:{v1}:0" not in payloads(mem1)


def test_household_list_pages_thirty_at_a_time(campaign: Campaign, reports: Reports) -> None:
    a = campaign.areas
    for n in range(40):
        campaign.store.save_visit("test:lead1", a["V1"], a["C1"].id, a["D1"].id,
                                  VisitInput(f"Nhà số {n}", 2, 1, 0, 1), at(12, 13))
    first = press(reports, "test:lead1", f"r:l:{a['V1'].id}:0")[0]
    assert len(first.text.splitlines()) == 31 and "1/2" in first.text
    second = press(reports, "test:lead1", f"r:l:{a['V1'].id}:1")[0]
    assert len(second.text.splitlines()) == 1 + 12 and second.text.splitlines()[1].startswith("31. ")
    assert press(reports, "test:lead1", f"r:l:{a['V1'].id}:2") is None


def test_excel_export_is_for_admins_only(bot: Engine, i18n: I18n, tmp_path: Path) -> None:
    for user in ("mem1", "lead1", "nobody"):
        reply = say(bot, user, "/xuatexcel")[0]
        assert reply.text == i18n.t("vi", "report.export_admins_only") and reply.document is None
    reply = say(bot, "admin", "/xuatexcel xa")[0]
    assert reply.document and Path(reply.document).parent == tmp_path / "exports"
    book = openpyxl.load_workbook(reply.document, read_only=True)
    report = list(book[book.sheetnames[0]].iter_rows(values_only=True))
    assert report[0][:2] == ("Huyện", "Xã") and len(report) == 1 + 3 + 1
    assert len(list(book[book.sheetnames[1]].iter_rows(values_only=True))) == 1 + 5


def test_a_district_admin_exports_only_their_district(bot: Engine, i18n: I18n) -> None:
    refused = say(bot, "admin2", "/xuatexcel district")[0]
    assert refused.document is None and "/xuatexcel commune" in refused.text
    reply = say(bot, "admin2", "/xuatexcel")[0]
    book = openpyxl.load_workbook(reply.document, read_only=True)
    report = list(book[book.sheetnames[0]].iter_rows(values_only=True))
    assert [r[1] for r in report[1:-1]] == ["Xã An Vĩnh"]
    assert len(list(book[book.sheetnames[1]].iter_rows(values_only=True))) == 1   # headers only
