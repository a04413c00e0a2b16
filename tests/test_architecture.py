"""The layers hold: the engine, the matcher and content loading import no storage, channel or runtime; features
import no channel (the contracts are in .importlinter)."""
from __future__ import annotations

import os

from importlinter import cli

from bot.config import ROOT


def test_the_import_contracts_are_kept() -> None:
    before = os.getcwd()
    os.chdir(ROOT)       # import-linter finds the package from the working folder
    try:
        assert cli.lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True, no_logo=True) == 0
    finally:
        os.chdir(before)


def test_bots_top_level_holds_only_the_composition_and_what_everything_uses() -> None:
    modules = sorted(p.name for p in (ROOT / "bot").glob("*.py"))
    assert modules == ["__init__.py", "app.py", "clock.py", "config.py", "i18n.py"]
