"""Report files for the department: xlsx (openpyxl, write-only, streamed) and CSV with a BOM for Excel."""
from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:   # reports imports this module; the names are only needed for type hints here
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from bot.i18n import I18n
    from bot.reports.service import Figures

LEVEL_COLUMNS = ("district", "commune", "village")
METRICS = ("households", "known", "coverage", "residents", "smartphones", "had_app", "installed",
           "rate_smartphones", "rate_residents", "visits", "days", "per_day")
RATES = {"coverage", "rate_smartphones", "rate_residents"}
RAW = ("raw_day", "raw_time", "col_district", "col_commune", "col_village", "raw_household", "raw_action",
       "col_residents", "col_smartphones", "col_had_app", "col_installed", "raw_note")
PERCENT, DECIMAL = "0.0%", "0.0"
WIDTHS = {"level": 24, "metric": 14, "raw": (11, 7, 22, 22, 22, 30, 13, 9, 11, 11, 11, 30)}


def export_titles(i18n: "I18n", lang: str, scope: str, day_from: str | None, day_to: str | None,
                  made_at: datetime) -> dict:
    """Every header and label the files need, from the catalog (keys export.*), plus the report's facts."""
    keys = ["sheet_report", "sheet_raw", "sheet_info", "total", "action_new", "action_update", "percent_suffix",
            "info_scope", "info_by", "info_from", "info_to", "info_made", "info_all", "info_rule"]
    keys += [f"col_{c}" for c in LEVEL_COLUMNS + METRICS] + [k for k in RAW if k.startswith("raw_")]
    titles = {key: i18n.t(lang, f"export.{key}") for key in keys}
    titles.update(scope=scope, day_from=day_from or titles["info_all"], day_to=day_to or titles["info_all"],
                  made_at=made_at.strftime("%Y-%m-%d %H:%M"))
    return titles


def _values(f: "Figures") -> list:
    return [f.households, f.known_households, f.coverage, f.residents, f.smartphones, f.had_app, f.installed,
            f.rate_smartphones, f.rate_residents, f.visits, f.active_days, f.visits_per_day]


def _names(f: "Figures", by: str, total: bool, titles: dict) -> list:
    depth = LEVEL_COLUMNS.index(by) + 1
    if total:
        return [f"{titles['total']} ({f.area.name})"] + [None] * (depth - 1)
    names = list(f.parents) + [f.area.name]
    return (names + [None] * depth)[:depth]


def write_xlsx(path: Path | str, rows: list["Figures"], total: "Figures", raw: Iterable[tuple], titles: dict,
               by: str) -> int:
    """Write the report sheet, the raw visits sheet and an info sheet; returns the raw rows written.

    Write-only mode streams rows to disk, so memory stays flat however many visits there are."""
    from openpyxl import (
        Workbook,  # imported here: it costs 0.1 s that `bot.py ask` should not pay
    )

    book = Workbook(write_only=True)
    _report_sheet(book, rows, total, titles, by)
    count = _raw_sheet(book, raw, titles)
    info = book.create_sheet(titles["sheet_info"])
    info.column_dimensions["A"].width, info.column_dimensions["B"].width = 18, 60
    for key, value in (("info_scope", titles["scope"]), ("info_by", titles[f"col_{by}"]),
                       ("info_from", titles["day_from"]), ("info_to", titles["day_to"]),
                       ("info_made", titles["made_at"]), ("info_rule", "")):
        info.append([titles[key], value or None])
    book.save(str(path))
    return count


def _report_sheet(book: "Workbook", rows: list["Figures"], total: "Figures", titles: dict, by: str) -> None:
    sheet = book.create_sheet(titles["sheet_report"])
    depth = LEVEL_COLUMNS.index(by) + 1
    for i in range(depth + len(METRICS)):
        letter = _letter(i)
        sheet.column_dimensions[letter].width = WIDTHS["level"] if i < depth else WIDTHS["metric"]
    sheet.freeze_panes = "A2"
    from openpyxl.styles import Font

    bold = Font(bold=True)
    header = [titles[f"col_{c}"] for c in LEVEL_COLUMNS[:depth] + METRICS]
    sheet.append([_cell(sheet, h, font=bold) for h in header])
    for figures, is_total in [(f, False) for f in rows] + [(total, True)]:
        cells = [_cell(sheet, v, font=bold if is_total else None) for v in _names(figures, by, is_total, titles)]
        for metric, value in zip(METRICS, _values(figures)):
            number_format = PERCENT if metric in RATES else DECIMAL if metric == "per_day" else None
            cells.append(_cell(sheet, value, number_format, bold if is_total else None))
        sheet.append(cells)


def _raw_sheet(book: "Workbook", raw: Iterable[tuple], titles: dict) -> int:
    from openpyxl.styles import Font

    sheet = book.create_sheet(titles["sheet_raw"])
    for i, width in enumerate(WIDTHS["raw"]):
        sheet.column_dimensions[_letter(i)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, titles[k], font=Font(bold=True)) for k in RAW])
    actions = {"new": titles["action_new"], "update": titles["action_update"]}
    count = 0
    for row in raw:   # plain values: a styled cell per value would cost several times more
        sheet.append((*row[:6], actions.get(row[6], row[6]), *row[7:]))
        count += 1
    return count


def _cell(sheet, value: object, number_format: str | None = None, font: "Font | None" = None) -> "WriteOnlyCell":
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if number_format and value is not None:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def write_csv(path: Path | str, rows: list["Figures"], total: "Figures", titles: dict, by: str = "") -> int:
    """The report sheet as CSV in UTF-8 with a BOM (so Excel shows the diacritics); rates in percent."""
    by = by or (rows[0].area.level if rows else "district")
    depth = LEVEL_COLUMNS.index(by) + 1
    header = [titles[f"col_{c}"] for c in LEVEL_COLUMNS[:depth]]
    header += [titles[f"col_{m}"] + (titles["percent_suffix"] if m in RATES else "") for m in METRICS]
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for figures, is_total in [(f, False) for f in rows] + [(total, True)]:
            values = [_plain(m, v) for m, v in zip(METRICS, _values(figures))]
            writer.writerow(_names(figures, by, is_total, titles) + values)
    return len(rows)


def _plain(metric: str, value: float | int | None) -> object:
    if value is None:
        return ""
    if metric in RATES:
        return round(value * 100, 1)
    return round(value, 1) if metric == "per_day" else value
