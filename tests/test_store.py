"""Both storage backends behave the same; Redis trouble degrades to misses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.store import Keys, KeyValueStore, MemoryStore, RedisStore, decode_value, encode_value


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[KeyValueStore]:
    backend: KeyValueStore = (
        MemoryStore() if request.param == "memory" else RedisStore.from_url(redis_url)
    )
    yield backend
    await backend.aclose()


async def test_set_get_with_ttl(store: KeyValueStore, redis_prefix: str) -> None:
    key = f"{redis_prefix}a"
    assert await store.get(key) is None
    assert await store.set(key, b"value", ttl=100)
    assert await store.get(key) == b"value"
    remaining = await store.ttl(key)
    assert remaining is not None
    assert 90 <= remaining <= 100


async def test_expiry(store: KeyValueStore, redis_prefix: str) -> None:
    key = f"{redis_prefix}short"
    await store.set(key, b"v", ttl=1)
    await asyncio.sleep(1.2)
    assert await store.get(key) is None


async def test_set_if_absent(store: KeyValueStore, redis_prefix: str) -> None:
    key = f"{redis_prefix}lock"
    assert await store.set_if_absent(key, b"one", ttl=10)
    assert not await store.set_if_absent(key, b"two", ttl=10)
    assert await store.get(key) == b"one"
    assert await store.delete(key) == 1
    assert await store.get(key) is None


async def test_no_ttl_means_kept(store: KeyValueStore, redis_prefix: str) -> None:
    key = f"{redis_prefix}settings"
    await store.set(key, b"x", ttl=None)
    assert await store.ttl(key) == -1


async def test_unreachable_redis_degrades_quickly() -> None:
    down = RedisStore.from_url("redis://127.0.0.1:1/0")
    started = time.monotonic()
    assert await down.get("k") is None
    assert await down.set("k", b"v", ttl=5) is False
    assert await down.ping() is False
    assert time.monotonic() - started < 3
    await down.aclose()


def test_codec_round_trip_and_compression() -> None:
    small = encode_value({"text": "hi"})
    big = encode_value({"text": "word " * 2000})
    assert small.startswith(b"j")
    assert big.startswith(b"z")
    assert len(big) < 2000
    assert decode_value(small) == {"schema": 1, "text": "hi"}
    assert decode_value(big) is not None
    assert decode_value(b"garbage") is None
    assert decode_value(encode_value({"a": 1}, schema=2)) is None


def test_keys_hash_untrusted_parts_under_the_prefix() -> None:
    keys = Keys("skim:")
    key = keys.document_by_url("https://example.com/a b:c\nd")
    assert key.startswith("skim:v1:doc:url:")
    assert " " not in key
    assert "\n" not in key
    assert len(key) < 80
    first = keys.summary(
        "h", model="m", prompt_version="1", length="short", style="b", language="en"
    )
    second = keys.summary(
        "h", model="m", prompt_version="1", length="long", style="b", language="en"
    )
    assert first != second
    with pytest.raises(ValueError, match="white space"):
        Keys("bad prefix")
