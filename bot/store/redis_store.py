"""Redis backend: short timeouts, atomic scripts, and an outage degrades instead of raising.

The same store runs on one Redis or on a Redis Cluster. On a cluster every script touches one
key (so one slot), an operation of several keys is several commands, which redis-py routes
node by node, and a failover is an outage like any other until the promoted replica answers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from hashlib import sha1
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.exceptions import (
    AskError,
    ClusterError,
    DataError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisClusterException,
    RedisClusterUnreachableError,
    RedisError,
    ResponseError,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.metrics import Metrics
from bot.store.batching import AnyPipeline, AutoPipeline, Commands
from bot.store.replication import REPLICA_WAIT_MS, Confirmations, has_replicas

log = logging.getLogger(__name__)
# Seconds the circuit stays open after Redis timed out, before one operation probes it again.
OPEN_SECONDS = 3.0
# A Redis that refused a write is "not ready" this long after, and told at most this often.
REFUSED_WRITES_SECONDS = 60.0
# Settings waiting for a replica at once, each on a connection of its own: a burst of saves
# queues here instead of taking more than the client's 100 connections to a node.
REPLICATED_WRITES = 32
# What a cluster answers while it moves a master's slots to a replica (CLUSTERDOWN, TRYAGAIN,
# a redirect that did not settle, a slot nobody serves): an outage, not a bug of ours.
_CLUSTER_TROUBLE = (
    ClusterError,
    TryAgainError,
    AskError,
    SlotNotCoveredError,
    RedisClusterUnreachableError,
)

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
# Pacing by GCRA: KEYS[1] holds the theoretical arrival time (TAT) of the next call in
# microseconds of the server's clock. A call is given the slot max(now, TAT - (burst - 1) *
# interval) and pushes TAT one interval on; the reply is the seconds to wait for that slot. The
# key outlives its TAT by a minute (a TAT in the past counts as now).
# Every process that paces through the same key shares one rate.
_RESERVE_SCRIPT = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1])) or now, now)
local slot = math.max(now, tat - (burst - 1) * interval)
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 60000)
return tostring((slot - now) / 1000000)
"""
# A flood wait for everyone who paces on KEYS[1]: TAT moves to at least now + ARGV[1] µs.
_POSTPONE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1])) or now, now + tonumber(ARGV[1]))
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 60000)
return 1
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
# A cache read that counts its hit in the same round trip (the cache-hit path's stats); two
# keys, so only on one Redis: on a cluster they may live on different nodes.
_GET_COUNTED = """
local value = redis.call('GET', KEYS[1])
if value then
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
return value
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


# INCR with an expiry set on the first increment only: a fixed window (the daily quota).
_COUNT = """
local value = redis.call('INCRBY', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX')
return value
"""
_ADD_TO_SET = """
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
_SCRIPTS = {
    "take_token": _BUCKET_SCRIPT,
    "reserve_slot": _RESERVE_SCRIPT,
    "postpone_slots": _POSTPONE_SCRIPT,
    "increment": _INCREMENT,
    "get_counted": _GET_COUNTED,
    "extend_if_owner": _EXTEND_IF_OWNER,
    "delete_if_owner": _DELETE_IF_OWNER,
    "count": _COUNT,
    "add_to_set": _ADD_TO_SET,
}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _sha(script: str) -> str:
    """EVALSHA's name for a script (Redis keys its script cache by SHA-1)."""
    return sha1(script.encode(), usedforsecurity=False).hexdigest()


def _bytes_or_none(value: object) -> bytes | None:
    return value if isinstance(value, bytes) else None


class RedisStore:
    """Wraps one Redis or Redis Cluster client; logs an outage once and recovers on its own.

    Every operation goes through an `AutoPipeline`, so the commands of concurrent handlers share
    round trips; an operation of several commands is one pipeline entry, never split.
    """

    def __init__(
        self,
        client: Redis | RedisCluster,
        *,
        open_seconds: float = OPEN_SECONDS,
        metrics: Metrics | None = None,
    ) -> None:
        self._client = client
        self._cluster = client if isinstance(client, RedisCluster) else None
        self._confirmations = Confirmations(log, "a setting", "settings")
        self._role_refused = False  # a proxy or hosted Redis that does not answer ROLE
        self._replicated_writes = asyncio.Semaphore(REPLICATED_WRITES)
        self._metrics = metrics
        self._down = False
        self._refused_at = -REFUSED_WRITES_SECONDS  # when Redis last refused a write
        # The circuit breaker: while open, operations answer "no Redis" without asking it.
        self._open_seconds = open_seconds
        self._closed_at = 0.0
        self._probing = False
        self._sha = {name: _sha(source) for name, source in _SCRIPTS.items()}
        self._batch = AutoPipeline(
            client, scripts={self._sha[name]: source for name, source in _SCRIPTS.items()}
        )

    @classmethod
    def from_url(cls, url: str, metrics: Metrics | None = None) -> RedisStore:
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
        return cls(Redis.from_pool(pool), metrics=metrics)

    @classmethod
    def from_cluster_url(cls, url: str, metrics: Metrics | None = None) -> RedisStore:
        """A store on the Redis Cluster that `url` (redis:// or rediss://) names one node of."""
        client = RedisCluster.from_url(
            url,
            socket_timeout=2.0,
            socket_connect_timeout=1.0,
            health_check_interval=15,
            # Twice more, soon: once on a fresh connection, once after the topology refresh
            # a connection error asks for. Longer would hold callers through a failover that
            # the store rides out as an outage anyway (the cluster's node timeout, seconds).
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.25), 2),
            # After a master dies every command to its slots fails and asks for a refresh;
            # this often, one of them finds the promoted replica soon after the promotion.
            topology_refresh_min_interval=0.5,
        )
        return cls(client, metrics=metrics)

    @property
    def available(self) -> bool:
        return not self._down

    @property
    def is_cluster(self) -> bool:
        """Whether this store talks to a Redis Cluster."""
        return self._cluster is not None

    async def _run(
        self, commands: Commands, *, alone: bool = False, refusable: bool = False
    ) -> list[Any] | None:
        """The replies to one operation's commands; None means Redis did not answer.

        `refusable`: a command Redis may refuse without a bug of ours (one that some proxies
        and hosted services leave out) raises its ResponseError to the caller instead.

        A Redis that refuses connections fails fast, and every operation tries it again. One
        that accepts them but never answers (paused, overloaded) costs a timeout per call: after
        one, the circuit opens, and for `open_seconds` operations answer None at once; then one
        operation at a time probes it until it answers again.
        """
        if self._open():
            return None
        probe = self._closed_at > 0
        if probe:
            self._probing = True
        try:
            result = await (self._batch.run_alone if alone else self._batch.run)(commands)
        except _CLUSTER_TROUBLE as error:
            self._went_down(error)
            return None
        except (OutOfMemoryError, ReadOnlyError) as error:
            self._refused_write(error)
            return None
        except (ResponseError, DataError, RedisClusterException) as error:
            if refusable and isinstance(error, ResponseError):
                raise
            # Redis refused the command, or its arguments could not be encoded, or they could
            # not be routed to one node: a bug of ours, not an outage.
            log.error("Redis command failed: %s", error)
            return None
        except (RedisError, OSError) as error:
            self._went_down(error)
            return None
        finally:
            if probe:
                self._probing = False
        if self._down:
            log.info("Redis is back; caching resumed")
            self._down = False
        self._closed_at = 0.0
        return result

    def _refused_write(self, error: RedisError) -> None:
        """Redis answers but keeps nothing (full under `noeviction`, or a read-only replica):
        an outage of what needs writing, told once a minute at most, not a bug of ours."""
        now = time.monotonic()
        if now - self._refused_at >= REFUSED_WRITES_SECONDS:
            log.warning(
                "Redis refuses writes (%s): running without what it cannot keep; give it "
                "memory (maxmemory, maxmemory-policy) or point REDIS_URL at the primary",
                type(error).__name__,
            )
            if self._metrics is not None:
                self._metrics.redis_outages.inc()
        self._refused_at = now

    @property
    def refusing_writes(self) -> bool:
        """Whether Redis refused a write within the last `REFUSED_WRITES_SECONDS`."""
        return time.monotonic() - self._refused_at < REFUSED_WRITES_SECONDS

    def _open(self) -> bool:
        """Whether the circuit is open: skip Redis (a probe is already out, or not yet due)."""
        if self._closed_at == 0:
            return False
        return self._probing or time.monotonic() < self._closed_at

    def _went_down(self, error: Exception) -> None:
        if not self._down:
            log.warning("Redis unavailable, continuing without it: %s", type(error).__name__)
            self._down = True
            if self._metrics is not None:
                self._metrics.redis_outages.inc()
        if isinstance(error, RedisTimeoutError | TimeoutError):
            if self._closed_at == 0:
                if self._metrics is not None:
                    self._metrics.redis_timeouts.inc()
                log.warning(
                    "Redis does not answer in time; asking it again every %gs", self._open_seconds
                )
            self._closed_at = time.monotonic() + self._open_seconds

    async def _one(self, commands: Commands) -> Any:
        """The reply to a one-command operation; None when Redis did not answer."""
        replies = await self._run(commands)
        return None if replies is None else replies[0]

    def _script(self, name: str, keys: list[str], args: list[Any]) -> Commands:
        sha = self._sha[name]
        return lambda pipe: pipe.evalsha(sha, len(keys), *keys, *args)

    async def get(self, key: str) -> bytes | None:
        return _bytes_or_none(await self._one(lambda pipe: pipe.get(key)))

    async def get_counted(self, key: str, counter: str, field: str, *, ttl: int) -> bytes | None:
        if self._cluster is None:
            found = await self._one(self._script("get_counted", [key, counter], [field, ttl]))
            return _bytes_or_none(found)
        # The counter is in another slot: a second trip, on a hit only.
        value = await self.get(key)
        if value is not None:
            await self.increment(counter, {field: 1}, ttl=ttl)
        return value

    async def set_if_absent_and_get(
        self, key: str, value: bytes, *, ttl: float, other: str
    ) -> tuple[bool | None, bytes | None]:
        def commands(pipe: AnyPipeline) -> None:
            pipe.set(key, value, px=int(ttl * 1000), nx=True)
            pipe.get(other)

        replies = await self._run(commands)
        if replies is None:
            return None, None
        stored, found = replies
        return bool(stored), _bytes_or_none(found)

    async def set_indexed(
        self, key: str, value: bytes, *, ttl: int, touch: str, index: str | None
    ) -> bool:
        # Plain commands, not a script: the three keys are in different slots on a cluster.
        def commands(pipe: AnyPipeline) -> None:
            pipe.set(key, value, ex=ttl)
            pipe.expire(touch, ttl)
            if index is not None:
                pipe.sadd(index, key)
                pipe.expire(index, ttl)

        return await self._run(commands) is not None

    async def set(self, key: str, value: bytes, *, ttl: int | None) -> bool:
        if ttl is None:
            return await self._set_replicated(key, value)
        return await self._run(lambda pipe: pipe.set(key, value, ex=ttl)) is not None

    async def _set_replicated(self, key: str, value: bytes) -> bool:
        """SET, then WAIT on the same connection until a replica has it too (settings).

        A key without a TTL is a user's setting: acknowledged once a replica holds it, it
        survives its master's death, where a write the replica had not received yet would be
        lost in the failover. The master's ROLE says first whether it has a replica to wait
        for (a cluster client's topology may not show one yet: CLUSTER SLOTS leaves out
        replicas that have not reported an offset), so a master without one costs no wait.
        The wait runs in a pipeline of its own, so that it delays no one else.
        """
        replicas = await self._has_replicas(key)
        if replicas is None:
            return False
        if not replicas:
            if self._cluster is not None:
                self._confirmations.record(False, "its master has no replica")
            return await self._run(lambda pipe: pipe.set(key, value)) is not None

        def commands(pipe: AnyPipeline) -> None:
            # WAIT counts the writes of its own connection: sent to the key's master, it goes
            # out on that node's connection right after the SET.
            pipe.set(key, value)
            pipe.execute_command("WAIT", 1, REPLICA_WAIT_MS, **self._to(key))

        async with self._replicated_writes:
            replies = await self._run(commands, alone=True)
        if replies is None:
            return False
        self._confirmations.record(bool(replies[1]), f"none within {REPLICA_WAIT_MS} ms")
        return True

    async def _has_replicas(self, key: str) -> bool | None:
        """Whether the master of `key` lists a replica (its ROLE); None when Redis did not
        answer. A Redis that refuses ROLE (some proxies and hosted services) has none to wait
        for, as far as Skim can tell: settings are then saved as on any single Redis."""
        if self._role_refused:
            return False
        try:
            replies = await self._run(
                lambda pipe: pipe.execute_command("ROLE", **self._to(key)), refusable=True
            )
        except ResponseError as error:
            self._role_refused = True
            log.info("Redis refuses ROLE (%s): settings are not waited for on a replica", error)
            return False
        return None if replies is None else has_replicas(replies[0])

    def _to(self, key: str) -> dict[str, Any]:
        """Where a keyless command about `key` goes: on a cluster, the key's master (looked up
        when the command is queued, once the client knows the topology)."""
        if self._cluster is None:
            return {}
        return {"target_nodes": self._cluster.get_node_from_key(key)}

    async def set_if_absent(self, key: str, value: bytes, *, ttl: float) -> bool | None:
        replies = await self._run(lambda pipe: pipe.set(key, value, px=int(ttl * 1000), nx=True))
        return None if replies is None else bool(replies[0])

    async def delete(self, *keys: str) -> int:
        if not keys:
            return 0

        # One DEL per key: on a cluster the keys are in different slots, often on other nodes.
        def commands(pipe: AnyPipeline) -> None:
            for key in keys:
                pipe.delete(key)

        replies = await self._run(commands)
        return 0 if replies is None else sum(int(reply) for reply in replies)

    async def ttl(self, key: str) -> int | None:
        remaining = await self._one(lambda pipe: pipe.ttl(key))
        return None if remaining is None or remaining == -2 else int(remaining)

    async def expire(self, key: str, ttl: int) -> bool:
        return bool(await self._one(lambda pipe: pipe.expire(key, ttl)))

    async def increment(self, key: str, fields: dict[str, int], *, ttl: int) -> bool:
        pairs = [part for name, amount in fields.items() for part in (name, int(amount))]
        return await self._run(self._script("increment", [key], [*pairs, ttl])) is not None

    async def counters(self, key: str) -> dict[str, int]:
        raw = await self._one(lambda pipe: pipe.hgetall(key))
        if not raw:
            return {}
        return {_text(name): int(value) for name, value in raw.items()}

    async def add_to_set(self, key: str, member: str, *, ttl: int) -> bool:
        return await self._run(self._script("add_to_set", [key], [member, ttl])) is not None

    async def set_members(self, key: str) -> frozenset[str]:
        raw = await self._one(lambda pipe: pipe.smembers(key))
        return frozenset(_text(member) for member in raw) if raw else frozenset()

    async def remove_from_set(self, key: str, *members: str) -> bool:
        return await self._one(lambda pipe: pipe.srem(key, *members)) is not None

    async def count(self, key: str, *, ttl: int, by: int = 1) -> int | None:
        value = await self._one(self._script("count", [key], [ttl, by]))
        return None if value is None else int(value)

    async def take_token(
        self, key: str, *, capacity: float, refill_per_second: float, now: float
    ) -> float | None:
        ttl = max(1, int(capacity / refill_per_second * 2) + 1)
        args = [capacity, refill_per_second, ttl]
        wait = await self._one(self._script("take_token", [key], args))
        return None if wait is None else float(wait)

    async def reserve_slot(self, key: str, *, interval: float, burst: int) -> float | None:
        args = [round(interval * 1_000_000), burst]
        wait = await self._one(self._script("reserve_slot", [key], args))
        return None if wait is None else float(wait)

    async def postpone_slots(self, key: str, *, seconds: float) -> bool:
        args = [round(seconds * 1_000_000)]
        return bool(await self._one(self._script("postpone_slots", [key], args)))

    async def extend_if_owner(self, key: str, owner: bytes, *, ttl: float) -> bool:
        args = [owner, int(ttl * 1000)]
        return bool(await self._one(self._script("extend_if_owner", [key], args)))

    async def delete_if_owner(self, key: str, owner: bytes) -> bool:
        return bool(await self._one(self._script("delete_if_owner", [key], [owner])))

    async def ping(self) -> bool:
        """Whether Redis answers (on a cluster, every primary) and keeps what it is given."""
        if self.refusing_writes:
            return False
        if self._cluster is None:
            return bool(await self._one(lambda pipe: pipe.ping()))
        # A cluster pipeline refuses pipe.ping(); the raw command may name its nodes.
        primaries = RedisCluster.PRIMARIES
        return bool(
            await self._one(lambda pipe: pipe.execute_command("PING", target_nodes=primaries))
        )

    async def aclose(self) -> None:
        await self._batch.drain()
        await self._client.aclose()


async def cluster_support_off(url: str) -> bool:
    """Whether the Redis at `url` answers but runs without cluster support: REDIS_URL says
    cluster and the cluster client can never connect, which is a setting to fix, not an
    outage to wait out."""
    client: Redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        info = await client.info("cluster")
    except RedisError:
        return False
    finally:
        await client.aclose()
    return not info.get("cluster_enabled")
