"""The layers hold: the engine, the matcher and content loading import no storage, channel or runtime; features
import no channel (the contracts are in .importlinter)."""
from __future__ import annotations

import subprocess
import sys

from bot.config import ROOT

LINT = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename='.importlinter', no_cache=True, no_logo=True))")


def test_the_import_contracts_are_kept() -> None:
    # In its own process: import-linter reconfigures logging, which would silence the other tests' loggers.
    run = subprocess.run([sys.executable, "-c", LINT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_bots_top_level_holds_only_the_composition_and_what_everything_uses() -> None:
    modules = sorted(p.name for p in (ROOT / "bot").glob("*.py"))
    assert modules == ["__init__.py", "app.py", "clock.py", "config.py", "i18n.py"]
