"""Fitted models kept on disk by a hash of what they were fitted on, so start-up need not fit again."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from bot.matching.model import LinearModel
from bot.matching.training import SentenceMemo

log = logging.getLogger(__name__)
KEEP = 4    # a few recent versions (an admin's edit and its rollback) stay; older files are removed


class ModelCache:
    """A folder of `matcher-<key>.npz` files; any problem reading or writing just means fitting again."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        # Matchers built in this process, by the same key: a rollback, or a second engine over the same content,
        # costs nothing. Bounded like the folder.
        self.built: dict[str, object] = {}
        self.sentences = SentenceMemo()     # normalised training sentences, reused by the next fit

    def remember(self, key: str, matcher: object) -> None:
        """Keep a matcher built in this process for key (the oldest is dropped beyond KEEP)."""
        self.built.pop(key, None)
        self.built[key] = matcher
        while len(self.built) > KEEP:
            self.built.pop(next(iter(self.built)))

    def _path(self, key: str) -> Path | None:
        return self.folder / f"matcher-{key}.npz" if self.folder else None

    def get(self, key: str) -> LinearModel | None:
        """The model fitted for key, if one was kept and can be read."""
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            model = LinearModel.load(path)
            os.utime(path)          # recently used: the last to be pruned
            return model
        except Exception:   # a truncated or foreign file: fit again, never fail to start
            log.warning("matcher cache file unreadable, fitting again")
            return None

    def put(self, key: str, model: LinearModel) -> None:
        """Keep the model for key; older files beyond KEEP are removed."""
        path = self._path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            model.save(path)
            files = sorted(path.parent.glob("matcher-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in files[KEEP:]:
                old.unlink(missing_ok=True)
        except OSError:     # a read-only or full disk costs a fit at the next start, nothing else
            log.warning("matcher cache not writable")
