"""The ensemble's choice among extractor candidates, on hand-made candidates."""

from __future__ import annotations

import pytest

from bot.content.candidates import (
    READABILITY,
    RESILIPARSE,
    TRAFILATURA_PRECISION,
    TRAFILATURA_RECALL,
    Candidate,
)
from bot.content.ensemble import agreement, choose, explain, shingle_set


def words(start: int, stop: int) -> str:
    """Distinct words, so every 4-word shingle is distinct too: overlaps are exact."""
    return " ".join(f"word{index}" for index in range(start, stop))


ARTICLE = words(0, 100)
SIDEBAR = words(500, 600)


def precision(text: str) -> Candidate:
    return Candidate(TRAFILATURA_PRECISION, text, 1.0)


def recall(text: str) -> Candidate:
    return Candidate(TRAFILATURA_RECALL, text, 1.0)


def voter(text: str) -> Candidate:
    return Candidate(RESILIPARSE, text, 1.0, voter_only=True)


class Ask:
    """The ``ask`` callable: trafilatura's recall mode and readability, noting what was asked."""

    def __init__(
        self, recall_text: str, readability_text: str, readability_error: str | None = None
    ) -> None:
        self.recall = recall(recall_text)
        self.readability = Candidate(READABILITY, readability_text, 14.0, readability_error)
        self.asked: list[str] = []

    def __call__(self, name: str) -> Candidate:
        self.asked.append(name)
        return {TRAFILATURA_RECALL: self.recall, READABILITY: self.readability}[name]


# The voter agrees with ARTICLE, but not closely enough to confirm it alone (shingle F1 0.89).
NEAR_ARTICLE = words(0, 80)
BOTH = [TRAFILATURA_RECALL, READABILITY]


def test_agreement_of_identical_disjoint_and_empty_texts() -> None:
    article = shingle_set(ARTICLE)
    assert agreement(article, shingle_set(ARTICLE)) == 1.0
    assert agreement(article, shingle_set(SIDEBAR)) == 0.0
    assert agreement(article, frozenset()) == 0.0
    assert agreement(frozenset(), frozenset()) == 0.0
    half = agreement(article, shingle_set(words(0, 50)))
    assert 0.0 < half < 1.0
    assert half == agreement(shingle_set(words(0, 50)), article)


def test_shingles_ignore_case_and_punctuation() -> None:
    assert shingle_set("One, two. THREE four!") == shingle_set("one two three four")
    assert shingle_set("just two") == {("just", "two")}
    assert shingle_set(" \n ") == frozenset()


def test_precision_mode_is_taken_alone_when_the_voter_confirms_it() -> None:
    ask = Ask(SIDEBAR, SIDEBAR)
    choice = choose([precision(ARTICLE), voter(ARTICLE)], ask)
    assert ask.asked == []
    assert choice.winner is not None
    assert choice.winner.name == TRAFILATURA_PRECISION
    assert "recall mode and readability not needed" in choice.reasons[0]


def test_recall_mode_is_asked_when_the_voter_only_roughly_agrees() -> None:
    ask = Ask(ARTICLE, SIDEBAR)
    choice = choose([precision(ARTICLE), voter(NEAR_ARTICLE)], ask)
    assert ask.asked == [TRAFILATURA_RECALL]
    assert choice.winner is not None
    assert choice.winner.name == TRAFILATURA_PRECISION
    assert "modes agree" in choice.reasons[0]
    assert "readability not needed" in choice.reasons[0]


# Both modes kept the article and a block after it (an author box, say); the voter did not.
PADDED = ARTICLE + " " + words(700, 740)


@pytest.mark.parametrize(
    ("readability_text", "winner", "reason"),
    [
        (ARTICLE, READABILITY, "readability taken"),  # the voter clearly prefers readability
        (words(0, 90), TRAFILATURA_PRECISION, "precision mode taken"),  # only a little
    ],
    ids=["voter-prefers-readability", "voter-prefers-it-a-little"],
)
def test_when_both_modes_kept_much_more_than_the_voter_readability_gives_a_second_opinion(
    readability_text: str, winner: str, reason: str
) -> None:
    ask = Ask(PADDED, readability_text)
    choice = choose([precision(PADDED), voter(ARTICLE)], ask)
    assert ask.asked == BOTH
    assert choice.winner is not None
    assert choice.winner.name == winner
    assert "much longer than the voter's text" in choice.reasons[0]
    assert reason in choice.reasons[0]


