"""Voice messages, audio, video notes, videos and pictures: read into a source, then summarized
or, for a short voice reply to a summary, heard as a question about it."""

from __future__ import annotations

import asyncio
import logging
import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from io import BytesIO
from pathlib import PurePath
from typing import Any

from telegram import InputFile, Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.content.sources import ImageSource, MediaKind, MediaSource, Source
from bot.errors import MediaError, SkimError
from bot.i18n import t
from bot.media.info import RECORDING_EXTENSIONS
from bot.render import preview, utf16_len
from bot.values import SummaryOptions
from handlers.addressing import Delivery, delivery_for, interface_language, is_admin, is_group
from handlers.context import Context
from handlers.keyboards import TRANSCRIPT
from handlers.private import summarize_links_or_text
from handlers.questions import answer_in_thread, replies_to_bot
from handlers.replies import answer_press, reply_to, send_text
from handlers.sources import Album, message_urls, text_source
from handlers.summaries import deliver_summary, thread_of

log = logging.getLogger(__name__)

# getFile refuses files above 20 MB: said before anything is downloaded.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
# A voice message this short, alone, gets a short summary; in reply to a summary, it is a question.
SHORT_RECORDING_SECONDS = 60
# A transcript longer than this (in UTF-16 units, as Telegram counts) goes out as a .txt
# document rather than as a message; a document's caption holds at most 1,024.
TRANSCRIPT_MESSAGE_UNITS = 3500
CAPTION_LIMIT = 1024
IMAGE_MIME_PREFIX = "image/"
# Seconds after an album's latest picture before it is read: Telegram sends them back to back.
ALBUM_WINDOW = 1.0


@dataclass(frozen=True)
class _Media:
    file_id: str
    unique_id: str
    kind: MediaKind | None  # None: a picture
    filename: str
    mime_type: str | None
    duration: float | None
    size: int | None
    title: str | None = None


# What each kind of recording is called and typed as when Telegram gives no name or type.
_DEFAULTS: dict[MediaKind | None, tuple[str, str | None]] = {
    "voice": ("voice.ogg", "audio/ogg"),
    "video_note": ("video_note.mp4", "video/mp4"),
    "audio": ("audio.mp3", None),
    "video": ("video.mp4", None),
    None: ("photo.jpg", "image/jpeg"),
}


def _attachment(message: Message) -> tuple[MediaKind | None, Any] | None:
    """The recording or picture object a message carries, and its kind (None: a picture)."""
    for kind in ("voice", "video_note", "audio", "video"):
        attached = getattr(message, kind)
        if attached is not None:
            return kind, attached
    if message.photo:
        return None, message.photo[-1]  # the largest size comes last
    document = message.document
    if document is None or message.animation is not None:
        return None  # a GIF comes as a silent video document: no recording, no picture
    declared = (document.mime_type or "").lower()
    if declared.startswith(IMAGE_MIME_PREFIX):
        return None, document
    named = PurePath(document.file_name or "").suffix.lower() in RECORDING_EXTENSIONS
    if declared.startswith(("audio/", "video/")) or declared == "application/ogg" or named:
        return "audio", document
    return None


def _media_of(message: Message) -> _Media | None:
    """The recording or picture a message carries, with what Telegram says about it."""
    found = _attachment(message)
    if found is None:
        return None
    kind, attached = found
    name, media_type = _DEFAULTS[kind]
    file_name = getattr(attached, "file_name", None)
    tags = (getattr(attached, "performer", None), getattr(attached, "title", None))
    title = " – ".join(tag for tag in tags if tag) or file_name
    return _Media(
        attached.file_id,
        attached.file_unique_id,
        kind,
        file_name or name,
        getattr(attached, "mime_type", None) or media_type,
        _seconds(getattr(attached, "duration", None)),
        attached.file_size,
        title,
    )


def _seconds(duration: object) -> float | None:
    """A declared duration: an int, or a timedelta in newer python-telegram-bot releases."""
    if isinstance(duration, timedelta):
        return duration.total_seconds()
    return float(duration) if isinstance(duration, int | float) else None


def carries_media(message: Message) -> bool:
    return _media_of(message) is not None


def _source(context: Context, media: _Media, caption: str | None) -> Source:
    load = _loader(context, media)
    if media.kind is None:
        return ImageSource(load, media.unique_id, media.mime_type, caption)
    return MediaSource(
        load,
        media.unique_id,
        media.kind,
        media.filename,
        media.mime_type,
        media.duration,
        media.size,
        media.title,
    )


