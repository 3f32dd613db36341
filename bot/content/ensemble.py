"""Choosing the article among several extractors' candidates by their agreement.

No single extractor is best on every kind of page (Bevendorff et al., SIGIR 2023): each fails
in its own way, picking a sidebar, an author box, the comments or nothing at all, while the
others usually agree on the article. The rules, each driven by shingle overlap only (never by
site names), measured on both benchmark sets in docs/benchmarks.md:

1. When trafilatura's precision mode and resiliparse's main-content text, an independent voter,
   agree closely (shingle F1 >= ``VOTER_CONFIRMS``), precision mode is taken: the cheap, common
   case (three pages in four on Zyte's set, two in five on Dragnet's), without running
   trafilatura's recall mode or readability.
2. Otherwise trafilatura's recall mode is asked; when the two modes agree (>= ``MODES_AGREE``)
   and the voter agrees with them well enough (>= ``VOTER_AGREES``), precision mode is taken,
   unless it kept much more than the voter (``LONGER_THAN_VOTER`` times its shingles): then
   readability is asked, and wins when the voter agrees with it by ``VOTER_PREFERS`` more
   than with precision mode (both modes kept a block the voter and readability leave out).
3. Otherwise readability-lxml is asked too, and the candidate that agrees most with all the
   others (the medoid: summed shingle F1) wins. A candidate that went astray agrees with
   nobody.
4. When readability's text holds most of the winner's (>= ``EXTENDS_SHARE`` of its shingles),
   is ``EXTENDS_RATIO`` times as long and agrees better with the voter, it wins instead: the
   other candidates kept only part of an article split across containers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.content.candidates import (
    READABILITY,
    RESILIPARSE,
    TRAFILATURA_PRECISION,
    TRAFILATURA_RECALL,
    Candidate,
)

_WORD = re.compile(r"\w+")
_SHINGLE = 4
VOTER_CONFIRMS = 0.9
MODES_AGREE = 0.9
VOTER_AGREES = 0.7
EXTENDS_SHARE = 0.8
EXTENDS_RATIO = 1.5
LONGER_THAN_VOTER = 1.3
VOTER_PREFERS = 0.15

Shingles = frozenset[tuple[str, ...]]


def shingle_set(text: str) -> Shingles:
    """Overlapping 4-word shingles (lower-cased); a text of fewer words is one shingle."""
    tokens = [token.lower() for token in _WORD.findall(text)]
    if not tokens:
        return frozenset()
    width = min(_SHINGLE, len(tokens))
    return frozenset(
        tuple(tokens[start : start + width]) for start in range(len(tokens) - width + 1)
    )


def agreement(first: Shingles, second: Shingles) -> float:
    """Shingle F1 between two texts: 1 when they are the same text, 0 when disjoint."""
    if not first or not second:
        return 0.0
    return 2 * len(first & second) / (len(first) + len(second))


def _share_inside(part: Shingles, whole: Shingles) -> float:
    return len(part & whole) / len(part) if part else 0.0


@dataclass
class Choice:
    """The winning candidate, every candidate considered, and the reasons, for --explain."""

    winner: Candidate | None
    candidates: list[Candidate]
    scores: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


def _medoid(pool: Sequence[Candidate], shingles: dict[str, Shingles]) -> Choice:
    scores = {
        candidate.name: sum(
            agreement(shingles[candidate.name], shingles[other.name])
            for other in pool
            if other is not candidate
        )
        for candidate in pool
    }
    winner: Candidate | None = None
    for candidate in pool:
        if candidate.voter_only or not shingles[candidate.name]:
            continue
        if winner is None or scores[candidate.name] > scores[winner.name]:
            winner = candidate
    choice = Choice(winner, list(pool), scores)
    if winner is not None:
        choice.reasons.append(
            f"{winner.name} agrees most with the other extractors "
            f"(summed shingle F1 {scores[winner.name]:.2f})"
        )
    return choice


def _add(
    pool: list[Candidate], shingles: dict[str, Shingles], candidate: Candidate, *, at: int
) -> Candidate:
    pool.insert(at, candidate)
    shingles[candidate.name] = shingle_set(candidate.text)
    return candidate


def _precision_taken(pool: list[Candidate], reason: str) -> Choice:
    precise = next(candidate for candidate in pool if candidate.name == TRAFILATURA_PRECISION)
    return Choice(precise, pool, reasons=[reason])


def _second_opinion(
    pool: list[Candidate],
    shingles: dict[str, Shingles],
    ask: Callable[[str], Candidate],
    voter: float,
    agreed: str,
) -> Choice:
    """Precision mode kept much more than the voter: readability wins if the voter clearly
    prefers it."""
    readability = _add(pool, shingles, ask(READABILITY), at=len(pool))
    preferred = agreement(shingles[READABILITY], shingles.get(RESILIPARSE, frozenset()))
    if preferred - voter >= VOTER_PREFERS:
        return Choice(
            readability,
            pool,
            reasons=[
                f"{agreed}, but precision mode is much longer than the voter's text; the voter "
                f"agrees with readability ({preferred:.2f}) better: readability taken"
            ],
        )
    return _precision_taken(
        pool,
        f"{agreed}; precision mode is much longer than the voter's text, but the voter "
        f"prefers readability only by {preferred - voter:.2f}: precision mode taken",
    )


def choose(first: Sequence[Candidate], ask: Callable[[str], Candidate]) -> Choice:
    """The article text among ``first`` (trafilatura's precision mode and the voter); ``ask``
    runs another extractor by name, trafilatura's recall mode or readability, when needed."""
    pool = list(first)
    shingles = {candidate.name: shingle_set(candidate.text) for candidate in pool}
    precise = shingles.get(TRAFILATURA_PRECISION, frozenset())
    voted = shingles.get(RESILIPARSE, frozenset())
    voter = agreement(precise, voted)
    if voter >= VOTER_CONFIRMS:
        return _precision_taken(
            pool,
            f"the voter agrees with precision mode (shingle F1 {voter:.2f}): taken, "
            "recall mode and readability not needed",
        )
    _add(pool, shingles, ask(TRAFILATURA_RECALL), at=1)
    modes = agreement(precise, shingles[TRAFILATURA_RECALL])
    if modes >= MODES_AGREE and voter >= VOTER_AGREES:
        agreed = (
            f"trafilatura's modes agree (shingle F1 {modes:.2f}) and so does the voter "
            f"({voter:.2f})"
        )
        if len(precise) < LONGER_THAN_VOTER * len(voted):
            return _precision_taken(pool, f"{agreed}: precision mode taken, readability not needed")
        return _second_opinion(pool, shingles, ask, voter, agreed)
    readability = _add(pool, shingles, ask(READABILITY), at=len(pool))
    choice = _medoid(pool, shingles)
    choice.reasons.insert(
        0,
        f"asked readability: trafilatura's modes agree {modes:.2f} "
        f"(needs {MODES_AGREE}), the voter {voter:.2f} (needs {VOTER_AGREES})",
    )
    winner = choice.winner
    if winner is None or winner.name == READABILITY or not shingles[READABILITY]:
        return choice
    inside = _share_inside(shingles[winner.name], shingles[READABILITY])
    ratio = len(shingles[READABILITY]) / max(1, len(shingles[winner.name]))
    closer = agreement(shingles[READABILITY], voted) > agreement(shingles[winner.name], voted)
    if inside >= EXTENDS_SHARE and ratio >= EXTENDS_RATIO and closer:
        choice.winner = readability
        choice.reasons.append(
            f"readability extends it: holds {inside:.0%} of its text, {ratio:.1f}x as long, "
            "closer to the voter"
        )
    return choice


def explain(choice: Choice) -> list[str]:
    """Human-readable lines: each candidate's size, time and agreement, then the winner."""
    lines = []
    for candidate in choice.candidates:
        role = "voter" if candidate.voter_only else "candidate"
        state = f"failed ({candidate.error})" if candidate.error else "ok"
        words = len(_WORD.findall(candidate.text))
        score = choice.scores.get(candidate.name)
        agreed = f", agreement {score:.2f}" if score is not None else ""
        lines.append(
            f"{role} {candidate.name}: {words} words{agreed}, "
            f"{candidate.milliseconds:.1f} ms, {state}"
        )
    lines.extend(f"why: {reason}" for reason in choice.reasons)
    if choice.winner is None:
        lines.append("winner: none (no candidate found any text)")
    else:
        lines.append(f"winner: {choice.winner.name}")
    return lines
