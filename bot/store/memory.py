"""In-process store with Redis-like expiry, for a single process without REDIS_URL."""

from __future__ import annotations

import time
from collections import OrderedDict


class MemoryStore:
    """Same behaviour as the Redis backend, bounded so it can't eat the machine."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._data: OrderedDict[str, tuple[bytes, float | None]] = OrderedDict()
        self._max_entries = max_entries

    def _live(self, key: str) -> bytes | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        value, expires = entry
        if expires is not None and expires <= time.monotonic():
            del self._data[key]
            return None
        return value

    async def get(self, key: str) -> bytes | None:
        value = self._live(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, *, ttl: int | None) -> bool:
        expires = time.monotonic() + ttl if ttl else None
        self._data[key] = (value, expires)
        self._data.move_to_end(key)
        self._evict()
        return True

    async def set_if_absent(self, key: str, value: bytes, *, ttl: int) -> bool:
        if self._live(key) is not None:
            return False
        return await self.set(key, value, ttl=ttl)

    async def delete(self, *keys: str) -> int:
        removed = 0
        for key in keys:
            if self._live(key) is not None:
                removed += 1
            self._data.pop(key, None)
        return removed

    async def ttl(self, key: str) -> int | None:
        if self._live(key) is None:
            return None
        expires = self._data[key][1]
        return -1 if expires is None else max(0, round(expires - time.monotonic()))

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        self._data.clear()

    def _evict(self) -> None:
        while len(self._data) > self._max_entries:
            self._data.popitem(last=False)
