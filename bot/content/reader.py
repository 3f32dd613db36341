"""From a Source to a Document: fetch when needed, then extract off the event loop.

Links are routed by what they are before anything is fetched (a YouTube video, a public
Telegram post) and by what they turn out to be after (a recording, a podcast feed, an episode
page whose text is only show notes); recordings and pictures go to the media reader.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import PurePath
from urllib.parse import urlsplit

from bot.content.budget import MarkupBudget
from bot.content.document import Document, SourceKind
from bot.content.extract import extract_bytes, extract_plain, media_type_for_file
from bot.content.fetch import Fetcher, FetchResult, is_recording_type, sniff_recording
from bot.content.packed import unpacked
from bot.content.podcast import SHOW_NOTES_WORDS, feed_audio, is_feed, page_audio
from bot.content.sources import (
    FileSource,
    ImageSource,
    MediaSource,
    Source,
    TextSource,
    UrlSource,
)
from bot.content.telegram_posts import embed_url, parse_embed, parse_post_link
from bot.content.youtube import YouTube, video_id
from bot.errors import (
    ExtractionError,
    InvalidSourceError,
    SkimError,
    UnsupportedContentError,
    VideoError,
)
from bot.media.info import RECORDING_EXTENSIONS
from bot.media.reading import MediaHooks, MediaReader, picture_type, transcript_document
from bot.media.transcript import format_timestamp
from bot.metrics import Metrics
from bot.values import Progress, Stage

log = logging.getLogger(__name__)
NO_HOOKS = MediaHooks()
# Besides those the endpoint takes as they are, containers a recording arrives in (cut or
# transcoded before the upload).


class ContentReader:
    """Reads any Source; CPU-heavy extraction runs in a worker thread."""

    def __init__(
        self,
        fetcher: Fetcher,
        budget: MarkupBudget | None = None,
        *,
        media: MediaReader | None = None,
        youtube: YouTube | None = None,
        telegram_base: str = "https://t.me",
        media_max_bytes: int = 100_000_000,
        metrics: Metrics | None = None,
    ) -> None:
        self._fetcher = fetcher
        self._budget = budget or MarkupBudget()
        self._media = media or MediaReader(None)
        self._youtube = youtube
        self._telegram_base = telegram_base
        self._media_max_bytes = media_max_bytes
        self._metrics = metrics or Metrics()

    @property
    def media(self) -> MediaReader:
        return self._media

    async def read(
        self, source: Source, *, explain: list[str] | None = None, hooks: MediaHooks = NO_HOOKS
    ) -> Document:
        """Read any source; ``explain``, when given, receives lines on how the text was chosen."""
        if isinstance(source, UrlSource):
            return await self.read_url(source.url, explain=explain, hooks=hooks)
        if isinstance(source, FileSource):
            return await self.read_file(source, explain=explain, hooks=hooks)
        if isinstance(source, MediaSource):
            return await self.read_media(source, hooks)
        if isinstance(source, ImageSource):
            return await self.read_image(source, hooks)
        if explain is not None:
            explain.append("source kind: message (no HTML candidates)")
        return self.read_text(source)

    async def read_url(
        self, url: str, *, explain: list[str] | None = None, hooks: MediaHooks = NO_HOOKS
    ) -> Document:
        video = video_id(url)
        if video is not None and self._youtube is not None:
            return await self.read_video(video, hooks)
        post = parse_post_link(url)
        if post is not None:
            result = await self._fetcher.fetch(embed_url(post, self._telegram_base))
            return await asyncio.to_thread(parse_embed, result.body, post)
        try:
            result = await self._fetcher.fetch(url)
        except UnsupportedContentError as error:
            if is_recording_type(str(error.values.get("type", ""))):
                self._media.require_transcriber()  # the clear "how to enable it" message
            raise
        if is_recording_type(result.media_type):
            return await self._read_fetched_recording(result, hooks, title=None)
        if self._media.can_transcribe and is_feed(result.media_type, result.body):
            audio = await asyncio.to_thread(feed_audio, result.body, result.final_url)
            if audio is not None:
                return await self._read_declared(audio, hooks, title=None, page=result.final_url)
        return await self._read_page(result, explain, hooks)

    async def _read_page(
        self, result: FetchResult, explain: list[str] | None, hooks: MediaHooks
    ) -> Document:
        """A page; an episode page whose own text is only show notes is read by its audio.

        The audio is looked for within the page's parse budget and off the event loop, like
        the extraction: a page of megabytes of markup is refused before either parses it.
        """
        audio = None
        looks_for_audio = self._media.can_transcribe and result.media_type in (
            "text/html",
            "application/xhtml+xml",
        )
        try:
            async with self._budget.parsing(result.body, result.media_type):
                if looks_for_audio:
                    audio = await asyncio.to_thread(page_audio, result.body, result.final_url)
                document = await asyncio.to_thread(
                    extract_bytes,
                    result.body,
                    result.media_type,
                    charset=result.charset,
                    url=result.final_url,
                    filename=urlsplit(result.final_url).path.rsplit("/", 1)[-1] or None,
                    explain=explain,
                )
        except ExtractionError:
            if audio is None:
                raise
            return await self._read_declared(audio, hooks, title=None, page=result.final_url)
        if audio is not None and document.word_count < SHOW_NOTES_WORDS:
            if explain is not None:
                explain.append(f"episode page: {document.word_count} words of notes, audio {audio}")
            return await self._read_declared(
                audio, hooks, title=document.title, page=result.final_url
            )
        return document

    async def _read_declared(
        self, audio_url: str, hooks: MediaHooks, *, title: str | None, page: str
    ) -> Document:
        """The audio a page or feed points to, fetched with every check a link gets."""
        await hooks.report(Progress(Stage.DOWNLOADING))
        result = await self._fetcher.fetch(audio_url)
        if not is_recording_type(result.media_type):
            # The host only: a private feed's links carry their subscriber's token.
            host = urlsplit(audio_url).hostname
            raise ExtractionError(key="err_not_media", detail=f"the audio on {host} is not audio")
        document = await self._read_fetched_recording(result, hooks, title=title)
        return replace(document, url=page, canonical_url=page)

    async def _read_fetched_recording(
        self, result: FetchResult, hooks: MediaHooks, *, title: str | None
    ) -> Document:
        name = PurePath(urlsplit(result.final_url).path).name or "audio"
        return await self._media.read_recording(
            result.body,
            name,
            hooks,
            kind="video" if result.media_type.startswith("video/") else "audio",
            title=title or name,
            url=result.final_url,
        )

    async def read_video(self, video: str, hooks: MediaHooks) -> Document:
        """A YouTube video: its captions, else (when a transcriber is set up) its audio."""
        try:
            document, path = await self._read_video(video, hooks)
        except SkimError as error:
            self._metrics.videos.labels(error.key).inc()
            raise
        self._metrics.videos.labels(path).inc()
        return document

    async def _read_video(self, video: str, hooks: MediaHooks) -> tuple[Document, str]:
        assert self._youtube is not None
        path = "captions"
        await hooks.report(Progress(Stage.CAPTIONS))
        info, captions = await self._youtube.info_and_captions(video)  # a live stream: refused
        if captions is None:
            if not self._media.can_transcribe:
                raise VideoError(key="err_youtube_no_captions", detail=f"{video}: no captions")
            self._media.check_length(info.duration)
            await hooks.report(Progress(Stage.DOWNLOADING))
            data = await self._youtube.audio(video, max_bytes=self._media_max_bytes)
            captions, _ = await self._media.transcript(data, f"{video}.m4a", hooks)
            path = "audio"
        document = transcript_document(
            captions,
            kind="youtube",
            title=info.title,
            url=f"https://www.youtube.com/watch?v={video}",
            duration=info.duration,
            media_link=f"https://youtu.be/{video}",
            author=info.channel,
            date=info.published,
            site_name="YouTube",
        )
        if info.chapters:
            lines = [f"[{format_timestamp(c.start)}] {c.title}" for c in info.chapters]
            text = "Chapters:\n" + "\n".join(lines) + "\n\n" + document.text
            document = replace(document, text=text)
        return document, path

    async def read_media(self, source: MediaSource, hooks: MediaHooks) -> Document:
        """A Telegram recording: limits checked on what was declared, before downloading."""
        self._media.require_transcriber()
        self._media.check_length(source.duration)
        await hooks.report(Progress(Stage.DOWNLOADING))
        data = await source.load()
        kind: SourceKind = "video" if source.kind in ("video", "video_note") else "audio"
        return await self._media.read_recording(
            data,
            source.filename,
            hooks,
            kind=kind,
            title=source.title,
            declared=source.duration,
            trusted=source.kind in ("voice", "video_note"),
        )

    async def read_image(self, source: ImageSource, hooks: MediaHooks) -> Document:
        await hooks.report(Progress(Stage.LOOKING))
        return await self._media.read_pictures([source.load, *source.more], caption=source.caption)

    async def read_file(
        self, source: FileSource, *, explain: list[str] | None = None, hooks: MediaHooks = NO_HOOKS
    ) -> Document:
        if source.load is not None:
            source = replace(source, data=await source.load(), load=None)
        source = unpacked(source)
        if not source.data.strip():
            raise InvalidSourceError(key="err_empty_file", name=source.filename)
        if picture_type(source.data) is not None:
            return await self._media.read_picture(source.data)
        if _is_recording(source):
            self._media.require_transcriber()
            return await self._media.read_recording(
                source.data, source.filename, hooks, title=source.filename
            )
        media_type = media_type_for_file(source.filename, source.mime_type, source.data)
        async with self._budget.parsing(source.data, media_type):
            return await asyncio.to_thread(
                extract_bytes, source.data, media_type, filename=source.filename, explain=explain
            )

    @staticmethod
    def read_text(source: TextSource) -> Document:
        if not source.text.strip():
            raise InvalidSourceError(key="err_no_text_to_read")
        document = extract_plain(source.text)
        if source.title:
            return Document(
                **{**document.to_dict(), "title": source.title, "source_kind": "message"}
            )
        return Document(**{**document.to_dict(), "source_kind": "message"})


def _is_recording(source: FileSource) -> bool:
    if sniff_recording(source.data[:64]) is not None:
        return True
    declared = (source.mime_type or "").lower()
    return is_recording_type(declared) or (
        PurePath(source.filename).suffix.lower() in RECORDING_EXTENSIONS
    )
