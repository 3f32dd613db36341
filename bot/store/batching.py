"""Automatic pipelining: Redis commands issued in the same event-loop turn share one round trip.

Under load many handlers talk to Redis at once (duplicate checks, cache reads, thread writes);
sent one by one, each command costs a pool checkout, a socket write and a wake-up on its reply.
Queued for the current loop turn and flushed as one non-transactional pipeline, they cost one
of each per batch, and a lone command is not delayed: the flush runs on the loop's next turn.
Each caller still gets only its own replies, and its own error.

On a Redis Cluster the batch is a `ClusterPipeline`: redis-py sends each node its share of the
batch as one pipeline on one connection, all nodes at once, and hands the replies back in the
order the commands were queued, so automatic pipelining works per node.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import ClusterPipeline, RedisCluster
from redis.exceptions import DataError, NoScriptError

AnyPipeline = Pipeline | ClusterPipeline
Commands = Callable[[AnyPipeline], object]
"""Adds one operation's commands to the pipeline it is given (their replies come back)."""


@dataclass
class _Operation:
    commands: Commands
    future: asyncio.Future[list[Any]]
    first: int = 0
    count: int = 0


@dataclass
class AutoPipeline:
    """Queues operations and sends each loop turn's queue as one pipeline."""

    client: Redis | RedisCluster
    scripts: dict[str, str] = field(default_factory=dict)  # sha -> source, for NOSCRIPT
    _queue: list[_Operation] = field(default_factory=list)
    _flushes: set[asyncio.Task[None]] = field(default_factory=set)

    async def run(self, commands: Commands) -> list[Any]:
        """The replies to `commands`, in order; raises what the round trip or they raised."""
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._queue.append(_Operation(commands, future))
        if len(self._queue) == 1:
            task = asyncio.get_running_loop().create_task(self._flush())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        return await future

    async def run_alone(self, commands: Commands) -> list[Any]:
        """`run` in a pipeline of its own, for commands that keep their connection waiting."""
        operation = _Operation(commands, asyncio.get_running_loop().create_future())
        await self._send_alone(operation)
        return await operation.future

    async def drain(self) -> None:
        """Wait for the batches already on their way (before closing the client)."""
        while self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)

    async def _flush(self) -> None:
        batch, self._queue = self._queue, []
        waiting = [operation for operation in batch if not operation.future.cancelled()]
        try:
            await self._send(waiting)
        except asyncio.CancelledError:
            for operation in waiting:
                operation.future.cancel()
            raise
        except DataError as error:
            if isinstance(self.client, RedisCluster):
                # Each node's share is encoded as it is sent, all nodes at once: the other
                # nodes may have run theirs already, and a SET NX or a counter sent again
                # would answer wrong. Everyone in this batch hears of the failure instead.
                _fail(waiting, error)
                return
            # A caller's argument could not be encoded before anything was sent: send each
            # operation on its own, so only that caller fails, not everyone in the batch.
            for operation in waiting:
                await self._send_alone(operation)
        except Exception as error:  # every waiter hears of it; the store decides what it means
            _fail(waiting, error)

    async def _send_alone(self, operation: _Operation) -> None:
        try:
            await self._send([operation])
        except asyncio.CancelledError:
            operation.future.cancel()
            raise
        except Exception as error:
            _fail([operation], error)

    async def _send(self, batch: list[_Operation]) -> None:
        """One round trip for `batch`; each operation's future gets its replies or its error."""
        replies = await self._execute(batch)
        unscripted = [operation for operation in batch if _refused_script(operation, replies)]
        if unscripted:
            # Redis restarted or flushed its script cache: load the scripts and send again only
            # the operations whose script did not run (an operation holding a script is that
            # one script), never the commands that already did, such as a SET NX.
            await self._load_scripts()
            self._settle(batch, replies, skip=unscripted)
            batch, replies = unscripted, await self._execute(unscripted)
        self._settle(batch, replies)

    @staticmethod
    def _settle(
        batch: list[_Operation], replies: list[Any], skip: list[_Operation] | None = None
    ) -> None:
        for operation in batch:
            if skip is not None and operation in skip:
                continue
            if operation.future.done():
                continue
            own = replies[operation.first : operation.first + operation.count]
            failure = next((reply for reply in own if isinstance(reply, Exception)), None)
            if failure is not None:
                operation.future.set_exception(failure)
            else:
                operation.future.set_result(own)

    async def _execute(self, batch: list[_Operation]) -> list[Any]:
        async with self.client.pipeline(transaction=False) as pipe:
            for operation in batch:
                operation.first = len(pipe)  # commands queued so far, in either kind
                operation.commands(pipe)
                operation.count = len(pipe) - operation.first
            return list(await pipe.execute(raise_on_error=False))

    async def _load_scripts(self) -> None:
        # On a cluster SCRIPT LOAD goes to every primary the client knows, which after a
        # failover includes the promoted replica (scripts are not replicated to replicas).
        for source in self.scripts.values():
            await self.client.script_load(source)


def _fail(operations: list[_Operation], error: Exception) -> None:
    for operation in operations:
        if not operation.future.done():
            operation.future.set_exception(error)


def _refused_script(operation: _Operation, replies: list[Any]) -> bool:
    own = replies[operation.first : operation.first + operation.count]
    return any(isinstance(reply, NoScriptError) for reply in own)