def _loader(context: Context, media: _Media) -> Callable[[], Awaitable[bytes]]:
    """Downloads the file through the Bot API when the work gets to it (after admission)."""

    async def load() -> bytes:
        try:
            telegram_file = await context.bot.get_file(media.file_id)
            return bytes(await telegram_file.download_as_bytearray())
        except TelegramError as error:
            log.info("media download failed: %s", error)
            if "too big" in str(error).lower():
                if media.size is None:  # Telegram's file_size is optional
                    raise MediaError(
                        key="err_telegram_file_over_limit", detail="getFile: file is too big"
                    ) from None
                raise MediaError(
                    key="err_telegram_file_too_big",
                    megabytes=_megabytes(media.size),
                    detail="getFile: file is too big",
                ) from None
            raise SkimError(key="document_download_failed", detail=str(error)) from None

    return load


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


async def summarize_media_message(update: Update, context: Context, message: Message) -> None:
    """Transcribe (or read) a message's recording or picture and summarize it."""
    media = _media_of(message)
    assert media is not None
    reader = context.deps.skim.reader.media
    if media.kind is None and not reader.sees_pictures and text_source(message) is not None:
        # A post's picture with its words as the caption: without vision, the words are read.
        await summarize_links_or_text(update, context, message)
        return
    delivery = await delivery_for(update, context, None)
    if media.size and media.size > MAX_DOWNLOAD_BYTES:
        log.info("media of %s bytes refused in chat %s", media.size, delivery.chat_id)
        text = t("err_telegram_file_too_big", delivery.language, megabytes=_megabytes(media.size))
        await send_text(context, delivery, text)
        return
    if not await _can_read(context, delivery, media):
        return
    delivery.source = _source(context, media, message.caption)
    if media.kind == "voice" and media.duration and media.duration <= SHORT_RECORDING_SECONDS:
        delivery.options = SummaryOptions(
            "short", delivery.options.style, delivery.options.language
        )
    await deliver_summary(context, delivery)


async def _can_read(context: Context, delivery: Delivery, media: _Media) -> bool:
    """Say at once, without a status message, what no download would change."""
    reader = context.deps.skim.reader.media
    try:
        if media.kind is None:
            reader.require_vision()
        else:
            reader.require_transcriber()
            reader.check_length(media.duration)
    except SkimError as error:
        log.info("recording refused in chat %s: %s", delivery.chat_id, error.detail)
        await send_text(context, delivery, error.message_for(delivery.language))
        return False
    return True


async def _ask_by_voice(update: Update, context: Context, message: Message, media: _Media) -> bool:
    """A short recording in reply to a summary or an answer: its words are the question."""
    replied = message.reply_to_message
    if replied is None or await thread_of(context, replied) is None:
        return False
    source = _source(context, media, None)
    assert isinstance(source, MediaSource)
    delivery = await delivery_for(update, context, None)
    if not await _can_read(context, delivery, media):
        return True
    try:
        question = await context.pipeline.hear(source, delivery.caller)
    except SkimError as error:
        log.info("a spoken question in chat %s was not heard: %s", delivery.chat_id, error.detail)
        await send_text(context, delivery, error.message_for(delivery.language))
        return True
    return await answer_in_thread(update, context, question)


async def on_private_media(update: Update, context: Context) -> None:
    """A recording or picture sent to the bot: a spoken question, or something to summarize."""
    message = update.effective_message
    if message is None:
        return
    media = _media_of(message)
    if media is None:
        return
    if media.kind is None and message.media_group_id is not None:
        _collect_album(update, context, message)
        return
    if media.kind is None and message_urls(message):
        await summarize_links_or_text(update, context, message)  # a link under a picture
        return
    spoken = media.kind in ("voice", "video_note", "audio")
    short = media.duration is not None and media.duration <= SHORT_RECORDING_SECONDS
    if spoken and short and await _ask_by_voice(update, context, message, media):
        return
    await summarize_media_message(update, context, message)


def _collect_album(update: Update, context: Context, message: Message) -> None:
    """Telegram sends an album as one message per picture: they are read as one, once the
    last has come (ALBUM_WINDOW after the latest)."""
    assert message.media_group_id is not None
    key = (message.chat_id, message.media_group_id)
    album = context.bot_data.albums.setdefault(key, Album())
    album.messages.append((update, message))
    if album.timer is not None:
        album.timer.cancel()
    album.timer = asyncio.get_running_loop().call_later(
        ALBUM_WINDOW,
        lambda: context.application.create_task(_read_album(context, key), update=update),
    )


