"""The live content: YAML files plus admins' edits, rebuilt on reload or edit; broken files never replace good."""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from bot.content.loader import Content, ContentError, ContentInvalid, load_content
from bot.curation.overlay import apply
from bot.storage.admin_store import AdminStore

log = logging.getLogger(__name__)

WATCHED = ("*.yaml", "*/*.yaml", "images/*")


class ContentManager:
    """Owns the current content; listeners (the engine) get every new version."""

    def __init__(self, content_dir: Path, intents_dir: Path, store: AdminStore,
                 base: Content | None = None) -> None:
        self.content_dir, self.intents_dir, self.store = content_dir, intents_dir, store
        self.lock = threading.RLock()
        self.base = base or load_content(content_dir, intents_dir)
        self.listeners: list[Callable[[Content], None]] = []
        self.current = apply(self.base, store.active_revisions())
        self.stamp = self.files_stamp()

    def subscribe(self, listener: Callable[[Content], None]) -> None:
        """Call listener with every new content from now on (build it with `current` first)."""
        self.listeners.append(listener)

    def files_stamp(self) -> tuple:
        """Names, sizes and modification times of the content files: a change means 'reload'."""
        stamp = []
        for folder in (self.content_dir, self.intents_dir):
            for pattern in WATCHED:
                for path in sorted(folder.glob(pattern)):
                    if path.is_file():
                        info = path.stat()
                        stamp.append((str(path), info.st_size, info.st_mtime_ns))
        return tuple(stamp)

    def reload_files(self) -> list[ContentError]:
        """Read the YAML again; on any error keep answering with the old content and return the errors."""
        with self.lock:
            self.stamp = self.files_stamp()
            try:
                base = load_content(self.content_dir, self.intents_dir)
            except ContentInvalid as error:
                log.warning("content reload refused: %d problems", len(error.errors))
                return error.errors
            self.base = base
            self._publish()
            log.info("content reloaded from files")
            return []

    def refresh_edits(self) -> None:
        """Rebuild after an admin's edit or rollback (the YAML stays as loaded)."""
        with self.lock:
            self._publish()

    def reload_if_changed(self) -> list[ContentError] | None:
        """Reload when the files changed since the last look; None when nothing changed."""
        return self.reload_files() if self.files_stamp() != self.stamp else None

    def _publish(self) -> None:
        self.current = apply(self.base, self.store.active_revisions())
        for listener in self.listeners:
            listener(self.current)
