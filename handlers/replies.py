"""Sending HTML that never fails: split to the limit, and plain text on a parse error."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from telegram import Bot, LinkPreviewOptions, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError

from bot.render import TELEGRAM_LIMIT, html_parts, utf16_len

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def reply_html(message: Message, html_text: str, plain_fallback: str) -> Message:
    """Reply with HTML; on "can't parse entities" or overflow, send the plain original instead."""
    if utf16_len(html_text) <= TELEGRAM_LIMIT:
        try:
            return await message.reply_html(
                html_text, link_preview_options=NO_PREVIEW, do_quote=True
            )
        except BadRequest as error:
            if "parse" not in str(error).lower():
                raise
            log.warning("Telegram refused our HTML (%s); re-sending as plain text", error)
    return await reply_plain(message, plain_fallback)


async def reply_plain(message: Message, text: str) -> Message:
    """Send text as escaped HTML parts (so no entity parsing surprises), all within the limit."""
    sent: Message | None = None
    for part in html_parts(text):
        sent = await message.reply_text(
            part, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, do_quote=sent is None
        )
    assert sent is not None
    return sent


@contextlib.asynccontextmanager
async def typing(
    bot: Bot, chat_id: int, message_thread_id: int | None = None
) -> AsyncIterator[None]:
    """Keep the "typing…" indicator alive (Telegram drops it after five seconds)."""

    async def keep_typing() -> None:
        while True:
            try:
                await bot.send_chat_action(
                    chat_id, ChatAction.TYPING, message_thread_id=message_thread_id
                )
            except TelegramError as error:
                log.debug("chat action failed: %s", error)
            await asyncio.sleep(4.5)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
