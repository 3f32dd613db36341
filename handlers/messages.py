"""Private chats: a link, a long text, a forwarded post or a document in, a summary out."""

from __future__ import annotations

import logging
from pathlib import PurePath

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, MessageHandler, filters

from bot.content.sources import FileSource, Source, UrlSource
from bot.errors import SkimError
from bot.llm.engine import SummaryOptions
from bot.render import summary_html, summary_plain
from handlers.context import Context, deps_of
from handlers.replies import reply_html, typing
from handlers.sources import message_source, message_urls
from handlers.texts import (
    DOCUMENT_DOWNLOAD_FAILED,
    DOCUMENT_TOO_BIG,
    DOCUMENT_UNSUPPORTED,
    NOTHING_TO_READ,
    more_links_note,
)

log = logging.getLogger(__name__)

# The Bot API's getFile refuses files above 20 MB.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
READABLE_EXTENSIONS = frozenset({".pdf", ".txt", ".text", ".md", ".markdown", ".html", ".htm"})
READABLE_MIME_TYPES = frozenset(
    {"application/pdf", "text/plain", "text/markdown", "text/x-markdown", "text/html"}
)


def _options(context: Context) -> SummaryOptions:
    settings = deps_of(context).settings
    return SummaryOptions(
        length=settings.summary_length,
        style=settings.summary_style,
        language=settings.summary_language,
    )


async def send_summary(message: Message, context: Context, source: Source) -> None:
    """Summarize one source and reply; expected failures become a clear message."""
    deps = deps_of(context)
    async with typing(context.bot, message.chat_id, message.message_thread_id):
        try:
            result = await deps.skim.summarize(source, _options(context))
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


async def summarize_message(update: Update, context: Context) -> None:
    """Summarize the links (the first few) or the long text a user sent."""
    message = update.effective_message
    if message is None:
        return
    limit = deps_of(context).settings.max_links_per_message
    urls = message_urls(message)
    if urls:
        for url in urls[:limit]:
            await send_summary(message, context, UrlSource(url))
        if len(urls) > limit:
            await message.reply_text(more_links_note(limit, len(urls)))
        return
    source = message_source(message)
    if source is None:
        await message.reply_text(NOTHING_TO_READ)
        return
    await send_summary(message, context, source)


def _readable(file_name: str, mime_type: str | None) -> bool:
    return (
        PurePath(file_name).suffix.lower() in READABLE_EXTENSIONS
        or (mime_type or "").lower() in READABLE_MIME_TYPES
    )


async def summarize_document(update: Update, context: Context) -> None:
    """Summarize a PDF, text, Markdown or HTML file sent to the bot."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    document = message.document
    file_name = document.file_name or "document"
    if not _readable(file_name, document.mime_type):
        await message.reply_text(DOCUMENT_UNSUPPORTED, do_quote=True)
        return
    if document.file_size and document.file_size > MAX_DOCUMENT_BYTES:
        await message.reply_text(DOCUMENT_TOO_BIG, do_quote=True)
        return
    try:
        telegram_file = await context.bot.get_file(document.file_id)
        data = bytes(await telegram_file.download_as_bytearray())
    except TelegramError as error:
        log.info("document download failed in chat %s: %s", message.chat_id, error)
        too_big = "too big" in str(error).lower()
        await message.reply_text(
            DOCUMENT_TOO_BIG if too_big else DOCUMENT_DOWNLOAD_FAILED, do_quote=True
        )
        return
    await send_summary(
        message, context, FileSource(data=data, filename=file_name, mime_type=document.mime_type)
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Private text, captions and documents that are not commands."""
    private = filters.ChatType.PRIVATE & ~filters.COMMAND
    app.add_handler(MessageHandler(private & filters.Document.ALL, summarize_document))
    app.add_handler(MessageHandler(private & (filters.TEXT | filters.CAPTION), summarize_message))
