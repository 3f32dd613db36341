"""No Redis outage takes the bot down: links are still answered, quickly, and caching resumes
on its own when Redis is back; the outage is logged once, not once per request."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.metrics import Metrics
from bot.store import RedisStore
from tests.conftest import llm_settings, run_cli
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.helpers.processes import skim_llm_env
from tests.helpers.redis_server import PrivateRedis, free_port
from tests.tg import send_for_summary

DOWN = "Redis unavailable"
BACK = "Redis is back"


def store_log(caplog: pytest.LogCaptureFixture, needle: str) -> int:
    return sum(
        needle in record.getMessage()
        for record in caplog.records
        if record.name == "bot.store.redis_store"
    )


async def test_bot_answers_through_an_outage_and_caches_again_after(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    private_redis: PrivateRedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.store")
    article = read_fixture("article_en.html")
    for path in ("/before", "/during", "/after"):
        web.route(path, article.replace(b"Brackwater", path[1:].encode()))
    settings = llm_settings(settings_for, llm_api, redis_url=private_redis.url)
    sent = 0

    async def summary_of(path: str) -> float:
        """Send a link and wait for its summary; returns the seconds it took."""
        nonlocal sent
        sent += 1
        started = time.monotonic()
        await send_for_summary(bot_api, web.url(path), count=sent, timeout=10)
        return time.monotonic() - started

    async with start_bot(settings):
        await summary_of("/before")
        assert len(llm_api.requests) == 1
        await summary_of("/before")
        assert len(llm_api.requests) == 1, "cached while Redis is up"

        await private_redis.stop()
        assert await summary_of("/during") < 5, "a new link is answered without Redis"
        assert await summary_of("/during") < 5, "and a repeated one too (worked out again)"
        assert len(llm_api.requests) == 3

        await private_redis.start()
        assert await summary_of("/after") < 5
        assert len(llm_api.requests) == 4
        await summary_of("/after")
        assert len(llm_api.requests) == 4, "cached again after Redis came back"
    assert web.hits("/after") == 1
    assert store_log(caplog, DOWN) == 1, "the outage is logged once"
    assert store_log(caplog, BACK) == 1


async def test_cli_summarizes_with_redis_down(
    llm_api: FakeOpenAI, web: FakeWeb, redis_prefix: str
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    web.route("/baseline", read_fixture("article_ru.html"))
    dead = f"redis://127.0.0.1:{free_port()}/0"
    env = skim_llm_env(llm_api, dead, redis_prefix, LOG_LEVEL="WARNING")
    started = time.monotonic()
    code, out, err = await run_cli("-v", "summarize", web.url("/story"), env=env)
    elapsed = time.monotonic() - started
    assert code == 0, err
    assert "Summary:" in out
    assert len(llm_api.requests) == 1
    assert err.count(DOWN) == 1, err
    assert "Traceback" not in err
    # The same command without Redis, on the same machine now: the process start and the
    # summary are most of either figure; waiting on the dead Redis would add its retries.
    no_redis = {key: value for key, value in env.items() if key != "REDIS_URL"}
    started = time.monotonic()
    code, _, err = await run_cli("summarize", web.url("/baseline"), env=no_redis)
    baseline = time.monotonic() - started
    assert code == 0, err
    assert elapsed < baseline + 5, (elapsed, baseline)


async def test_pooled_connections_from_before_a_restart_do_not_lose_writes(
    private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.store")
    store = RedisStore.from_url(private_redis.url)
    try:
        assert all(await asyncio.gather(*(store.set(f"k{i}", b"v", ttl=60) for i in range(10))))
        await private_redis.stop()
        assert await store.get("k1") is None
        assert not store.available
        await private_redis.start()
        written = await asyncio.gather(*(store.set(f"k{i}", b"v", ttl=60) for i in range(10)))
    finally:
        await store.aclose()
    assert all(written), "every write after the restart reached Redis"
    assert store_log(caplog, DOWN) == 1
    assert store_log(caplog, BACK) == 1


async def test_a_cluster_url_to_a_redis_without_cluster_support_is_a_setting_to_fix(
    bot_api: FakeBotAPI, redis_url: str
) -> None:
    """Not an outage to wait out: the cluster client can never connect to it."""
    cluster_url = redis_url.replace("redis://", "redis+cluster://", 1)
    env = {
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_URL": bot_api.url,
        "REDIS_URL": cluster_url,
    }
    code, _, err = await run_cli("run", "--role", "worker", env=env)
    assert code == 2
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith(
            "skim: REDIS_URL names a Redis Cluster, but that Redis runs without cluster support"
        )
    )
    assert "Traceback" not in err
    code, out, err = await run_cli("check", env=env)
    assert code == 1
    assert "runs without cluster support" in out + err


async def test_a_redis_that_refuses_writes_is_an_outage_told_once_not_a_bug_each_time(
    private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    """A full Redis under `noeviction` (or a read-only replica) wrote "Redis command failed"
    at ERROR, 18 lines an update, with no outage counted and /readyz ready."""
    caplog.set_level(logging.INFO, logger="bot.store")
    metrics = Metrics()
    store = RedisStore.from_url(private_redis.url, metrics)
    try:
        assert await store.set("before", b"v", ttl=60)
        assert await store.ping()
        admin = Redis.from_url(private_redis.url)
        await admin.config_set("maxmemory-policy", "noeviction")
        await admin.config_set("maxmemory", "1")
        results = [await store.set(f"k{i}", b"v", ttl=60) for i in range(20)]
        assert await store.get("before") == b"v", "reads go on"
        ready = await store.ping()
        await admin.config_set("maxmemory", "0")
        await admin.aclose()
    finally:
        await store.aclose()
    assert not any(results)
    assert not ready, "not ready while writes are refused"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    warnings = [r.getMessage() for r in caplog.records if "refuses writes" in r.getMessage()]
    assert len(warnings) == 1
    assert "OutOfMemoryError" in warnings[0]
    assert "skim_redis_outages_total 1.0" in metrics.render().decode()
