"""YAML content in, typed records out: pack, entries, guides, intents, lexicon."""
