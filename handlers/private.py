"""Private chats: links, long texts, forwarded posts and documents in; summaries out."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from difflib import get_close_matches
from pathlib import PurePath

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.content.ebook import EPUB_TYPE
from bot.content.office import DOCX_TYPE, WORD_97_TYPE
from bot.content.packed import inner_name
from bot.content.rtf import RTF_TYPES
from bot.content.slides import PPT_97_TYPE, PPTX_TYPE
from bot.content.sources import FileSource, TextSource, UrlSource
from bot.errors import SkimError
from bot.i18n import t
from handlers.addressing import delivery_for, is_group
from handlers.context import Context
from handlers.questions import answer_in_thread, replies_to_bot
from handlers.replies import send_text
from handlers.sources import (
    Paste,
    asks_beside_links,
    message_urls,
    text_source,
    unreadable_scheme,
    without_links,
)
from handlers.summaries import deliver_answer, deliver_links, deliver_summary

log = logging.getLogger(__name__)

# The Bot API's getFile refuses files above 20 MB.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
READABLE_EXTENSIONS = frozenset(
    {
        ".pdf",
        ".docx",
        ".docm",
        ".dotx",
        ".doc",
        ".pptx",
        ".pptm",
        ".ppsx",
        ".ppt",
        ".epub",
        ".rtf",
        ".txt",
        ".text",
        ".md",
        ".markdown",
        ".html",
        ".htm",
        ".xhtml",
    }
)
READABLE_MIME_TYPES = frozenset(
    {
        "application/pdf",
        DOCX_TYPE,
        WORD_97_TYPE,
        PPTX_TYPE,
        PPT_97_TYPE,
        EPUB_TYPE,
        *RTF_TYPES,
        "text/plain",
        "text/markdown",
        "text/x-markdown",
        "text/html",
        "application/xhtml+xml",
    }
)
# Telegram splits a paste over 4,096 characters into several messages sent back to back.
SPLIT_PART_CHARS = 3000
PASTE_WINDOW = 1.5


async def summarize_links_or_text(
    update: Update, context: Context, message: Message, urls: list[str] | None = None
) -> None:
    """Summarize the first few links of a message, or its text when there are none; a question
    beside one link ("<link> does it say when?") is answered from it after its summary."""
    urls = message_urls(message) if urls is None else urls
    if len(urls) == 1 and asks_beside_links(message):
        await _summarize_and_answer(update, context, message, urls[0])
        return
    if urls:
        await deliver_links(context, await delivery_for(update, context, None), urls)
        return
    source = text_source(message)
    delivery = await delivery_for(update, context, source)
    if source is None:
        scheme = unreadable_scheme(message)
        if scheme is not None:
            log.info("a %s: link is no web page", scheme)
            hint = t("link_scheme_unreadable", delivery.language, scheme=scheme)
        else:
            hint = t("nothing_to_read", delivery.language)
        await send_text(context, delivery, hint)
        return
    await deliver_summary(context, delivery)


async def _summarize_and_answer(
    update: Update, context: Context, message: Message, url: str
) -> None:
    delivery = await delivery_for(update, context, UrlSource(url))
    sent = await deliver_summary(context, delivery)
    if sent is None:
        return
    thread = await context.state.thread(sent.chat_id, sent.message_id)
    question = without_links(message)
    if thread is not None and question:
        await deliver_answer(context, replace(delivery, source=None), thread, question)


def _paste_key(message: Message) -> tuple[int, int]:
    return message.chat_id, message.from_user.id if message.from_user else 0


async def on_private_text(update: Update, context: Context) -> None:
    """A private message: a question in reply to a summary, a paste part, or something to read."""
    message = update.effective_message
    if message is None:
        return
    if message.via_bot is not None and message.via_bot.id == context.bot.id:
        return  # our own inline result, sent in the chat with us: it is a summary already
    text = message.text or message.caption or ""
    if replies_to_bot(message, context.bot.id) and await answer_in_thread(update, context, text):
        return
    pastes = context.bot_data.pastes
    key = _paste_key(message)
    paste = pastes.get(key)
    if paste is None:
        if len(text) < SPLIT_PART_CHARS:
            await summarize_links_or_text(update, context, message)
            return
        # A text this long is the thing to read, links in it or not (sources it cites); it may
        # be the first part of a paste Telegram split.
        paste = pastes[key] = Paste(update)
    paste.parts.append(text)
    if paste.timer is not None:
        paste.timer.cancel()
    loop = asyncio.get_running_loop()
    paste.timer = loop.call_later(
        PASTE_WINDOW,
        lambda: context.application.create_task(_flush_paste(context, key), update=update),
    )


async def _flush_paste(context: Context, key: tuple[int, int]) -> None:
    pastes = context.bot_data.pastes
    paste = pastes.pop(key, None)
    if paste is None:
        return
    merged = "\n".join(paste.parts)
    delivery = await delivery_for(paste.update, context, TextSource(merged))
    await deliver_summary(context, delivery)


def _readable(file_name: str, mime_type: str | None) -> bool:
    """By the file's name, or the name inside a gzip-compressed one (`page.html.gz`), whose
    declared type is the archive's."""
    inner = inner_name(file_name)
    suffix = PurePath(inner).suffix.lower()
    readable_name = suffix in READABLE_EXTENSIONS
    if inner != file_name:
        return readable_name
    if not suffix and (mime_type or "").lower() in ("", "application/octet-stream"):
        return True  # nameless and typeless: its first bytes tell (a PDF, a page, binary)
    return readable_name or (mime_type or "").lower() in READABLE_MIME_TYPES


