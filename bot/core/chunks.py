"""Splitting long text for channels with a message length limit (Telegram 4,096, Zalo 2,000 characters)."""
from __future__ import annotations

# Coarsest first: a paragraph break, a line break, a space; below that the text is cut hard.
SEPARATORS = ("\n\n", "\n", " ")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of text, each at most limit characters, cut at paragraphs, then lines, then words, then anywhere."""
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces = (piece.strip() for piece in _split(text.strip(), limit, 0))
    return [piece for piece in pieces if piece]


def _split(text: str, limit: int, level: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    if level == len(SEPARATORS):
        return [text[i:i + limit] for i in range(0, len(text), limit)]
    separator = SEPARATORS[level]
    pieces: list[str] = []
    current = ""
    for part in text.split(separator):
        joined = f"{current}{separator}{part}" if current else part
        if len(joined) <= limit:
            current = joined
            continue
        if current:
            pieces.append(current)
        if len(part) <= limit:
            current = part
        else:  # too long even alone: split it finer, and keep filling its last piece
            finer = _split(part, limit, level + 1) or [""]   # [] when the part was only separators
            pieces.extend(finer[:-1])
            current = finer[-1]
    if current:
        pieces.append(current)
    return pieces
