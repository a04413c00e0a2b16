"""Long messages: the question is often one sentence among family context, and a message may ask two things."""
from __future__ import annotations

import re

# Sentence ends: ! ? ; … and line breaks; a full stop only before a space or the end ("bản 1.2.3" is one sentence);
# a dash between spaces.
_SENTENCE_END = re.compile(r"[!?;\n…]+|\.+(?=\s|$)|\s[-–]\s")
MIN_WORDS = 2
HEAD, TAIL = 2, 4       # of a very long message, its first and last sentences: the question is mostly at the end


def segments(text: str) -> list[str]:
    """The message's sentences of at least MIN_WORDS words, in order (of many, the first HEAD and last TAIL);
    a message of one sentence gives an empty list. Splits the text as typed, before cleaning joins lines."""
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    parts = [p for p in parts if len(p.split()) >= MIN_WORDS]
    if len(parts) > HEAD + TAIL:
        parts = parts[:HEAD] + parts[-TAIL:]
    return parts if len(parts) > 1 else []
