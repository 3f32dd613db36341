"""A poller or worker that does not stop when told is cancelled, and says where it hung; a
cancel from outside is never swallowed by our own 'stopped while waiting' handling."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.serve import _Running
from bot.tasks import cancelled_from_outside


class Stubborn:
    """A part whose loop ignores stop(): the bug a bounded stop guards against."""

    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True

    async def run(self) -> None:
        await asyncio.sleep(3600)


class Obedient(Stubborn):
    async def run(self) -> None:
        while not self.stopped:
            await asyncio.sleep(0.01)


async def test_a_part_that_ignores_stop_is_cancelled_and_its_place_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    part = Stubborn()
    running = _Running(part)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="bot.serve"):
        await asyncio.wait_for(running.stop(patience=0.2), 5)
    assert running.task.cancelled()
    [record] = [r for r in caplog.records if "did not stop" in r.getMessage()]
    assert "stubborn" in record.getMessage()
    assert "run (" in record.getMessage()
    assert "sleep" in record.getMessage()


async def test_a_part_that_stops_is_not_cancelled(caplog: pytest.LogCaptureFixture) -> None:
    running = _Running(Obedient())  # type: ignore[arg-type]
    await running.stop(patience=2)
    assert running.task.done()
    assert not running.task.cancelled()
    assert not [r for r in caplog.records if "did not stop" in r.getMessage()]


async def test_an_outside_cancel_is_told_from_a_cancelled_inner_wait() -> None:
    seen: list[bool] = []
    inner: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def waiting() -> None:
        try:
            await inner
        except asyncio.CancelledError:
            seen.append(cancelled_from_outside())
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            seen.append(cancelled_from_outside())
            raise

    task = asyncio.create_task(waiting())
    await asyncio.sleep(0)
    inner.cancel()  # our own: stop() cancelling the long poll
    await asyncio.sleep(0)
    task.cancel()  # someone else's: the process shutting down
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == [False, True]
