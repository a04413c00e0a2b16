#!/usr/bin/env python3
"""The composition root: reads settings, builds storage, content, engine and channels, runs the chosen mode."""
from __future__ import annotations

import argparse
import logging
import sqlite3
import sys

from bot.app import background_jobs, build_app
from bot.cli import agencies as cli_agencies
from bot.cli import campaign as cli_campaign
from bot.cli import eval as cli_eval
from bot.cli import faq as cli_faq
from bot.cli import reports as cli_reports
from bot.config import ConfigError, Settings, load_settings
from bot.content.loader import ContentInvalid
from bot.i18n import CatalogError, I18n
from bot.storage.database import Storage


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line: a mode and its options."""
    parser = argparse.ArgumentParser(prog="bot.py", description="Citizen-help bot (console, Telegram, Zalo).")
    modes = parser.add_subparsers(dest="mode")
    modes.add_parser("chat", help="chat in this terminal (the default when no token is configured)")
    ask = modes.add_parser("ask", help="answer a question, or every line of stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("question", nargs="*", help="the question (else read stdin)")
    telegram = modes.add_parser("telegram", help="run the Telegram bot (long polling, or --webhook)")
    telegram.add_argument("--webhook", metavar="URL", help="public https:// URL Telegram posts updates to")
    telegram.add_argument("--host", default="127.0.0.1", help="address the webhook server listens on")
    telegram.add_argument("--port", type=int, default=8080, help="port the webhook server listens on")
    serve = modes.add_parser("serve", help="run the web server: Zalo and Telegram webhooks, /healthz")
    serve.add_argument("--host", default="127.0.0.1", help="address the server listens on")
    serve.add_argument("--port", type=int, default=8080, help="port the server listens on")
    cli_campaign.add_parsers(modes)
    cli_agencies.add_parsers(modes)
    link = modes.add_parser("dashboard-link", help="print a one-time sign-in link to the web dashboard")
    link.add_argument("user", metavar="CHANNEL:ID", help="the admin's key, e.g. telegram:123")
    cli_faq.add_parser(modes)
    cli_eval.add_parser(modes)
    cli_reports.add_report_parser(modes)
    cli_reports.add_demo_parser(modes)
    return parser.parse_args(argv)


def run_telegram_mode(args: argparse.Namespace, settings: Settings, i18n: I18n) -> int:
    """The Telegram bot until Ctrl+C or SIGTERM; set-up problems are explained, not raised."""
    import asyncio

    from telegram.error import BadRequest, InvalidToken, NetworkError

    from bot.channels.telegram.run import run_telegram
    from bot.runtime.web import webhook_problem
    from bot.runtime.worker import EngineWorker

    lang = settings.default_locale
    problem = "cli.no_token" if not settings.telegram_token else None
    if problem is None and args.webhook is not None:
        problem = webhook_problem(args.webhook, settings.telegram_webhook_secret)
    if problem:
        print(i18n.t(lang, problem), file=sys.stderr)
        return 2
    app = build_app(settings, i18n)
    engine = app.engine
    worker = EngineWorker(engine)

    def background(application):   # noqa: ANN001, ANN202 - PTB's Application
        from bot.channels.telegram.sender import telegram_sender

        return background_jobs(app, settings, i18n, {"telegram": telegram_sender(application.bot)}, worker)

    try:
        asyncio.run(run_telegram(settings, worker, i18n, args.webhook, args.host, args.port, background=background))
    except InvalidToken:
        print(i18n.t(lang, "cli.bad_token"), file=sys.stderr)
        return 2
    except BadRequest as error:   # e.g. Telegram refused the webhook address
        print(f"Telegram: {error.message}", file=sys.stderr)
        return 2
    except NetworkError:
        print(i18n.t(lang, "cli.telegram_unreachable"), file=sys.stderr)
        return 2
    finally:
        worker.close()
        engine.storage.close()
    return 0


def run(args: argparse.Namespace, settings: Settings, i18n: I18n) -> int:
    """Run the chosen mode; returns the exit status."""
    lang = settings.default_locale
    if args.mode == "telegram":
        return run_telegram_mode(args, settings, i18n)
    if args.mode == "serve":
        from bot.runtime.serve import run_serve
        built = build_app(settings, i18n)
        return run_serve(settings, built, i18n, args.host, args.port,
                         background=lambda senders, worker: background_jobs(built, settings, i18n, senders, worker))
    if args.mode is None and settings.telegram_token:
        print(i18n.t(lang, "cli.channels"))
        return 0
    if args.mode == "faq":   # before build_app: checking broken content must not need loadable content
        storage = Storage.open(settings.db_path) if args.action != "check" else None
        try:
            return cli_faq.run(args, settings, i18n, storage)
        finally:
            if storage is not None:
                storage.close()
    from bot.channels.console import ConsoleChat, ask_lines

    app = build_app(settings, i18n, campaign=args.mode not in ("ask", "eval"))   # answering needs no campaign
    engine = app.engine
    if args.mode in ("areas", "admin", "team"):
        return cli_campaign.run(args, app.store, i18n, app.teams, lang)
    if args.mode == "dashboard-link":
        from bot.dashboard.auth import run_link
        return run_link(args, app.dashboard.auth, settings.public_url)
    if args.mode == "units":
        return cli_agencies.run(args, app.agency_store, app.store, i18n, app.agencies, lang)
    if args.mode == "report":
        from bot.reports.service import ReportService
        return cli_reports.run_report(args, app.store, ReportService(app.store), i18n)
    if args.mode == "demo":
        return cli_reports.run_demo(args, app.store, i18n)
    if args.mode == "eval":
        return cli_eval.run_eval(args, engine, i18n, lang)
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
    except BrokenPipeError:   # output piped into `head`: nothing to report
        return 0
    except (sqlite3.Error, OSError) as error:
        print(f"Không mở được cơ sở dữ liệu / Cannot open the database: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
