"""In-process store with Redis-like expiry, for a single process without REDIS_URL.

Also the fallback for limits while Redis is down.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any


class MemoryStore:
    """Same behaviour as the Redis backend, bounded so it can't eat the machine."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._data: OrderedDict[str, tuple[Any, float | None]] = OrderedDict()
        self._max_entries = max_entries

    @property
    def available(self) -> bool:
        return True

    def _live(self, key: str) -> Any:
        entry = self._data.get(key)
        if entry is None:
            return None
        value, expires = entry
        if expires is not None and expires <= time.monotonic():
            del self._data[key]
            return None
        return value

    def _put(self, key: str, value: Any, ttl: float | None) -> None:
        expires = time.monotonic() + ttl if ttl else None
        self._data[key] = (value, expires)
        self._data.move_to_end(key)
        while len(self._data) > self._max_entries:
            self._data.popitem(last=False)

    def _keep_expiry(self, key: str, value: Any, ttl: float) -> None:
        entry = self._data.get(key)
        if entry is not None and self._live(key) is not None:
            self._data[key] = (value, entry[1])
        else:
            self._put(key, value, ttl)

    async def get(self, key: str) -> bytes | None:
        value = self._live(key)
        if not isinstance(value, bytes):
            return None
        self._data.move_to_end(key)
        return value

    async def get_counted(self, key: str, counter: str, field: str, *, ttl: int) -> bytes | None:
        value = await self.get(key)
        if value is not None:
            await self.increment(counter, {field: 1}, ttl=ttl)
        return value

    async def set(self, key: str, value: bytes, *, ttl: int | None) -> bool:
        self._put(key, value, ttl)
        return True

    async def set_if_absent_and_get(
        self, key: str, value: bytes, *, ttl: float, other: str
    ) -> tuple[bool | None, bytes | None]:
        return await self.set_if_absent(key, value, ttl=ttl), await self.get(other)

    async def set_indexed(
        self, key: str, value: bytes, *, ttl: int, touch: str, index: str | None
    ) -> bool:
        await self.set(key, value, ttl=ttl)
        await self.expire(touch, ttl)
        if index is not None:
            await self.add_to_set(index, key, ttl=ttl)
        return True

    async def set_if_absent(self, key: str, value: bytes, *, ttl: float) -> bool | None:
        if self._live(key) is not None:
            return False
        self._put(key, value, ttl)
        return True

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

    async def expire(self, key: str, ttl: int) -> bool:
        value = self._live(key)
        if value is None:
            return False
        self._put(key, value, ttl)
        return True

    async def increment(self, key: str, fields: dict[str, int], *, ttl: int) -> bool:
        current = self._live(key)
        counters: dict[str, int] = dict(current) if isinstance(current, dict) else {}
        for name, amount in fields.items():
            counters[name] = counters.get(name, 0) + amount
        self._keep_expiry(key, counters, ttl)
        return True

    async def counters(self, key: str) -> dict[str, int]:
        current = self._live(key)
        return dict(current) if isinstance(current, dict) else {}

    async def add_to_set(self, key: str, member: str, *, ttl: int) -> bool:
        current = self._live(key)
        members = frozenset(current) if isinstance(current, frozenset) else frozenset()
        self._put(key, members | {member}, ttl)
        return True

    async def set_members(self, key: str) -> frozenset[str]:
        current = self._live(key)
        return current if isinstance(current, frozenset) else frozenset()

    async def remove_from_set(self, key: str, *members: str) -> bool:
        current = self._live(key)
        if isinstance(current, frozenset):
            self._keep_expiry(key, current - set(members), 0)
        return True

    async def count(self, key: str, *, ttl: int, by: int = 1) -> int | None:
        current = self._live(key)
        value = (current if isinstance(current, int) else 0) + by
        self._keep_expiry(key, value, ttl)
        return value

    async def take_token(
        self, key: str, *, capacity: float, refill_per_second: float, now: float
    ) -> float | None:
        current = self._live(key)
        tokens, stamp = current if isinstance(current, tuple) else (capacity, now)
        tokens = min(capacity, tokens + max(0.0, now - stamp) * refill_per_second)
        ttl = max(1.0, capacity / refill_per_second * 2) if refill_per_second > 0 else 3600
        if tokens >= 1:
            self._put(key, (tokens - 1, now), ttl)
            return 0.0
        self._put(key, (tokens, now), ttl)
        return (1 - tokens) / refill_per_second if refill_per_second > 0 else float("inf")

    async def reserve_slot(self, key: str, *, interval: float, burst: int) -> float | None:
        now = time.monotonic()
        current = self._live(key)
        arrival = max(current if isinstance(current, float) else now, now)
        slot = max(now, arrival - (burst - 1) * interval)
        self._put(key, arrival + interval, arrival + interval - now + 60)
        return slot - now

    async def postpone_slots(self, key: str, *, seconds: float) -> bool:
        now = time.monotonic()
        current = self._live(key)
        arrival = max(current if isinstance(current, float) else now, now + seconds)
        self._put(key, arrival, arrival - now + 60)
        return True

    async def extend_if_owner(self, key: str, owner: bytes, *, ttl: float) -> bool:
        if self._live(key) != owner:
            return False
        self._put(key, owner, ttl)
        return True

    async def delete_if_owner(self, key: str, owner: bytes) -> bool:
        if self._live(key) != owner:
            return False
        self._data.pop(key, None)
        return True

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        self._data.clear()
