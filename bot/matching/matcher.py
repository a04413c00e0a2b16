"""The matcher: normalises a question, scores every label with the trained model, and turns scores into a
calibrated confidence; long messages are read sentence by sentence."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from bot.matching.labels import ENTRY, Label, Match
from bot.matching.language import LanguageGuess
from bot.matching.model import LinearModel
from bot.matching.normaliser import Normalised, Normaliser
from bot.matching.segments import segments

# Confidence is softmax(TEMPERATURE * svm scores): the top label's share. Chosen with the answer threshold on
# eval/tune.tsv (bot.py eval --calibrate); see the README's "How confident" section.
TEMPERATURE = 2.0
TOP = 5


class Matcher:
    """Read-only after construction: safe to share between threads; a new content builds a new matcher."""

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

    def understand(self, text: str, answer_threshold: float = 0.5) -> tuple[Normalised, Match]:
        """Normalise and match a message; in a long one, find the question among the sentences, and a second
        question when two sentences each ask a different entry surely (at or above answer_threshold)."""
        norm = self.normaliser.normalise(text)
        whole = replace(self.match(norm), os=norm.os)
        parts = segments(norm.raw)
        if not parts:
            return norm, whole
        found = [self.match(self.normaliser.normalise(p)) for p in parts]
        sure = [m for m in found if m.label and m.label.kind == ENTRY and m.confidence >= answer_threshold]
        distinct = list({m.label: m for m in reversed(sure)}.values())[::-1]     # first sure match per label
        if len(distinct) >= 2:       # two questions: the first asked is answered, the next one offered
            first, also = distinct[0], distinct[1].label
        else:                        # one question among context: the whole message, unless it is unsure
            first = whole if whole.confidence >= answer_threshold else max([whole] + found, key=_confidence)
            also = next((m.label for m in distinct if m.label != first.label), None)
        return norm, Match(first.label, first.confidence, first.candidates, also, norm.os)


def _confidence(match: Match) -> float:
    return match.confidence
