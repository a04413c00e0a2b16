"""From a verdict to what the bot does: answer, offer suggestions ("Có phải bạn muốn hỏi…"), or decline."""
from __future__ import annotations

from dataclasses import dataclass

from bot.config import SPECS
from bot.content.loader import Content
from bot.matching.labels import ENTRY, INTENT, REJECT, Match

ANSWERED, INTENT_REPLY, SUGGESTED, UNANSWERED, OUT_OF_SCOPE = (
    "answered", "intent", "suggested", "unanswered", "out_of_scope")
SUGGEST_SPREAD = 0.75      # runners-up within this share of the best score are offered as suggestions
SUGGEST_MIN = 0.05         # and never one the model gives less than this
SUGGEST_MAX = 3


@dataclass(frozen=True)
class Thresholds:
    """Confidence bands: answer at or above `answer`; suggest at or above `suggest` (README: "How sure")."""

    answer: float = float(SPECS["answer_threshold"].default)
    suggest: float = float(SPECS["suggest_threshold"].default)


@dataclass(frozen=True)
class Decision:
    """What to do with a message: the outcome, the label answered (or best guess), entries to suggest."""

    outcome: str
    label_id: str | None
    suggestions: tuple[str, ...] = ()
    also: str | None = None


class Answerable:
    """What the current content can answer (the matcher may be a version behind while it is refitted)."""

    def __init__(self, content: Content) -> None:
        self.content = content
        guide_os = {g.id: g.os for g in content.guides.values() if g.os}
        # An entry with guides for several systems ("install") is answered, for a question that names a phone,
        # by the entry that sets that system and offers its guide ("install_android").
        self._for_os: dict[tuple[str, str], str] = {}
        for entry in content.entries.values():
            systems = {guide_os[g] for g in entry.guides if g in guide_os}
            if len(systems) < 2:
                continue
            for other in content.entries.values():
                if other.sets_os in systems and not other.hidden and set(other.guides) & set(entry.guides):
                    self._for_os.setdefault((entry.id, other.sets_os), other.id)

    def usable(self, entry_id: str) -> bool:
        """The entry exists and is not hidden."""
        entry = self.content.entries.get(entry_id)
        return entry is not None and not entry.hidden

    def has_intent(self, intent_id: str) -> bool:
        """The small-talk intent exists."""
        return intent_id in self.content.intents

    def for_os(self, entry_id: str, os_: str) -> str:
        """The entry to answer when the question names the phone's system os_."""
        return self._for_os.get((entry_id, os_), entry_id) if os_ else entry_id


def decide(match: Match, thresholds: Thresholds, content: Answerable) -> Decision:
    """The band a verdict falls in, against what the current content can answer."""
    usable, intents = content.usable, content.has_intent
    label, confidence = match.label, match.confidence
    best = label.id if label else None
    if label is None or confidence < thresholds.suggest:
        return Decision(UNANSWERED, best)
    if label.kind == REJECT:     # declining as off-topic must be as sure as answering; else "not sure"
        return Decision(OUT_OF_SCOPE if confidence >= thresholds.answer else UNANSWERED, best)
    if label.kind == INTENT:
        if not intents(label.id):
            return Decision(UNANSWERED, best)
        if confidence >= thresholds.answer:
            return Decision(INTENT_REPLY, label.id)
    elif confidence >= thresholds.answer and usable(label.id):
        also = match.also.id if match.also and usable(match.also.id) else None
        return Decision(ANSWERED, content.for_os(label.id, match.os), also=also)
    floor = max(thresholds.suggest * SUGGEST_SPREAD, confidence * SUGGEST_SPREAD, SUGGEST_MIN)
    ids = tuple(c.id for c, score in match.candidates if c.kind == ENTRY and score >= floor and usable(c.id))
    if not ids:
        return Decision(UNANSWERED, best)
    return Decision(SUGGESTED, best, ids[:SUGGEST_MAX])
