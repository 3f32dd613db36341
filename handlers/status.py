"""A status message that shows progress and streamed text, edited at a bounded rate."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict

from telegram import Bot, Message, ReplyParameters
from telegram.error import BadRequest, TelegramError

from bot.pipeline import HEARTBEAT, Pipeline

log = logging.getLogger(__name__)

PRIVATE_EDIT_INTERVAL = 1.0
GROUP_EDIT_INTERVAL = 3.0


class EditClock:
    """The next moment each chat may see a status edit.

    Telegram counts messages and edits per chat: two requests running in one group share its
    pace, instead of each editing at the full rate. One clock per process.
    """

    def __init__(self, max_chats: int = 10_000) -> None:
        self._next: OrderedDict[int, float] = OrderedDict()
        self._max_chats = max_chats

    def reserve(self, chat_id: int, interval: float) -> float:
        """Take the chat's next slot: the moment (`time.monotonic()`) it begins."""
        now = time.monotonic()
        slot = max(now, self._next.pop(chat_id, 0.0))
        self._next[chat_id] = slot + interval
        while len(self._next) > self._max_chats:
            self._next.popitem(last=False)
        return slot

    def give_back(self, chat_id: int, slot: float, interval: float) -> None:
        """Return a slot whose edit will not happen, unless a later one was taken after it."""
        if self._next.get(chat_id) == slot + interval:
            self._next[chat_id] = slot


class StatusMessage:
    """One message per request that says what is happening; edits never exceed the rate."""

    def __init__(
        self, bot: Bot, message: Message, interval: float, clock: EditClock | None = None
    ) -> None:
        self._bot = bot
        self.message = message
        self._interval = interval
        self._clock = clock or EditClock(max_chats=1)
        self._shown = message.text or ""
        self._wanted = self._shown
        # The status message itself took the chat's slot: the first edit waits a full interval.
        self._clock.reserve(message.chat_id, interval)
        self._flusher: asyncio.Task[None] | None = None
        self._gone = False  # deleted by the user: no more edits are tried

    @classmethod
    async def send(
        cls,
        bot: Bot,
        chat_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
        group: bool = False,
        clock: EditClock | None = None,
    ) -> StatusMessage | None:
        """Post the first status; None when Telegram refuses (the work still goes on)."""
        try:
            message = await bot.send_message(
                chat_id,
                text,
                parse_mode=None,  # plain: half-written text must never fail to parse
                message_thread_id=thread_id,
                reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True)
                if reply_to
                else None,
                disable_notification=True,
            )
        except TelegramError as error:
            log.info("could not post a status message: %s", error)
            return None
        return cls(bot, message, GROUP_EDIT_INTERVAL if group else PRIVATE_EDIT_INTERVAL, clock)

    def show(self, text: str) -> None:
        """Ask for `text` to be shown; it is edited in at the next allowed moment."""
        self._wanted = text
        if self._gone:
            return
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        while self._wanted != self._shown:
            chat_id = self.message.chat_id
            slot = self._clock.reserve(chat_id, self._interval)
            wait = slot - time.monotonic()
            if wait > 0:
                try:
                    await asyncio.sleep(wait)
                except asyncio.CancelledError:  # the request ended first: the slot is free
                    self._clock.give_back(chat_id, slot, self._interval)
                    raise
            text = self._wanted
            if text == self._shown or not text.strip():
                return
            await self._edit(text)

    async def _edit(self, text: str) -> bool:
        """Edit `text` in; False when Telegram refused (the message was deleted, say)."""
        if self._gone:
            return False
        shown = False
        try:
            await self.message.edit_text(text, parse_mode=None)
            shown = True
        except BadRequest as error:
            said = str(error).lower()
            shown = "not modified" in said
            self._gone = "not found" in said
            if not shown:
                log.info("status edit refused: %s", error)
        except TelegramError as error:
            log.info("status edit failed: %s", error)
        self._shown = text
        return shown

    async def stop(self) -> None:
        """Stop pending edits (before the final message replaces this one)."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher

    async def replace(self, text: str) -> bool:
        """Turn the status into a final short message (an error, "Stopped.").

        False when it could not be edited in (the user deleted the status message): the caller
        sends the text as a message of its own.
        """
        await self.stop()
        if text != self._shown:
            return await self._edit(text)
        return True

    async def delete(self) -> None:
        await self.stop()
        if self._gone:
            return
        try:
            await self.message.delete()
        except TelegramError as error:
            log.info("could not delete the status message: %s", error)


async def finish_orphans(bot: Bot, pipeline: Pipeline) -> None:
    """Say this process is alive; delete the status messages that dead processes left behind.

    A request whose process was killed will never end: its status message would say
    "Summarizing…" forever. Its update is still pending in the Redis Stream (only a shared
    store lets another process see the orphan), so another worker claims and answers it with a
    status message of its own: the old one only goes away.
    """
    for orphan in await pipeline.keep_alive():
        try:
            await bot.delete_message(orphan.chat_id, orphan.message_id)
        except TelegramError as error:  # deleted meanwhile, or the chat is gone
            log.info("could not delete an orphaned status message: %s", error)
        await pipeline.untrack_status(orphan.chat_id, orphan.message_id)


async def keep_finishing_orphans(bot: Bot, pipeline: Pipeline) -> None:
    """`finish_orphans` every `HEARTBEAT` seconds, for the life of the process.

    The beat has a task of its own: a sweep that takes long (many status messages, a busy
    machine) must not let this process's own beat lapse, or others would delete the status
    messages of its running requests.
    """
    beating = asyncio.create_task(_keep_beating(pipeline))
    try:
        await _sweep_forever(bot, pipeline)
    finally:
        beating.cancel()


async def _keep_beating(pipeline: Pipeline) -> None:
    while True:
        try:
            await pipeline.beat()
        except Exception:  # a store hiccup must not end the loop
            log.warning("could not renew this process's heartbeat", exc_info=True)
        await asyncio.sleep(HEARTBEAT)


async def _sweep_forever(bot: Bot, pipeline: Pipeline) -> None:
    while True:
        try:
            await finish_orphans(bot, pipeline)
        except Exception:  # a store hiccup must not end the loop
            log.warning("could not check for orphaned status messages", exc_info=True)
        await asyncio.sleep(HEARTBEAT)
