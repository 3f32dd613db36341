"""A status message that shows progress and streamed text, edited at a bounded rate."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram import Bot, Message, ReplyParameters
from telegram.error import BadRequest, TelegramError

from bot.pipeline import HEARTBEAT, Pipeline

log = logging.getLogger(__name__)

PRIVATE_EDIT_INTERVAL = 1.0
GROUP_EDIT_INTERVAL = 3.0


class StatusMessage:
    """One message per request that says what is happening; edits never exceed the rate."""

    def __init__(self, bot: Bot, message: Message, interval: float) -> None:
        self._bot = bot
        self.message = message
        self._interval = interval
        self._shown = message.text or ""
        self._wanted = self._shown
        self._last_edit = time.monotonic()
        self._flusher: asyncio.Task[None] | None = None

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
        return cls(bot, message, GROUP_EDIT_INTERVAL if group else PRIVATE_EDIT_INTERVAL)

    def show(self, text: str) -> None:
        """Ask for `text` to be shown; it is edited in at the next allowed moment."""
        self._wanted = text
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        while self._wanted != self._shown:
            wait = self._interval - (time.monotonic() - self._last_edit)
            if wait > 0:
                await asyncio.sleep(wait)
            text = self._wanted
            if text == self._shown or not text.strip():
                return
            await self._edit(text)

    async def _edit(self, text: str) -> bool:
        """Edit `text` in; False when Telegram refused (the message was deleted, say)."""
        self._last_edit = time.monotonic()
        shown = False
        try:
            await self.message.edit_text(text, parse_mode=None)
            shown = True
        except BadRequest as error:
            shown = "not modified" in str(error).lower()
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
    """`finish_orphans` every `HEARTBEAT` seconds, for the life of the process."""
    while True:
        try:
            await finish_orphans(bot, pipeline)
        except Exception:  # a store hiccup must not end the loop
            log.warning("could not check for orphaned status messages", exc_info=True)
        await asyncio.sleep(HEARTBEAT)
