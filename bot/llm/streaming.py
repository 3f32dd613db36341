"""Text as it is written: an async iterator of pieces, then the finished result."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")

TextCallback = Callable[[str], Awaitable[None]]


class TextStream(Generic[T]):
    """`async for piece in stream` yields text as it arrives; `await stream.result()` the end.

    The work starts on first use. Iteration ends by raising the work's error, if any, so a stream
    cut off mid-way never looks finished. Use `async with` so that leaving early cancels the work.
    """

    def __init__(self, produce: Callable[[TextCallback], Awaitable[T]]) -> None:
        self._produce = produce
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._task: asyncio.Task[T] | None = None
        self._drained = False

    def _start(self) -> asyncio.Task[T]:
        if self._task is None:

            async def push(piece: str) -> None:
                self._queue.put_nowait(piece)

            async def run() -> T:
                try:
                    return await self._produce(push)
                finally:
                    self._queue.put_nowait(None)

            self._task = asyncio.create_task(run())
        return self._task

    def __aiter__(self) -> AsyncIterator[str]:
        return self._pieces()

    async def _pieces(self) -> AsyncIterator[str]:
        task = self._start()
        while not self._drained:
            piece = await self._queue.get()
            if piece is None:
                self._drained = True
                break
            yield piece
        await task

    async def result(self) -> T:
        """The finished value (raises the work's error)."""
        return await self._start()

    async def aclose(self) -> None:
        """Cancel the work if it is still running."""
        task = self._task
        if task is None:
            return
        if not task.done():
            task.cancel()
            await asyncio.wait([task])
        if not task.cancelled():
            task.exception()  # mark it retrieved: the caller saw it or chose not to

    async def __aenter__(self) -> TextStream[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
