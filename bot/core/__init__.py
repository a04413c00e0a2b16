"""The engine, free of channels and SQL: messages, state, features, replies, the storage port."""
