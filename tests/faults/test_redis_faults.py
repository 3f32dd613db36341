"""Redis faults: stopped and restarted, or paused (connections accepted, nothing answered).

A paused Redis costs one timeout, not one per operation (the store's circuit breaker), and when
it answers again the bot is fully back, caching included, within seconds and without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.store import RedisStore
from bot.store.redis_store import OPEN_SECONDS
from tests.conftest import llm_settings
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.helpers.redis_server import PrivateRedis
from tests.tg import send_for_summary


async def test_a_paused_redis_costs_one_timeout_then_the_bot_is_back(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    private_redis: PrivateRedis,
) -> None:
    article = read_fixture("article_en.html")
    for path in ("/during", "/again", "/after"):
        web.route(path, article.replace(b"Brackwater", path[1:].encode()))
    settings = llm_settings(settings_for, llm_api, redis_url=private_redis.url)
    sent = 0

    async def summary_of(path: str) -> float:
        nonlocal sent
        sent += 1
        started = time.monotonic()
        await send_for_summary(bot_api, web.url(path), count=sent, timeout=30)
        return time.monotonic() - started

    async with start_bot(settings):
        private_redis.pause()
        try:
            during = await summary_of("/during")
            again = await summary_of("/again")
        finally:
            private_redis.resume()
        back = time.monotonic()
        await asyncio.sleep(OPEN_SECONDS + 0.5)  # the breaker tries Redis again after this
        healthy = await summary_of("/after")  # with Redis: the baseline on this machine now
        asked = len(llm_api.requests)
        await summary_of("/after")
        assert len(llm_api.requests) == asked, "the second /after came from Redis's cache"
    assert time.monotonic() - back < 10, "fully back within 10 s of Redis answering"
    # Dozens of Redis operations per link: without the breaker, each a 2 s timeout (over 20 s
    # in all); with it, one: about 2 s more than a summary with Redis.
    assert during < healthy + 10, ("one timeout, not one per operation", during, healthy)
    assert again < healthy + 1.5, ("the circuit is open: Redis is not waited on", again, healthy)


async def test_the_breaker_probes_one_operation_at_a_time(
    private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.store")
    store = RedisStore.from_url(private_redis.url)
    try:
        assert await store.set("k", b"v", ttl=60)
        private_redis.pause()
        started = time.monotonic()
        assert await store.get("k") is None  # times out: the circuit opens
        first = time.monotonic() - started
        started = time.monotonic()
        for _ in range(50):
            assert await store.get("k") is None
        assert time.monotonic() - started < 0.5, "open: no operation waits on Redis"
        private_redis.resume()
        await asyncio.sleep(OPEN_SECONDS + 0.1)
        assert await store.get("k") == b"v", "the probe finds Redis back"
        assert store.available
    finally:
        private_redis.resume()
        await store.aclose()
    assert 1 < first < 5
