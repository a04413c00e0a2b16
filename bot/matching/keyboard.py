"""Words typed in telex or VNI without the keyboard converting them ("khoong", "dduwowcj", "ca2i"), read back.

Matching works on folded text (no diacritics), so decoding only has to remove the keys that stand for marks;
it never needs to place a tone. A typed word is decoded only when it is unknown and its decoding is a known
word, so English ("how", "is") and plain folded Vietnamese are never touched."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator

_VOWELS = set("aeiouy")
_TONE_KEYS = "sfrxjz"
_VNI_DIGITS = re.compile(r"[1-9]")
_VNI_WORD = re.compile(r"^(?=(?:.*[a-z]){2})[a-z]+[1-9][a-z1-9]*$")
_TELEX_SHAPE = re.compile(r"dd|aa|ee|oo|aw|ow|uw|w|[aeiouy][a-z]*[sfrxjz]")


def _telex_bases(word: str) -> str:
    """Telex modifier keys removed: dd -> d, aa/ee/oo -> a/e/o, aw/ow/uw -> a/o/u, a lone w -> u."""
    word = word.replace("dd", "d")
    word = re.sub(r"([aou])w", r"\1", word)
    word = word.replace("w", "u")
    return re.sub(r"([aeo])\1", r"\1", word)


def _without_tone_key(word: str) -> Iterator[str]:
    """The word as typed, then with each single tone key that follows a vowel removed (one tone a syllable)."""
    yield word
    seen_vowel = False
    for i, ch in enumerate(word):
        if ch in _VOWELS:
            seen_vowel = True
        elif seen_vowel and ch in _TONE_KEYS:
            yield word[:i] + word[i + 1:]


def telex_candidates(word: str) -> Iterator[str]:
    """Folded words the telex-typed word may stand for, most likely first."""
    if not _TELEX_SHAPE.search(word):
        return
    for stripped in _without_tone_key(word):
        base = _telex_bases(stripped)
        if base != word:
            yield base


def vni_candidate(word: str) -> str | None:
    """The folded word a VNI-typed word stands for (digits 1-9 are marks), or None when it is not VNI-shaped."""
    if not _VNI_WORD.match(word):
        return None
    return _VNI_DIGITS.sub("", word).replace("dd", "d")


def decode(word: str, known: Callable[[str], bool]) -> str:
    """The known folded word that `word` was typed for in telex or VNI, else `word` unchanged."""
    if known(word) or not word.isascii():
        return word
    vni = vni_candidate(word)
    if vni is not None:
        return vni if known(vni) else word
    for candidate in telex_candidates(word):
        if known(candidate):
            return candidate
    return word
