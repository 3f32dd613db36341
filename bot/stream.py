"""The durable intake: Telegram's updates in a Redis Stream, read by workers in a consumer group.

The process that receives an update appends it here before Telegram hears it was received; a
worker reads it through the consumer group and acknowledges it once its handlers are done. A
worker that dies leaves its entries pending, and another one claims them with XAUTOCLAIM once
they have been idle for `claim_idle` seconds. While a worker is still busy with an entry, it
keeps resetting the entry's idle time, so a long summary is never claimed from a live worker.

The stream's keys share the hash tag `{updates}`, so the append script and the pipelines touch
one slot of a Redis Cluster.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError, ResponseError

from bot.config import Settings
from bot.store.keys import UPDATE_TTL, Keys
from bot.store.replication import REPLICA_WAIT_MS, Confirmations, has_replicas

log = logging.getLogger(__name__)

GROUP = "workers"
# An entry delivered this many times without an acknowledgement is dropped (with a log line):
# an update that kills every worker that takes it must not go round forever.
MAX_DELIVERIES = 5
# How long the intake trusts what the stream's master said of its replicas (ROLE); a wait that
# no replica answered asks again at the next append.
ROLE_SECONDS = 5.0
# After a wait no replica answered, appends only look for the replica this long, until one
# confirms again: a replica that is listed but gone (a partition, until its master drops it)
# must not hold every getUpdates answer for a second.
REPLICA_PROBE_MS = 50

# Append an update unless its id was appended before (a webhook retry, a poller restarted
# before Telegram heard the offset): the dedupe mark and the entry are written together. A
# stream holding STREAM_MAX_LEN unfinished updates takes no more (-1): trimming it would drop
# updates Telegram was told had arrived; refused, they stay with Telegram until workers catch
# up. Finished entries are deleted, so the stream holds only unfinished work.
_APPEND = """
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[2]) then
  return -1
end
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then
  return redis.call('XADD', KEYS[1], '*', 'update', ARGV[1])
