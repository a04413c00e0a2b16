"""The report files opened back (openpyxl, csv), the `report` and `demo` commands, and the demo data's rules."""
from __future__ import annotations

import argparse
import csv
import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from bot.campaign.demo import fill_demo, province_names
from bot.cli.reports import add_demo_parser, add_report_parser, run_demo, run_report
from bot.clock import VIETNAM
from bot.i18n import I18n
from bot.reports.exports import export_titles, write_csv, write_xlsx
from bot.reports.service import ReportService
from bot.storage.campaign_store import Area, CampaignStore, VisitInput
from bot.storage.database import Storage

MADE = datetime(2020, 8, 12, 15, 0, tzinfo=VIETNAM)


def small_campaign(storage: Storage) -> tuple[CampaignStore, dict[str, Area]]:
    """P > D (C: V1 known 10, V2) and an empty district E; three households, four visits, one revisit."""
    store = CampaignStore(storage)
    a = {"P": store.add_area(None, "province", "Quảng Ngãi")}
    a["D"] = store.add_area(a["P"].id, "district", "Huyện Mộ Đức")
    a["E"] = store.add_area(a["P"].id, "district", "Huyện Ba Tơ")
    a["C"] = store.add_area(a["D"].id, "commune", "Xã Đức Phong")
    a["V1"] = store.add_area(a["C"].id, "village", "Thôn Vĩnh An", 10)
    a["V2"] = store.add_area(a["C"].id, "village", "Thôn Tân Phong")
    visits = [("V1", "Số 1", 5, 3, 1, 1, 10), ("V1", "Số 2", 4, 2, 0, 2, 10), ("V2", "Lê Thị Hoa", 3, 2, 0, 1, 11),
              ("V1", "Số 1", 5, 3, 2, 1, 12)]
    for village, label, r, s, h, i, day in visits:
        store.save_visit("test:m", a[village], a["C"].id, a["D"].id,
                         VisitInput(label, r, s, h, i, note="Ghi chú có dấu", latitude=15.0, longitude=108.9),
                         datetime(2020, 8, day, 9, 30, tzinfo=VIETNAM))
    return store, a


@pytest.fixture()
def campaign(storage: Storage) -> tuple[CampaignStore, dict[str, Area]]:
    return small_campaign(storage)


def titles(i18n: I18n, day_from: str | None = None, day_to: str | None = None) -> dict:
    return export_titles(i18n, "vi", "Quảng Ngãi", day_from, day_to, MADE)


def test_xlsx_has_headers_figures_totals_and_every_visit(campaign, i18n: I18n, tmp_path: Path) -> None:
    store, _ = campaign
    service = ReportService(store)
    rows, total = service.figures(None, "village")
    path = tmp_path / "report.xlsx"
    assert write_xlsx(path, rows, total, service.raw_rows(None), titles(i18n), "village") == 4
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:2] == ["Báo cáo", "Lượt thăm"]
    sheet = book["Báo cáo"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:6] == ("Huyện", "Xã", "Thôn", "Số hộ đã thăm", "Số hộ (theo danh sách)", "Tỉ lệ hộ đã thăm")
    assert "Đã cài trước" in values[0] and "Cài trong đợt thăm" in values[0]
    assert values[1][:5] == ("Huyện Mộ Đức", "Xã Đức Phong", "Thôn Tân Phong", 1, None)
    assert values[2][:6] == ("Huyện Mộ Đức", "Xã Đức Phong", "Thôn Vĩnh An", 2, 10, 0.2)
    totals = values[-1]
    assert totals[0] == "Tổng cộng (Quảng Ngãi)" and totals[3:10] == (3, 10, 0.2, 12, 7, 2, 4)   # coverage counts V1 only: V2 has no count
    assert totals[10] == pytest.approx(6 / 7) and totals[12:14] == (4, 3)
    assert sheet.cell(row=3, column=6).number_format == "0.0%"
    assert sheet.cell(row=len(values), column=1).font.b
    raw = list(book["Lượt thăm"].iter_rows(values_only=True))
    assert len(raw) == 1 + 4
    assert raw[0] == ("Ngày", "Giờ", "Huyện", "Xã", "Thôn", "Hộ gia đình", "Loại", "Số người",
                      "Có điện thoại thông minh", "Đã cài trước", "Cài trong đợt thăm", "Ghi chú")
    assert raw[1][0].date().isoformat() == "2020-08-10" and raw[1][1:7] == (
        "09:30", "Huyện Mộ Đức", "Xã Đức Phong", "Thôn Vĩnh An", "Số 1", "Thăm lần đầu")
    assert raw[4][6] == "Thăm lại" and raw[4][7:] == (5, 3, 2, 1, "Ghi chú có dấu")
    every = repr(raw)
    assert "test:m" not in every and "108.9" not in every and "15.0" not in every


