"""Sending text to a Delivery's chat and topic: short plain replies and split HTML.

Parse mode (HTML) and link previews (off) are the application's `Defaults`; plain text is
escaped here so that it reads the same under them.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable

from telegram import InlineKeyboardMarkup, Message, ReplyParameters
from telegram.error import BadRequest, TelegramError

from bot.render import html_parts
from handlers.addressing import Delivery
from handlers.context import Context

log = logging.getLogger(__name__)


def plain(text: str) -> str:
    """Plain text for an HTML message: shown exactly as written."""
    return html.escape(text, quote=False)


def reply_to(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id, allow_sending_without_reply=True)


async def send_text(
    context: Context, delivery: Delivery, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """A short plain reply (with an optional keyboard); None when Telegram refuses it."""
    try:
        return await context.bot.send_message(
            delivery.chat_id,
            plain(text),
            message_thread_id=delivery.thread_id,
            reply_parameters=reply_to(delivery.reply_to),
            reply_markup=markup,
        )
    except TelegramError as error:
        log.info("could not reply in chat %s: %s", delivery.chat_id, error)
        return None


async def send_parts(
    context: Context,
    delivery: Delivery,
    parts: list[str],
    markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send HTML parts in order: the first replies to the request, the last carries `markup`."""
    sent: Message | None = None
    for index, part in enumerate(parts):
        sent = await context.bot.send_message(
            delivery.chat_id,
            part,
            message_thread_id=delivery.thread_id,
            reply_parameters=reply_to(delivery.reply_to) if index == 0 else None,
            reply_markup=markup if index == len(parts) - 1 else None,
        )
    return sent


async def send_html(
    context: Context,
    delivery: Delivery,
    parts: list[str],
    fallback: Callable[[], str],
    markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send HTML parts (keyboard on the last one); the plain `fallback` on a parse error.

    `fallback` is rendered only for that case, so a cache hit renders its summary once.
    """
    try:
        return await send_parts(context, delivery, parts, markup)
    except BadRequest as error:
        if "parse" not in str(error).lower():
            raise
        log.warning("Telegram refused our HTML (%s); re-sending as plain text", error)
    return await send_parts(context, delivery, html_parts(fallback()), markup)