@pytest.mark.parametrize(
    ("recall_text", "voter_text"),
    [(ARTICLE + " " + SIDEBAR, NEAR_ARTICLE), (ARTICLE, SIDEBAR)],
    ids=["modes-disagree", "voter-disagrees"],
)
def test_readability_is_asked_when_the_others_disagree(recall_text: str, voter_text: str) -> None:
    ask = Ask(recall_text, ARTICLE)
    choice = choose([precision(ARTICLE), voter(voter_text)], ask)
    assert ask.asked == BOTH
    assert choice.candidates[-1] is ask.readability
    assert choice.reasons[0].startswith("asked readability")
    assert choice.winner is not None
    # Readability has the same text as precision mode: of equals, the first in the pool wins.
    assert choice.winner.name == TRAFILATURA_PRECISION


def test_the_medoid_wins_and_a_candidate_that_agrees_with_nobody_loses() -> None:
    # Precision mode went astray (a sidebar); the others agree on the article.
    ask = Ask(ARTICLE, words(0, 95))
    choice = choose([precision(SIDEBAR), voter(ARTICLE)], ask)
    assert ask.asked == BOTH
    assert choice.winner is not None
    assert choice.winner.name == TRAFILATURA_RECALL
    assert choice.scores[TRAFILATURA_PRECISION] == 0.0
    assert choice.scores[TRAFILATURA_RECALL] == max(choice.scores.values())
    assert "agrees most" in choice.reasons[1]


def test_the_voter_never_wins_even_when_it_agrees_most() -> None:
    # Each candidate kept a different third of the page; the voter has all of it.
    ask = Ask(words(50, 100), words(100, 150))
    choice = choose([precision(words(0, 50)), voter(words(0, 150))], ask)
    assert choice.scores[RESILIPARSE] > max(
        score for name, score in choice.scores.items() if name != RESILIPARSE
    )
    assert choice.winner is not None
    assert choice.winner.name == TRAFILATURA_PRECISION


def test_readability_extends_a_partial_winner() -> None:
    # Both modes kept only the first part of an article split across containers; readability
    # has all of it (plus a little), and the voter sides with readability.
    partial = words(0, 40)
    ask = Ask(partial, words(0, 110))
    choice = choose([precision(partial), voter(ARTICLE)], ask)
    assert ask.asked == BOTH
    assert choice.scores[TRAFILATURA_PRECISION] > choice.scores[READABILITY]  # medoid first
    assert choice.winner is ask.readability
    assert choice.reasons[-1].startswith("readability extends it")


def test_readability_does_not_extend_what_it_does_not_hold() -> None:
    ask = Ask(ARTICLE, words(60, 200))
    choice = choose([precision(ARTICLE), voter(words(0, 50))], ask)
    assert ask.asked == BOTH
    assert choice.winner is not None
    assert choice.winner.name == TRAFILATURA_PRECISION


@pytest.mark.parametrize("voter_text", ["", ARTICLE], ids=["all-empty", "only-the-voter"])
def test_no_candidate_text_means_no_winner(voter_text: str) -> None:
    ask = Ask(" \n ", "", readability_error="RuntimeError")
    choice = choose([precision(""), voter(voter_text)], ask)
    assert ask.asked == BOTH
    assert choice.winner is None
    assert explain(choice)[-1] == "winner: none (no candidate found any text)"


def test_explain_names_every_candidate_and_the_winner() -> None:
    ask = Ask(ARTICLE + " " + SIDEBAR, "", readability_error="RuntimeError")
    choice = choose([precision(ARTICLE), voter(NEAR_ARTICLE)], ask)
    lines = explain(choice)
    assert lines[0].startswith(f"candidate {TRAFILATURA_PRECISION}: 100 words, agreement ")
    assert lines[1].startswith(f"candidate {TRAFILATURA_RECALL}: 200 words")
    assert lines[2].startswith(f"voter {RESILIPARSE}: 80 words")
    assert lines[3].startswith(f"candidate {READABILITY}: 0 words")
    assert lines[3].endswith("14.0 ms, failed (RuntimeError)")
    assert all(line.endswith(", ok") for line in lines[:3])
    assert [line for line in lines if line.startswith("why: ")] == [
        f"why: {reason}" for reason in choice.reasons
    ]
    assert lines[-1] == f"winner: {TRAFILATURA_PRECISION}"


def test_explain_without_the_later_candidates_has_no_agreement_scores() -> None:
    choice = choose([precision(ARTICLE), voter(ARTICLE)], Ask(ARTICLE, ARTICLE))
    lines = explain(choice)
    assert [line.split(":")[0] for line in lines[:2]] == [
        f"candidate {TRAFILATURA_PRECISION}",
        f"voter {RESILIPARSE}",
    ]
    assert not any("agreement" in line for line in lines[:2])
    assert lines[-1] == f"winner: {TRAFILATURA_PRECISION}"
