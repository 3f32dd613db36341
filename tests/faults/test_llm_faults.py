"""The LLM misbehaving, end to end through the running bot: the user is told or served, and the
next request, the same link included, works once the fault ends, without a restart.

Designed behaviour (bot/llm/engine.py, README "Any OpenAI-compatible model, or none"): a model
that is busy, broken, slow, cut off or garbled gives the extractive summary, marked
"extractive summary (no LLM)"; a refused key is said plainly and nothing is summarized. Neither
outcome may stand in the cache for the model's summary: the fallback is kept under the model's
key only for the failure cache's few seconds (`FAILED_SUMMARY_TTL`, 15 s; shortened here so the
tests stay fast), after which the same link asks the model again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.store import keys
from tests.conftest import llm_settings
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI, Reply
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import USER_ID, message_of, send_for_summary, summaries_in, wait_text

SUMMARY = "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it"
OTHER = "Harbour wall\nTL;DR: The wall holds.\n\n- Rebuilt in stone"
EXTRACTIVE = "extractive summary (no LLM)"
KEY_REFUSED = "The bot's LLM key was refused"
# How long the failure cache keeps a fallback (or a refused key) under the model's key here.
BRIEF = 1


@pytest.fixture(autouse=True)
def _brief_failure_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    assert keys.FAILED_SUMMARY_TTL <= 15, "a failed summary is remembered only for seconds"
    monkeypatch.setattr("bot.service.FAILED_SUMMARY_TTL", BRIEF)


def _settings(settings_for: Callable[..., Settings], llm_api: FakeOpenAI, **extra: Any) -> Settings:
    """Test-sized deadlines: one second a try, two tries."""
    values: dict[str, Any] = {"llm_timeout": 1.0, "llm_max_retries": 2}
    values.update(extra)
    return llm_settings(settings_for, llm_api, **values)


def _text(bot_api: FakeBotAPI, call: Any) -> str:
    return str(message_of(bot_api, call).get("text", ""))


async def _recovers(bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb, count: int) -> None:
    """Once the fault is over: the same link gets the model's summary, and so does another."""
    await asyncio.sleep(BRIEF + 0.2)  # the failure cache's seconds, shortened in this module
    llm_api.script(SUMMARY, OTHER)
    loop = asyncio.get_running_loop()
    started = loop.time()
    again = await send_for_summary(bot_api, web.url("/story"), count=count + 1, timeout=10)
    other = await send_for_summary(bot_api, web.url("/other"), count=count + 2, timeout=10)
    assert loop.time() - started < 10
    assert "Halloran restored it" in _text(bot_api, again)
    assert EXTRACTIVE not in _text(bot_api, again), "the fallback was not kept as the summary"
    assert "The wall holds" in _text(bot_api, other)


@pytest.fixture
def pages(web: FakeWeb) -> FakeWeb:
    web.route("/story", read_fixture("article_en.html"))
    web.route("/other", read_fixture("article_ru.html"))
    return web


