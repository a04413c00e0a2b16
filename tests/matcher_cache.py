"""One model cache for the whole test run: every test that builds an engine over the same content reuses one fit."""
from __future__ import annotations

import tempfile
from pathlib import Path

from bot.matching.cache import ModelCache

# Kept between runs (a temporary folder, keyed by a hash of content and code): a second run fits nothing.
CACHE = ModelCache(Path(tempfile.gettempdir()) / "bluezone-test-matcher-cache")
