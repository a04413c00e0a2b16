"""Normalisation of Vietnamese chat text: NFC, case folding, diacritic folding, telex/VNI typing, lexicon,
phone brands as the phone's system."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.content.language_data import Lexicon
from bot.matching.keyboard import decode

# Matching reads at most this much of a message: its start and its end (see bounded()).
MAX_MATCH_CHARS = 600
# Typos: an unknown word this long may stand for a known word at most this many edits away.
TYPO_MIN_LEN = 5
TYPO_SCORE = 80.0
DECODE_CACHE = 50_000

_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NOT_WORD = re.compile(r"[^\w]+|_")
_REPEATS = re.compile(r"(\w)\1{2,}")
_HAS_DIGIT = re.compile(r"\d")
_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "ł": "l"})


@dataclass(frozen=True)
class Normalised:
    """A message brought to standard folded tokens, with what was noticed on the way."""

    raw: str
    tokens: tuple[str, ...]
    has_marks: bool
    words: tuple[str, ...]          # folded words as typed, before the lexicon: evidence of the language
    foreign: tuple[str, ...]
    names_app: bool
    os: str = ""                    # the phone's system when a brand or model named it: android, ios, feature

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
def bounded(text: str) -> str:
    """The cleaned message, at most MAX_MATCH_CHARS long: of a longer one its start and its end, where the
    question of a long message mostly is (a 20,000-character paste costs no more than a sentence)."""
    head, tail = MAX_MATCH_CHARS // 3, MAX_MATCH_CHARS - MAX_MATCH_CHARS // 3
    if len(text) > 2 * MAX_MATCH_CHARS:
        text = text[:2 * head] + " " + text[-2 * tail:]
    cleaned = clean(text)
    return cleaned if len(cleaned) <= MAX_MATCH_CHARS else cleaned[:head] + " " + cleaned[1 - tail:]


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
        self._phrase_starts = {k[0] for k in self._phrases}
        self._folded = {fold(k.casefold()): tuple(fold(v.casefold()).split()) for k, v in lexicon.folded.items()}
        foreign = [tuple(words(fold(s))) for s in lexicon.foreign_subjects]
        self._foreign_words = {f[0] for f in foreign if len(f) == 1}
        self._foreign_phrases = [f for f in foreign if len(f) > 1]
        self._brand_os = {fold(b.casefold()): os_ for os_, brands in lexicon.brands.items() for b in brands}
        self._os_word = {os_: tuple(words(fold(w))) for os_, w in lexicon.os_words.items()}
        self._patterns = [(re.compile(p), os_) for os_, ps in lexicon.device_patterns.items() for p in ps]
        self._known: frozenset[str] = frozenset()
        self._by_letter: dict[str, list[str]] = {}
        self._decode_cache: dict[str, str] = {}

    def learn_vocabulary(self, texts: Iterable[str]) -> None:
        """Words typed in these texts (the content's paraphrases) count as known: unknown words that decode
        (telex, VNI) or are one typo away from a known word are read as that word."""
        known = set(self._folded) | {w for key in self._phrases for w in key} | set(self._brand_os)
        known |= self.lexicon.model_words
        for text in texts:
            known.update(self._folded_words(text))
        self._known = frozenset(known)
        by_letter: dict[str, list[str]] = {}
        for word in sorted(known):
            if len(word) >= TYPO_MIN_LEN - 1 and word.isalpha():
                by_letter.setdefault(word[0], []).append(word)
        self._by_letter = by_letter
        self._decode_cache.clear()

    def _folded_words(self, text: str) -> list[str]:
        return self._fold_cleaned(bounded(text))

    def _fold_cleaned(self, cleaned: str) -> list[str]:
        mapped: list[str] = []
        for word in words(cleaned):
            mapped.extend(words(self._accented.get(word, word)))
        return [_REPEATS.sub(r"\1", fold(w)) for w in mapped]

    def folded_words(self, text: str) -> list[str]:
        """The message's words folded, dialect mapped, before telex/VNI decoding and the lexicon."""
        return self._folded_words(text)

    def decoded(self, word: str) -> str:
        """What a folded word is read as: itself when known, else its telex/VNI decoding or nearest spelling."""
        return self._decoded(word)

    def text_of(self, decoded: list[str]) -> str:
        """The standard form of already decoded words (what normalise(...).text gives for them)."""
        return " ".join(self._tokens(decoded)[0])

    def _decoded(self, word: str) -> str:
        """A known word for an unknown one: telex/VNI typing read back, else the nearest spelling (a typo)."""
        known = self._known
        if not known or word in known or not word.isascii():
            return word
        cached = self._decode_cache.get(word)
        if cached is None:
            if len(self._decode_cache) > DECODE_CACHE:   # bounded: odd words from many users must not grow it
                self._decode_cache.clear()
            cached = self._decode_cache[word] = self._decode_unknown(word)
        return cached

    def _decode_unknown(self, word: str) -> str:
        known = self._known
        decoded = decode(word, known.__contains__)
        if decoded != word or len(word) < TYPO_MIN_LEN or not word.isalpha():
            return decoded
        best = process.extractOne(word, self._by_letter.get(word[0], ()), scorer=fuzz.ratio,
                                  score_cutoff=TYPO_SCORE, processor=None)
        limit = 1 if len(word) < 8 else 2
        return best[0] if best and Levenshtein.distance(word, best[0]) <= limit else word

    def _add_phrase(self, source: str, target: str) -> None:
        key = tuple(words(fold(source)))
        if key:
            self._phrases[key] = tuple(words(fold(target)))

    def normalise(self, text: str) -> Normalised:
        """Bring one message to its standard token form."""
        cleaned = bounded(text)
        has_marks = any(fold(w) != w for w in words(cleaned))
        folded = [self._decoded(w) for w in self._fold_cleaned(cleaned)]
        tokens, os_ = self._tokens(folded)
        return Normalised(
            raw=cleaned,
            tokens=tuple(tokens),
            has_marks=has_marks,
            words=tuple(folded),
            foreign=self._foreign_subjects(tokens),
            names_app=bool(self.lexicon.app_canonical) and self.lexicon.app_canonical in tokens,
            os=os_,
        )

    def _tokens(self, folded: list[str]) -> tuple[list[str], str]:
        tokens = self._apply_phrases(folded)
        tokens = [t for token in tokens for t in self._folded.get(token, (token,))]
        tokens = [self._app_name(t) for t in tokens]
        return self._devices(tokens)

    def _devices(self, tokens: list[str]) -> tuple[list[str], str]:
        """A brand or model is replaced by its system's word ("oppo" -> "dien thoai", "ipad" -> "iphone"), so
        that a brand alone does not decide the question; the system named is returned for the engine."""
        found = ""
        if self._patterns:
            joined = " ".join(tokens)
            for pattern, os_ in self._patterns:
                if pattern.search(joined):
                    joined = pattern.sub(" ".join(self._os_word.get(os_, ())), joined)
                    found = found or os_
            tokens = joined.split()
        out: list[str] = []
        in_model = False
        for token in tokens:
            os_ = self._brand_os.get(token, "")
            if in_model and not os_ and (token in self.lexicon.model_words or _HAS_DIGIT.search(token)):
                continue        # "a5s", "note 8": part of the model's name
            in_model = bool(os_)
            if not os_:
                out.append(token)
                continue
            found = found or os_
            word = list(self._os_word.get(os_, (token,)))
            if out[-len(word):] != word:     # "điện thoại samsung" is one phone, not two
                out.extend(word)
        return out, found

    def _apply_phrases(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        starts = self._phrase_starts
        while i < len(tokens):
            if tokens[i] not in starts:
                out.append(tokens[i])
                i += 1
                continue
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
