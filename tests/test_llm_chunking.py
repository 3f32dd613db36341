"""Long text is cut into even, token-bounded chunks on section/paragraph/sentence boundaries."""

from __future__ import annotations

import random

import pytest

from bot.llm.chunking import split_tokens
from bot.llm.tokens import load_counter

COUNTER = load_counter()


def paragraph(seed: int, sentences: int = 5) -> str:
    rng = random.Random(seed)
    words = str.split("mill river wheel stone grain flour village council engineer winter")
    return " ".join(
        " ".join(rng.choice(words) for _ in range(12)).capitalize() + "." for _ in range(sentences)
    )


def test_short_text_is_one_chunk() -> None:
    [chunk] = split_tokens("  A short note.  ", 100, COUNTER)
    assert chunk.text == "A short note."
    assert chunk.tokens == COUNTER.count("A short note.")


def test_empty_text_has_no_chunks() -> None:
    assert split_tokens(" \n ", 100, COUNTER) == []
    with pytest.raises(ValueError, match="positive"):
        split_tokens("text", 0, COUNTER)


def test_paragraphs_are_never_split_when_they_fit() -> None:
    paragraphs = [paragraph(k) for k in range(40)]
    text = "\n\n".join(paragraphs)
    limit = 500
    chunks = split_tokens(text, limit, COUNTER)
    total = COUNTER.count(text)
    assert len(chunks) == -(-total // limit) or len(chunks) == -(-total // limit) + 1
    for chunk in chunks:
        assert COUNTER.count(chunk.text) <= limit
        # Every chunk is whole paragraphs.
        assert all(part in paragraphs for part in chunk.text.split("\n\n"))
    assert "\n\n".join(chunk.text for chunk in chunks) == text


def test_chunks_are_even() -> None:
    text = "\n\n".join(paragraph(k, 2) for k in range(120))
    chunks = split_tokens(text, 1000, COUNTER)
    sizes = [chunk.tokens for chunk in chunks]
    assert max(sizes) - min(sizes) < 0.45 * max(sizes)


def test_sections_are_preferred_cut_points() -> None:
    sections = []
    for k in range(6):
        body = "\n\n".join(paragraph(10 * k + j, 3) for j in range(4))
        sections.append(f"## Section {k}\n{body}")
    text = "\n\n".join(sections)
    per_section = COUNTER.count(sections[0])
    chunks = split_tokens(text, int(per_section * 2.2), COUNTER)
    assert len(chunks) == 3
    assert all(chunk.text.startswith("## Section") for chunk in chunks)


def test_one_huge_paragraph_is_cut_between_sentences() -> None:
    text = paragraph(7, sentences=60)
    chunks = split_tokens(text, 200, COUNTER)
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.text.endswith(".")
        assert COUNTER.count(chunk.text) <= 200
    assert " ".join(chunk.text for chunk in chunks) == text


def test_text_without_any_boundary_is_cut_by_tokens() -> None:
    text = "x" * 5000
    chunks = split_tokens(text, 100, COUNTER)
    assert "".join(chunk.text for chunk in chunks) == text
    assert all(COUNTER.count(chunk.text) <= 100 for chunk in chunks)


def test_cjk_sentences_without_spaces() -> None:
    text = "水車が再び回り始めた。" * 300
    chunks = split_tokens(text, 120, COUNTER)
    assert len(chunks) > 1
    assert all(chunk.text.endswith("。") for chunk in chunks)
    assert "".join(chunk.text for chunk in chunks) == text


@pytest.mark.parametrize(
    "words", ["river bank mill wheel flood tide ", "река берег мельница колесо "]
)
def test_text_without_sentence_ends_fills_its_chunks_and_counts_them_right(words: str) -> None:
    """Cut word by word, each word was counted alone ("river " two tokens, one in a run):
    chunks held 1,259 tokens of the 2,943 they claimed, the plan overshot the cap and the
    document's end was never read."""
    text = words * 2500
    chunks = split_tokens(text, 3000, COUNTER)
    assert all(chunk.tokens == COUNTER.count(chunk.text) for chunk in chunks)
    assert all(chunk.tokens >= 0.7 * 3000 for chunk in chunks[:-1])
    assert all(chunk.tokens <= 3000 for chunk in chunks)
    assert " ".join(chunk.text for chunk in chunks).split() == text.split()
