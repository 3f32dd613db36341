"""Redis backend: short timeouts, atomic scripts, and an outage degrades instead of raising."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

T = TypeVar("T")

# Token bucket kept in a hash {tokens, ts}; the server's clock is the only clock.
_BUCKET_SCRIPT = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], ttl)
return tostring(wait)
"""
# Counters in a hash: HINCRBY each (field, amount) pair, then refresh the expiry; one round
# trip and one reply, where MULTI/EXEC costs about two GETs on the cache-hit path.
_INCREMENT = """
for i = 1, #ARGV - 1, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[1], ARGV[#ARGV])
return 1
"""
# A cache read that counts its hit in the same round trip (the cache-hit path's stats).
_GET_COUNTED = """
local value = redis.call('GET', KEYS[1])
if value then
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
return value
"""
# A thread: its value, its document kept as long, and its place in the user's index.
_SET_INDEXED = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
if KEYS[3] then
  redis.call('SADD', KEYS[3], KEYS[1])
  redis.call('EXPIRE', KEYS[3], ARGV[2])
end
return 1
"""
_EXTEND_IF_OWNER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_DELETE_IF_OWNER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisStore:
    """Wraps one `redis.asyncio.Redis` client; logs an outage once and recovers on its own."""

    def __init__(self, client: Redis) -> None:
        self._client = client
        self._down = False
        self._take_token = client.register_script(_BUCKET_SCRIPT)
        self._increment = client.register_script(_INCREMENT)
        self._get_counted = client.register_script(_GET_COUNTED)
        self._set_indexed = client.register_script(_SET_INDEXED)
        self._extend = client.register_script(_EXTEND_IF_OWNER)
        self._delete_owned = client.register_script(_DELETE_IF_OWNER)

    @classmethod
    def from_url(cls, url: str) -> RedisStore:
        # A blocking pool: a burst of concurrent calls waits for a free connection, where the
        # default pool raises MaxConnectionsError past 100, which would read as an outage.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=50,
            timeout=2.0,
            socket_timeout=2.0,
            socket_connect_timeout=1.0,
            health_check_interval=15,
            retry_on_timeout=False,
            # Once more on a fresh connection: after Redis restarts, a pooled connection from
            # before can fail its first command, which would read as a second outage.
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        )
        return cls(Redis.from_pool(pool))

    @property
    def available(self) -> bool:
        return not self._down

    async def _call(self, operation: Awaitable[T]) -> T | None:
        """Run one command; None means Redis did not answer."""
        try:
            result = await operation
        except (RedisError, OSError) as error:
            if not self._down:
                log.warning("Redis unavailable, continuing without it: %s", type(error).__name__)
                self._down = True
            return None
        if self._down:
            log.info("Redis is back; caching resumed")
            self._down = False
        return result

    async def get(self, key: str) -> bytes | None:
        value = await self._call(self._client.get(key))
        return value if isinstance(value, bytes) else None

    async def get_counted(self, key: str, counter: str, field: str, *, ttl: int) -> bytes | None:
        value = await self._call(self._get_counted(keys=[key, counter], args=[field, ttl]))
        return value if isinstance(value, bytes) else None

    async def set_if_absent_and_get(
        self, key: str, value: bytes, *, ttl: float, other: str
    ) -> tuple[bool | None, bytes | None]:
        async def run() -> list[Any]:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.set(key, value, px=int(ttl * 1000), nx=True)
                pipe.get(other)
                return await pipe.execute()

        result = await self._call(run())
        if result is None:
            return None, None
        stored, found = result
        return bool(stored), found if isinstance(found, bytes) else None

    async def set_indexed(
        self, key: str, value: bytes, *, ttl: int, touch: str, index: str | None
    ) -> bool:
        keys = [key, touch] if index is None else [key, touch, index]
        return await self._call(self._set_indexed(keys=keys, args=[value, ttl])) is not None

    async def set(self, key: str, value: bytes, *, ttl: int | None) -> bool:
        return await self._call(self._client.set(key, value, ex=ttl)) is not None

    async def set_if_absent(self, key: str, value: bytes, *, ttl: float) -> bool | None:
        stored = await self._call(self._client.set(key, value, px=int(ttl * 1000), nx=True))
        if stored is None and self._down:
            return None
        return bool(stored)

    async def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        removed = await self._call(self._client.delete(*keys))
        return int(removed or 0)

    async def ttl(self, key: str) -> int | None:
        remaining = await self._call(self._client.ttl(key))
        return None if remaining is None or remaining == -2 else int(remaining)

    async def expire(self, key: str, ttl: int) -> bool:
        return bool(await self._call(self._client.expire(key, ttl)))

    async def increment(self, key: str, fields: dict[str, int], *, ttl: int) -> bool:
        pairs = [part for name, amount in fields.items() for part in (name, int(amount))]
        return await self._call(self._increment(keys=[key], args=[*pairs, ttl])) is not None

    async def counters(self, key: str) -> dict[str, int]:
        raw = await self._call(self._client.hgetall(key))
        if not raw:
            return {}
        return {_text(name): int(value) for name, value in raw.items()}

    async def add_to_set(self, key: str, member: str, *, ttl: int) -> bool:
        async def run() -> list[Any]:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.sadd(key, member)
                pipe.expire(key, ttl)
                return await pipe.execute()

        return await self._call(run()) is not None

    async def set_members(self, key: str) -> frozenset[str]:
        raw = await self._call(self._client.smembers(key))
        return frozenset(_text(member) for member in raw) if raw else frozenset()

    async def count(self, key: str, *, ttl: int) -> int | None:
        async def run() -> list[Any]:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, ttl, nx=True)
                return await pipe.execute()

        result = await self._call(run())
        return None if result is None else int(result[0])

    async def take_token(
        self, key: str, *, capacity: float, refill_per_second: float, now: float
    ) -> float | None:
        ttl = max(1, int(capacity / refill_per_second * 2) + 1)
        wait = await self._call(
            self._take_token(keys=[key], args=[capacity, refill_per_second, ttl])
        )
        return None if wait is None else float(wait)

    async def extend_if_owner(self, key: str, owner: bytes, *, ttl: float) -> bool:
        result = await self._call(self._extend(keys=[key], args=[owner, int(ttl * 1000)]))
        return bool(result)

    async def delete_if_owner(self, key: str, owner: bytes) -> bool:
        return bool(await self._call(self._delete_owned(keys=[key], args=[owner])))

    async def ping(self) -> bool:
        return bool(await self._call(self._client.ping()))

    async def aclose(self) -> None:
        await self._client.aclose()
