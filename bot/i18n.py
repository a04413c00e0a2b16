"""gettext catalogs per locale (read from .po with babel at start-up); number, percent and date formatting."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

DOMAIN = "bot"
BABEL_LOCALES = {"vi": "vi_VN", "en": "en_US"}


class CatalogError(Exception):
    """A catalog is missing or incomplete."""


class _Values(dict):
    """Placeholder values; a missing one stays visible as {name} rather than failing the whole reply."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def read_catalogs(folder: Path, locale: str) -> Catalog:
    """Every .po file of one language merged into one catalog (one file per feature); a key twice is an error."""
    paths = sorted(folder.glob("*.po"))
    if not paths:
        raise CatalogError(f"no catalog in {folder}")
    merged = Catalog(locale=locale, domain=DOMAIN)
    for path in paths:
        try:
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
        except Exception as error:   # babel raises several kinds for a broken file
            raise CatalogError(f"{path}: {error}") from None
        for message in catalog:
            if not message.id:
                continue
            if message.id in merged:
                raise CatalogError(f"{path}: key {message.id!r} is defined twice")
            merged.add(message.id, message.string)
    return merged


class I18n:
    """Interface text by key, per language, from locales/<lang>/LC_MESSAGES/bot.po."""

    def __init__(self, locales_dir: Path, default: str = "vi", **defaults: object) -> None:
        self.default = default
        self.defaults = dict(defaults)   # values every text may use, e.g. {app}: the content pack's app name
        self.catalogs: dict[str, Translations] = {}
        self.keys: dict[str, set[str]] = {}
        for lang in BABEL_LOCALES:
            catalog = read_catalogs(locales_dir / lang / "LC_MESSAGES", BABEL_LOCALES[lang])
            # Compiled in memory from the .po at start-up: no stale .mo can silently shadow an edit.
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            self.catalogs[lang] = Translations(buffer, domain=DOMAIN)
            self.keys[lang] = {str(m.id) for m in catalog if m.id and m.string}

    def lang(self, lang: str) -> str:
        """A supported language code for lang, or the default."""
        code = (lang or "").lower().replace("_", "-").split("-")[0]
        return code if code in self.catalogs else self.default

    def t(self, lang: str, key: str, **values: object) -> str:
        """The text for key in lang (else the default language), with {names} filled in."""
        lang = self.lang(lang)
        text = self.catalogs[lang].gettext(key)
        if text == key and lang != self.default:
            text = self.catalogs[self.default].gettext(key)
        return text.format_map(_Values({**self.defaults, **values})) if "{" in text else text

    def number(self, lang: str, value: float) -> str:
        """A number in the user's locale (1.234 in Vietnamese, 1,234 in English)."""
        return format_decimal(value, locale=BABEL_LOCALES[self.lang(lang)])

    def percent(self, lang: str, value: float, digits: int = 1) -> str:
        """A fraction as a percentage in the user's locale."""
        return format_percent(value, format="#,##0." + "0" * digits + "%" if digits else "#,##0%",
                              locale=BABEL_LOCALES[self.lang(lang)])

    def date(self, lang: str, value: dt.date | dt.datetime) -> str:
        """A date (or date and time) in the user's locale, short form."""
        loc = Locale.parse(BABEL_LOCALES[self.lang(lang)])
        if isinstance(value, dt.datetime):
            return format_datetime(value, format="short", locale=loc)
        return format_date(value, format="short", locale=loc)
