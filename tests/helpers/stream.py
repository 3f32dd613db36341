"""Updates for the stream tests, and what the replica tests do with a paused replica."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Protocol

import pytest

from bot.stream import UpdateStream
from tests.conftest import eventually


def update(update_id: int, text: str = "hello") -> dict[str, Any]:
    """A private text message as getUpdates hands it over."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": 7, "type": "private", "first_name": "Ann"},
            "text": text,
        },
    }


class Pausable(Protocol):
    """A redis-server process of the tests' own: a single one or a cluster node."""

    def pause(self) -> None: ...

    def resume(self) -> None: ...


async def timed_while_paused(server: Pausable, *operations: Awaitable[object]) -> list[float]:
    """The seconds each operation took, one after another, while `server` answered nothing."""
    loop = asyncio.get_running_loop()
    took = []
    server.pause()
    try:
        for operation in operations:
            started = loop.time()
            await operation
            took.append(loop.time() - started)
    finally:
        server.resume()
    return took


async def append_until_confirmed(
    stream: UpdateStream, caplog: pytest.LogCaptureFixture, next_id: int
) -> int:
    """Append one new update at a time until a replica confirms again; how many it took."""
    appended = 0

    async def confirms() -> bool:
        nonlocal appended
        assert await stream.append([update(next_id + appended)]) == 1
        appended += 1
        return "Redis replicas confirm appended updates again" in caplog.text

    await eventually(confirms, timeout=10)
    return appended
