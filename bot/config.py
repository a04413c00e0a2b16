"""Settings from the environment and an optional config file; the only reader of os.environ."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit
from typing import Callable, Mapping

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


@dataclass(frozen=True)
class Spec:
    """One setting: its environment name, default and a line of help (repeated in the README)."""

    env: str
    default: str
    help: str
    secret: bool = False


SPECS: dict[str, Spec] = {
    "db_path": Spec("BOT_DB", "data/bot.db", "SQLite database file (created on first start)."),
    "content_dir": Spec("BOT_CONTENT_DIR", "faq", "Content pack folder: FAQ entries and guides."),
    "intents_dir": Spec("BOT_INTENTS_DIR", "intents", "Lexicon, small-talk and out-of-scope data."),
    "locales_dir": Spec("BOT_LOCALES_DIR", "locales", "gettext catalogs (vi, en)."),
    "default_locale": Spec("BOT_LOCALE", "vi", "Language for users whose language is unknown (vi or en)."),
    "answer_threshold": Spec("BOT_ANSWER_THRESHOLD", "0.19", "Confidence (0..1) at or above which the bot answers;"
                             " the default gives 98% right answers on eval/tune.tsv (`bot.py eval --calibrate`)."),
    "suggest_threshold": Spec("BOT_SUGGEST_THRESHOLD", "0.08", "Confidence at or above which the bot offers"
                              " suggestions (\"Có phải bạn muốn hỏi…\")."),
    "log_level": Spec("BOT_LOG_LEVEL", "INFO", "Logging level: DEBUG, INFO, WARNING or ERROR."),
    "admins": Spec("BOT_ADMINS", "", "Province-wide admins, comma-separated CHANNEL:ID (e.g. telegram:123,zalo:456)."),
    "areas_file": Spec("BOT_AREAS_FILE", "areas/quang_ngai.yaml", "The province and its districts (loaded at start)."),
    "invite_days": Spec("BOT_INVITE_DAYS", "14", "Days an invite code to a village team stays valid."),
    "reminder_weekday": Spec("BOT_REMINDER_WEEKDAY", "0", "Day of the weekly reminder to units that have not"
                             " reported this week: 0 = Monday … 6 = Sunday (from 08:00 Vietnam time)."),
    "cache_dir": Spec("BOT_CACHE_DIR", "data/cache", "Folder for the fitted matcher, kept by a hash of the content"
                      " (safe to delete: it is fitted again in a few seconds)."),
    "export_dir": Spec("BOT_EXPORT_DIR", "data/exports", "Folder for Excel and CSV reports sent in the chat."),
    "telegram_token": Spec("TELEGRAM_BOT_TOKEN", "", "Telegram bot token from @BotFather.", secret=True),
    "telegram_base_url": Spec("TELEGRAM_BASE_URL", "https://api.telegram.org/bot",
                              "Bot API base URL (a self-hosted Bot API server, or a test fake)."),
    "telegram_username": Spec("TELEGRAM_BOT_USERNAME", "",
                              "The bot's @username without @, for t.me invite links (optional)."),
    "telegram_webhook_secret": Spec("TELEGRAM_WEBHOOK_SECRET", "",
                                    "Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token.", secret=True),
    "zalo_app_id": Spec("ZALO_APP_ID", "",
                        "Zalo app id (developers.zalo.me, the app's page); with ZALO_OA_SECRET_KEY it turns Zalo on."),
    "zalo_app_secret": Spec("ZALO_APP_SECRET", "", "Zalo app secret key, for refreshing the OA access token.",
                            secret=True),
    "zalo_oa_secret_key": Spec("ZALO_OA_SECRET_KEY", "",
                               "OA Secret Key that signs webhook events (the app's Webhook page).", secret=True),
    "zalo_access_token": Spec("ZALO_ACCESS_TOKEN", "",
                              "First OA access token; later ones are refreshed and kept in the database.",
                              secret=True),
    "zalo_refresh_token": Spec("ZALO_REFRESH_TOKEN", "",
                               "First OA refresh token (single use); a new value here replaces the stored pair.",
                               secret=True),
    "zalo_api_url": Spec("ZALO_API_URL", "https://openapi.zalo.me", "Zalo OA API base URL (a proxy, or a test fake)."),
    "zalo_oauth_url": Spec("ZALO_OAUTH_URL", "https://oauth.zaloapp.com",
                           "Zalo OAuth base URL for token refresh (a proxy, or a test fake)."),
    "zalo_image_base_url": Spec("ZALO_IMAGE_BASE_URL", "",
                                "Public https:// copy of the content pack folder, for Zalo guide images (optional)."),
    "public_url": Spec("BOT_PUBLIC_URL", "http://127.0.0.1:8080",
                       "Base URL admins' browsers reach `serve` at, for dashboard sign-in links; https:// makes cookies Secure."),
    "chat_embed_origins": Spec("BOT_CHAT_EMBED_ORIGINS", "", "Web portals allowed to show the web chat (/chat) in an"
                               " iframe, space-separated (https://portal.example.gov.vn); none by default."),
    "target_rate": Spec("BOT_TARGET_RATE", "0.6", "Campaign target: share (0..1) of residents with the app."),
    "session_hours": Spec("BOT_SESSION_HOURS", "8", "Hours a dashboard sign-in lasts before a new link is needed."),
}


@dataclass(frozen=True)
class Settings:
    """Validated settings for one run of the bot."""

    db_path: str
    content_dir: Path
    intents_dir: Path
    locales_dir: Path
    default_locale: str
    answer_threshold: float
    suggest_threshold: float
    log_level: str
    admins: tuple[str, ...]
    areas_file: Path
    invite_days: int
    reminder_weekday: int
    cache_dir: Path
    export_dir: Path
    telegram_token: str
    telegram_base_url: str
    telegram_username: str
    telegram_webhook_secret: str
    zalo_app_id: str
    zalo_app_secret: str
    zalo_oa_secret_key: str
    zalo_access_token: str
    zalo_refresh_token: str
    zalo_api_url: str
    zalo_oauth_url: str
    zalo_image_base_url: str
    public_url: str
    chat_embed_origins: tuple[str, ...]
    target_rate: float
    session_hours: int

    def __repr__(self) -> str:  # secrets never reach a log line through repr
        shown = {f.name: ("***" if SPECS[f.name].secret and getattr(self, f.name) else getattr(self, f.name))
                 for f in fields(self)}
        return f"Settings({shown})"


def _path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else ROOT / path


def _fraction(value: str) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError("must be between 0 and 1")
    return number


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value
    return parse


def _admins(value: str) -> tuple[str, ...]:
    keys = tuple(part.strip() for part in value.split(",") if part.strip())
    for key in keys:
        channel, sep, user_id = key.partition(":")
        if not sep or not channel or not user_id:
            raise ValueError(f"{key!r} is not CHANNEL:ID")
    return keys


def _weekday(value: str) -> int:
    day = int(value)
    if not 0 <= day <= 6:
        raise ValueError("must be 0 (Monday) to 6 (Sunday)")
    return day


def _days(value: str) -> int:
    days = int(value)
    if not 1 <= days <= 365:
        raise ValueError("must be between 1 and 365")
    return days


def _base_url(value: str) -> str:
    value = value.strip().rstrip("/")
    if value and not value.startswith(("https://", "http://")):
        raise ValueError("must start with https:// (or http:// for a local proxy)")
    return value


def _hours(value: str) -> int:
    hours = int(value)
    if not 1 <= hours <= 168:
        raise ValueError("must be between 1 and 168")
    return hours


def _public_url(value: str) -> str:
    value = _base_url(value)
    if not value:
        raise ValueError("must be set (e.g. https://bot.example.org)")
    return value


def _origins(value: str) -> tuple[str, ...]:
    origins = tuple(value.split())
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("https", "http") or not parts.netloc or parts.path not in ("", "/"):
            raise ValueError(f"{origin!r} is not an origin like https://portal.example.gov.vn")
    return tuple(o.rstrip("/") for o in origins)


def _db(value: str) -> str:
    return value if value == ":memory:" else str(_path(value))


PARSERS: dict[str, Callable[[str], object]] = {
    "db_path": _db,
    "admins": _admins,
    "areas_file": _path,
    "invite_days": _days,
    "reminder_weekday": _weekday,
    "export_dir": _path,
    "cache_dir": _path,
    "content_dir": _path,
    "intents_dir": _path,
    "locales_dir": _path,
    "default_locale": _choice("vi", "en"),
    "answer_threshold": _fraction,
    "suggest_threshold": _fraction,
    "zalo_api_url": _base_url,
    "zalo_oauth_url": _base_url,
    "zalo_image_base_url": _base_url,
    "public_url": _public_url,
    "target_rate": _fraction,
    "chat_embed_origins": _origins,
    "session_hours": _hours,
    "log_level": lambda v: _choice("DEBUG", "INFO", "WARNING", "ERROR")(v.upper()),
}


def read_config_file(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines (# comments, blank lines ignored) from a config file."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def load_settings(environ: Mapping[str, str] | None = None, **overrides: str) -> Settings:
    """Build Settings from a config file (BOT_CONFIG), the environment, then explicit overrides."""
    env = dict(os.environ if environ is None else environ)
    merged: dict[str, str] = {}
    config_file = env.get("BOT_CONFIG")
    if config_file:
        merged.update(read_config_file(Path(config_file)))
    merged.update(env)
    values: dict[str, object] = {}
    for name, spec in SPECS.items():
        raw = overrides.get(name, merged.get(spec.env, spec.default))
        try:
            values[name] = PARSERS.get(name, str)(raw)
        except ValueError as error:
            raise ConfigError(f"{spec.env}={raw!r}: {error}") from None
    if values["suggest_threshold"] > values["answer_threshold"]:  # type: ignore[operator]
        raise ConfigError("BOT_SUGGEST_THRESHOLD must not be above BOT_ANSWER_THRESHOLD")
    return Settings(**values)  # type: ignore[arg-type]
