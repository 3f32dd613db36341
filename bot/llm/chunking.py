"""Cutting long text into token-bounded chunks on the strongest boundary near an even split."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.llm.tokens import TokenCounter

# Strength of the boundary in front of a piece: higher is a better place to cut.
SECTION, PARAGRAPH, LINE, SENTENCE, WORD, NONE = 5, 4, 3, 2, 1, 0

_BLANK_LINES = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_NEWLINE = re.compile(r"\n\s*")
_SENTENCE_END = re.compile(r"(?:[.!?…]+[\"'”’»)\]]*\s+|[。！？]+[」』）】》]*\s*)")
_SPACE = re.compile(r"\s+")
_HEADING_MAX = 80
# A chunk may end early (at a better boundary) when it holds at least this share of the target.
_MIN_FILL = 0.6


@dataclass(frozen=True)
class Chunk:
    """A contiguous part of a text and its token count."""

    text: str
    tokens: int


@dataclass(frozen=True)
class _Piece:
    text: str
    tokens: int
    boundary: int


def _looks_like_heading(paragraph: str) -> bool:
    first = paragraph.lstrip().split("\n", 1)[0].strip()
    if first.startswith("#"):
        return True
    return (
        0 < len(first) <= _HEADING_MAX
        and "\n" in paragraph.strip()
        and first[-1] not in ".!?…:;,。！？"
        and any(c.isalpha() for c in first)
    )


def _cut(text: str, separator: re.Pattern[str]) -> list[str]:
    """Contiguous slices of `text`, each ending just after a separator match."""
    parts: list[str] = []
    start = 0
    for match in separator.finditer(text):
        if match.end() > start and match.end() < len(text):
            parts.append(text[start : match.end()])
            start = match.end()
    parts.append(text[start:])
    return [part for part in parts if part]


def _split(text: str, level: int) -> list[tuple[str, int]]:
    """Split one piece at `level`; each slice carries the strength of the boundary before it."""
    if level == PARAGRAPH:
        parts = _cut(text, _BLANK_LINES)
        return [
            (part, SECTION if k and _looks_like_heading(part) else PARAGRAPH)
            for k, part in enumerate(parts)
        ]
    separator = {LINE: _NEWLINE, SENTENCE: _SENTENCE_END, WORD: _SPACE}[level]
    return [(part, level) for part in _cut(text, separator)]


def _pieces(
    text: str, boundary: int, level: int, limit: int, counter: TokenCounter
) -> Iterator[_Piece]:
    """Refine `text` into pieces of at most `limit` tokens, splitting as coarsely as possible."""
    tokens = counter.count(text)
    if tokens <= limit:
        yield _Piece(text, tokens, boundary)
        return
    while level > NONE:
        if level == WORD:
            yield from _word_runs(text, boundary, limit, counter)
            return
        parts = _split(text, level)
        if len(parts) > 1:
            for k, (part, strength) in enumerate(parts):
                yield from _pieces(
                    part, boundary if k == 0 else strength, level - 1, limit, counter
                )
            return
        level -= 1
    # One unbroken run of characters longer than the limit: cut it by tokens.
    rest = text
    while rest:
        head = counter.head(rest, limit) or rest[:1]
        yield _Piece(head, counter.count(head), boundary)
        boundary = NONE
        rest = rest[len(head) :]


def _word_runs(text: str, boundary: int, limit: int, counter: TokenCounter) -> Iterator[_Piece]:
    """A long stretch without sentence ends, as runs of whole words of about a quarter of the
    limit, each counted as it stands. (Counted word by word, "river " costs two tokens where
    " river" in a run costs one: chunks held half the text their count said.)"""
    words = _cut(text, _SPACE)
    target = max(1, limit // 4)
    run: list[str] = []
    estimate = 0
    for word in words:
        cost = counter.count(word)
        if cost > limit:  # one unbroken run of characters: cut it by tokens below
            if run:
                yield _counted("".join(run), boundary, counter)
                boundary, run, estimate = WORD, [], 0
            yield from _pieces(word, boundary, NONE, limit, counter)
            boundary = WORD
            continue
        if run and estimate + cost > target:
            yield _counted("".join(run), boundary, counter)
            boundary, run, estimate = WORD, [], 0
        run.append(word)
        estimate += cost
    if run:
        yield _counted("".join(run), boundary, counter)


def _counted(text: str, boundary: int, counter: TokenCounter) -> _Piece:
    return _Piece(text, counter.count(text), boundary)


def split_tokens(text: str, max_tokens: int, counter: TokenCounter) -> list[Chunk]:
    """Chunks of at most about `max_tokens` tokens, of even size, cut on the best boundaries.

    The number of chunks is the fewest that fit; each cut is placed at the strongest boundary
    (section, paragraph, line, sentence, word) whose chunk holds 60-100 % of an even share.
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be positive")
    text = text.strip()
    if not text:
        return []
    pieces = list(_pieces(text, SECTION, PARAGRAPH, max_tokens, counter))
    chunks: list[Chunk] = []
    remaining = sum(piece.tokens for piece in pieces)
    start = 0
    while start < len(pieces):
        if remaining <= max_tokens:
            end = len(pieces)
        else:
            target = remaining / math.ceil(remaining / max_tokens)
            end = _best_end(pieces, start, target, max_tokens)
        body = "".join(piece.text for piece in pieces[start:end]).strip()
        size = sum(piece.tokens for piece in pieces[start:end])
        if body:  # counted as it stands: the pieces' counts add up to a little more
            chunks.append(Chunk(body, counter.count(body)))
        remaining -= size
        start = end
    return chunks


def _best_end(pieces: list[_Piece], start: int, target: float, limit: int) -> int:
    """Where the chunk starting at `start` should end (exclusive index)."""
    best: tuple[int, float] | None = None
    best_end = start + 1
    filled = 0
    end = start
    while end < len(pieces) and filled + pieces[end].tokens <= limit:
        filled += pieces[end].tokens
        end += 1
        if end < len(pieces) and filled >= _MIN_FILL * target:
            score = (pieces[end].boundary, -abs(filled - target))
            if best is None or score > best:
                best, best_end = score, end
    if best is None:
        return max(end, start + 1)
    return best_end