def test_xlsx_of_an_empty_range_has_zero_rows(campaign, i18n: I18n, tmp_path: Path) -> None:
    store, _ = campaign
    service = ReportService(store)
    rows, total = service.figures(None, "district", "2021-01-01", "2021-01-31")
    path = tmp_path / "empty.xlsx"
    write_xlsx(path, rows, total, service.raw_rows(None, "2021-01-01", "2021-01-31"),
               titles(i18n, "2021-01-01", "2021-01-31"), "district")
    book = openpyxl.load_workbook(path, read_only=True)
    report = list(book["Báo cáo"].iter_rows(values_only=True))
    assert [r[0] for r in report[1:-1]] == ["Huyện Ba Tơ", "Huyện Mộ Đức"] and report[-1][1] == 0
    assert len(list(book["Lượt thăm"].iter_rows(values_only=True))) == 1
    info = dict(book["Thông tin"].iter_rows(values_only=True, max_col=2))
    assert info["Từ ngày"] == "2021-01-01" and info["Chia theo"] == "Huyện"


def test_csv_has_a_bom_and_reads_back(campaign, i18n: I18n, tmp_path: Path) -> None:
    store, _ = campaign
    rows, total = ReportService(store).figures(None, "commune")
    path = tmp_path / "report.csv"
    write_csv(path, rows, total, titles(i18n))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "Đức Phong".encode() in raw
    with path.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0][:4] == ["Huyện", "Xã", "Số hộ đã thăm", "Số hộ (theo danh sách)"]
    assert table[0][4] == "Tỉ lệ hộ đã thăm (%)"
    assert table[1][:5] == ["Huyện Mộ Đức", "Xã Đức Phong", "3", "10", "20.0"]   # coverage counts V1 only
    assert table[-1][0] == "Tổng cộng (Quảng Ngãi)" and len(table) == 3


# --- the command line --------------------------------------------------------------------------------------

def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    modes = parser.add_subparsers(dest="mode")
    add_report_parser(modes)
    add_demo_parser(modes)
    return parser.parse_args(list(argv))


