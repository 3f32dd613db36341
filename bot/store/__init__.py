"""Remembering: caches and state in Redis, or in-process when REDIS_URL is unset."""

from bot.errors import StillWorkingError
from bot.metrics import Metrics
from bot.store.base import KeyValueStore, decode_value, encode_value
from bot.store.keys import Keys
from bot.store.memory import MemoryStore
from bot.store.redis_store import RedisStore
from bot.store.singleflight import SingleFlight
from bot.store.state import Prefs, State, Thread


def open_store(
    redis_url: str | None, metrics: Metrics | None = None, *, cluster: bool = False
) -> KeyValueStore:
    """Redis (a Redis Cluster when `cluster`) when configured, else the in-process backend.

    `redis_url` is one redis-py reads: redis://, rediss:// or unix://, without `+cluster`.
    """
    if not redis_url:
        return MemoryStore()
    if cluster:
        return RedisStore.from_cluster_url(redis_url, metrics)
    return RedisStore.from_url(redis_url, metrics)


__all__ = [
    "KeyValueStore",
    "Keys",
    "MemoryStore",
    "Prefs",
    "RedisStore",
    "SingleFlight",
    "State",
    "StillWorkingError",
    "Thread",
    "decode_value",
    "encode_value",
    "open_store",
]
