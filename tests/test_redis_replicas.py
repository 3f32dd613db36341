"""A single Redis primary with a replica: what a user was told is saved is on the replica too."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.store import Keys, Prefs, RedisStore, State
from bot.store.replication import REPLICA_WAIT_MS
from bot.stream import REPLICA_PROBE_MS, UpdateStream
from tests.conftest import eventually
from tests.helpers.redis_server import PrivateRedis
from tests.helpers.stream import append_until_confirmed, timed_while_paused, update

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

        [waited] = await timed_while_paused(replica, state.save_user_prefs(1, Prefs(length="long")))
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
        assert await stream.append([update(1)]) == 1
        assert await follower.xlen(stream.key) == 1, "on the replica once appended"
        assert "no Redis replica confirmed" not in caplog.text

        waited, probed = await timed_while_paused(
            replica, stream.append([update(2)]), stream.append([update(3)])
        )
        assert waited >= REPLICA_WAIT_MS / 1000 - 0.05, "the append waits for the replica"
        assert "no Redis replica confirmed appended updates" in caplog.text
        assert probed < (REPLICA_PROBE_MS + REPLICA_WAIT_MS) / 2000, "then only looks for it"
        appended = 3 + await append_until_confirmed(stream, caplog, next_id=4)
        assert await follower.xlen(stream.key) == appended
    finally:
        await primary.aclose()
        await follower.aclose()


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
        assert await stream.append([update(1), update(2)]) == 2
        assert await stream.append([update(3)]) == 1
        assert caplog.text.count("Redis refuses ROLE") == 2, (
            "once for the store, once for the stream"
        )
        assert "ERROR" not in caplog.text
    finally:
        await client.aclose()
        await store.aclose()
        await server.stop()
