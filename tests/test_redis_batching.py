"""Automatic pipelining: concurrent operations share round trips, and stay independent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.store import RedisStore


@pytest.fixture
async def named() -> AsyncIterator[tuple[RedisStore, Redis, str]]:
    """A store whose connections carry a name of their own, and a client to watch them with."""
    name = f"skim-test-{uuid.uuid4().hex[:8]}"
    store = RedisStore(Redis.from_url("redis://127.0.0.1:6379/0", client_name=name))
    watcher = Redis.from_url("redis://127.0.0.1:6379/0")
    yield store, watcher, name
    await store.aclose()
    await watcher.aclose()


async def connections_named(watcher: Redis, name: str) -> int:
    clients = await watcher.client_list()
    return sum(1 for client in clients if client.get("name") == name)


async def test_concurrent_operations_share_one_connection(
    named: tuple[RedisStore, Redis, str], redis_prefix: str
) -> None:
    store, watcher, name = named
    keys = [f"{redis_prefix}k{i}" for i in range(40)]
    stored = await asyncio.gather(*(store.set(key, key.encode(), ttl=60) for key in keys))
    assert all(stored)
    values = await asyncio.gather(*(store.get(key) for key in keys))
    assert values == [key.encode() for key in keys]
    # Sent one by one, 40 concurrent commands would each check out a pooled connection.
    assert await connections_named(watcher, name) == 1


async def test_each_caller_gets_its_own_replies_and_errors(
    named: tuple[RedisStore, Redis, str], redis_prefix: str
) -> None:
    store, watcher, _ = named
    plain = f"{redis_prefix}plain"
    await watcher.set(plain, b"text")
    # HGETALL on a string fails with WRONGTYPE; the reads batched beside it are unaffected.
    counters, value, missing, counted = await asyncio.gather(
        store.counters(plain),
        store.get(plain),
        store.get(f"{redis_prefix}absent"),
        store.count(f"{redis_prefix}counter", ttl=60),
    )
    assert counters == {}
    assert (value, missing, counted) == (b"text", None, 1)
    assert store.available  # a refused command is not an outage


async def test_a_cancelled_caller_leaves_the_batch_intact(
    named: tuple[RedisStore, Redis, str], redis_prefix: str
) -> None:
    store, _, _ = named
    await store.set(f"{redis_prefix}a", b"1", ttl=60)
    doomed = asyncio.ensure_future(store.get(f"{redis_prefix}a"))
    kept = asyncio.ensure_future(store.get(f"{redis_prefix}a"))
    await asyncio.sleep(0)
    doomed.cancel()
    assert await kept == b"1"
    with pytest.raises(asyncio.CancelledError):
        await doomed


async def test_scripts_survive_a_flushed_script_cache(
    named: tuple[RedisStore, Redis, str], redis_prefix: str
) -> None:
    store, watcher, _ = named
    key = f"{redis_prefix}quota"
    assert await store.count(key, ttl=60) == 1
    await watcher.script_flush()  # as after a Redis restart: EVALSHA answers NOSCRIPT
    assert await asyncio.gather(store.count(key, ttl=60), store.count(key, ttl=60)) == [2, 3]
    assert 0 < (await watcher.ttl(key)) <= 60


async def test_an_argument_that_cannot_be_encoded_fails_only_its_caller(
    named: tuple[RedisStore, Redis, str], redis_prefix: str
) -> None:
    store, _, _ = named
    await store.set(f"{redis_prefix}kept", b"1", ttl=60)
    bad_value: Any = {"not": "bytes"}  # what a bug of ours could pass
    stored, value = await asyncio.gather(
        store.set(f"{redis_prefix}bad", bad_value, ttl=60),
        store.get(f"{redis_prefix}kept"),
    )
    assert stored is False
    assert value == b"1"
    assert store.available


async def test_after_noscript_only_the_scripts_are_sent_again(
    named: tuple[RedisStore, Redis, str], redis_prefix: str
) -> None:
    store, watcher, _ = named
    await store.count(f"{redis_prefix}warm", ttl=60)
    await watcher.script_flush()
    # The SET NX shares the batch with a script that meets NOSCRIPT: sent twice, it would
    # answer "already there" and a new update would read as a duplicate.
    fresh, counted = await asyncio.gather(
        store.set_if_absent(f"{redis_prefix}update:1", b"1", ttl=60),
        store.count(f"{redis_prefix}quota", ttl=60),
    )
    assert fresh is True
    assert counted == 1
