"""Which language a question is written in: diacritics mean Vietnamese; else the words only one language's
paraphrases use (and the lexicon's English markers) decide."""
from __future__ import annotations

from collections.abc import Iterable

from bot.matching.normaliser import Normalised


class LanguageGuess:
    """Built from each language's words; guess() is read-only."""

    def __init__(self, words_by_lang: dict[str, set[str]], english_markers: Iterable[str]) -> None:
        markers = frozenset(english_markers)
        vi, en = words_by_lang.get("vi", set()), words_by_lang.get("en", set())
        self.only_en = (en - vi) | markers
        self.only_vi = vi - en - markers

    def guess(self, norm: Normalised) -> str | None:
        """"vi" or "en" when the words say so, else None."""
        if norm.has_marks:
            return "vi"
        en = sum(1 for w in norm.words if w in self.only_en)
        vi = sum(1 for w in norm.words if w in self.only_vi)
        return "en" if en > vi else "vi" if vi > en else None
