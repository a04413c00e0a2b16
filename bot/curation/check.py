"""The content check behind `faq check`: what loading checks, plus channel length limits and paraphrase conflicts.

Paraphrase conflicts are found by cross-validation: the paraphrases are split into five folds by a hash of their
text; each fold is matched by a model fitted on the other four (bot/matching/crossval.py), i.e. each paraphrase as
a new citizen's question worded that way. The paraphrase of X is reported when another label Y answers it well
above the answer threshold (confidence >= SURE) while X itself gets almost nothing (less than OWN_SHARE of Y's
confidence): then the wording teaches the model the opposite of what Y's paraphrases teach it, and one of the two
is misfiled. (The folds are fitted without the chat forms made from paraphrases, so their confidences run lower
than the served model's.) Closer races are honest near-synonyms (install vs install_ios) that the full model, which
sees every paraphrase, still answers right. Only conflicts that involve an FAQ entry or a small-talk intent are
reported: two out-of-scope groups give the same polite refusal.
"""
from __future__ import annotations

from pathlib import Path

from bot.config import SPECS
from bot.content.loader import Content, ContentError, ContentInvalid, load_content
from bot.matching.crossval import check_set, cross_verdicts, duplicate_paraphrases
from bot.matching.labels import INTENT, REJECT, Label

# Message length limits of the channels, strictest first.
CHANNEL_LIMITS = (("Zalo", 2000), ("Telegram", 4096))
# A guide step is sent under a header line ("<guide title> (3/7)") and a blank line.
STEP_HEADER_ROOM = 20
SURE = 0.45
OWN_SHARE = 0.05
ANSWER_THRESHOLD = float(SPECS["answer_threshold"].default)

SMALLTALK_FILE, OUT_OF_SCOPE_FILE = "smalltalk.yaml", "out_of_scope.yaml"


def check(content_dir: Path, intents_dir: Path, threshold: float = ANSWER_THRESHOLD) -> list[ContentError]:
    """Every problem of a content folder: loading errors, else channel limits and paraphrase conflicts."""
    try:
        content = load_content(content_dir, intents_dir)
    except ContentInvalid as error:
        return list(error.errors)
    return check_content(content, threshold)


def check_content(content: Content, threshold: float = ANSWER_THRESHOLD) -> list[ContentError]:
    """The checks that need loaded content (also for content with admins' edits applied)."""
    return length_errors(content) + conflicts(content, threshold)


def length_errors(content: Content) -> list[ContentError]:
    """Answers and guide steps longer than a channel sends in one message."""
    errors: list[ContentError] = []

    def measure(file: str, id_: str, what: str, length: int) -> None:
        for channel, limit in CHANNEL_LIMITS:
            if length > limit:
                errors.append(ContentError(file, id_, f"{what} is {length} characters, longer than {channel}'s "
                                                      f"limit of {limit}"))

    for entry in content.entries.values():
        for lang, text in entry.answer.items():
            measure(entry.file, entry.id, f"answer ({lang})", len(text))
    for guide in content.guides.values():
        for lang in sorted({lang for step in guide.steps for lang in step.text}):
            lengths = [(len(step.text.get(lang, "")), n) for n, step in enumerate(guide.steps, 1)]
            longest, number = max(lengths)
            room = len(content.text(guide.title, lang)) + STEP_HEADER_ROOM
            measure(guide.file, guide.id, f"step {number} ({lang}) with its header", longest + room)
    return errors


def _describe(label: Label) -> str:
    if label.kind == REJECT:
        return f"out-of-scope group {label.id}"
    if label.kind == INTENT:
        return f"small-talk intent {label.id}"
    return label.id


def conflicts(content: Content, threshold: float = ANSWER_THRESHOLD) -> list[ContentError]:
    """Paraphrases that a model fitted without them answers with another label (see the module's docstring)."""
    files = {e.id: e.file for e in content.entries.values()}
    errors: list[ContentError] = []

    def file_of(label: Label) -> str:
        return SMALLTALK_FILE if label.kind == INTENT else OUT_OF_SCOPE_FILE if label.kind == REJECT \
            else files.get(label.id, "")

    paraphrases = check_set(content)     # normalised once for both checks
    for label, text, other in duplicate_paraphrases(paraphrases):
        errors.append(ContentError(file_of(label), label.id, f"paraphrase '{text}' of {_describe(label)} has the "
                                                             f"same words as one of {_describe(other)}"))
    for verdict in cross_verdicts(paraphrases):
        label, match = verdict.label, verdict.match
        found = match.label
        if found is None or found == label or match.confidence < max(SURE, threshold):
            continue
        if label.kind == REJECT and found.kind == REJECT:
            continue
        if dict(match.candidates).get(label, 0.0) >= OWN_SHARE * match.confidence:
            continue
        reason = f"paraphrase '{verdict.text}' of {_describe(label)} is answered by {_describe(found)}"
        errors.append(ContentError(file_of(label), label.id, f"{reason} ({match.confidence:.2f})"))
    return errors
