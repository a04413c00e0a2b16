"""The content check behind `faq check`: what loading checks, plus channel length limits and paraphrase conflicts.

Paraphrase conflicts are found by leave-one-out: each paraphrase is matched by the real matcher (FaqIndex over the
same content) as if it were not indexed, i.e. as a new citizen's question worded that way. The paraphrase of X is
reported when another label Y wins with a confidence at or above the answer threshold and either
- Y is near certain (confidence >= SURE, 0.9): Y answers the wording as if it were one of Y's own, or
- Y leads X by at least CONFLICT_MARGIN (0.6): Y's confidence minus X's own score in the same ranking (0 when X is
  not among the five best).
Closer races are honest near-synonyms (install vs install_ios, gaps up to about 0.3) that the full index still
answers right. The shipped content keeps headroom (leave-one-out confidences at most 0.82, gaps below 0.5), so that an
admin adding or hiding one entry (which shifts every word's weight a little) does not turn a borderline paraphrase
into an error. Only conflicts that involve an FAQ entry or a small-talk intent are reported: two out-of-scope groups
give the same polite refusal, so one of them winning over the other changes nothing.
"""
from __future__ import annotations

from pathlib import Path

from bot.config import SPECS
from bot.content import Content, ContentError, ContentInvalid, load_content
from bot.faq import ENTRY, INTENT, REJECT, FaqIndex, Label
from bot.matching.normaliser import Normaliser

# Message length limits of the channels, strictest first.
CHANNEL_LIMITS = (("Zalo", 2000), ("Telegram", 4096))
# A guide step is sent under a header line ("<guide title> (3/7)") and a blank line.
STEP_HEADER_ROOM = 20
CONFLICT_MARGIN = 0.6
SURE = 0.9
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


def _sources(content: Content) -> list[tuple[Label, str, dict[str, tuple[str, ...]]]]:
    """Every label with its file and paraphrases, in the order FaqIndex indexes them."""
    out = [(Label(e.id, ENTRY), e.file, e.paraphrases) for e in content.entries.values() if not e.hidden]
    out += [(Label(i.id, INTENT), SMALLTALK_FILE, i.paraphrases) for i in content.intents.values()]
    out += [(Label(g.id, REJECT), OUT_OF_SCOPE_FILE, g.paraphrases) for g in content.rejects]
    return out


def _describe(label: Label) -> str:
    if label.kind == REJECT:
        return f"out-of-scope group {label.id}"
    if label.kind == INTENT:
        return f"small-talk intent {label.id}"
    return label.id


def conflicts(content: Content, threshold: float = ANSWER_THRESHOLD,
              margin: float = CONFLICT_MARGIN) -> list[ContentError]:
    """Paraphrases that the matcher, without them, answers with another label (see the module's docstring)."""
    normaliser = Normaliser(content.lexicon)
    index = FaqIndex(content, normaliser)
    label_index = {label: n for n, label in enumerate(index.labels)}
    doc_of = {(label, text): d for d, (label, text, _) in enumerate(index.docs)}
    errors: list[ContentError] = []
    done: set[int] = set()
    for label, file, paraphrases in _sources(content):
        own = label_index[label]
        for text in (p for items in paraphrases.values() for p in items):
            norm = normaliser.normalise(text)
            d = doc_of.get((own, norm.text))
            if d is None or d in done:   # empty after normalising, or the same words as another paraphrase
                continue
            done.add(d)
            match = index.match(norm, exclude=frozenset((d,)))
            other = match.label
            if other is None or other == label or match.confidence < threshold:
                continue
            if label.kind == REJECT and other.kind == REJECT:
                continue
            own_score = dict(match.candidates).get(label, 0.0)
            if match.confidence < SURE and match.confidence - own_score < margin:
                continue
            errors.append(ContentError(file, label.id, f"paraphrase '{text}' of {_describe(label)} is answered "
                                                       f"by {_describe(other)} ({match.confidence:.2f})"))
    return errors
