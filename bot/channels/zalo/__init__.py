"""The Zalo Official Account channel: webhook adapter, HTTP client with outbox, broadcast sender."""
