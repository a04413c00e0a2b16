"""Cross-validated verdicts for the content's own paraphrases: each is matched by a model fitted without it
(and without the sentences made from it), i.e. as a new citizen's question worded that way."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.content.loader import Content
from bot.matching.augment import Augmenter
from bot.matching.build import SEED, normaliser_for
from bot.matching.labels import Label, Match
from bot.matching.language import LanguageGuess
from bot.matching.matcher import Matcher
from bot.matching.model import Params, fit
from bot.matching.normaliser import Normaliser
from bot.matching.training import TrainingSet, build, sources

FOLDS = 5
# The check is about the paraphrases themselves: the chat forms made from them add a few points of accuracy to
# the served model but five times the fitting time, so the folds are fitted on the paraphrases alone.
CHECK_VARIANTS = 0


@dataclass(frozen=True)
class Verdict:
    """One paraphrase, the label it belongs to, and what a model that never saw it answers."""

    label: Label
    text: str
    match: Match


@dataclass(frozen=True)
class CheckSet:
    """The content's paraphrases as the checks see them: normalised once, without the chat forms."""

    normaliser: Normaliser
    data: TrainingSet


def check_set(content: Content) -> CheckSet:
    """Normalise the content's paraphrases once for both checks below."""
    sources_ = sources(content)
    normaliser = normaliser_for(content, sources_)
    return CheckSet(normaliser, build(sources_, normaliser, Augmenter(content.augmentation, SEED), CHECK_VARIANTS))


def duplicate_paraphrases(check: CheckSet) -> list[tuple[Label, str, Label]]:
    """Paraphrases whose words (once normalised) are another label's paraphrase too: (label, text, other)."""
    labels = check.data.labels
    return [(labels[a], text, labels[b]) for a, text, b in check.data.clashes]


def _fold(text: str, folds: int) -> int:
    return int.from_bytes(hashlib.sha1(text.encode()).digest()[:4], "big") % folds


def cross_verdicts(check: CheckSet, folds: int = FOLDS, params: Params = Params()) -> list[Verdict]:
    """Every paraphrase's verdict from the fold that left it out (deterministic: folds by a hash of the text)."""
    normaliser, data = check.normaliser, check.data
    language = LanguageGuess({}, ())
    # A paraphrase's fold comes from its own text, so adding or removing one leaves every other where it was.
    fold_of = {g: _fold(data.paraphrases[g - 1][1], folds) for g in set(data.groups)}
    verdicts: list[Verdict] = []
    for fold in range(folds):
        held = {g for g, f in fold_of.items() if f == fold}
        keep = [i for i, g in enumerate(data.groups) if g not in held]
        model = fit(tuple(data.texts[i] for i in keep), tuple(data.targets[i] for i in keep), len(data.labels),
                    params)
        matcher = Matcher(normaliser, model, data.labels, language)
        for group in sorted(held):
            target, text = data.paraphrases[group - 1]
            verdicts.append(Verdict(data.labels[target], text, matcher.match(normaliser.normalise(text))))
    return verdicts
