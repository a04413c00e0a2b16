"""Normalisation of Vietnamese chat text: NFC, case folding, diacritic folding, lexicon."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

# Matching looks at the start of a message only: a 20,000-character paste must cost no more than a sentence.
MAX_MATCH_CHARS = 400

_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NOT_WORD = re.compile(r"[^\w]+|_")
_REPEATS = re.compile(r"(\w)\1{2,}")
_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "ł": "l"})


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


@dataclass(frozen=True)
class Normalised:
    """A message brought to standard folded tokens, with what was noticed on the way."""

    raw: str
    tokens: tuple[str, ...]
    has_marks: bool
    words: tuple[str, ...]          # folded words as typed, before the lexicon: evidence of the language
    foreign: tuple[str, ...]
    names_app: bool

    @property
    def text(self) -> str:
        """The standard form as one string."""
        return " ".join(self.tokens)


def clean(text: str) -> str:
    """NFKC/NFC, drop invisible and control characters, collapse white space."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", text))
    return " ".join(text.split())


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Remove Vietnamese diacritics (đ -> d) from lower-case text."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Lower-case word tokens of cleaned text, punctuation and emoji removed."""
    return [w for w in _NOT_WORD.split(text.casefold()) if w]


class Normaliser:
    """Applies a Lexicon to chat text; built once, used for questions and paraphrases alike."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._accented = {unicodedata.normalize("NFC", k.casefold()): v for k, v in lexicon.accented.items()}
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for source, target in lexicon.phrases.items():
            self._add_phrase(source, target)
        canonical = lexicon.app_canonical
        for variant in lexicon.app_variants:
            self._add_phrase(variant, canonical)
        self._longest = max((len(k) for k in self._phrases), default=1)
        self._folded = {fold(k.casefold()): tuple(fold(v.casefold()).split()) for k, v in lexicon.folded.items()}
        foreign = [tuple(words(fold(s))) for s in lexicon.foreign_subjects]
        self._foreign_words = {f[0] for f in foreign if len(f) == 1}
        self._foreign_phrases = [f for f in foreign if len(f) > 1]

    def _add_phrase(self, source: str, target: str) -> None:
        key = tuple(words(fold(source)))
        if key:
            self._phrases[key] = tuple(words(fold(target)))

    def normalise(self, text: str) -> Normalised:
        """Bring one message to its standard token form."""
        cleaned = clean(text[: MAX_MATCH_CHARS * 2])[:MAX_MATCH_CHARS]
        raw_words = words(cleaned)
        has_marks = any(fold(w) != w for w in raw_words)
        mapped: list[str] = []
        for word in raw_words:
            mapped.extend(words(self._accented.get(word, word)))
        folded = [_REPEATS.sub(r"\1", fold(w)) for w in mapped]
        tokens = self._apply_phrases(folded)
        tokens = [t for token in tokens for t in self._folded.get(token, (token,))]
        tokens = [self._app_name(t) for t in tokens]
        return Normalised(
            raw=cleaned,
            tokens=tuple(tokens),
            has_marks=has_marks,
            words=tuple(folded),
            foreign=self._foreign_subjects(tokens),
            names_app=bool(self.lexicon.app_canonical) and self.lexicon.app_canonical in tokens,
        )

    def _apply_phrases(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for size in range(min(self._longest, len(tokens) - i), 0, -1):
                target = self._phrases.get(tuple(tokens[i:i + size]))
                if target is not None:
                    out.extend(target)
                    i += size
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out

    def _app_name(self, token: str) -> str:
        canonical = self.lexicon.app_canonical
        # A typo of the app's name ("bluezonr", "bluezne") is still the app: up to two edits on a long word.
        if canonical and len(token) >= 6 and token[0] == canonical[0] and token != canonical:
            if Levenshtein.distance(token, canonical, score_cutoff=2) <= 2:
                return canonical
        return token

    def _foreign_subjects(self, tokens: list[str]) -> tuple[str, ...]:
        found = [t for t in tokens if t in self._foreign_words]
        present = set(tokens)
        for subject in self._foreign_phrases:
            if subject[0] in present:
                n = len(subject)
                if any(tuple(tokens[i:i + n]) == subject for i in range(len(tokens) - n + 1)):
                    found.append(" ".join(subject))
        return tuple(found)
