"""Shared fixtures: the shipped content, real catalogs and a real SQLite file per test."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import ROOT, load_settings
from bot.content.loader import Content, load_content
from bot.core.engine import Engine, Thresholds
from bot.i18n import I18n
from bot.matching.build import build_matcher, normaliser_for
from bot.matching.matcher import Matcher
from bot.matching.normaliser import Normaliser
from bot.storage.database import Storage
from tests.matcher_cache import CACHE


@pytest.fixture(autouse=True)
def _engine_errors_fail_the_test(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture):
    """The engine turns a bug into an apology so that citizens are served; in tests that must not hide it: an ERROR
    the engine logs fails the test that caused it, unless the test is marked `engine_errors` (it causes one on
    purpose)."""
    yield
    if request.node.get_closest_marker("engine_errors"):
        return
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR and r.name == "bot.core.engine"]
    assert not errors, f"the engine logged an error: {errors[0].getMessage()}"


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(ROOT / "faq", ROOT / "intents")


@pytest.fixture(scope="session")
def i18n() -> I18n:
    return I18n(ROOT / "locales")


@pytest.fixture(scope="session")
def normaliser(content: Content) -> Normaliser:
    return normaliser_for(content)


@pytest.fixture(scope="session")
def matcher(content: Content) -> Matcher:
    return build_matcher(content, CACHE)


@pytest.fixture()
def storage(tmp_path: Path) -> Storage:
    store = Storage.open(str(tmp_path / "bot.db"))
    yield store
    store.close()


@pytest.fixture()
def engine(content: Content, i18n: I18n, storage: Storage) -> Engine:
    settings = load_settings({})
    return Engine(content, i18n, storage, Thresholds(settings.answer_threshold, settings.suggest_threshold),
                  cache=CACHE)
