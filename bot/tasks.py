"""Telling our own cancels from someone else's."""

from __future__ import annotations

import asyncio


def cancelled_from_outside() -> bool:
    """Whether the running task itself is being cancelled, not only a future it awaited (a
    long poll or a blocking read that `stop()` cancelled): such a cancel must go on, or
    whoever cancelled the task would wait for it in vain."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
