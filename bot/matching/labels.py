"""What the matcher answers with: labels (an FAQ entry, a small-talk intent, an out-of-scope group) and verdicts."""
from __future__ import annotations

from dataclasses import dataclass

ENTRY, INTENT, REJECT = "entry", "intent", "reject"


@dataclass(frozen=True)
class Label:
    """What a paraphrase stands for: an entry, a small-talk intent, or an out-of-scope group."""

    id: str
    kind: str


@dataclass(frozen=True)
class Match:
    """The matcher's verdict: the best label, its confidence in 0..1, runners-up, and a second question found
    in the same message (answered by `also`, offered after the first)."""

    label: Label | None
    confidence: float
    candidates: tuple[tuple[Label, float], ...]
    also: Label | None = None
    os: str = ""                 # the phone's system the message names (android, ios, feature), if any
