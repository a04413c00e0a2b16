"""The training set made from content: every label's paraphrases (and entry titles), each with the sentences
the augmenter makes from it, normalised exactly as citizens' questions are."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from bot.content.loader import Content
from bot.matching.augment import Augmenter
from bot.matching.labels import ENTRY, INTENT, REJECT, Label
from bot.matching.normaliser import Normaliser


@dataclass(frozen=True)
class Source:
    """One label with its paraphrases by language (titles included for entries)."""

    label: Label
    paraphrases: tuple[tuple[str, str], ...]   # (language, text)


@dataclass(frozen=True)
class TrainingSet:
    """Normalised sentences, the index of each one's label, and the paraphrase each was made from."""

    labels: tuple[Label, ...]
    texts: tuple[str, ...]
    targets: tuple[int, ...]
    groups: tuple[int, ...]      # sentences made from one paraphrase share a group (for cross-validation)
    paraphrases: tuple[tuple[int, str], ...] = ()   # by group - 1: (label index, the paraphrase as written)
    clashes: tuple[tuple[int, str, int], ...] = ()  # (label index, paraphrase, other label index): the same words


def sources(content: Content) -> list[Source]:
    """Every label that can answer, in a fixed order: visible entries, small talk, out-of-scope groups."""
    out = []
    for entry in content.entries.values():
        if entry.hidden:
            continue
        texts = [(lang, p) for lang, items in entry.paraphrases.items() for p in items]
        texts += [(lang, title) for lang, title in entry.title.items()]
        out.append(Source(Label(entry.id, ENTRY), tuple(texts)))
    for intent in content.intents.values():
        out.append(Source(Label(intent.id, INTENT), _pairs(intent.paraphrases)))
    for group in content.rejects:
        out.append(Source(Label(group.id, REJECT), _pairs(group.paraphrases)))
    return out


def _pairs(paraphrases: dict[str, tuple[str, ...]]) -> tuple[tuple[str, str], ...]:
    return tuple((lang, p) for lang, items in paraphrases.items() for p in items)


class SentenceMemo:
    """Normalised training sentences kept from one fit to the next: after an admin's edit only the new sentences
    are normalised again. A kept sentence is reused only when each of its words is still read the same way by
    the new normaliser (a new paraphrase can make a word known that was decoded or corrected before)."""

    MAX = 200_000

    def __init__(self) -> None:
        self.lexicon: object = None
        self.items: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {}
        self.lock = threading.Lock()     # one build at a time uses it (several engines may share a cache)

    def begin(self, normaliser: Normaliser) -> None:
        """Start a build with this normaliser: another lexicon makes every kept sentence stale."""
        if self.lexicon != normaliser.lexicon:
            self.items.clear()
            self.lexicon = normaliser.lexicon

    def words(self, normaliser: Normaliser, sentence: str) -> tuple[str, ...]:
        """normaliser.normalise(sentence).words (decoded folded words), through the memo."""
        return self._entry(normaliser, sentence)[1]

    def text(self, normaliser: Normaliser, sentence: str) -> str:
        """normaliser.normalise(sentence).text, from the memo when still valid."""
        return self._entry(normaliser, sentence)[2]

    def _entry(self, normaliser: Normaliser, sentence: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
        kept = self.items.get(sentence)
        if kept is not None and all(normaliser.decoded(w) == d for w, d in zip(kept[0], kept[1])):
            return kept
        raw = tuple(normaliser.folded_words(sentence))
        decoded = tuple(normaliser.decoded(w) for w in raw)
        entry = (raw, decoded, normaliser.text_of(list(decoded)))
        if len(self.items) >= self.MAX:
            self.items.clear()
        self.items[sentence] = entry
        return entry


def build(sources_: list[Source], normaliser: Normaliser, augmenter: Augmenter, variants: int,
          memo: SentenceMemo | None = None) -> TrainingSet:
    """Normalised, de-duplicated sentences for every source; a sentence two labels share goes to neither."""
    memo = memo or SentenceMemo()
    with memo.lock:
        memo.begin(normaliser)
        return _build(sources_, normaliser, augmenter, variants, memo)


def _build(sources_: list[Source], normaliser: Normaliser, augmenter: Augmenter, variants: int,
           memo: SentenceMemo) -> TrainingSet:
    owner: dict[str, int] = {}
    written_by: dict[str, int] = {}
    clashes: list[tuple[int, str, int]] = []
    group_of: dict[str, int] = {}
    clashing: set[str] = set()
    group = 0
    written: list[tuple[int, str]] = []
    for target, source in enumerate(sources_):
        for lang, text in source.paraphrases:
            group += 1
            written.append((target, text))
            for n, sentence in enumerate(augmenter.sentences(text, lang, variants)):
                norm = memo.text(normaliser, sentence)
                if not norm:
                    continue
                if n == 0:      # the paraphrase as written: the same words under two labels is a content error
                    other = written_by.setdefault(norm, target)
                    if other != target:
                        clashes.append((target, text, other))
                if norm in owner and owner[norm] != target:
                    clashing.add(norm)     # e.g. the bare app name, made from two labels' paraphrases
                elif norm not in owner:
                    owner[norm], group_of[norm] = target, group
    kept = [(text, target) for text, target in owner.items() if text not in clashing]
    return TrainingSet(tuple(s.label for s in sources_), tuple(t for t, _ in kept), tuple(y for _, y in kept),
                       tuple(group_of[t] for t, _ in kept), tuple(written), tuple(clashes))