async def on_private_document(update: Update, context: Context) -> None:
    """Summarize a PDF, Word, text, Markdown or HTML file sent to the bot."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    await summarize_document_message(update, context, message)


async def summarize_document_message(update: Update, context: Context, message: Message) -> None:
    """Download a message's document through the Bot API and summarize it."""
    assert message.document is not None
    document = message.document
    delivery = await delivery_for(update, context, None)
    file_name = document.file_name or "document"
    if not _readable(file_name, document.mime_type):
        await send_text(context, delivery, t("document_unsupported", delivery.language))
        return
    if document.file_size and document.file_size > MAX_DOCUMENT_BYTES:
        await send_text(context, delivery, t("document_too_big", delivery.language))
        return

    async def load() -> bytes:
        """Downloaded when the work gets to it, after admission (not for a refused request)."""
        try:
            telegram_file = await context.bot.get_file(document.file_id)
            return bytes(await telegram_file.download_as_bytearray())
        except TelegramError as error:
            log.info("document download failed in chat %s: %s", message.chat_id, error)
            too_big = "too big" in str(error).lower()
            key = "document_too_big" if too_big else "document_download_failed"
            raise SkimError(key=key, detail=f"getFile: {error}") from None

    # A PDF named notes.txt is read as the PDF it is: see `media_type_for_file`.
    delivery.source = FileSource(
        data=b"", filename=file_name, mime_type=document.mime_type, load=load
    )
    sent = await deliver_summary(context, delivery)
    # "What did the treasurer report?" as the caption of a file sent to us (not someone's
    # file that a /summary in a group points to: its caption was not asked of us).
    asked = update.effective_message is message and not is_group(message.chat.type)
    question = _caption_question(message) if asked else None
    if sent is not None and question:
        thread = await context.state.thread(sent.chat_id, sent.message_id)
        if thread is not None:
            await deliver_answer(context, replace(delivery, source=None), thread, question)


def _caption_question(message: Message) -> str | None:
    """A document's caption that asks about it (a question mark, no command)."""
    caption = (message.caption or "").strip()
    if not caption or caption.startswith("/") or not asks_beside_links(message):
        return None
    return caption


async def on_unknown_command(update: Update, context: Context) -> None:
    """A command Skim does not have (`/language` for /lang): say so, with the closest one we
    have, rather than nothing. In a group only one addressed to us (`/foo@skim_bot`): a bare
    one may be another bot's."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command, _, addressee = message.text.split(maxsplit=1)[0].partition("@")
    username = (context.bot.username or "").lower()
    if is_group(message.chat.type) and addressee.lower() != username:
        return
    delivery = await delivery_for(update, context, None)
    close = get_close_matches(command.lstrip("/").lower(), _known_commands(context), n=1)
    if close:
        text = t("unknown_command_close", delivery.language, command=command, close=f"/{close[0]}")
    else:
        text = t("unknown_command", delivery.language, command=command)
    await send_text(context, delivery, text)


def _known_commands(context: Context) -> list[str]:
    """Every command a handler of this application answers."""
    return sorted(
        {
            command
            for handlers in context.application.handlers.values()
            for handler in handlers
            if isinstance(handler, CommandHandler)
            for command in handler.commands
        }
    )


async def on_private_other(update: Update, context: Context) -> None:
    """A sticker, a location, a contact, a poll, a dice: nothing to read, and a way on."""
    delivery = await delivery_for(update, context, None)
    await send_text(context, delivery, t("nothing_to_read_here", delivery.language))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Private text, captions and documents that are not commands.

    Edits are not read again (as in groups): an edited link or question would repeat its
    summary or answer, an edited paste part would start a second paste.
    """
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND
    app.add_handler(MessageHandler(private & filters.Document.ALL, on_private_document))
    app.add_handler(MessageHandler(private & (filters.TEXT | filters.CAPTION), on_private_text))
    # Registered after every command handler: what reaches it is a command nobody handles.
    chats = filters.ChatType.PRIVATE | filters.ChatType.GROUPS
    app.add_handler(
        MessageHandler(chats & filters.UpdateType.MESSAGE & filters.COMMAND, on_unknown_command)
    )
    others = (
        filters.Sticker.ALL | filters.LOCATION | filters.CONTACT | filters.POLL | filters.Dice.ALL
    )
    app.add_handler(MessageHandler(private & others, on_private_other))
