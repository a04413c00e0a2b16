"""One model cache for the whole test run: every test that builds an engine over the same content reuses one fit."""
from __future__ import annotations

import tempfile
from pathlib import Path

from bot.config import load_settings
from bot.matching.cache import ModelCache
from bot.matching.decision import Thresholds

# Kept between runs (a temporary folder, keyed by a hash of content and code): a second run fits nothing.
CACHE = ModelCache(Path(tempfile.gettempdir()) / "bluezone-test-matcher-cache")

# The bands as shipped (the settings' defaults), for engines that tests build by hand.
_settings = load_settings({})
THRESHOLDS = Thresholds(_settings.answer_threshold, _settings.suggest_threshold)
