"""Command-line tools for the FAQ content: `faq check [DIR]`, `faq reload`, `faq export DIR`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from bot.config import Settings
from bot.content.loader import ContentError, ContentInvalid, load_content
from bot.curation.check import check
from bot.curation.export import export
from bot.curation.overlay import apply
from bot.curation.watcher import RELOAD
from bot.i18n import I18n
from bot.storage.admin_store import AdminStore
from bot.storage.database import Storage


def add_parser(modes: argparse._SubParsersAction) -> None:
    """The `faq` command and its actions."""
    faq = modes.add_parser("faq", help="the FAQ content: check it, make running bots reload it, export it")
    do = faq.add_subparsers(dest="action", required=True)
    check_ = do.add_parser("check", help="check a content folder (default: the configured one); exit 1 on problems")
    check_.add_argument("dir", nargs="?", type=Path, help="a faq/ folder (pack.yaml, entries/, guides/)")
    check_.add_argument("--intents", type=Path, help="the intents/ folder (default: the configured one)")
    do.add_parser("reload", help="check the content, then tell running bots to reload it")
    export_ = do.add_parser("export", help="write the current content, admins' edits included, as a faq/ folder")
    export_.add_argument("dir", type=Path, help="the folder to write")


def run(args: argparse.Namespace, settings: Settings, i18n: I18n, storage: Storage | None) -> int:
    """Run one `faq` action; exit status 0 when all is well, 1 when the content has problems."""
    lang = settings.default_locale
    t = lambda key, **v: i18n.t(lang, key, **v)  # noqa: E731
    if args.action == "check":
        folder = args.dir or settings.content_dir
        if not folder.is_dir():
            print(t("faqtools.no_dir", dir=folder), file=sys.stderr)
            return 1
        problems = check(folder, args.intents or settings.intents_dir, settings.answer_threshold)
        if _report(problems, t):
            return 1
        print(t("faqtools.ok", dir=folder))
        return 0
    if storage is None:
        raise ValueError("faq reload and faq export need the database")
    store = AdminStore(storage)
    if args.action == "reload":
        if _report(check(settings.content_dir, settings.intents_dir, settings.answer_threshold), t):
            print(t("faqtools.reload_refused"), file=sys.stderr)
            return 1
        store.signal(RELOAD)
        print(t("faqtools.reload_sent"))
        return 0
    try:
        base = load_content(settings.content_dir, settings.intents_dir)
    except ContentInvalid as error:
        _report(error.errors, t)
        print(t("faqtools.export_refused"), file=sys.stderr)
        return 1
    revisions = store.active_revisions()
    content = apply(base, revisions)
    export(content, args.dir)
    print(t("faqtools.exported", dir=args.dir, entries=i18n.number(lang, len(content.entries)),
            edits=i18n.number(lang, len(revisions))))
    if _report(check(args.dir, settings.intents_dir, settings.answer_threshold), t):
        print(t("faqtools.export_problems", dir=args.dir), file=sys.stderr)
        return 1
    return 0


def _report(problems: list[ContentError], t: Callable[..., str]) -> bool:
    """Print each problem as 'file: id: reason' and a count; True when there was any."""
    for problem in problems:
        print(problem)
    if problems:
        print(t("faqtools.problems", n=len(problems)), file=sys.stderr)
    return bool(problems)
