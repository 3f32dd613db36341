"""Words as the content modules count and compare them: runs of Unicode word characters."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")
# Characters a reader does not see and `str.strip` keeps: zero-width space, non-joiner and
# joiner, word joiner, byte-order mark, soft hyphen.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def word_tokens(text: str) -> list[str]:
    """The text's words as written (case kept: "SCOTT SHANE" tells a byline in capitals)."""
    return _WORD.findall(text)


def line_tokens(text: str) -> list[str]:
    """A line's words, lower-cased: how lines are compared with headlines and each other."""
    return [token.lower() for token in _WORD.findall(text)]


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


# Chinese and Japanese are written without spaces: a run of their characters is no one word.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHARACTER = re.compile(f"[{_CJK}]")
# Marks inside words, which `\w` does not match: combining accents, Hebrew points, Arabic
# harakat, and the vowel signs of the Indic scripts (their blocks, less the dandas): "धन्यवाद"
# is one word, not three.
_IN_WORD_MARKS = "\u0300-\u036f\u0591-\u05c7\u064b-\u065f\u0670\u0900-\u0963\u0966-\u0dff"
_OTHER_WORD = re.compile(f"(?:[^\\W{_CJK}]|[{_IN_WORD_MARKS}])+")


def reading_words(text: str) -> int:
    """How many words a reader would say the text has: two Chinese or Japanese characters
    count as about one word (as in reading-time rules of thumb), other scripts by spaces."""
    return len(_OTHER_WORD.findall(text)) + len(_CJK_CHARACTER.findall(text)) // 2
