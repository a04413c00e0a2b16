"""`bot.py report` and `bot.py demo`: the parsers and runners the composition root plugs in."""
from __future__ import annotations

import argparse
import sys
import time
import unicodedata
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.campaign.demo import fill_demo
from bot.clock import vietnam_now
from bot.config import ROOT
from bot.i18n import I18n
from bot.reports.exports import export_titles, write_csv, write_xlsx
from bot.reports.service import Figures, ReportService, child_level
from bot.storage.campaign_store import LEVELS, Area, CampaignStore, name_key

FORMATS = ("table", "csv", "xlsx")


def add_report_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`report --by LEVEL [--area NAME] [--from DATE] [--to DATE] [--format F] [-o FILE]`."""
    parser = subparsers.add_parser("report", help="campaign figures by area, as a table, CSV or Excel file")
    parser.add_argument("--by", choices=LEVELS[1:], help="one row per district, commune or village"
                        " (default: the level below --area)")
    parser.add_argument("--area", metavar="NAME", help="only this area (default: the whole province)")
    parser.add_argument("--from", dest="day_from", metavar="YYYY-MM-DD", help="first day counted")
    parser.add_argument("--to", dest="day_to", metavar="YYYY-MM-DD", help="last day counted")
    parser.add_argument("--format", choices=FORMATS, default="table", help="table (default), csv or xlsx")
    parser.add_argument("-o", "--output", metavar="FILE", help="file to write (csv, xlsx; default: a dated name)")
    return parser


def add_demo_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """`demo --households N [--seed S]`."""
    parser = subparsers.add_parser("demo", help="fill an empty database with a synthetic campaign")
    parser.add_argument("--households", type=int, default=1000, metavar="N", help="how many (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed, for the same data again (default 1)")
    return parser


class UsageError(Exception):
    """A problem with what was typed, already phrased for the user."""


def _day(i18n: I18n, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise UsageError(i18n.t(i18n.default, "report.cli_bad_date", value=value)) from None


def _area(i18n: I18n, store: CampaignStore, name: str | None) -> Area:
    lang = i18n.default
    if not name:
        province = store.province()
        if province is None:
            raise UsageError(i18n.t(lang, "report.no_areas"))
        return province
    found = store.find_areas(name, limit=6)
    exact = [a for a in found if name_key(a.name) == name_key(name)]
    if not found:
        raise UsageError(i18n.t(lang, "report.area_unknown", name=name))
    if len(exact) == 1 or len(found) == 1:
        return exact[0] if exact else found[0]
    names = ", ".join(" / ".join(a.name for a in store.ancestors(x.id)[1:]) for x in (exact or found))
    raise UsageError(i18n.t(lang, "report.cli_area_ambiguous", name=name, names=names))


def run_report(args: argparse.Namespace, store: CampaignStore, service: ReportService, i18n: I18n,
               out: TextIO | None = None) -> int:
    """Print or write the report; a bad date, area or level gets a message and exit status 2."""
    out, lang = out or sys.stdout, i18n.default
    try:
        day_from, day_to = _day(i18n, args.day_from), _day(i18n, args.day_to)
        if day_from and day_to and day_from > day_to:
            raise UsageError(i18n.t(lang, "report.cli_date_order", start=day_from, end=day_to))
        area = _area(i18n, store, args.area)
        by = args.by or child_level(area.level)
        allowed = LEVELS[LEVELS.index(area.level) + 1:]
        if by not in allowed:
            raise UsageError(i18n.t(lang, "report.cli_bad_level", name=area.name,
                                    level=i18n.t(lang, f"report.level_{area.level}"),
                                    levels=", ".join(f"{x} ({i18n.t(lang, f'report.level_{x}')})"
                                                     for x in allowed) or "–"))
        scope_id = None if area.level == "province" else area.id
        rows, total = service.figures(scope_id, by, day_from, day_to)
        if args.format == "table":
            print(render_table(i18n, lang, rows, total, day_from, day_to), file=out)
            return 0
        path = Path(args.output or f"bao-cao-{by}-{vietnam_now():%Y%m%d-%H%M}.{args.format}")
        titles = export_titles(i18n, lang, area.name, day_from, day_to, vietnam_now())
        try:
            if args.format == "csv":
                write_csv(path, rows, total, titles, by)
            else:
                write_xlsx(path, rows, total, service.raw_rows(scope_id, day_from, day_to), titles, by)
        except OSError as error:
            raise UsageError(i18n.t(lang, "report.cli_cannot_write", path=path,
                                    reason=error.strerror or error)) from None
        print(i18n.t(lang, "report.cli_written", path=path), file=out)
        return 0
    except UsageError as error:
        print(error, file=sys.stderr)
        return 2


COLUMNS = ("households", "known", "coverage", "residents", "smartphones", "had_app", "installed",
           "rate_smartphones", "rate_residents", "visits", "days", "per_day")


def _cells(i18n: I18n, lang: str, f: Figures) -> list[str]:
    number = lambda v: "–" if v is None else i18n.number(lang, round(v, 1))  # noqa: E731
    percent = lambda v: "–" if v is None else i18n.percent(lang, v)  # noqa: E731
    return [number(f.households), number(f.known_households), percent(f.coverage), number(f.residents),
            number(f.smartphones), number(f.had_app), number(f.installed), percent(f.rate_smartphones),
            percent(f.rate_residents), number(f.visits), number(f.active_days), number(f.visits_per_day)]


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(c) else 1 for c in unicodedata.normalize("NFC", text))


def _label(f: Figures, total: Figures) -> str:
    # Village names repeat from commune to commune ("Thôn 1"): name the parent when it is not the scope itself.
    if f.area.parent_id != total.area.id and f.parents:
        return f"{f.parents[-1]} › {f.area.name}"
    return f.area.name


def render_table(i18n: I18n, lang: str, rows: list[Figures], total: Figures, day_from: str | None,
                 day_to: str | None) -> str:
    """The report as aligned text: names left, numbers right, the totals row last."""
    header = [i18n.t(lang, "report.table_area")] + [i18n.t(lang, f"report.table_{c}") for c in COLUMNS]
    body = [[_label(f, total)] + _cells(i18n, lang, f) for f in rows]
    body.append([i18n.t(lang, "export.total")] + _cells(i18n, lang, total))
    widths = [max(_width(r[i]) for r in [header] + body) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0] + " " * (widths[0] - _width(cells[0]))
        return "  ".join([first] + [" " * (w - _width(c)) + c for c, w in zip(cells[1:], widths[1:])])

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    period = i18n.t(lang, "report.cli_period", start=day_from or i18n.t(lang, "report.cli_all_time"),
                    end=day_to or i18n.t(lang, "report.cli_today"))
    lines = [i18n.t(lang, "report.title", name=total.area.name), period, "", line(header), rule]
    lines += [line(r) for r in body[:-1]] + [rule, line(body[-1])]
    return "\n".join(lines)


def run_demo(args: argparse.Namespace, store: CampaignStore, i18n: I18n | None = None,
             out: TextIO | None = None) -> int:
    """Fill an empty database with a synthetic campaign; exit status 2 when it already holds households."""
    out = out or sys.stdout
    i18n = i18n or I18n(ROOT / "locales")
    say = lambda key, **values: i18n.t(i18n.default, key, **values)  # noqa: E731
    if args.households < 1:
        print(say("report.demo_bad_number"), file=sys.stderr)
        return 2
    if store.household_sums("district", "all", [], None, None):
        print(say("report.demo_not_empty"), file=sys.stderr)
        return 2
    started = time.perf_counter()
    made = fill_demo(store, args.households, args.seed)
    number = lambda value: i18n.number(i18n.default, value)  # noqa: E731
    print(say("report.demo_done", seconds=number(round(time.perf_counter() - started, 1)),
              **{key: number(value) for key, value in made.items()}), file=out)
    return 0
