"""Receiving updates into the stream: long polling whose offset advances only after the append.

Telegram forgets an update once a getUpdates call carries a higher offset. The poller asks for
the next batch only after the batch before it is in Redis, so a crash at any moment leaves every
update either in the stream or still with Telegram. A process that also works (`--role all`)
handles a batch itself while Redis is down, as it would without Redis, instead of stalling.
(The webhook's side is in `bot.serve`: it answers 200 only after the append.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from redis.exceptions import RedisError
from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.metrics import Metrics
from bot.stream import UpdateStream
from bot.tasks import cancelled_from_outside

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds Telegram holds a getUpdates call open when there is nothing
# The kinds of update Skim's handlers take. Asking for all of them (Update.ALL_TYPES) would
# also bring reactions, other members' changes and business messages, each a trip to Redis and
# a place in the stream, and the last answered on the account owner's behalf. The bot's own
# membership (my_chat_member) is rare and tells it when it was added somewhere.
ALLOWED_UPDATES = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CHANNEL_POST,
    Update.EDITED_CHANNEL_POST,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
    Update.CHOSEN_INLINE_RESULT,
    Update.MY_CHAT_MEMBER,
)
RETRY_PAUSE = 1.0
MAX_PAUSE = 30.0
REDIS_RETRY = 3.0  # seconds a process that also works skips Redis after an append failed


Fallback = Callable[[Sequence[Update]], Awaitable[None]]
"""Where updates go when Redis does not take them: this process's own queue (`--role all`)."""


class Poller:
    """Fetches updates with getUpdates and appends each batch to the stream."""

    def __init__(
        self,
        bot: Bot,
        stream: UpdateStream,
        metrics: Metrics,
        *,
        timeout: int = POLL_TIMEOUT,
        fallback: Fallback | None = None,
    ) -> None:
        self._bot = bot
        self._fallback = fallback
        self._redis_down_until = 0.0
        self._stream = stream
        self._metrics = metrics
        self._timeout = timeout
        self._offset: int | None = None
        self._stopping = asyncio.Event()
        self._waiting: asyncio.Task[tuple[Update, ...]] | None = None
        self.appended = 0

    async def run(self) -> None:
        """Poll until `stop()`; then confirm the last appended batch to Telegram."""
        await self._bot.delete_webhook(drop_pending_updates=False)
        pause = RETRY_PAUSE
        while not self._stopping.is_set():
            try:
                updates = await self._fetch()
            except asyncio.CancelledError:
                if self._stopping.is_set() and not cancelled_from_outside():
                    break  # our own cancel of the long poll, from stop()
                raise
            except InvalidToken:
                raise  # a revoked token: the operator's to fix
            except Conflict as error:
                # Another process polls this token (a second `--role all`, or a webhook set):
                # Telegram serves one at a time, so keep asking, slowly; nothing is lost.
                log.warning("getUpdates refused: %s; another intake polls this token?", error)
                await self._sleep(pause)
                pause = min(MAX_PAUSE, pause * 2)
                continue
            except RetryAfter as error:
                wait = error.retry_after
                await self._sleep(wait.total_seconds() if isinstance(wait, timedelta) else wait)
                continue
            except (NetworkError, TelegramError) as error:
                log.warning("getUpdates failed (%s); polling again in %gs", error, pause)
                await self._sleep(pause)
                pause = min(MAX_PAUSE, pause * 2)
                continue
            pause = RETRY_PAUSE
            if updates and await self._append(updates):
                self._offset = updates[-1].update_id + 1
        await self._confirm()

    def stop(self) -> None:
        self._stopping.set()
        if self._waiting is not None:
            self._waiting.cancel()  # a long poll in progress: what it would return stays queued

    async def _fetch(self) -> tuple[Update, ...]:
        self._waiting = asyncio.ensure_future(
            self._bot.get_updates(
                offset=self._offset,
                timeout=self._timeout,
                allowed_updates=ALLOWED_UPDATES,
            )
        )
        try:
            return await self._waiting
        finally:
            self._waiting = None

    async def _append(self, updates: tuple[Update, ...]) -> bool:
        """Append until it succeeds or the poller stops; True when the batch is in Redis."""
        pause = RETRY_PAUSE
        batch = [update.to_dict() for update in updates]
        if self._fallback is not None and time.monotonic() < self._redis_down_until:
            await self._fallback(updates)  # Redis failed a moment ago: don't wait on it again
            return True
        while not self._stopping.is_set():
            try:
                self.appended += await self._stream.append(batch)
            except (RedisError, OSError) as error:
                log.warning(
                    "could not append %d updates to Redis (%s); %s",
                    len(batch),
                    type(error).__name__,
                    "handling them in this process"
                    if self._fallback
                    else "Telegram keeps them meanwhile",
                )
                self._metrics.intake_failures.inc()
                if self._fallback is not None:
                    self._redis_down_until = time.monotonic() + REDIS_RETRY
                    await self._fallback(updates)
                    return True
                await self._sleep(pause)
                pause = min(MAX_PAUSE, pause * 2)
                continue
            self._metrics.intake_appended.inc(len(batch))
            return True
        return False

    async def _confirm(self) -> None:
        """Tell Telegram the appended updates were received (they would come again, deduped)."""
        if self._offset is None:
            return
        with contextlib.suppress(TelegramError):
            await self._bot.get_updates(offset=self._offset, limit=1, timeout=0)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
