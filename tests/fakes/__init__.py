"""In-process fakes used by the test-suite (e.g. a fake Telegram Bot API server)."""