async def test_429_with_retry_after_is_waited_out_and_the_summary_is_the_models(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.script(Reply(status=429, retry_after=1), SUMMARY, OTHER)
    async with start_bot(_settings(settings_for, llm_api, llm_timeout=5.0)):
        loop = asyncio.get_running_loop()
        started = loop.time()
        first = await send_for_summary(bot_api, pages.url("/story"), timeout=10)
        waited = loop.time() - started
        other = await send_for_summary(bot_api, pages.url("/other"), count=2, timeout=10)
    assert waited >= 1, "the Retry-After was honoured"
    assert [r.status for r in llm_api.requests] == [429, 200, 200]
    assert "Halloran restored it" in _text(bot_api, first)
    assert EXTRACTIVE not in _text(bot_api, first)
    assert "The wall holds" in _text(bot_api, other)


async def test_429_that_outlasts_the_tries_gives_the_extractive_summary_then_recovers(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.script(Reply(status=429, retry_after=0.2), Reply(status=429, retry_after=0.2))
    async with start_bot(_settings(settings_for, llm_api)):
        fallback = await send_for_summary(bot_api, pages.url("/story"), timeout=10)
        assert EXTRACTIVE in _text(bot_api, fallback)
        assert "tide mill" in _text(bot_api, fallback).lower(), "the article's own sentences"
        await _recovers(bot_api, llm_api, pages, 1)


async def test_a_retry_after_beyond_patience_falls_back_at_once(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.script(Reply(status=429, retry_after=90))
    async with start_bot(_settings(settings_for, llm_api)):
        loop = asyncio.get_running_loop()
        started = loop.time()
        fallback = await send_for_summary(bot_api, pages.url("/story"), timeout=10)
        assert loop.time() - started < 5, "no 90 s wait"
        assert EXTRACTIVE in _text(bot_api, fallback)
        assert len(llm_api.requests) == 1
        await _recovers(bot_api, llm_api, pages, 1)


async def test_500s_give_the_extractive_summary_then_recover(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.fail_always(500)
    async with start_bot(_settings(settings_for, llm_api)):
        fallback = await send_for_summary(bot_api, pages.url("/story"), timeout=10)
        assert EXTRACTIVE in _text(bot_api, fallback)
        assert [r.status for r in llm_api.requests] == [500, 500], "retried, within the tries"
        llm_api.recover()
        await _recovers(bot_api, llm_api, pages, 1)


async def test_a_500_then_an_answer_is_the_models_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.script(Reply(status=500), SUMMARY)
    async with start_bot(_settings(settings_for, llm_api)):
        summary = await send_for_summary(bot_api, pages.url("/story"), timeout=10)
    assert "Halloran restored it" in _text(bot_api, summary)
    assert EXTRACTIVE not in _text(bot_api, summary)


async def test_a_refused_key_is_said_plainly_logged_for_the_operator_and_not_cached(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    llm_api.fail_always(401)
    async with start_bot(_settings(settings_for, llm_api)):
        with caplog.at_level(logging.INFO):
            bot_api.send_private_message(pages.url("/story"))
            said = await wait_text(bot_api, KEY_REFUSED, timeout=10)
        assert "operator" in str(said["text"])
        assert "Summarizing" not in str(said["text"]), "the status message became the failure"
        assert summaries_in(bot_api, USER_ID) == [], "no summary, not even an extractive one"
        assert len(llm_api.requests) == 1, "a refused key is not retried"
        operator = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert any("refused the key" in r.getMessage() for r in operator), "the operator is told"
        llm_api.recover()  # the operator fixed the key
        await _recovers(bot_api, llm_api, pages, 0)


async def test_a_hanging_model_gives_the_extractive_summary_within_the_deadline(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.script(Reply(hang=True), Reply(hang=True))
    async with start_bot(_settings(settings_for, llm_api)):
        loop = asyncio.get_running_loop()
        started = loop.time()
        fallback = await send_for_summary(bot_api, pages.url("/story"), timeout=10)
        took = loop.time() - started
        assert EXTRACTIVE in _text(bot_api, fallback)
        assert 2 <= took < 6, f"two tries of LLM_TIMEOUT=1 s, then the fallback ({took:.1f} s)"
        await _recovers(bot_api, llm_api, pages, 1)


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(Reply(SUMMARY, cut_after_chunks=3), id="cut"),
        pytest.param(Reply(SUMMARY, cut_after_chunks=3, hang=True), id="stalled"),
        pytest.param(Reply(SUMMARY, malformed=True), id="malformed-sse"),
    ],
)
async def test_a_broken_stream_never_leaves_half_a_summary(
    broken: Reply,
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """Text already streamed into the status message is not retried (it would show twice): the
    whole extractive summary replaces it, and the half-written status message is gone."""
    llm_api.script(broken)
    async with start_bot(_settings(settings_for, llm_api)):
        fallback = await send_for_summary(bot_api, pages.url("/story"), timeout=10)
        assert EXTRACTIVE in _text(bot_api, fallback)
        assert len(llm_api.requests) == 1, "nothing retried once text was shown"
        texts = [str(m.get("text", "")) for m in bot_api.messages_in(USER_ID)]
        assert not any(t.startswith("Mill turns") for t in texts), "no half summary stays"
        status = bot_api.calls_to("sendMessage")[0]
        assert message_of(bot_api, status) == {}, "the status message was removed"
        await _recovers(bot_api, llm_api, pages, 1)
