"""Rate limits, daily quotas and update dedupe hold under concurrency, within and across
processes, because Redis does the counting atomically."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.store import Keys, RedisStore, State
from bot.store.keys import QUOTA_TTL, UPDATE_TTL
from bot.store.state import today
from tests.helpers.processes import run_workers, skim_env

TINY_REFILL = 0.001  # tokens per minute: nothing refills during a test


@pytest.fixture
async def state(redis_url: str, redis_prefix: str) -> AsyncIterator[State]:
    store = RedisStore.from_url(redis_url)
    yield State(store, Keys(redis_prefix))
    await store.aclose()


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_200_concurrent_takes_get_exactly_the_bucket_capacity(
    state: State, caplog: pytest.LogCaptureFixture
) -> None:
    takes = (state.take_token("user", 7, 10, TINY_REFILL) for _ in range(200))
    waits = await asyncio.gather(*takes)
    assert sum(wait == 0 for wait in waits) == 10
    assert all(wait > 3600 for wait in waits if wait), "refusals say how long to wait"
    assert "Redis unavailable" not in caplog.text, "a burst is not an outage"


async def test_a_bucket_refills_over_time(state: State, raw: Redis, redis_prefix: str) -> None:
    assert await state.take_token("chat", 9, 2, 600) == 0  # 10 tokens a second
    assert await state.take_token("chat", 9, 2, 600) == 0
    wait = await state.take_token("chat", 9, 2, 600)
    assert 0 < wait <= 0.1
    await asyncio.sleep(wait + 0.05)
    assert await state.take_token("chat", 9, 2, 600) == 0
    key = Keys(redis_prefix).bucket("chat", 9)
    assert set(await raw.hkeys(key)) == {b"tokens", b"ts"}
    assert 0 < await raw.ttl(key) <= 2


async def test_daily_quota_counts_every_summary_exactly(
    state: State, raw: Redis, redis_prefix: str
) -> None:
    answers = await asyncio.gather(*(state.use_daily_quota(21, 10) for _ in range(30)))
    assert sum(answer is None for answer in answers) == 10
    assert all(0 < answer <= 86400 for answer in answers if answer is not None)
    key = Keys(redis_prefix).quota(21, today())
    assert int(await raw.get(key) or 0) == 30
    assert QUOTA_TTL - 60 < await raw.ttl(key) <= QUOTA_TTL


async def test_an_update_is_handled_once(state: State, raw: Redis, redis_prefix: str) -> None:
    assert await state.first_time(555, 1) is True
    assert await state.first_time(555, 1) is False
    assert await state.first_time(555, 2) is True, "per update id, not a high-water mark"
    ttl = await raw.ttl(Keys(redis_prefix).update(555, 1))
    assert UPDATE_TTL - 60 < ttl <= UPDATE_TTL


async def test_limits_and_dedupe_hold_across_two_processes(
    state: State, redis_url: str, redis_prefix: str
) -> None:
    """Both processes at once: 100 takes each on one bucket, 10 quota uses each, 50 updates."""
    command = [
        *["take-token", "user", "8", "10", str(TINY_REFILL), "100"],
        *["+", "quota", "22", "7", "10"],
        *["+", "first-time", "555", "100", "50"],
    ]
    first, second = await run_workers(skim_env(redis_url, redis_prefix), command, command)
    (waits_1, quota_1, updates_1), (waits_2, quota_2, updates_2) = first, second
    assert len(waits_1) + len(waits_2) == 200
    assert sum(wait == 0 for wait in waits_1 + waits_2) == 10
    assert await state.take_token("user", 8, 10, TINY_REFILL) > 0, "this process shares it too"
    assert sum(answer is None for answer in quota_1 + quota_2) == 7
    assert set(updates_1) == set(updates_2) == {str(i) for i in range(100, 150)}
    assert all(updates_1[i] != updates_2[i] for i in updates_1), "one process won each update"
