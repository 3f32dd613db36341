"""Words as the content modules count and compare them: runs of Unicode word characters."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")


def word_tokens(text: str) -> list[str]:
    """The text's words as written (case kept: "SCOTT SHANE" tells a byline in capitals)."""
    return _WORD.findall(text)


def line_tokens(text: str) -> list[str]:
    """A line's words, lower-cased: how lines are compared with headlines and each other."""
    return [token.lower() for token in _WORD.findall(text)]


def count_words(text: str) -> int:
    return len(_WORD.findall(text))
