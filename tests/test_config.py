"""Settings: defaults, validation with clear errors, the config file, secrets kept out of repr, the README table."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ROOT, SPECS, ConfigError, load_settings


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.default_locale == "vi" and settings.admins == ()
    assert settings.db_path.endswith("data/bot.db")


@pytest.mark.parametrize("env, name", [
    ({"BOT_ANSWER_THRESHOLD": "cao"}, "BOT_ANSWER_THRESHOLD"), ({"BOT_ANSWER_THRESHOLD": "1.5"}, "BOT_ANSWER_THRESHOLD"),
    ({"BOT_LOCALE": "fr"}, "BOT_LOCALE"), ({"BOT_ADMINS": "telegram"}, "BOT_ADMINS"),
    ({"BOT_INVITE_DAYS": "0"}, "BOT_INVITE_DAYS"),
    ({"BOT_SUGGEST_THRESHOLD": "0.9", "BOT_ANSWER_THRESHOLD": "0.5"}, "BOT_SUGGEST_THRESHOLD"),
])
def test_bad_values_name_the_setting(env: dict, name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings(env)


def test_config_file_then_environment(tmp_path: Path) -> None:
    path = tmp_path / "bot.conf"
    path.write_text("# comment\nBOT_LOCALE=en\nBOT_ADMINS = 'telegram:1, zalo:2'\n", encoding="utf-8")
    settings = load_settings({"BOT_CONFIG": str(path), "BOT_ADMINS": "telegram:9"})
    assert settings.default_locale == "en" and settings.admins == ("telegram:9",)
    path.write_text("not a setting line\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        load_settings({"BOT_CONFIG": str(path)})


def test_secrets_never_in_repr() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": "123:SECRET", "TELEGRAM_WEBHOOK_SECRET": "hush"})
    assert "SECRET" not in repr(settings) and "hush" not in repr(settings)


def test_readme_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [spec.env for spec in SPECS.values() if f"`{spec.env}`" not in readme]
    assert not missing
