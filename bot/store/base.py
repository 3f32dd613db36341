"""The storage interface every backend (Redis, in-process) provides, and the value codec."""

from __future__ import annotations

import json
import zlib
from typing import Any, Protocol

_COMPRESS_ABOVE = 1024
_PLAIN = b"j"
_ZLIB = b"z"


class KeyValueStore(Protocol):
    """Minimal bytes store; failures degrade to misses instead of raising."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, *, ttl: int | None) -> bool: ...

    async def set_if_absent(self, key: str, value: bytes, *, ttl: int) -> bool: ...

    async def delete(self, *keys: str) -> int: ...

    async def ttl(self, key: str) -> int | None: ...

    async def ping(self) -> bool: ...

    async def aclose(self) -> None: ...


def encode_value(value: dict[str, Any], schema: int = 1) -> bytes:
    """JSON with a schema field; large values zlib-compressed behind a one-byte marker."""
    raw = json.dumps({"schema": schema, **value}, ensure_ascii=False, separators=(",", ":"))
    data = raw.encode("utf-8")
    if len(data) > _COMPRESS_ABOVE:
        return _ZLIB + zlib.compress(data, 6)
    return _PLAIN + data


def decode_value(data: bytes, schema: int = 1) -> dict[str, Any] | None:
    """The stored dict, or None for an unknown format or schema (treated as a miss)."""
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
