"""The matcher: normalises a question, scores every label with the trained model, and turns scores into a
calibrated confidence; long messages are read sentence by sentence."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from bot.matching.labels import ENTRY, INTENT, Label, Match
from bot.matching.language import LanguageGuess
from bot.matching.model import LinearModel
from bot.matching.normaliser import Normalised, Normaliser
from bot.matching.segments import segments

# Confidence is softmax(TEMPERATURE * svm scores): the top label's share. Chosen with the answer threshold on
# eval/tune.tsv (bot.py eval --calibrate); see the README's "How it answers", item "How sure".
TEMPERATURE = 2.0
TOP = 5


class Matcher:
    """Safe to share between threads (its only changing part is the normaliser's bounded cache of decoded words);
    a new content builds a new matcher."""

    def __init__(self, normaliser: Normaliser, model: LinearModel, labels: tuple[Label, ...],
                 language: LanguageGuess) -> None:
        self.normaliser, self.model, self.labels, self.language = normaliser, model, labels, language

    def guess_language(self, norm: Normalised) -> str | None:
        """"vi" or "en" when the words say so, else None."""
        return self.language.guess(norm)

    def match(self, norm: Normalised) -> Match:
        """The verdict for one normalised message (one sentence or the whole)."""
        # Questions about other apps and devices are the out-of-scope groups' business: a rule that lowered in-scope
        # labels for them changed nothing on eval/tune.tsv once the groups had near-miss paraphrases, so it went.
        # A message with no word the content uses ("qwerty asdf") gets no verdict, however many letter groups it
        # shares with known words: it is recorded as unanswered, not guessed at.
        if not any(t in self.model.word_vocab for t in norm.tokens):
            return Match(None, 0.0, ())
        scores = self.model.scores(norm.text)
        if scores is None:
            return Match(None, 0.0, ())
        shifted = TEMPERATURE * (scores - scores.max())
        probs = np.exp(shifted)
        probs /= probs.sum()
        order = np.argsort(-probs, kind="stable")[:TOP]     # stable: ties keep the content's order
        top = tuple((self.labels[i], round(float(probs[i]), 4)) for i in order)
        return Match(top[0][0], top[0][1], top)

    def understand(self, text: str, answer_threshold: float) -> tuple[Normalised, Match]:
        """Normalise and match a message; in a long one, find the question among the sentences, and a second
        question when two sentences each ask a different entry surely (at or above answer_threshold)."""
        norm = self.normaliser.normalise(text)
        whole = replace(self.match(norm), os=norm.os)
        parts = segments(text)
        if not parts:
            return norm, whole
        found = [self.match(self.normaliser.normalise(p)) for p in parts]
        entries = [m for m in found if m.label and m.label.kind == ENTRY]
        distinct: dict[Label, Match] = {}
        for m in entries:           # the first sure sentence of each entry, in the order asked
            if m.label and m.confidence >= answer_threshold:
                distinct.setdefault(m.label, m)
        sure = list(distinct.values())
        first, also = self._pick(whole, entries, sure, answer_threshold)
        return norm, Match(first.label, first.confidence, first.candidates, also, norm.os)

    @staticmethod
    def _pick(whole: Match, entries: list[Match], sure: list[Match], threshold: float
              ) -> tuple[Match, Label | None]:
        """Which verdict answers a long message, and which entry to offer after it."""
        if len(sure) >= 2:                      # two questions: the first asked is answered, the next offered
            return sure[0], sure[1].label
        whole_kind = whole.label.kind if whole.label else ""
        if whole.confidence >= threshold and whole_kind == ENTRY:
            return whole, next((m.label for m in sure if m.label != whole.label), None)
        if sure:                                # a sure question among an unsure whole
            return sure[0], None
        if whole_kind == INTENT and entries:    # "Chào bạn. Cho hỏi …": the question, not the greeting
            return max(entries, key=_confidence), None
        if whole.confidence >= threshold:
            return whole, None
        return max([whole] + entries, key=_confidence), None


def _confidence(match: Match) -> float:
    return match.confidence
