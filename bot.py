#!/usr/bin/env python3
"""The composition root: reads settings, builds storage, content, engine and channels, runs the chosen mode."""
from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.content import ContentInvalid, load_content
from bot.engine import Engine, Thresholds
from bot.i18n import CatalogError, I18n
from bot.storage import Storage


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line: a mode and its options."""
    parser = argparse.ArgumentParser(prog="bot.py", description="Citizen-help bot (console, Telegram, Zalo).")
    modes = parser.add_subparsers(dest="mode")
    modes.add_parser("chat", help="chat in this terminal (the default when no token is configured)")
    ask = modes.add_parser("ask", help="answer a question, or every line of stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("question", nargs="*", help="the question (else read stdin)")
    return parser.parse_args(argv)


def build_engine(settings: Settings, i18n: I18n) -> Engine:
    """Content, storage and engine, wired together."""
    content = load_content(settings.content_dir, settings.intents_dir)
    storage = Storage.open(settings.db_path)
    return Engine(content, i18n, storage, Thresholds(settings.answer_threshold, settings.suggest_threshold))


def run(args: argparse.Namespace, settings: Settings, i18n: I18n) -> int:
    """Run the chosen mode; returns the exit status."""
    from bot.channels.console import ConsoleChat, ask_lines

    engine = build_engine(settings, i18n)
    lang = settings.default_locale
    if args.mode == "ask":
        ask_lines(engine, [" ".join(args.question)] if args.question else sys.stdin, sys.stdout, args.json)
        return 0
    chat = ConsoleChat(engine, lang_hint=lang)
    if sys.stdin.isatty():
        print(i18n.t(lang, "console.intro", app=engine.content.pack.app_name) + "\n")
        print(chat.say("/start") + "\n")
        prompt = lambda: print(f"{i18n.t(lang, 'console.you')}> ", end="", flush=True)  # noqa: E731
        prompt()
        chat.run(sys.stdin, sys.stdout, prompt)
        print(i18n.t(lang, "console.bye"))
    else:
        chat.run(sys.stdin, sys.stdout)
    return 0


def main(argv: list[str]) -> int:
    """Entry point: friendly messages, never a traceback, for set-up problems."""
    args = parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[attr-defined]
    fallback_i18n: I18n | None = None
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        fallback_i18n = I18n(settings.locales_dir, settings.default_locale)
        return run(args, settings, fallback_i18n)
    except ConfigError as error:
        print(f"Cấu hình chưa đúng / A setting is wrong: {error}", file=sys.stderr)
    except CatalogError as error:
        print(f"Thiếu tệp ngôn ngữ / A language file is missing: {error}", file=sys.stderr)
    except ContentInvalid as error:
        print(fallback_i18n.t("vi", "cli.content_error") if fallback_i18n else "Content errors:", file=sys.stderr)
        for problem in error.errors:
            print(f"  {problem}", file=sys.stderr)
    except (sqlite3.Error, OSError) as error:
        print(f"Không mở được cơ sở dữ liệu / Cannot open the database: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
