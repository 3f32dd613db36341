"""Okapi BM25 over passages: picks the parts of a long document a question is about."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

from bot.llm.extractive import terms

K1 = 1.2
B = 0.75


class BM25:
    """A small in-memory BM25 index over already tokenized passages."""

    def __init__(self, passages: Sequence[Sequence[str]], k1: float = K1, b: float = B) -> None:
        self._k1 = k1
        self._b = b
        self._counts = [Counter(passage) for passage in passages]
        self._lengths = [len(passage) for passage in passages]
        total = len(passages)
        self._average = (sum(self._lengths) / total) if total else 0.0
        frequency: Counter[str] = Counter()
        for counts in self._counts:
            frequency.update(counts.keys())
        # The "plus one" idf stays positive even for terms in most passages.
        self._idf = {
            term: math.log(1 + (total - n + 0.5) / (n + 0.5)) for term, n in frequency.items()
        }

    def scores(self, query: Mapping[str, float]) -> list[float]:
        """One score per passage for a query of weighted terms."""
        results: list[float] = []
        for counts, length in zip(self._counts, self._lengths, strict=True):
            norm = self._k1 * (1 - self._b + self._b * length / (self._average or 1.0))
            score = 0.0
            for term, weight in query.items():
                tf = counts.get(term)
                if tf:
                    score += weight * self._idf[term] * tf * (self._k1 + 1) / (tf + norm)
            results.append(score)
        return results


def weighted_query(*parts: tuple[str, float]) -> dict[str, float]:
    """Terms of several texts with a weight each (the question counts most, context less)."""
    query: dict[str, float] = {}
    for text, weight in parts:
        for term in set(terms(text)):
            query[term] = max(query.get(term, 0.0), weight)
    return query


def rank_passages(passages: Sequence[str], query: Mapping[str, float]) -> list[float]:
    """BM25 scores of `passages` for `query`."""
    return BM25([terms(passage) for passage in passages]).scores(query)
