"""From a verdict to what the bot does: answer, offer suggestions ("Có phải bạn muốn hỏi…"), or decline."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.matching.labels import ENTRY, INTENT, REJECT, Match

ANSWERED, INTENT_REPLY, SUGGESTED, UNANSWERED, OUT_OF_SCOPE = (
    "answered", "intent", "suggested", "unanswered", "out_of_scope")
SUGGEST_SPREAD = 0.75      # runners-up within this share of the best score are offered as suggestions
SUGGEST_MIN = 0.05         # and never one the model gives less than this
SUGGEST_MAX = 3


@dataclass(frozen=True)
class Thresholds:
    """Confidence bands: answer at or above `answer`; suggest at or above `suggest` (README: "How sure")."""

    answer: float = 0.6
    suggest: float = 0.4


@dataclass(frozen=True)
class Decision:
    """What to do with a message: the outcome, the label answered (or best guess), entries to suggest."""

    outcome: str
    label_id: str | None
    suggestions: tuple[str, ...] = ()
    also: str | None = None


def decide(match: Match, thresholds: Thresholds, usable: Callable[[str], bool],
           intents: Callable[[str], bool]) -> Decision:
    """The band a verdict falls in; `usable(entry_id)` and `intents(id)` say what the current content has."""
    label, confidence = match.label, match.confidence
    best = label.id if label else None
    if label is None or confidence < thresholds.suggest:
        return Decision(UNANSWERED, best)
    if label.kind == REJECT:
        return Decision(OUT_OF_SCOPE, best)
    if label.kind == INTENT:
        if not intents(label.id):
            return Decision(UNANSWERED, best)
        if confidence >= thresholds.answer:
            return Decision(INTENT_REPLY, label.id)
    elif confidence >= thresholds.answer and usable(label.id):
        also = match.also.id if match.also and usable(match.also.id) else None
        return Decision(ANSWERED, label.id, also=also)
    floor = max(thresholds.suggest * SUGGEST_SPREAD, confidence * SUGGEST_SPREAD, SUGGEST_MIN)
    ids = tuple(c.id for c, score in match.candidates if c.kind == ENTRY and score >= floor and usable(c.id))
    if not ids:
        return Decision(UNANSWERED, best)
    return Decision(SUGGESTED, best, ids[:SUGGEST_MAX])
