"""A single Redis primary with a replica: what a user was told is saved is on the replica too."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.store import Keys, Prefs, RedisStore, State
from bot.store.replication import REPLICA_WAIT_MS
from bot.stream import REPLICA_PROBE_MS, UpdateStream
from tests.conftest import eventually
from tests.helpers.redis_server import PrivateRedis

PREFIX = "skimtest:replicas:"


@pytest.fixture
async def replica(private_redis: PrivateRedis, tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    """A second redis-server replicating `private_redis`, in sync when the test starts."""
    server = PrivateRedis(tmp_path / "replica")
    await server.start()
    follower = Redis.from_url(server.url)
    try:
        await follower.replicaof("127.0.0.1", private_redis.port)
        leader = Redis.from_url(private_redis.url)
        try:
            await eventually(lambda: _online(leader, server.port), timeout=10)
        finally:
            await leader.aclose()
        yield server
    finally:
        await follower.aclose()
        await server.stop()


async def _online(primary: Redis, replica_port: int) -> bool:
    """Whether the primary counts the replica as online (only then do ROLE and WAIT count it:
    the replica sees its link up a moment before the primary has its first acknowledgement)."""
    info = await primary.info("replication")
    return any(
        isinstance(value, dict)
        and value.get("port") == replica_port
        and value.get("state") == "online"
        for name, value in info.items()
        if name.startswith("slave")
    )


async def _paused_while(replica: PrivateRedis, operation: Awaitable[object]) -> float:
    """Seconds `operation` took while the replica answered nothing."""
    loop = asyncio.get_running_loop()
    replica.pause()
    try:
        started = loop.time()
        await operation
        return loop.time() - started
    finally:
        replica.resume()


async def test_a_setting_is_saved_once_the_replica_holds_it(
    private_redis: PrivateRedis, replica: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.store.redis_store")
    store = RedisStore.from_url(private_redis.url)
    follower = Redis.from_url(replica.url)
    state = State(store, Keys(PREFIX))
    key = Keys(PREFIX).user_settings(1)
    try:
        assert await state.save_user_prefs(1, Prefs(length="short"))
        assert await follower.exists(key) == 1, "on the replica once saved"
        assert "no Redis replica confirmed" not in caplog.text

        waited = await _paused_while(replica, state.save_user_prefs(1, Prefs(length="long")))
        assert waited >= REPLICA_WAIT_MS / 1000 - 0.05, "the save waits for the replica"
        assert "no Redis replica confirmed a setting (none within" in caplog.text
        assert await state.user_prefs(1) == Prefs(length="long"), "saved on the primary"
        assert await state.save_user_prefs(1, Prefs(length="short"))
        assert "Redis replicas confirm settings again" in caplog.text
        assert await follower.get(key) == await store.get(key)
    finally:
        await follower.aclose()
        await store.aclose()


async def test_a_setting_on_a_redis_without_replicas_is_not_waited_for(
    private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    store = RedisStore.from_url(private_redis.url)
    try:
        assert await State(store, Keys(PREFIX)).save_user_prefs(2, Prefs(language="ru"))
        assert caplog.text == "", "a single Redis without replicas is the usual setup"
    finally:
        await store.aclose()


async def test_an_append_waits_until_the_replica_holds_it(
    private_redis: PrivateRedis, replica: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.stream")
    primary = Redis.from_url(private_redis.url)
    follower = Redis.from_url(replica.url)
    stream = UpdateStream(primary, Keys(PREFIX), 4321, max_len=1000)
    try:
        assert await stream.append([_update(1)]) == 1
        assert await follower.xlen(stream.key) == 1, "on the replica once appended"
        assert "no Redis replica confirmed" not in caplog.text

        loop = asyncio.get_running_loop()
        replica.pause()
        try:
            started = loop.time()
            assert await stream.append([_update(2)]) == 1
            waited = loop.time() - started
            assert await stream.append([_update(3)]) == 1
            probed = loop.time() - started - waited
        finally:
            replica.resume()
        assert waited >= REPLICA_WAIT_MS / 1000 - 0.05, "the append waits for the replica"
        assert "no Redis replica confirmed appended updates" in caplog.text
        assert probed < (REPLICA_PROBE_MS + REPLICA_WAIT_MS) / 2000, "then only looks for it"
        appended = 3 + await _until_confirmed_again(stream, caplog, next_id=4)
        assert await follower.xlen(stream.key) == appended
    finally:
        await primary.aclose()
        await follower.aclose()


async def _until_confirmed_again(
    stream: UpdateStream, caplog: pytest.LogCaptureFixture, next_id: int
) -> int:
    """Append one update at a time until a replica confirms again; how many it took."""
    appended = 0

    async def confirms() -> bool:
        nonlocal appended
        assert await stream.append([_update(next_id + appended)]) == 1
        appended += 1
        return "Redis replicas confirm appended updates again" in caplog.text

    await eventually(confirms, timeout=10)
    return appended


def _update(update_id: int) -> dict[str, Any]:
    chat = {"id": 7, "type": "private", "first_name": "Ann"}
    message = {"message_id": update_id, "date": 1_700_000_000, "chat": chat, "text": "hi"}
    return {"update_id": update_id, "message": message}


async def test_a_redis_that_refuses_role_saves_settings_and_appends_without_waiting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Some proxies and hosted services leave ROLE out: nothing the user saves may fail."""
    caplog.set_level(logging.INFO)
    server = PrivateRedis(tmp_path / "norole", options=["--rename-command", "ROLE", ""])
    await server.start()
    store = RedisStore.from_url(server.url)
    client = Redis.from_url(server.url)
    stream = UpdateStream(client, Keys(PREFIX), 4321, max_len=1000)
    try:
        state = State(store, Keys(PREFIX))
        assert await state.save_user_prefs(3, Prefs(length="long"))
        assert await state.save_user_prefs(3, Prefs(length="short"))
        assert await state.user_prefs(3) == Prefs(length="short")
        assert await stream.append([_update(1), _update(2)]) == 2
        assert await stream.append([_update(3)]) == 1
        assert caplog.text.count("Redis refuses ROLE") == 2, (
            "once for the store, once for the stream"
        )
        assert "ERROR" not in caplog.text
    finally:
        await client.aclose()
        await store.aclose()
        await server.stop()