end
return false
"""
STREAM_FULL = -1


class StreamFull(RedisError):
    """The stream holds STREAM_MAX_LEN unfinished updates: the workers don't keep up (or none
    runs). Handled as Redis being unavailable: Telegram keeps the updates meanwhile."""


AnyRedis = Redis | RedisCluster


@dataclass(frozen=True)
class Entry:
    """One update as read from the stream."""

    entry_id: str
    update: dict[str, Any]


def encode_update(update: dict[str, Any]) -> str:
    """An update as the stream keeps it: compact JSON, as the Bot API sent it."""
    return json.dumps(update, ensure_ascii=False, separators=(",", ":"), default=_json_value)


def _json_value(value: object) -> object:
    """What python-telegram-bot's `to_dict()` leaves as objects: dates as Unix time (as the
    Bot API sends them; a message without a date, such as an inaccessible pinned one, has 0)."""
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return str(value)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _entries(raw: Sequence[Any]) -> list[Entry]:
    """Entries from XREADGROUP's or XAUTOCLAIM's [id, {field: value}] pairs."""
    entries: list[Entry] = []
    for entry_id, fields in raw:
        if not fields:  # deleted meanwhile (trimmed, or acknowledged by another worker)
            continue
        data = fields.get(b"update", fields.get("update"))
        try:
            update = json.loads(data)
        except (TypeError, ValueError):
            log.error("dropping stream entry %s: not an update", _text(entry_id))
            continue
        entries.append(Entry(_text(entry_id), update))
    return entries


def open_stream(settings: Settings, bot_id: int) -> UpdateStream:
    """The stream on its own client: a worker's blocking read must not hold up the store's
    pipelined commands, and the intake must see Redis errors that the store would absorb."""
    url = settings.plain_redis_url
    assert url is not None
    # Longer than a blocking read (READ_BLOCK_MS in bot.worker), short enough to notice an outage.
    options: dict[str, Any] = {"socket_timeout": 3.0, "socket_connect_timeout": 1.0}
    client: AnyRedis
    if settings.uses_cluster:
        client = RedisCluster.from_url(url, **options)
    else:
        client = Redis.from_url(url, health_check_interval=15, **options)
    keys = Keys(settings.redis_prefix)
    return UpdateStream(client, keys, bot_id, max_len=settings.stream_max_len)


class UpdateStream:
    """The updates of one bot: append (intake), read, claim, keep and acknowledge (workers)."""

    def __init__(self, client: AnyRedis, keys: Keys, bot_id: int, *, max_len: int) -> None:
        self._client = client
        self._keys = keys
        self._bot_id = bot_id
        self._max_len = max_len
        self.key = keys.update_stream(bot_id)
        self._role: tuple[str, float, bool] | None = None  # node, when asked, has replicas
        self._confirmations = Confirmations(log, "appended updates", "appended updates")
        self._role_refused = False  # a proxy or hosted Redis that does not answer ROLE

    async def append(self, updates: Sequence[dict[str, Any]]) -> int:
        """Append updates in one round trip; how many were new. Raises when Redis fails.

        Where the stream's master has a replica, the append also waits (up to REPLICA_WAIT_MS)
        until the replica holds it: Telegram hears an update was received only after, so a
        master that dies just then (a cluster fails over) loses no update. After a wait no
        replica answered, appends wait only REPLICA_PROBE_MS until one confirms again.
        """
        if not updates:
            return 0
        target = await self._stream_node()
        waits = await self._has_replicas(target)
        wait_ms = REPLICA_PROBE_MS if self._confirmations.lacking else REPLICA_WAIT_MS
        async with self._client.pipeline(transaction=False) as pipe:
            for update in updates:
                seen = self._keys.update_seen(self._bot_id, int(update["update_id"]))
                body = encode_update(update)
                pipe.eval(_APPEND, 2, self.key, seen, body, self._max_len, UPDATE_TTL)
            if waits:
                pipe.execute_command("WAIT", 1, wait_ms, **target)
            replies = await pipe.execute()
        if waits:
            confirmed = bool(replies.pop())
            if self._confirmations.record(confirmed, f"none within {wait_ms} ms"):
                self._role = None  # the replica may be gone: ask again next time
        if STREAM_FULL in replies:
            raise StreamFull(f"the stream holds {self._max_len} unfinished updates")
        return sum(1 for reply in replies if reply)

    async def _stream_node(self) -> dict[str, Any]:
        """Where a keyless command about the stream goes: its master on a cluster."""
        if not isinstance(self._client, RedisCluster):
            return {}
        await self._client.initialize()  # a no-op once the client knows the topology
        return {"target_nodes": self._client.get_node_from_key(self.key)}

    async def _has_replicas(self, target: dict[str, Any]) -> bool:
        """Whether the stream's master lists a replica. A Redis that refuses ROLE (some
        proxies and hosted services) has none to wait for, as far as Skim can tell."""
        if self._role_refused:
            return False
        node = str(getattr(target.get("target_nodes"), "name", ""))
        now = time.monotonic()
        if self._role is None or self._role[0] != node or now - self._role[1] > ROLE_SECONDS:
            try:
                role = await self._client.execute_command("ROLE", **target)
            except ResponseError as error:
                self._role_refused = True
                log.info("Redis refuses ROLE (%s): appends are not waited for on a replica", error)
                return False
            self._role = (node, now, has_replicas(role))
        return self._role[2]

    async def create_group(self) -> None:
        """The workers' group, reading from the stream's start (what intake appended before)."""
        try:
            await self._client.xgroup_create(self.key, GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Entry]:
        """New entries for this consumer, waiting up to `block_ms` for the first."""
        try:
            reply = await self._client.xreadgroup(
                GROUP, consumer, {self.key: ">"}, count=count, block=block_ms
            )
        except ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            await self.create_group()  # the stream was deleted (FLUSHDB): start again
            return []
        if not reply:
            return []
        if isinstance(reply, dict):  # RESP3
            return _entries(next(iter(reply.values()))[0])
        return _entries(reply[0][1])

    async def claim(self, consumer: str, idle: float, count: int) -> list[Entry]:
        """Entries of dead workers, idle for `idle` seconds, now this consumer's.

        An entry delivered MAX_DELIVERIES times is acknowledged and dropped instead.
        """
        reply = await self._client.xautoclaim(
            self.key, GROUP, consumer, min_idle_time=int(idle * 1000), start_id="0-0", count=count
        )
        entries = _entries(reply[1])
        if not entries:
            return []
        pending = await self._client.xpending_range(
            self.key,
            GROUP,
            min=entries[0].entry_id,
            max=entries[-1].entry_id,
            count=len(entries) * 2,
            consumername=consumer,
        )
        deliveries = {
            str(_text(item["message_id"])): int(item["times_delivered"]) for item in pending
        }
        kept: list[Entry] = []
        for entry in entries:
            if deliveries.get(entry.entry_id, 0) > MAX_DELIVERIES:
                log.error(
                    "dropping update %s: delivered %d times and never finished",
                    entry.update.get("update_id"),
                    deliveries[entry.entry_id],
                )
                await self.acknowledge(entry.entry_id)
            else:
                kept.append(entry)
        return kept

    async def keep(self, consumer: str, entry_ids: Sequence[str]) -> None:
        """Reset the idle time of entries this consumer still works on (a heartbeat)."""
        if entry_ids:
            await self._client.xclaim(
                self.key, GROUP, consumer, min_idle_time=0, message_ids=list(entry_ids), justid=True
            )

    async def pending_of(self, consumer: str, count: int = 1000) -> list[str]:
        """The ids of entries delivered to this consumer and not yet acknowledged."""
        pending = await self._client.xpending_range(
            self.key, GROUP, min="-", max="+", count=count, consumername=consumer
        )
        return [_text(item["message_id"]) for item in pending]

    async def release(self, consumer: str, entry_ids: Sequence[str], idle: float) -> None:
        """Give back entries this consumer will not finish: marked idle, so the next claim
        by another worker takes them at once instead of after `idle` seconds."""
        if entry_ids:
            await self._client.xclaim(
                self.key,
                GROUP,
                consumer,
                min_idle_time=0,
                message_ids=list(entry_ids),
                idle=int(idle * 1000),
                justid=True,
            )

    async def acknowledge(self, *entry_ids: str) -> None:
        """Done: acknowledged and deleted, so the stream holds only what is still to do."""
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.xack(self.key, GROUP, *entry_ids)
            pipe.xdel(self.key, *entry_ids)
            await pipe.execute()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def backlog(self) -> int:
        """Entries in the stream: not yet read, or read and not yet acknowledged."""
        return int(await self._client.xlen(self.key))
