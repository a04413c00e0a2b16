"""The matcher in use while content changes: the first one is built at once; later ones (an admin's edit,
/reload, a changed file) are fitted on a thread while the previous matcher keeps answering."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bot.content.loader import Content
from bot.matching.matcher import Matcher

log = logging.getLogger(__name__)


class LiveMatcher:
    """Holds the current matcher; update() swaps in the matcher for new content when it is ready."""

    def __init__(self, builder: Callable[[Content], Matcher], background: bool = True) -> None:
        self.builder = builder
        self.background = background
        self.current: Matcher | None = None
        self.failed: Content | None = None     # the content whose refit failed, until a later one succeeds
        self._lock = threading.Lock()
        self._pending: Content | None = None
        self._worker: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def update(self, content: Content) -> None:
        """Use a matcher for content: built now the first time, else fitted in the background (latest wins)."""
        if self.current is None or not self.background:
            self.current = self.builder(content)
            return
        with self._lock:
            self._pending = content
            self._idle.clear()
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="matcher-fit", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                content, self._pending = self._pending, None
                if content is None:
                    self._idle.set()
                    self._worker = None
                    return
            try:
                self.current = self.builder(content)
                self.failed = None
            except Exception:   # the old matcher keeps answering; the next change tries again
                log.exception("refitting the matcher failed")
                self.failed = content

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no refit is pending; True when idle and the last refit succeeded."""
        return self._idle.wait(timeout) and self.failed is None
