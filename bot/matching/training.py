"""The training set made from content: every label's paraphrases (and entry titles), each with the sentences
the augmenter makes from it, normalised exactly as citizens' questions are."""
from __future__ import annotations

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

    def words(self, normaliser: Normaliser, sentence: str) -> tuple[str, ...]:
        """normaliser.normalise(sentence).words (decoded folded words), through the memo."""
        self.text(normaliser, sentence)
        return self.items[sentence][1]

    def text(self, normaliser: Normaliser, sentence: str) -> str:
        """normaliser.normalise(sentence).text, from the memo when still valid."""
        if self.lexicon != normaliser.lexicon:
            self.items.clear()
            self.lexicon = normaliser.lexicon
        kept = self.items.get(sentence)
        if kept is not None:
            raw, decoded, text = kept
            if all(normaliser.decoded(w) == d for w, d in zip(raw, decoded)):
                return text
        raw = tuple(normaliser.folded_words(sentence))
        decoded = tuple(normaliser.decoded(w) for w in raw)
        text = normaliser.text_of(list(decoded))
        if len(self.items) >= self.MAX:
            self.items.clear()
        self.items[sentence] = (raw, decoded, text)
        return text


def build(sources_: list[Source], normaliser: Normaliser, augmenter: Augmenter, variants: int,
          memo: SentenceMemo | None = None) -> TrainingSet:
    """Normalised, de-duplicated sentences for every source; a sentence two labels share goes to neither."""
    memo = memo or SentenceMemo()
    owner: dict[str, int] = {}
    group_of: dict[str, int] = {}
    clashing: set[str] = set()
    group = 0
    written: list[tuple[int, str]] = []
    for target, source in enumerate(sources_):
        for lang, text in source.paraphrases:
            group += 1
            written.append((target, text))
            for sentence in augmenter.sentences(text, lang, variants):
                norm = memo.text(normaliser, sentence)
                if not norm:
                    continue
                if norm in owner and owner[norm] != target:
                    clashing.add(norm)     # e.g. the bare app name, made from two labels' paraphrases
                elif norm not in owner:
                    owner[norm], group_of[norm] = target, group
    kept = [(text, target) for text, target in owner.items() if text not in clashing]
    return TrainingSet(tuple(s.label for s in sources_), tuple(t for t, _ in kept), tuple(y for _, y in kept),
                       tuple(group_of[t] for t, _ in kept), tuple(written))
