"""Recordings and pictures into Documents: the limits, the minutes quota, then the model.

Everything a recording costs is decided here before any money is spent: its real length
(probed, not taken from the sender), `MAX_MEDIA_MINUTES`, then the caller's minutes quota
(`charge`, run only by the request that will transcribe). A picture is read by the LLM's image
input only when the operator enabled it (`LLM_VISION`).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from bot.content.document import Document, SourceKind
from bot.content.extract import extract_plain
from bot.content.fetch import sniff_media_type, sniff_recording
from bot.errors import LLMError, MediaError, SkimError, TranscriptionError
from bot.llm.client import LLMClient
from bot.media.info import ACCEPTED_EXTENSIONS, MediaInfo
from bot.media.transcribe import Transcriber
from bot.media.transcript import (
    MARKER_RE,
    Transcript,
    anchor_moments,
    format_timestamp,
    parse_timestamp,
)
from bot.metrics import Metrics
from bot.values import Progress, Stage

log = logging.getLogger(__name__)

Report = Callable[[Progress], Awaitable[None]]
# Called with the recording's seconds just before it is transcribed; raises to refuse.
Charge = Callable[[float], Awaitable[None]]  # seconds to count; negative ones give back

# A picture's types the OpenAI image input takes.
PICTURE_TYPES = {
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF8": "image/gif",
}
READ_PICTURE = (
    "Transcribe all the readable text in this image exactly, in its original language, in "
    "reading order, as plain text with paragraphs. Leave out interface chrome (buttons, menus, "
    "status bars). If the image holds no readable text, answer with nothing but NO_TEXT."
)
NO_TEXT = "NO_TEXT"
# A caption this long is words of its own (a post under its picture), read with the picture's.
CAPTION_TEXT_WORDS = 20


async def _nothing(_: object) -> None:
    return None


@dataclass(frozen=True)
class MediaHooks:
    """What one request lends the reading of a recording: its status line and its quota."""

    report: Report = _nothing
    charge: Charge = _nothing


@dataclass(frozen=True)
class MediaLimits:
    max_seconds: float = 90 * 60


# A recording PyAV can't read gets its length estimated from its size (128 kbit/s).
ESTIMATED_BYTES_PER_SECOND = 16_000


def upload_name(filename: str) -> str:
    """A name whose extension the endpoint accepts (it judges the format by it)."""
    path = PurePath(filename)
    if path.suffix.lower().lstrip(".") in ACCEPTED_EXTENSIONS:
        return path.name
    return f"{path.stem or 'audio'}.ogg"


def _endpoint_may_read(
    error: MediaError, data: bytes, filename: str, trusted: bool, limit: int
) -> bool:
    """Whether bytes PyAV refused may still be a recording the endpoint reads."""
    if error.key != "err_not_media" or len(data) > limit or not data:
        return False
    if trusted or sniff_recording(data[:64]) is not None:
        return True
    head = data[:1024]
    if picture_type(data) is not None or head.startswith((b"%PDF", b"PK\x03\x04", b"\x1f\x8b")):
        return False
    if sniff_media_type(head) == "text/html":  # a page served as audio: it says so itself
        return False
    return PurePath(filename).suffix.lower().lstrip(".") in ACCEPTED_EXTENSIONS


def picture_type(data: bytes) -> str | None:
    """The image type by its first bytes; WebP is RIFF....WEBP."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    for magic, media_type in PICTURE_TYPES.items():
        if data.startswith(magic):
            return media_type
    return None


