"""Private chats: a link or a long text in, a summary out."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bot.errors import SkimError
from bot.llm.engine import SummaryOptions
from bot.render import summary_html, summary_plain
from handlers.context import Context, deps_of
from handlers.replies import reply_html, typing
from handlers.sources import message_source
from handlers.texts import NOTHING_TO_READ

log = logging.getLogger(__name__)


async def summarize_message(update: Update, context: Context) -> None:
    """Summarize the link or long text a user sent in a private chat."""
    message = update.effective_message
    if message is None:
        return
    source = message_source(message)
    if source is None:
        await message.reply_text(NOTHING_TO_READ)
        return
    deps = deps_of(context)
    settings = deps.settings
    options = SummaryOptions(
        length=settings.summary_length,
        style=settings.summary_style,
        language=settings.summary_language,
    )
    async with typing(context.bot, message.chat_id, message.message_thread_id):
        try:
            result = await deps.skim.summarize(source, options)
        except SkimError as error:
            log.info("request in chat %s failed: %s", message.chat_id, error.detail)
            await message.reply_text(error.user_message, do_quote=True)
            return
    log.info(
        "summary sent to chat %s (cached=%s, extractive=%s)",
        message.chat_id,
        result.cached,
        result.summary.extractive,
    )
    await reply_html(
        message,
        summary_html(result.document, result.summary),
        summary_plain(result.document, result.summary),
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Private text and captions that are not commands."""
    private = filters.ChatType.PRIVATE & ~filters.COMMAND
    app.add_handler(MessageHandler(private & (filters.TEXT | filters.CAPTION), summarize_message))
