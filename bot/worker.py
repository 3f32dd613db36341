"""A worker: reads updates from the stream, runs the bot's handlers on each, acknowledges it.

Entries run concurrently (up to `concurrency` at once), like updates in a single process. Every
`claim_idle / 3` seconds (2 s at most) the worker resets the idle time of the entries it still
works on and claims those that dead workers left idle for `claim_idle` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import RedisError

from bot.metrics import Metrics
from bot.origin import FROM_STREAM, REDELIVERED
from bot.stream import Entry, UpdateStream
from bot.tasks import cancelled_from_outside

log = logging.getLogger(__name__)

READ_BLOCK_MS = 1000
# Entries taken per read: small, so that a burst spreads over every worker instead of going
# whole to the first one that asks.
READ_BATCH = 8
# Seconds between heartbeats and claims at most: entries given back by a stopping worker are
# taken within this, not after STREAM_CLAIM_IDLE.
UPKEEP_EVERY = 2.0
RETRY_PAUSE = 1.0

Process = Callable[[dict[str, Any]], Awaitable[None]]


class _Outage:
    """One warning when Redis stops answering a loop, one line when it answers again: an
    outage of minutes is a few lines, not one a second."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._since: float | None = None

    def failed(self, error: BaseException) -> None:
        if self._since is None:
            self._since = time.monotonic()
            log.warning("could not %s: %s (trying again)", self._what, type(error).__name__)
        else:
            log.debug("could not %s: %s", self._what, type(error).__name__)

    def answered(self) -> None:
        if self._since is not None:
            log.info("Redis answers again (%s after %.0f s)", self._what, self._outage_seconds())
            self._since = None

    def _outage_seconds(self) -> float:
        assert self._since is not None
        return time.monotonic() - self._since