async def _read_album(context: Context, key: tuple[int, str]) -> None:
    album = context.bot_data.albums.pop(key, None)
    if album is None:
        return
    ordered = sorted(album.messages, key=lambda pair: pair[1].message_id)
    update, first = next(
        ((u, m) for u, m in ordered if m.caption), ordered[0]
    )  # Telegram puts the album's caption on one of its messages
    if message_urls(first):
        await summarize_links_or_text(update, context, first)  # a link under the pictures
        return
    pictures = [media for _, message in ordered if (media := _media_of(message)) is not None]
    if len(pictures) == 1 or not context.deps.skim.reader.media.sees_pictures:
        await summarize_media_message(update, context, first)
        return
    delivery = await delivery_for(update, context, None)
    loads = [_loader(context, media) for media in pictures]  # each says if it is too big
    delivery.source = ImageSource(
        loads[0],
        "+".join(media.unique_id for media in pictures),
        pictures[0].mime_type,
        first.caption,
        more=tuple(loads[1:]),
    )
    await deliver_summary(context, delivery)


async def on_group_voice(update: Update, context: Context) -> None:
    """In a group, a short voice reply to one of the bot's summaries or answers is a question."""
    message = update.effective_message
    if message is None or not replies_to_bot(message, context.bot.id):
        return
    media = _media_of(message)
    if media is None or media.duration is None or media.duration > SHORT_RECORDING_SECONDS:
        return
    await _ask_by_voice(update, context, message, media)


async def on_transcript(update: Update, context: Context) -> None:
    """The Transcript button: the whole timed transcript, as messages or a .txt file."""
    query = update.callback_query
    assert query is not None
    message = query.message
    language = interface_language(update)
    if not isinstance(message, Message):
        await answer_press(query)
        return
    thread = await thread_of(context, message)
    if thread is None:
        await answer_press(query, t("thread_forgotten", language), alert=True)
        return
    # Answered before the transcript is found: reading an article that left the cache again
    # can take longer than Telegram waits for an answer.
    await answer_press(query)
    delivery = Delivery(
        chat_id=message.chat.id,
        user_id=query.from_user.id,
        language=language,
        reply_to=message.message_id,
        thread_id=message.message_thread_id if message.is_topic_message else None,
        group=is_group(message.chat.type),
        exempt=is_admin(context, query.from_user.id),
    )
    try:
        document = await context.pipeline.thread_document(thread, delivery.caller)
    except SkimError as error:
        log.info("no transcript to send: %s", error.detail)
        gone = error.key == "thread_forgotten"
        text = t("transcript_gone", language) if gone else error.message_for(language)
        await send_text(context, delivery, text)
        return
    text = document.text
    if utf16_len(text) <= TRANSCRIPT_MESSAGE_UNITS:  # Telegram counts UTF-16 units
        await send_text(context, delivery, text)
        return
    title = document.title or t("voice_note_title", language)
    caption = preview(t("transcript_caption", language, title=title), CAPTION_LIMIT)
    try:
        await context.bot.send_document(
            message.chat.id,
            InputFile(BytesIO(text.encode("utf-8")), filename="transcript.txt"),
            caption=caption,
            reply_parameters=reply_to(message.message_id),
            message_thread_id=delivery.thread_id,
            parse_mode=None,
        )
    except TelegramError as error:
        log.info("could not send a transcript in chat %s: %s", message.chat.id, error)


MEDIA = (
    filters.VOICE
    | filters.AUDIO
    | filters.VIDEO_NOTE
    | filters.VIDEO
    | filters.PHOTO
    | filters.Document.IMAGE
    | filters.Document.AUDIO
    | filters.Document.VIDEO
    # Recordings sent as files of no audio type: Ogg's registered type, or a name's extension
    # (a client sends application/octet-stream for an extension it does not know).
    | filters.Document.MimeType("application/ogg")
    | reduce(
        operator.or_,
        [filters.Document.FileExtension(e.lstrip(".")) for e in sorted(RECORDING_EXTENSIONS)],
    )
) & ~filters.ANIMATION  # a GIF is a silent video document: nothing to hear or read


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Before the document and text handlers: a captioned photo is read as a picture."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND
    app.add_handler(MessageHandler(private & MEDIA, on_private_media))
    spoken = filters.VOICE | filters.VIDEO_NOTE
    group_reply = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE & filters.REPLY
    app.add_handler(MessageHandler(group_reply & spoken, on_group_voice))
    app.add_handler(CallbackQueryHandler(on_transcript, pattern=f"^{TRANSCRIPT}$"))
