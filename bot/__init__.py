"""The citizen-help bot: a channel-free engine with thin channel adapters."""
