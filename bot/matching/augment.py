"""Training sentences made from the content by code: each paraphrase as written and as people also type it
(no diacritics, telex, chat spellings and dialect, typos, chatter and family context around the question,
phone brands). Seeded by the paraphrase's own text, so the same content always gives the same sentences."""
from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Iterator

from bot.content.language_data import Augmentation
from bot.matching.normaliser import fold

# How many extra sentences each paraphrase gives; the paraphrase itself always comes first.
VARIANTS = 2
_LETTERS = "abcdeghiklmnopqrstuvxy"
_TONES = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}


def telex(text: str) -> str:
    """Text as typed in telex with the keyboard's conversion off ("không" -> "khoong")."""
    out = []
    for word in text.split(" "):
        tone = ""
        letters: list[str] = []
        for ch in unicodedata.normalize("NFD", word):
            if ch in _TONES:
                tone = _TONES[ch]
            elif ch == "\u0302":     # circumflex: double the vowel
                letters.append(letters[-1] if letters else "")
            elif ch == "\u0306":     # breve
                letters.append("w")
            elif ch == "\u031b":     # horn
                letters.append("w")
            else:
                letters.append("dd" if ch == "đ" else ch)
        out.append("".join(letters) + tone)
    return " ".join(out)


_VNI_TONES = {"\u0301": "1", "\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5"}
_VNI_MARKS = {"\u0302": "6", "\u031b": "7", "\u0306": "8"}


def vni(text: str) -> str:
    """Text as typed in VNI with the keyboard's conversion off ("không" -> "kho6ng", "đ" -> "d9")."""
    out = []
    for word in text.split(" "):
        tone = ""
        letters: list[str] = []
        for ch in unicodedata.normalize("NFD", word):
            if ch in _VNI_TONES:
                tone = _VNI_TONES[ch]
            elif ch in _VNI_MARKS:
                letters.append(_VNI_MARKS[ch])
            else:
                letters.append("d9" if ch == "đ" else ch)
        out.append("".join(letters) + tone)
    return " ".join(out)


class Augmenter:
    """Makes the training sentences for one paraphrase."""

    def __init__(self, augmentation: Augmentation, seed: int = 0) -> None:
        self.aug = augmentation
        self.seed = seed
        keys = sorted(augmentation.rewrites, key=len, reverse=True)
        self._rewrite = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, keys)) + r")(?!\w)") if keys else None

    def sentences(self, text: str, lang: str, variants: int = VARIANTS) -> Iterator[str]:
        """The paraphrase first, then `variants` others; Vietnamese ones get the chat forms."""
        yield text
        rng = random.Random(f"{self.seed}:{lang}:{text}")   # str seeds do not depend on PYTHONHASHSEED
        makers = [self._folded, self._chat, self._typos, self._polite, self._context, self._telex, self._vni]
        if lang != "vi":
            makers = [self._typos, self._english_chatter, self._dropped]
        # each paraphrase gets a seeded choice of kinds, so that every kind appears across the content
        for maker in rng.sample(makers, min(variants, len(makers))):
            yield maker(text.lower(), rng)

    def _folded(self, text: str, rng: random.Random) -> str:
        return fold(self._chat(text, rng))

    def _chat(self, text: str, rng: random.Random) -> str:
        if self._rewrite is None:
            return text
        rewrites = self.aug.rewrites
        return self._rewrite.sub(lambda m: rng.choice(rewrites[m.group(1)]) if rng.random() < 0.7 else m.group(1),
                                 text)

    def _typos(self, text: str, rng: random.Random) -> str:
        words = text.split()
        long_words = [i for i, w in enumerate(words) if len(w) >= 4]
        for i in rng.sample(long_words, min(len(long_words), rng.randint(1, 2))):
            w = words[i]
            j = rng.randrange(1, len(w))
            kind = rng.random()
            if kind < 0.4:
                w = w[:j] + w[j + 1:]                              # a letter dropped
            elif kind < 0.7 and j < len(w) - 1:
                w = w[:j] + w[j + 1] + w[j] + w[j + 2:]            # two letters swapped
            else:
                w = w[:j] + rng.choice(_LETTERS) + w[j + 1:]       # a wrong key
            words[i] = w
        return " ".join(words)

    def _polite(self, text: str, rng: random.Random) -> str:
        opener = rng.choice(self.aug.openers) if self.aug.openers else ""
        closer = rng.choice(self.aug.closers) if self.aug.closers else ""
        return " ".join(p for p in (opener, self._chat(text, rng), closer) if p)

    def _context(self, text: str, rng: random.Random) -> str:
        if not self.aug.context:
            return text
        before, after = rng.sample(self.aug.context, 2) if len(self.aug.context) > 1 else (self.aug.context[0], "")
        parts = [before, text] if rng.random() < 0.6 else [before, text, after]
        return ", ".join(p for p in parts if p)

    def _telex(self, text: str, rng: random.Random) -> str:
        return _some_words(text, rng, telex)

    def _vni(self, text: str, rng: random.Random) -> str:
        return _some_words(text, rng, vni)

    def _english_chatter(self, text: str, rng: random.Random) -> str:
        opener = rng.choice(("hello", "sorry", "please", "excuse me", "hi admin", "help me", ""))
        closer = rng.choice(("please", "thank you", "?", "sir", ""))
        return " ".join(p for p in (opener, text, closer) if p)

    def _dropped(self, text: str, rng: random.Random) -> str:
        words = text.split()
        if len(words) > 3:
            del words[rng.randrange(len(words))]
        return " ".join(words)


def _some_words(text: str, rng: random.Random, typed: Callable[[str], str]) -> str:
    """Most words (60%) as typed with a keyboard's conversion off: people switch it on and off mid-sentence."""
    return " ".join(typed(w) if rng.random() < 0.6 else w for w in text.split())
