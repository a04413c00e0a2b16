"""Splitting long text for channels with a length limit: paragraphs first, then lines, words, hard cuts."""
from __future__ import annotations

import random

import pytest

from bot.core.chunks import split_text


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_short_text_is_one_piece_and_empty_text_none() -> None:
    assert split_text("  xin chào \n", 4096) == ["xin chào"]
    assert split_text("", 10) == [] and split_text(" \n\n ", 10) == []


def test_paragraphs_are_kept_whole_when_they_fit() -> None:
    paragraphs = [f"Đoạn {i}: " + "chữ " * 30 for i in range(10)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    pieces = split_text(text, 400)
    assert all(len(p) <= 400 for p in pieces) and len(pieces) > 1
    assert all(piece.startswith("Đoạn ") for piece in pieces)        # every cut falls on a paragraph break
    assert "\n\n".join(pieces) == text


def test_a_long_paragraph_is_cut_at_lines_then_words() -> None:
    text = "\n".join(["dòng " * 20] * 5) + "\n\n" + "từ " * 200
    pieces = split_text(text, 120)
    assert all(len(p) <= 120 for p in pieces)
    assert all(not p.endswith("dòn") and not p.startswith("g") for p in pieces)   # no word cut in half
    assert squeeze("".join(pieces)) == squeeze(text)


def test_text_without_spaces_is_cut_hard() -> None:
    pieces = split_text("x" * 20000, 4096)
    assert [len(p) for p in pieces] == [4096] * 4 + [20000 - 4 * 4096]


@pytest.mark.parametrize("seed", range(20))
def test_random_text_keeps_every_character_within_the_limit(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = ["a", "ă", "ơ", "😀", " ", " ", "\n", "\n\n", "word", "x" * 50]
    text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 3000)))
    limit = rng.choice([1, 7, 64, 500, 2000])
    pieces = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert squeeze("".join(pieces)) == squeeze(text)


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        split_text("abc", 0)