def report(store: CampaignStore, i18n: I18n, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return run_report(parse("report", *argv), store, ReportService(store), i18n, out), out.getvalue()


def test_report_table_lists_every_area_and_the_total(campaign, i18n: I18n) -> None:
    store, _ = campaign
    code, text = report(store, i18n, "--by", "village")
    assert code == 0
    lines = text.splitlines()
    assert any(line.startswith("Xã Đức Phong › Thôn Vĩnh An") for line in lines)
    assert lines[-1].startswith("Tổng cộng") and "20,0%" in lines[-1] and "85,7%" in lines[-1]
    widths = {len(line) for line in lines[3:] if not line.startswith("-")}
    assert len(widths) == 1                                   # aligned columns


def test_report_by_commune_of_one_district_with_a_date_range(campaign, i18n: I18n) -> None:
    store, _ = campaign
    code, text = report(store, i18n, "--area", "mo duc", "--from", "2020-08-11", "--to", "2020-08-12")
    assert code == 0 and "Xã Đức Phong" in text and "2020-08-11" in text
    assert text.splitlines()[-1].split()[2] == "2"            # households last visited on the 11th or 12th


@pytest.mark.parametrize("argv, message", [
    (("--from", "2020-02-30"), "Ngày “2020-02-30” chưa đúng. Xin ghi theo dạng năm-tháng-ngày"),
    (("--to", "12/08/2020"), "Ngày “12/08/2020” chưa đúng."),
    (("--from", "2020-08-12", "--to", "2020-08-01"), "Ngày bắt đầu (2020-08-12) ở sau ngày kết thúc"),
    (("--area", "Hà Nội"), "Không tìm thấy khu vực “Hà Nội”"),
    (("--area", "Đức Phong", "--by", "district"), "Xã Đức Phong là cấp xã; chỉ chia được theo cấp thấp hơn"),
])
def test_bad_input_gets_a_vietnamese_message_and_exit_2(campaign, i18n: I18n, capsys, argv, message) -> None:
    store, _ = campaign
    code, text = report(store, i18n, *argv)
    err = capsys.readouterr().err
    assert code == 2 and not text and "Traceback" not in err
    assert err.startswith(message)


def test_report_writes_xlsx_and_csv_files(campaign, i18n: I18n, tmp_path: Path) -> None:
    store, _ = campaign
    xlsx, text = report(store, i18n, "--by", "commune", "--format", "xlsx", "-o", str(tmp_path / "r.xlsx"))
    assert xlsx == 0 and "r.xlsx" in text
    assert len(list(openpyxl.load_workbook(tmp_path / "r.xlsx")["Lượt thăm"].iter_rows())) == 5
    code, _ = report(store, i18n, "--format", "csv", "-o", str(tmp_path / "r.csv"))
    assert code == 0 and (tmp_path / "r.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    code, _ = report(store, i18n, "--format", "csv", "-o", str(tmp_path / "no" / "such" / "dir.csv"))
    assert code == 2


# --- demo data ---------------------------------------------------------------------------------------------

def test_demo_fills_a_consistent_campaign(storage: Storage, i18n: I18n) -> None:
    store = CampaignStore(storage)
    out = io.StringIO()
    assert run_demo(parse("demo", "--households", "1500", "--seed", "3"), store, i18n, out) == 0
    assert "1.500 hộ" in out.getvalue()
    rows, total = ReportService(store).figures(None, "village")
    assert total.households == 1500 and len(rows) >= 4
    province, districts = province_names()
    assert store.province().name == province and len(districts) >= 10
    assert {a.name for a in store.children(store.province().id)} == set(districts)
    db = storage.db
    # the household row holds its last visit's figures, and its visit count, as save_visit keeps them
    broken = db.execute(
        "SELECT COUNT(*) FROM households h JOIN visits v ON v.id = (SELECT MAX(id) FROM visits WHERE"
        " household_id = h.id) WHERE h.residents != v.residents OR h.had_app != v.had_app OR"
        " h.installed != v.installed OR h.last_day != v.day OR h.last_at != v.at"
        " OR h.visits != (SELECT COUNT(*) FROM visits WHERE household_id = h.id)").fetchone()[0]
    assert broken == 0
    assert db.execute("SELECT COUNT(*) FROM households WHERE smartphones > residents OR residents < 1"
                      " OR had_app + installed > smartphones OR residents > 8").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM visits WHERE action = 'update'").fetchone()[0] > 0
    assert db.execute("SELECT COUNT(DISTINCT day) FROM visits").fetchone()[0] > 20
    leaders = db.execute("SELECT COUNT(*) FROM members WHERE role = 'leader'").fetchone()[0]
    assert leaders == len(rows) and all(store.members_of(f.area.id) for f in rows)
    assert run_demo(parse("demo", "--households", "10"), store, i18n, io.StringIO()) == 2   # not twice


def test_demo_is_the_same_for_the_same_seed(tmp_path: Path) -> None:
    totals = []
    for name in ("a", "b"):
        storage = Storage.open(str(tmp_path / f"{name}.db"))
        store = CampaignStore(storage)
        fill_demo(store, 300, seed=7, clock=lambda: MADE)
        totals.append(ReportService(store).area_figures(None))
        storage.close()
    assert totals[0] == totals[1] and totals[0].households == 300
