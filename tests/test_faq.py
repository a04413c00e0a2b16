"""The matcher over the shipped content: weighting, typos, other subjects, language, confidence bands."""
from __future__ import annotations

import pytest

from bot.content import Content
from bot.faq import ENTRY, INTENT, REJECT, FaqIndex
from bot.matching.normaliser import Normaliser


@pytest.fixture(scope="module")
def index(content: Content, normaliser: Normaliser) -> FaqIndex:
    return FaqIndex(content, normaliser)


def best(index: FaqIndex, normaliser: Normaliser, text: str) -> tuple[str | None, str, float]:
    match = index.match(normaliser.normalise(text))
    return (match.label.id if match.label else None, match.label.kind if match.label else "", match.confidence)


def test_every_entry_title_finds_its_entry(index: FaqIndex, normaliser: Normaliser, content: Content) -> None:
    for entry in content.entries.values():
        for title in entry.title.values():
            assert best(index, normaliser, title)[0] == entry.id, title


def test_confidence_is_between_zero_and_one(index: FaqIndex, normaliser: Normaliser) -> None:
    for text in ("pin", "bluezone", "cài bluezone trên android", "a b c", "x" * 300):
        assert 0.0 <= best(index, normaliser, text)[2] <= 1.0


def test_common_words_alone_decide_nothing(index: FaqIndex, normaliser: Normaliser) -> None:
    # Every question says "bluezone" or "cài": they must not pick an entry with confidence.
    assert best(index, normaliser, "bluezone")[2] < 0.45
    assert best(index, normaliser, "cài")[2] < 0.45


@pytest.mark.parametrize("text, expected", [
    ("bluezone co ton pin ko", "battery"),
    ("Bluezone có tốn pin không?", "battery"),
    ("bluezonee co ton pinn khong", "battery"),           # typos
    ("blue zone tốn pin ko ad", "battery"),
    ("cài bluezone trên iphone", "install_ios"),
    ("tai bluezone tren ch play", "install_android"),
    ("răng phải bật bluetooth rứa", "bluetooth"),         # Central-Vietnam dialect
    ("does bluezone drain my battery", "battery"),        # English
])
def test_paraphrases_in_every_register(index: FaqIndex, normaliser: Normaliser, text: str, expected: str) -> None:
    assert best(index, normaliser, text)[0] == expected


@pytest.mark.parametrize("text", ["cài zalo như thế nào", "tai nghe bluetooth không kết nối được",
                                  "loa bluetooth bị rè", "giá vàng hôm nay"])
def test_other_apps_and_devices_get_no_entry(index: FaqIndex, normaliser: Normaliser, text: str) -> None:
    label, kind, confidence = best(index, normaliser, text)
    assert kind == REJECT or confidence < 0.45, (label, confidence)


def test_small_talk_is_an_intent(index: FaqIndex, normaliser: Normaliser) -> None:
    assert best(index, normaliser, "xin chào")[:2] == ("greeting", INTENT)
    assert best(index, normaliser, "cảm ơn nhiều nha")[:2] == ("thanks", INTENT)


def test_language_of_a_question(index: FaqIndex, normaliser: Normaliser) -> None:
    assert index.language(normaliser.normalise("how do I install it on my phone")) == "en"
    assert index.language(normaliser.normalise("cai o dau vay")) == "vi"
    assert index.language(normaliser.normalise("Cài ở đâu")) == "vi"


def test_candidates_are_ranked_and_unique(index: FaqIndex, normaliser: Normaliser) -> None:
    match = index.match(normaliser.normalise("cài bluezone"))
    scores = [s for _, s in match.candidates]
    assert scores == sorted(scores, reverse=True)
    assert len({label for label, _ in match.candidates}) == len(match.candidates)
    assert all(label.kind in (ENTRY, INTENT, REJECT) for label, _ in match.candidates)
