"""Measuring answers on labelled questions (`bot.py eval`): accuracy, wrong answers, off-topic declined,
suggestions, per-label precision and recall, the most confused pairs; and calibrating the thresholds."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.matching.decision import (
    ANSWERED,
    INTENT_REPLY,
    SUGGESTED,
    Decision,
    Thresholds,
)
from bot.matching.labels import Match

OFF_TOPIC = "-"


class EvalFileError(ValueError):
    """A line of an evaluation file is not `id<TAB>question`: the line number, a catalog key for the reason,
    and the id in question."""

    def __init__(self, line: int, reason: str, id_: str = "") -> None:
        super().__init__(f"{line}: {reason} {id_}")
        self.line, self.reason, self.id = line, reason, id_


@dataclass(frozen=True)
class Item:
    """One labelled question: the id that should answer it, or None when the bot must decline."""

    gold: str | None
    question: str
    line: int


@dataclass(frozen=True)
class Result:
    """What the bot did with one question."""

    item: Item
    answered: str | None         # the id answered (None: declined or only suggested)
    outcome: str
    confidence: float
    best: str | None             # the model's top label, answered or not
    suggestions: tuple[str, ...] = ()
    top: tuple[str, ...] = ()    # the model's best three labels (calibration of the suggest band)

    @property
    def right(self) -> bool:
        """Answered with the right id, or (off-topic) not answered."""
        return self.answered == self.item.gold


def read_items(path: Path, known: Callable[[str], bool] | None = None) -> list[Item]:
    """Read `id<TAB>question` lines (# comments and blank lines skipped); `-` marks off-topic."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):   # Excel writes a BOM
        if not line.strip() or line.startswith("#"):
            continue
        gold, tab, question = line.partition("\t")
        gold = gold.strip()
        if not tab or not question.strip():
            raise EvalFileError(number, "eval.reason.no_tab")
        if gold != OFF_TOPIC and known is not None and not known(gold):
            raise EvalFileError(number, "eval.reason.unknown_id", gold)
        items.append(Item(None if gold == OFF_TOPIC else gold, question.strip(), number))
    return items


def run(items: Iterable[Item], understand: Callable[[str], Match], decide: Callable[[Match], Decision]
        ) -> list[Result]:
    """Each question on its own, through the real matcher and the real bands."""
    results = []
    for item in items:
        match = understand(item.question)
        decision = decide(match)
        answered = decision.label_id if decision.outcome in (ANSWERED, INTENT_REPLY) else None
        results.append(Result(item, answered, decision.outcome, match.confidence,
                              match.label.id if match.label else None, decision.suggestions,
                              tuple(label.id for label, _ in match.candidates[:3])))
    return results


@dataclass
class Report:
    """The figures of one evaluation."""

    in_scope: int = 0
    off_topic: int = 0
    right: int = 0
    wrong: int = 0
    declined: int = 0
    suggested: int = 0
    suggested_right: int = 0
    per_label: dict[str, tuple[float, float, int]] = field(default_factory=dict)   # precision, recall, support
    confused: list[tuple[str, str, int]] = field(default_factory=list)             # gold, answered, count

    @property
    def accuracy(self) -> float:
        """Share of in-scope questions answered with the right id."""
        return self.right / self.in_scope if self.in_scope else 0.0

    @property
    def wrong_rate(self) -> float:
        """Share of in-scope questions answered with another id (worse than 'I am not sure')."""
        return self.wrong / self.in_scope if self.in_scope else 0.0

    @property
    def declined_rate(self) -> float:
        """Share of off-topic questions not answered (neither with an entry nor with small talk)."""
        return self.declined / self.off_topic if self.off_topic else 1.0

    @property
    def suggested_rate(self) -> float:
        """Share of all questions sent to 'Có phải bạn muốn hỏi…'."""
        total = self.in_scope + self.off_topic
        return self.suggested / total if total else 0.0

    def as_dict(self) -> dict[str, object]:
        """The figures for `eval --json`."""
        return {"in_scope": self.in_scope, "off_topic": self.off_topic, "accuracy": round(self.accuracy, 4),
                "wrong_rate": round(self.wrong_rate, 4), "declined_rate": round(self.declined_rate, 4),
                "suggested_rate": round(self.suggested_rate, 4), "suggested_right": self.suggested_right,
                "per_label": {k: {"precision": round(p, 4), "recall": round(r, 4), "support": n}
                              for k, (p, r, n) in self.per_label.items()},
                "confused": [{"expected": g, "answered": a, "count": n} for g, a, n in self.confused]}


def report(results: list[Result], top_confused: int = 10) -> Report:
    """Aggregate results into a Report."""
    rep = Report()
    answered_as: Counter[str] = Counter()
    right_as: Counter[str] = Counter()
    support: Counter[str] = Counter()
    confused: Counter[tuple[str, str]] = Counter()
    for r in results:
        gold = r.item.gold
        if r.outcome == SUGGESTED:
            rep.suggested += 1
            rep.suggested_right += gold is not None and gold in r.suggestions
        if r.answered is not None:
            answered_as[r.answered] += 1
        if gold is None:
            rep.off_topic += 1
            rep.declined += r.answered is None
            if r.answered is not None:
                confused[(OFF_TOPIC, r.answered)] += 1
            continue
        rep.in_scope += 1
        support[gold] += 1
        if r.answered == gold:
            rep.right += 1
            right_as[gold] += 1
        elif r.answered is not None:
            rep.wrong += 1
            confused[(gold, r.answered)] += 1
    for label in sorted(set(support) | set(answered_as)):
        precision = right_as[label] / answered_as[label] if answered_as[label] else 0.0
        recall = right_as[label] / support[label] if support[label] else 0.0
        rep.per_label[label] = (precision, recall, support[label])
    rep.confused = [(g, a, n) for (g, a), n in confused.most_common(top_confused)]
    return rep


def calibrate(results: list[Result], target_precision: float = 0.98, suggest_share: float = 0.5) -> Thresholds:
    """The lowest answer threshold at which answers are right at least target_precision of the time (off-topic
    answered counts as wrong), and the lowest suggest threshold at which, below the answer threshold, the right
    entry is still among the model's best three at least suggest_share of the time (off-topic counts as a miss).
    Results must come from run() with both thresholds at 0, so that every question the model gives to an entry
    or small talk is answered."""
    scored = sorted(((r.confidence, r.answered == r.item.gold) for r in results if r.answered is not None),
                    reverse=True)
    answer = _lowest(scored, target_precision, 1.0)
    band = sorted(((r.confidence, r.item.gold is not None and r.item.gold in r.top) for r in results
                   if r.confidence < answer and r.best is not None), reverse=True)
    suggest = _lowest(band, suggest_share, answer)
    return Thresholds(round(answer, 3), round(min(suggest, answer), 3))


def _lowest(scored: list[tuple[float, bool]], share: float, start: float) -> float:
    """The lowest confidence at which, counting every item at or above it, at least `share` are right; only the
    last item of a group of equal confidences counts (a threshold takes or leaves the whole group)."""
    found, right = start, 0
    for n, (confidence, ok) in enumerate(scored, 1):
        right += ok
        last_of_group = n == len(scored) or scored[n][0] != confidence
        if last_of_group and right / n >= share:
            found = confidence
    return found
