"""Long messages: the question is often one sentence among family context, and a message may ask two things."""
from __future__ import annotations

import re

# Sentence ends, and the words that start a new question inside one sentence ("..., còn ... thì sao").
_SENTENCE_END = re.compile(r"[.!?;\n…]+|\s[-–]\s")
MIN_WORDS = 2
MAX_SEGMENTS = 6


def segments(text: str) -> list[str]:
    """The message's sentences (at most MAX_SEGMENTS, each of at least MIN_WORDS words), in order; a message
    of one sentence gives an empty list."""
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    parts = [p for p in parts if len(p.split()) >= MIN_WORDS]
    return parts[:MAX_SEGMENTS] if len(parts) > 1 else []