class MediaReader:
    """Transcribes recordings and reads pictures; both engines are optional."""

    def __init__(
        self,
        transcriber: Transcriber | None,
        *,
        vision: LLMClient | None = None,
        limits: MediaLimits | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._transcriber = transcriber
        self._vision = vision
        self._limits = limits or MediaLimits()
        self._metrics = metrics or Metrics()

    @property
    def can_transcribe(self) -> bool:
        return self._transcriber is not None

    @property
    def sees_pictures(self) -> bool:
        return self._vision is not None

    def require_vision(self) -> None:
        if self._vision is None:
            raise MediaError(key="err_vision_disabled", detail="LLM_VISION is off")

    @property
    def max_seconds(self) -> float:
        return self._limits.max_seconds

    def check_length(self, seconds: float | None) -> None:
        """Refuse a recording over MAX_MEDIA_MINUTES (before downloading, when it is declared)."""
        if seconds is not None and seconds > self._limits.max_seconds:
            raise MediaError(
                key="err_media_too_long",
                minutes=math.ceil(seconds / 60),
                limit=round(self._limits.max_seconds / 60),
                detail=f"recording of {seconds:.0f} s over the limit",
            )

    def require_transcriber(self) -> Transcriber:
        if self._transcriber is None:
            raise TranscriptionError(key="err_no_transcriber", detail="no transcription endpoint")
        return self._transcriber

    async def transcript(
        self,
        data: bytes,
        filename: str,
        hooks: MediaHooks,
        *,
        declared: float | None = None,
        trusted: bool = False,
    ) -> tuple[Transcript, MediaInfo]:
        """The recording's transcript, after its limits and the caller's quota allow it.

        Its length is measured, not believed. A file PyAV cannot read goes to the endpoint as
        it is when it may still be a recording: Telegram's own voice and video notes
        (`trusted`, with their declared length), or bytes that look like no other kind of file.
        """
        transcriber = self.require_transcriber()
        as_is = False
        from bot.media.probe import probe  # FFmpeg is loaded by the first recording

        try:
            info = await asyncio.to_thread(probe, data)
        except MediaError as error:
            if not _endpoint_may_read(error, data, filename, trusted, transcriber.upload_limit):
                raise
            # Not the file's name: users name files after what is in them.
            kind = PurePath(filename).suffix or "a file without an extension"
            log.info("PyAV can't read a %s file (%s); sending it as it is", kind, error.detail)
            seconds = declared if declared else len(data) / ESTIMATED_BYTES_PER_SECOND
            info = MediaInfo(seconds, has_audio=True, has_video=False, format_name="")
            as_is = True
        self.check_length(info.duration)
        await hooks.charge(info.duration)
        try:
            transcript = await self._transcribe(transcriber, data, filename, info, as_is, hooks)
        except BaseException:  # failed, empty or cancelled: the minutes were not used
            await hooks.charge(-info.duration)
            raise
        return transcript, info

    async def _transcribe(
        self,
        transcriber: Transcriber,
        data: bytes,
        filename: str,
        info: MediaInfo,
        as_is: bool,
        hooks: MediaHooks,
    ) -> Transcript:
        await hooks.report(Progress(Stage.TRANSCRIBING, format_timestamp(info.duration)))
        try:
            if as_is:
                transcript = await transcriber.transcribe_as_is(
                    data, upload_name(filename), info.duration
                )
            else:
                transcript = await transcriber.transcribe(data, filename, info=info)
        except SkimError as error:
            self._metrics.transcriptions.labels(type(error).__name__).inc()
            raise
        self._metrics.transcriptions.labels("ok").inc()
        self._metrics.transcribed_seconds.inc(info.duration)
        if not transcript.text.strip():
            raise MediaError(key="err_media_empty", detail="the transcript is empty")
        return transcript

    async def read_recording(
        self,
        data: bytes,
        filename: str,
        hooks: MediaHooks,
        *,
        kind: SourceKind = "audio",
        title: str | None = None,
        url: str | None = None,
        declared: float | None = None,
        trusted: bool = False,
    ) -> Document:
        """A recording as a Document whose text is its timed transcript (`[m:ss]` markers)."""
        transcript, info = await self.transcript(
            data, filename, hooks, declared=declared, trusted=trusted
        )
        return transcript_document(
            transcript,
            kind="video" if kind == "audio" and info.has_video else kind,
            title=title,
            url=url,
            duration=info.duration,
        )

    async def read_picture(self, data: bytes, *, caption: str | None = None) -> Document:
        """The text in a picture, read by the vision model."""
        return await self.read_pictures([_loaded(data)], caption=caption)

    async def read_pictures(
        self, loads: Sequence[Callable[[], Awaitable[bytes]]], *, caption: str | None = None
    ) -> Document:
        """The text in pictures (an album's, in order), read by the vision model, with the
        caption when it is text of its own (a post's words under its picture), not a title.

        A picture without text is passed over; none with text and no such caption is an error.
        """
        self.require_vision()
        texts = []
        for load in loads:
            try:
                texts.append(await self._picture_text(await load()))
            except MediaError as error:
                if error.key != "err_image_no_text":
                    raise
        words = caption.split() if caption else []
        if caption and len(words) >= CAPTION_TEXT_WORDS:
            texts.append(caption.strip())
        if not texts:
            raise MediaError(key="err_image_no_text", detail="the model found no text")
        read = extract_plain("\n\n".join(texts))
        return Document(
            text=read.text,
            source_kind="image",
            title=caption.strip()[:200] if caption and caption.strip() else None,
            language=read.language,
        )

    async def _picture_text(self, data: bytes) -> str:
        assert self._vision is not None
        media_type = picture_type(data)
        if media_type is None:
            raise MediaError(key="err_image_unreadable", detail="not a JPEG, PNG, WebP or GIF")
        try:
            text = await self._vision.look(data, media_type, READ_PICTURE)
        except LLMError:
            self._metrics.pictures.labels("failed").inc()
            raise
        if not text.strip() or text.strip().strip(".").upper() == NO_TEXT:
            self._metrics.pictures.labels("no_text").inc()
            raise MediaError(key="err_image_no_text", detail="the model found no text")
        self._metrics.pictures.labels("ok").inc()
        return text


def _loaded(data: bytes) -> Callable[[], Awaitable[bytes]]:
    async def load() -> bytes:
        return data

    return load


def transcript_document(
    transcript: Transcript,
    *,
    kind: SourceKind,
    title: str | None = None,
    url: str | None = None,
    duration: float | None = None,
    media_link: str | None = None,
    author: str | None = None,
    date: str | None = None,
    site_name: str | None = None,
) -> Document:
    """The one shape of every transcript: timed text, the language detected from the words."""
    timed = transcript.timed_text()
    detected = extract_plain(transcript.text).language
    return Document(
        text=timed,
        source_kind=kind,
        title=title,
        url=url,
        canonical_url=url,
        language=detected or (transcript.language if _is_code(transcript.language) else None),
        duration=duration if duration is not None else transcript.duration,
        media_link=media_link,
        author=author,
        date=date,
        site_name=site_name,
    )


def _is_code(language: str | None) -> bool:
    return language is not None and len(language) == 2 and language.isalpha()


def cite_moments(text: str, document: Document) -> str:
    """A model's text about a recording with only real times: every `[m:ss]` becomes one of
    the transcript's own markers (never invented); rendering links them into the video."""
    if not document.is_recording or not document.text:
        return text
    allowed = [
        seconds
        for match in MARKER_RE.finditer(document.text)
        if (seconds := parse_timestamp(match["time"])) is not None
    ]
    return anchor_moments(text, allowed, document.duration or 0.0)
