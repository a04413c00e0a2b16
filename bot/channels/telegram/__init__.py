"""The Telegram channel (python-telegram-bot 22): adapter, runner, broadcast sender."""
