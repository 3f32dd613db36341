"""Redis backend: short timeouts, and an outage degrades to cache misses, logged once."""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class RedisStore:
    """Wraps one `redis.asyncio.Redis` client; never raises on connection trouble."""

    def __init__(self, client: Redis) -> None:
        self._client = client
        self._down = False

    @classmethod
    def from_url(cls, url: str) -> RedisStore:
        client = Redis.from_url(
            url,
            socket_timeout=2.0,
            socket_connect_timeout=2.0,
            health_check_interval=30,
            retry_on_timeout=False,
        )
        return cls(client)

    def _failed(self, error: Exception) -> None:
        if not self._down:
            log.warning("Redis unavailable, continuing without cache: %s", type(error).__name__)
            self._down = True

    def _ok(self) -> None:
        if self._down:
            log.info("Redis is back; caching resumed")
            self._down = False

    async def get(self, key: str) -> bytes | None:
        try:
            value = await self._client.get(key)
        except (RedisError, OSError) as error:
            self._failed(error)
            return None
        self._ok()
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, *, ttl: int | None) -> bool:
        try:
            await self._client.set(key, value, ex=ttl)
        except (RedisError, OSError) as error:
            self._failed(error)
            return False
        self._ok()
        return True

    async def set_if_absent(self, key: str, value: bytes, *, ttl: int) -> bool:
        try:
            stored = await self._client.set(key, value, ex=ttl, nx=True)
        except (RedisError, OSError) as error:
            self._failed(error)
            return False
        self._ok()
        return bool(stored)

    async def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        try:
            removed = await self._client.delete(*keys)
        except (RedisError, OSError) as error:
            self._failed(error)
            return 0
        self._ok()
        return int(removed)

    async def ttl(self, key: str) -> int | None:
        try:
            remaining = await self._client.ttl(key)
        except (RedisError, OSError) as error:
            self._failed(error)
            return None
        return None if remaining == -2 else int(remaining)

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError) as error:
            self._failed(error)
            return False

    async def aclose(self) -> None:
        await self._client.aclose()
