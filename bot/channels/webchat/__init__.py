"""The web chat: the bot on an agency's web portal (`/chat`), one page with no external script, font or CDN."""
