"""The language data of a content pack, as records: the lexicon (intents/lexicon.yaml, devices.yaml) and what
training sentences may add (intents/augment.yaml). Read by content loading; used by bot/matching."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Lexicon:
    """Word lists that bring chat spellings to one standard form (loaded from intents/lexicon.yaml)."""

    app_canonical: str = ""
    app_variants: tuple[str, ...] = ()
    accented: dict[str, str] = field(default_factory=dict)
    folded: dict[str, str] = field(default_factory=dict)
    phrases: dict[str, str] = field(default_factory=dict)
    foreign_subjects: tuple[str, ...] = ()
    english_markers: frozenset[str] = frozenset()
    os_words: dict[str, str] = field(default_factory=dict)              # system -> the word written for it
    brands: dict[str, tuple[str, ...]] = field(default_factory=dict)    # system -> brand words
    device_patterns: dict[str, tuple[str, ...]] = field(default_factory=dict)   # system -> regular expressions
    model_words: frozenset[str] = frozenset()                          # words of model names after a brand


@dataclass(frozen=True)
class Augmentation:
    """What intents/augment.yaml gives the generator: chatter, context and rewrites."""

    openers: tuple[str, ...] = ()
    closers: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    rewrites: dict[str, tuple[str, ...]] = field(default_factory=dict)
