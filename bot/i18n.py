"""gettext catalogs per locale (read from .po with babel at start-up); number, percent and date formatting."""
from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

DOMAIN = "bot"
BABEL_LOCALES = {"vi": "vi_VN", "en": "en_US"}


class CatalogError(Exception):
    """A catalog is missing or incomplete."""


class I18n:
    """Interface text by key, per language, from locales/<lang>/LC_MESSAGES/bot.po."""

    def __init__(self, locales_dir: Path, default: str = "vi") -> None:
        self.default = default
        self.catalogs: dict[str, Translations] = {}
        self.keys: dict[str, set[str]] = {}
        for lang in BABEL_LOCALES:
            path = locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
            if not path.is_file():
                raise CatalogError(f"missing catalog {path}")
            # Compiled in memory from the .po at start-up: no stale .mo can silently shadow an edit.
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=BABEL_LOCALES[lang])
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            self.catalogs[lang] = Translations(buffer, domain=DOMAIN)
            self.keys[lang] = {m.id for m in catalog if m.id and m.string}

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
        return text.format(**values) if values else text

    def number(self, lang: str, value: float) -> str:
        """A number in the user's locale (1.234 in Vietnamese, 1,234 in English)."""
        return format_decimal(value, locale=BABEL_LOCALES[self.lang(lang)])

    def percent(self, lang: str, value: float, digits: int = 1) -> str:
        """A fraction as a percentage in the user's locale."""
        return format_percent(value, format="#,##0." + "0" * digits + "%" if digits else "#,##0%",
                              locale=BABEL_LOCALES[self.lang(lang)])

    def date(self, lang: str, value: date | datetime) -> str:
        """A date (or date and time) in the user's locale, short form."""
        loc = Locale.parse(BABEL_LOCALES[self.lang(lang)])
        if isinstance(value, datetime):
            return format_datetime(value, format="short", locale=loc)
        return format_date(value, format="short", locale=loc)
