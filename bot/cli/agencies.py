"""Command-line tools for agency reports: importing reporting units, listing them, inviting a focal person."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.agencies.chat import Agencies, tree_order
from bot.agencies.unit_import import COLUMNS, import_csv
from bot.i18n import I18n
from bot.storage.agency_store import AgencyStore
from bot.storage.campaign_store import CampaignStore, name_key


def add_parsers(modes: argparse._SubParsersAction) -> None:
    """The `units` command."""
    units = modes.add_parser("units", help="reporting units (departments, districts, schools, hospitals, businesses)")
    units_do = units.add_subparsers(dest="action", required=True)
    imp = units_do.add_parser("import", help=f"import units from a CSV file ({','.join(COLUMNS)})")
    imp.add_argument("file", type=Path)
    units_do.add_parser("list", help="print the units as a tree")
    invite = units_do.add_parser("invite", help="make the single-use invite code for a unit's focal person")
    invite.add_argument("name", help="the unit's name (diacritics optional)")


def run(args: argparse.Namespace, store: AgencyStore, campaign: CampaignStore, i18n: I18n, agencies: Agencies,
        lang: str) -> int:
    """Run one `units` command; messages in the default language; exit status 0, or 2 on bad input."""
    t = lambda key, **v: i18n.t(lang, key, **v)  # noqa: E731
    if args.action == "import":
        try:
            text = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            print(t("areas.err.file", file=args.file, error=error), file=sys.stderr)
            return 2
        count, problems = import_csv(store, campaign, text)
        for problem in problems:
            print(t("areas.err.line", line=problem.line, reason=t(problem.key, **problem.values)), file=sys.stderr)
        if problems:
            print(t("areas.err.nothing"), file=sys.stderr)
            return 2
        print(t("agency.imported", n=i18n.number(lang, count)))
        return 0
    if args.action == "list":
        for unit, depth in tree_order(store.units()):
            print("  " * depth + f"{unit.name} [{agencies.kind_label(lang, unit.kind)}]")
        return 0
    found = store.find_units(args.name, limit=8)
    exact = [u for u in found if name_key(u.name) == name_key(args.name)]
    if len(found) != 1 and len(exact) != 1:
        print(t("agency.no_unit" if not found else "agency.cli_ambiguous", name=args.name), file=sys.stderr)
        for unit in found:
            print("  " + agencies.path(unit), file=sys.stderr)
        return 2
    invite = agencies.issue_invite((exact or found)[0].id, "cli")
    print(agencies.invite_text(lang, invite))
    return 0
