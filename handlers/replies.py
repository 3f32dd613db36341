"""Sending text to a Delivery's chat and topic: short plain replies and split HTML.

Parse mode (HTML) and link previews (off) are the application's `Defaults`; plain text is
escaped here so that it reads the same under them.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import replace

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.error import BadRequest, ChatMigrated, TelegramError

from bot.render import html_parts, visible_text
from handlers.addressing import Delivery
from handlers.context import Context

log = logging.getLogger(__name__)


def plain(text: str) -> str:
    """Plain text for an HTML message: shown exactly as written."""
    return html.escape(text, quote=False)


async def answer_press(
    query: CallbackQuery, text: str | None = None, *, alert: bool = False
) -> None:
    """Answer a button press, which stops the user's client spinning.

    Telegram refuses an answer that comes too late ("query is too old": a press processed after
    a restart, from the stream after a worker died, or behind flood control); the press's work
    goes on all the same.
    """
    try:
        await query.answer(text, show_alert=alert or None)
    except BadRequest as error:
        log.info("could not answer a button press: %s", error)


def reply_to(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id, allow_sending_without_reply=True)


def _topic_gone(error: BadRequest, delivery: Delivery) -> bool:
    """Telegram says the forum topic is no more, or closed (deleted or closed while the request
    ran: the bot may not post there)."""
    said = str(error).lower()
    gone = ("thread not found", "topic_closed", "topic_deleted")
    return delivery.thread_id is not None and any(words in said for words in gone)


async def _send(
    context: Context,
    delivery: Delivery,
    text: str,
    reply: int | None,
    markup: InlineKeyboardMarkup | None,
) -> tuple[Message, Delivery]:
    """One message to the delivery's topic; to the chat itself when that topic was deleted.

    Whoever asked is still in the group and waits for the answer: it goes to the chat (its
    General topic) rather than nowhere. Returns the delivery the rest should follow.
    """

    async def post(to: Delivery) -> Message:
        return await context.bot.send_message(
            to.chat_id,
            text,
            message_thread_id=to.thread_id,
            reply_parameters=reply_to(reply),
            reply_markup=markup,
            # A channel's every message notifies all its subscribers: the post did already.
            disable_notification=True if to.channel else None,
        )

    try:
        return await post(delivery), delivery
    except ChatMigrated as error:
        # The group became a supergroup (a new id) while the request ran.
        log.info("chat %s is now %s; answering there", delivery.chat_id, error.new_chat_id)
        delivery = replace(delivery, chat_id=error.new_chat_id, thread_id=None)
        return await post(delivery), delivery
    except BadRequest as error:
        if not _topic_gone(error, delivery):
            raise
    log.info(
        "topic %s of chat %s is gone; answering in the chat", delivery.thread_id, delivery.chat_id
    )
    delivery = replace(delivery, thread_id=None)
    return await post(delivery), delivery


async def send_text(
    context: Context, delivery: Delivery, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """A short plain reply (with an optional keyboard); None when Telegram refuses it."""
    try:
        sent, _ = await _send(context, delivery, plain(text), delivery.reply_to, markup)
    except TelegramError as error:
        log.info("could not reply in chat %s: %s", delivery.chat_id, error)
        return None
    return sent


async def send_parts(
    context: Context,
    delivery: Delivery,
    parts: list[str],
    markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send HTML parts in order: the first replies to the request, the last carries `markup`."""
    sent: Message | None = None
    for index, part in enumerate(parts):
        sent, delivery = await _send(
            context,
            delivery,
            part,
            delivery.reply_to if index == 0 else None,
            markup if index == len(parts) - 1 else None,
        )
    return sent


def html_to_plain(part: str) -> str:
    """An HTML part's visible text, escaped to read the same as plain text."""
    return plain(visible_text(part))


async def send_html(
    context: Context,
    delivery: Delivery,
    parts: list[str],
    fallback: Callable[[], str],
    markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send HTML parts (keyboard on the last one); plain text where Telegram refuses the HTML.

    A refused first part means the `fallback` (rendered only then, so a cache hit renders its
    summary once) replaces the whole message. A later part that is refused, after earlier ones
    went out, is sent as its text without tags: the reader neither loses the rest nor sees the
    start twice.
    """
    sent: Message | None = None
    last = len(parts) - 1
    for index, part in enumerate(parts):
        reply = delivery.reply_to if index == 0 else None
        keyboard = markup if index == last else None
        try:
            sent, delivery = await _send(context, delivery, part, reply, keyboard)
        except BadRequest as error:
            if "parse" not in str(error).lower():
                raise
            log.warning("Telegram refused our HTML (%s); re-sending as plain text", error)
            if index == 0:
                return await send_parts(context, delivery, html_parts(fallback()), markup)
            sent, delivery = await _send(context, delivery, html_to_plain(part), None, keyboard)
    return sent
