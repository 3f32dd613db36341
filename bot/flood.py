"""Bot API flood control per chat: one chat's flood wait holds back that chat only.

Telegram limits messages per chat (about one a second in a private chat, 20 a minute in a group)
and overall (about 30 a second). Its 429 answer for a call to one chat means "wait before
writing to this chat again": python-telegram-bot's `AIORateLimiter` pauses every request for
it, so one busy group could stall every user's summary. This limiter, built on the library's
`BaseRateLimiter`, keeps the same proactive caps (overall, and per group) but waits out a flood
only for the chat it was answered for; a 429 on a call that names no chat pauses everything.
The caps are paced through the store, so every worker on one Redis shares them: Telegram
counts the bot's messages, not a process's; a flood wait for a group, or for no chat, is booked
there too, so the other workers wait it out with this one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.metrics import Metrics

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]


class Pace(Protocol):
    """Books Bot API calls at a rate, for the bot (chat None) or for one chat."""

    async def pace_send(
        self, chat: int | str | None, *, per_second: float, burst: int
    ) -> float: ...

    async def hold_sends(
        self, chat: int | str | None, seconds: float, *, per_second: float, burst: int
    ) -> None: ...


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds, whichever type python-telegram-bot hands it out as."""
    value: timedelta | float = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PerChatRateLimiter(BaseRateLimiter[int]):
    """Proactive caps as Telegram documents them; flood waits per chat.

    `overall_max_rate` messages a second across chats (0: no cap), `group_max_rate` a minute in
    each group or channel; a call answered 429 is retried after its wait, up to `max_retries`
    times, while calls to other chats go on.
    """

    def __init__(
        self,
        pace: Pace,
        overall_max_rate: float = 30,
        group_max_rate: float = 20,
        group_time_period: float = 60,
        max_retries: int = 3,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._pace = pace
        self._overall_rate = overall_max_rate
        self._group_rate = group_max_rate
        self._group_period = group_time_period
        self._max_retries = max_retries
        self._chat_free_at: dict[int | str, float] = {}
        self._everyone_free = asyncio.Event()
        self._everyone_free.set()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        chat = _chat_of(data)
        tries = (self._max_retries if rate_limit_args is None else rate_limit_args) + 1
        for attempt in range(tries):
            await self._wait_until_free(chat)
            try:
                result = await self._limited(chat, callback, args, kwargs)
            except RetryAfter as error:
                self._count("flood")
                if attempt == tries - 1:
                    log.warning("flood control on %s: gave up after %d tries", endpoint, tries)
                    raise
                if self._metrics is not None:
                    self._metrics.bot_api_retries.inc()
                await self._flood_wait(chat, retry_seconds(error) + 0.1, endpoint)
            except Exception:
                self._count("error")
                raise
            else:
                self._count("ok")
                return result
        raise AssertionError("unreachable: the last try returns or raises")

    def _count(self, result: str) -> None:
        if self._metrics is not None:
            self._metrics.bot_api_calls.labels(result).inc()

    async def _limited(
        self,
        chat: int | str | None,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> Result:
        """The call within the overall cap (calls to a chat) and its group's cap."""
        if chat is not None:
            # A group's cap is booked first: its long waits must not hold a slot of the bot-wide
            # cap unused.
            for paced in (chat, None):
                rate = self._rate_of(paced)
                if rate is not None:
                    await self._paced(paced, *rate)
        return await callback(*args, **kwargs)

    def _rate_of(self, chat: int | str | None) -> tuple[float, int] | None:
        """(calls a second, burst) of the pace `chat` is booked on (None: the bot-wide one).

        Groups and channels (negative ids, @usernames) have a per-minute cap of their own;
        private chats only the bot-wide one. None when there is no such cap.
        """
        if chat is None:
            rate, burst = self._overall_rate, self._overall_rate
        elif isinstance(chat, int) and chat > 0:
            return None
        else:
            rate, burst = self._group_rate / self._group_period, self._group_rate
        return (rate, max(1, int(burst))) if rate > 0 else None

    async def _paced(self, chat: int | str | None, per_second: float, burst: int) -> None:
        """Wait for a booked slot: `burst` calls back to back, then `per_second`."""
        wait = await self._pace.pace_send(chat, per_second=per_second, burst=burst)
        if wait > 0:
            await asyncio.sleep(wait)

    async def _wait_until_free(self, chat: int | str | None) -> None:
        await self._everyone_free.wait()
        if chat is None:
            return
        wait = self._chat_free_at.get(chat, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)  # a later 429 for the chat is answered by another wait
        if self._chat_free_at.get(chat, 0.0) <= time.monotonic():
            self._chat_free_at.pop(chat, None)

    async def _flood_wait(self, chat: int | str | None, seconds: float, endpoint: str) -> None:
        """Hold back the chat the 429 was for; a 429 on a call to no chat holds back all.

        The wait is also booked on the chat's shared pace (a group's, or the bot-wide one), so
        other workers hold back too; a private chat's stays in this process.
        """
        until = time.monotonic() + seconds
        if chat is not None:
            log.info("flood control for one chat on %s: waiting %.1f s", endpoint, seconds)
            self._chat_free_at[chat] = max(self._chat_free_at.get(chat, 0.0), until)
            await self._hold_shared(chat, seconds)
            return
        log.info("flood control on %s: every request waits %.1f s", endpoint, seconds)
        self._everyone_free.clear()
        try:
            await self._hold_shared(None, seconds)
            await asyncio.sleep(until - time.monotonic())
        finally:
            self._everyone_free.set()

    async def _hold_shared(self, chat: int | str | None, seconds: float) -> None:
        """Book the wait on the chat's shared pace, if it has one, after holding back here."""
        rate = self._rate_of(chat)
        if rate is not None:
            await self._pace.hold_sends(chat, seconds, per_second=rate[0], burst=rate[1])


def _chat_of(data: dict[str, Any]) -> int | str | None:
    """The chat a call writes to: an id, or a channel's @username."""
    chat = data.get("chat_id")
    if chat is None or isinstance(chat, int):
        return chat
    try:
        return int(chat)
    except (TypeError, ValueError):
        return str(chat)
