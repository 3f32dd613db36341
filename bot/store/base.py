"""The storage interface every backend (Redis, in-process) provides, and the value codec.

Backends never raise on connection trouble: reads degrade to misses, writes report False, and
operations whose answer matters (counters, buckets, locks) return None so the caller can fall
back to in-process state.
"""

from __future__ import annotations

import json
import zlib
from typing import Any, Protocol

_COMPRESS_ABOVE = 1024
_PLAIN = b"j"
_ZLIB = b"z"


class KeyValueStore(Protocol):
    """Minimal store with expiry, atomic counters, token buckets and owned locks."""

    @property
    def available(self) -> bool:
        """False while the backend is known to be unreachable."""
        ...

    async def get(self, key: str) -> bytes | None: ...

    async def set_if_absent_and_get(
        self, key: str, value: bytes, *, ttl: float, other: str
    ) -> tuple[bool | None, bytes | None]:
        """`set_if_absent(key)` and `get(other)` in one trip (None, None when unavailable)."""
        ...

    async def set_indexed(
        self, key: str, value: bytes, *, ttl: int, touch: str, index: str | None
    ) -> bool:
        """SET `key`; give `touch` the same TTL; add `key` to the set `index` (one trip)."""
        ...

    async def get_counted(self, key: str, counter: str, field: str, *, ttl: int) -> bytes | None:
        """GET; when the value exists, also add 1 to `field` of the hash `counter`.

        One trip on one Redis; on a cluster the counter is in another slot, so a hit costs two.
        """
        ...

    async def set(self, key: str, value: bytes, *, ttl: int | None) -> bool: ...

    async def set_if_absent(self, key: str, value: bytes, *, ttl: float) -> bool | None: ...

    async def delete(self, *keys: str) -> int: ...

    async def ttl(self, key: str) -> int | None: ...

    async def expire(self, key: str, ttl: int) -> bool: ...

    async def increment(self, key: str, fields: dict[str, int], *, ttl: int) -> bool: ...

    async def counters(self, key: str) -> dict[str, int]: ...

    async def add_to_set(self, key: str, member: str, *, ttl: int) -> bool: ...

    async def set_members(self, key: str) -> frozenset[str]: ...

    async def remove_from_set(self, key: str, *members: str) -> bool: ...

    async def count(self, key: str, *, ttl: int, by: int = 1) -> int | None:
        """Add `by` to a plain counter and return its new value (None when unavailable)."""
        ...

    async def take_token(
        self, key: str, *, capacity: float, refill_per_second: float, now: float
    ) -> float | None:
        """Token bucket: 0 when a token was taken, else seconds until one is free."""
        ...

    async def reserve_slot(self, key: str, *, interval: float, burst: int) -> float | None:
        """Book the next call at one per `interval` seconds after a burst of `burst`.

        Returns the seconds to wait for the booked slot (GCRA); None when unavailable.
        """
        ...

    async def postpone_slots(self, key: str, *, seconds: float) -> bool:
        """Push `key`'s next arrival time (the GCRA state) to `seconds` from now at the least.

        Every caller that books on `key` then waits; False when unavailable.
        """
        ...

    async def extend_if_owner(self, key: str, owner: bytes, *, ttl: float) -> bool: ...

    async def delete_if_owner(self, key: str, owner: bytes) -> bool: ...

    async def ping(self) -> bool: ...

    async def aclose(self) -> None: ...


def encode_value(value: dict[str, Any], schema: int = 1) -> bytes:
    """JSON with a schema field; large values zlib-compressed behind a one-byte marker."""
    raw = json.dumps({"schema": schema, **value}, ensure_ascii=False, separators=(",", ":"))
    data = raw.encode("utf-8")
    if len(data) > _COMPRESS_ABOVE:
        return _ZLIB + zlib.compress(data, 6)
    return _PLAIN + data


def decode_value(data: bytes | None, schema: int = 1) -> dict[str, Any] | None:
    """The stored dict, or None for a missing value, an unknown format or schema (a miss).

    Taking None lets every cache read be `decode_value(await store.get(key))`.
    """
    if data is None:
        return None
    try:
        if data.startswith(_ZLIB):
            body = zlib.decompress(data[1:])
        elif data.startswith(_PLAIN):
            body = data[1:]
        else:
            return None
        value = json.loads(body)
    except (zlib.error, ValueError):
        return None
    if not isinstance(value, dict) or value.get("schema") != schema:
        return None
    return value
