"""Single-flight across processes: for one piece of work, one caller works and the rest wait.

The lock is `SET NX` with an expiry that the holder keeps renewing; if the holder dies, the
lock expires and one waiter takes over. Waiters poll `check()`, which returns the finished
result from the cache (or raises a cached failure).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.errors import StillWorkingError
from bot.metrics import Metrics
from bot.store.base import KeyValueStore
from bot.store.keys import Keys

log = logging.getLogger(__name__)
T = TypeVar("T")


class SingleFlight:
    """Coordinates identical work through the store's locks."""

    def __init__(
        self,
        store: KeyValueStore,
        keys: Keys,
        *,
        lock_ttl: float = 15.0,
        wait_timeout: float = 300.0,
        poll_interval: float = 0.05,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._keys = keys
        self._lock_ttl = lock_ttl
        self._wait_timeout = wait_timeout
        self._poll = poll_interval
        self._metrics = metrics or Metrics()

    async def run(
        self,
        work_key: str,
        check: Callable[[], Awaitable[T | None]],
        work: Callable[[], Awaitable[T]],
        *,
        checked: bool = False,
    ) -> T:
        """Return `check()`'s result when there is one, else do `work()` in exactly one caller.

        `checked`: the caller has just looked and found nothing, so the first look is skipped
        (the look under the lock still happens: the work may have finished in between).
        """
        lock_key = self._keys.lock(work_key)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_timeout
        delay = self._poll
        waited = False
        while True:
            found = None if checked else await check()
            checked = False
            if found is not None:
                return found
            owner = secrets.token_bytes(16)
            acquired = await self._store.set_if_absent(lock_key, owner, ttl=self._lock_ttl)
            if acquired is None:
                # The store is unreachable: nobody can coordinate, so do the work here.
                return await work()
            if acquired:
                return await self._lead(lock_key, owner, check, work)
            if not waited:
                waited = True  # another caller does this work: wait for its result
                self._metrics.single_flight_waits.inc()
            if loop.time() > deadline:
                raise StillWorkingError(detail=f"gave up waiting for {lock_key}")
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.25)

    async def _lead(
        self,
        lock_key: str,
        owner: bytes,
        check: Callable[[], Awaitable[T | None]],
        work: Callable[[], Awaitable[T]],
    ) -> T:
        renewer = asyncio.create_task(self._renew(lock_key, owner))
        try:
            # The previous holder may have stored its result and unlocked between our check and
            # our lock: look once more under the lock, or the work would be done twice.
            found = await check()
            if found is not None:
                return found
            return await work()
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            await self._store.delete_if_owner(lock_key, owner)

    async def _renew(self, lock_key: str, owner: bytes) -> None:
        while True:
            await asyncio.sleep(self._lock_ttl / 3)
            if not await self._store.extend_if_owner(lock_key, owner, ttl=self._lock_ttl):
                log.warning("lost a single-flight lock while working; another worker may start")
                return
