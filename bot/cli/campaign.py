"""Command-line tools for the campaign: importing areas, adding admins, making and revoking team invites."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.campaign.areas import import_csv
from bot.campaign.teams import Teams
from bot.i18n import I18n
from bot.storage.campaign_store import CampaignStore

CHANNELS = ("telegram", "zalo", "console")


def add_parsers(modes: argparse._SubParsersAction) -> None:
    """The `areas`, `admin` and `team` commands."""
    areas = modes.add_parser("areas", help="the area tree: import communes and villages, list them")
    areas_do = areas.add_subparsers(dest="action", required=True)
    imp = areas_do.add_parser("import", help="import communes and villages from a CSV file (huyen,xa,thon,so_ho)")
    imp.add_argument("file", type=Path)
    areas_do.add_parser("list", help="print the tree")
    admin = modes.add_parser("admin", help="admins of the campaign")
    admin_do = admin.add_subparsers(dest="action", required=True)
    add = admin_do.add_parser("add", help="make CHANNEL:ID an admin (of the province, or of --area)")
    add.add_argument("user", help="e.g. telegram:123456 or zalo:849123")
    add.add_argument("--area", help="limit the admin to this district (name)")
    team = modes.add_parser("team", help="village task teams")
    team_do = team.add_subparsers(dest="action", required=True)
    invite = team_do.add_parser("invite", help="make an invite code for a village's team")
    invite.add_argument("village", help="the village's name (diacritics optional)")
    invite.add_argument("--leader", action="store_true", help="a single-use code for the team's leader")
    revoke = team_do.add_parser("revoke", help="revoke an invite code")
    revoke.add_argument("code")


def run(args: argparse.Namespace, store: CampaignStore, i18n: I18n, teams: Teams, lang: str) -> int:
    """Run one campaign command; messages in the default language; exit status 0, or 2 on bad input."""
    t = lambda key, **v: i18n.t(lang, key, **v)  # noqa: E731
    if args.mode == "areas" and args.action == "import":
        try:
            text = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            print(t("areas.err.file", file=args.file, error=error), file=sys.stderr)
            return 2
        count, problems = import_csv(store, text)
        for problem in problems:
            print(t("areas.err.line", line=problem.line, reason=t(problem.key, **problem.values)), file=sys.stderr)
        if problems:
            print(t("areas.err.nothing"), file=sys.stderr)
            return 2
        print(t("areas.imported", n=i18n.number(lang, count)))
        return 0
    if args.mode == "areas":
        province = store.province()
        stack = [(province, 0)] if province else []
        while stack:   # depth first, children in name order
            area, depth = stack.pop()
            print("  " * depth + area.name + (f" ({area.households})" if area.households else ""))
            stack.extend((child, depth + 1) for child in reversed(store.children(area.id)))
        return 0
    if args.mode == "admin":
        channel, _, user_id = args.user.partition(":")
        if channel not in CHANNELS or not user_id.strip():
            print(t("cli.admin_format"), file=sys.stderr)
            return 2
        area_id = None
        if args.area:
            found = store.find_areas(args.area, level="district", limit=1)
            if not found:
                print(t("team.no_district", name=args.area), file=sys.stderr)
                return 2
            area_id = found[0].id
        store.add_admin(f"{channel}:{user_id.strip()}", area_id, "cli")
        print(t("cli.admin_added", user=args.user))
        return 0
    if args.action == "revoke":
        ok = store.revoke(args.code.strip().upper())
        print(t("team.revoked" if ok else "team.code_unknown", code=args.code.strip().upper()))
        return 0 if ok else 2
    found = store.find_areas(args.village, level="village", limit=5)
    if len(found) != 1 and not (found and found[0].name.casefold() == args.village.strip().casefold()):
        print(t("team.no_village" if not found else "cli.village_ambiguous", name=args.village), file=sys.stderr)
        for area in found:
            print("  " + teams.place(area.id), file=sys.stderr)
        return 2
    invite = teams.issue_invite(found[0].id, "leader" if args.leader else "member", "cli")
    print(teams.invite_text(lang, invite))
    return 0