def consumer_name() -> str:
    """Unique per process, readable in XINFO: host, pid and a random tail."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class Worker:
    """Consumes the stream until stopped; what it could not finish stays pending for others."""

    def __init__(
        self,
        stream: UpdateStream,
        process: Process,
        *,
        claim_idle: float,
        metrics: Metrics | None = None,
        concurrency: int = 64,
        name: str | None = None,
    ) -> None:
        self._metrics = metrics
        self._stream = stream
        self._process = process
        self._claim_idle = claim_idle
        self._slots = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self.name = name or consumer_name()
        self._working: dict[str, asyncio.Task[None]] = {}
        # Finished, but Redis did not take the acknowledgement: kept (heartbeat) and
        # acknowledged again by the upkeep, so that nobody claims and answers them again.
        self._unacknowledged: set[str] = set()
        self._stopping = asyncio.Event()
        self._reading: asyncio.Future[list[Entry]] | None = None
        self.done = 0

    async def run(self) -> None:
        """Read and claim until `stop()`; Redis trouble pauses, never ends, the loop."""
        await self._until_ready(self._stream.create_group)
        upkeep = asyncio.create_task(self._keep_and_claim())
        reading = _Outage("read updates from Redis")
        try:
            while not self._stopping.is_set():
                await self._slots.acquire()
                self._slots.release()
                free = self._concurrency - len(self._working)
                batch = max(1, min(free, READ_BATCH))
                self._reading = asyncio.ensure_future(
                    self._stream.read(self.name, batch, READ_BLOCK_MS)
                )
                try:
                    entries = await self._reading
                except asyncio.CancelledError:
                    if self._stopping.is_set() and not cancelled_from_outside():
                        break  # stopped while waiting: what the read took is given back
                    raise
                except (RedisError, OSError) as error:
                    reading.failed(error)
                    await self._pause()
                    continue
                reading.answered()
                for entry in entries:
                    self._start(entry, "read")
        finally:
            upkeep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await upkeep

    def stop(self) -> None:
        """Take no more entries (those in progress go on until `drain`)."""
        self._stopping.set()
        if self._reading is not None:
            self._reading.cancel()  # a blocking read: don't wait out its second

    async def drain(self, grace: float) -> tuple[int, int]:
        """Wait up to `grace` seconds for entries in progress; (finished, abandoned).

        Abandoned entries stay pending in the stream: another worker claims them.
        """
        running = dict(self._working)
        late: set[asyncio.Task[None]] = set()
        if running:
            _, late = await asyncio.wait(running.values(), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        # The abandoned entries, and any a cancelled read took without handing over.
        with contextlib.suppress(RedisError, OSError):
            await self._acknowledge_finished()
            left = await self._stream.pending_of(self.name)
            left = [entry_id for entry_id in left if entry_id not in self._unacknowledged]
            if left:
                await self._stream.release(self.name, left, self._claim_idle)
        return len(running) - len(late), len(late)

    def _start(self, entry: Entry, source: str) -> None:
        if entry.entry_id in self._working or entry.entry_id in self._unacknowledged:
            return  # claimed back while still running here, or done and to be acknowledged
        task = asyncio.create_task(self._handle(entry, source), context=contextvars.copy_context())
        self._working[entry.entry_id] = task

    async def _handle(self, entry: Entry, source: str) -> None:
        async with self._slots:
            FROM_STREAM.set(True)
            REDELIVERED.set(source == "claimed")
            # In `_working` until acknowledged, so that `drain` waits for the acknowledgement
            # too: one still on its way when the stream's client closed would open a new
            # connection that nothing closes.
            try:
                try:
                    await self._process(entry.update)
                except Exception:  # the handlers report their own errors; a bug of ours
                    log.exception(
                        "update %s failed outside its handlers", entry.update.get("update_id")
                    )
                await self._acknowledge(entry.entry_id)
            finally:
                del self._working[entry.entry_id]
            self.done += 1
            if self._metrics is not None:
                self._metrics.stream_entries.labels(source).inc()

    async def _acknowledge(self, entry_id: str) -> None:
        for _ in range(3):
            try:
                await self._stream.acknowledge(entry_id)
                return
            except (RedisError, OSError) as error:
                log.warning("could not acknowledge an update: %s", type(error).__name__)
                await self._pause()
        self._unacknowledged.add(entry_id)
        log.warning("update entry %s is done; acknowledged once Redis answers", entry_id)

    async def _acknowledge_finished(self) -> None:
        if not self._unacknowledged:
            return
        finished = list(self._unacknowledged)
        await self._stream.acknowledge(*finished)
        self._unacknowledged.difference_update(finished)
        log.info("acknowledged %d finished updates now that Redis answers", len(finished))

    async def _keep_and_claim(self) -> None:
        """Heartbeat for entries in progress, and claims of dead workers' entries."""
        keeping = _Outage("keep or claim updates")
        while True:
            await asyncio.sleep(min(self._claim_idle / 3, UPKEEP_EVERY))
            try:
                await self._stream.keep(self.name, [*self._working, *self._unacknowledged])
                await self._acknowledge_finished()
                if self._metrics is not None:
                    self._metrics.stream_backlog.set(await self._stream.backlog())
                free = self._concurrency - len(self._working)
                if free > 0 and not self._stopping.is_set():
                    claimed = await self._stream.claim(self.name, self._claim_idle, free)
                    for entry in claimed:
                        log.info(
                            "claimed update %s from a worker that stopped",
                            entry.update.get("update_id"),
                        )
                        self._start(entry, "claimed")
                keeping.answered()
            except (RedisError, OSError) as error:
                keeping.failed(error)

    async def _until_ready(self, step: Callable[[], Awaitable[None]]) -> None:
        starting = _Outage("reach Redis")
        while not self._stopping.is_set():
            try:
                await step()
                starting.answered()
                return
            except (RedisError, OSError) as error:
                starting.failed(error)
                await self._pause()

    async def _pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), RETRY_PAUSE)
