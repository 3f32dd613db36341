"""Speech to text through an OpenAI-compatible `/audio/transcriptions` endpoint.

The recording is probed and cut into uploads (`bot.media.probe`, in a thread), each upload is
transcribed with segment times, and the parts are joined on one timeline. Every failure ends
as one of our exceptions; retries are the client's own (`max_retries` of the AsyncOpenAI given).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.errors import MediaError, SkimError, TranscriptionError
from bot.media.info import AudioPart, MediaInfo
from bot.media.transcript import Segment, Transcript, from_plain, join

if TYPE_CHECKING:  # loaded only where a transcription endpoint is configured
    import openai

__all__ = ["Transcriber"]

log = logging.getLogger(__name__)
GPT_4O_PART_SECONDS = 1_300.0

# Parts of one long recording sent at once: faster than one by one, gentle on rate limits.
PARALLEL_PARTS = 3
# What a 400 says when the file itself is the problem, not our request.
_BAD_FILE_HINTS = ("invalid file format", "corrupted or unsupported", "could not be decoded")


class Transcriber:
    """Turns recordings into timed transcripts; built once at startup, shared by requests."""

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        model: str = "whisper-1",
        *,
        upload_limit: int = 24 * 1024 * 1024,
        timeout: float = 300.0,
    ) -> None:
        self.client = client
        self.model = model
        self.upload_limit = upload_limit
        # OpenAI's gpt-4o transcription models refuse audio over 1,400 s: longer recordings go
        # in slices with room to spare.
        self.part_seconds = GPT_4O_PART_SECONDS if "gpt-4o" in model else None
        self.timeout = timeout
        # Set once the endpoint refuses `verbose_json` (gpt-4o-transcribe does): no times then.
        self.plain_only = False

    async def transcribe(
        self,
        data: bytes,
        filename: str,
        *,
        info: MediaInfo | None = None,
        language: str | None = None,
    ) -> Transcript:
        """The transcript of `data`; MediaError for what is not a recording, TranscriptionError
        when the endpoint fails or `timeout` seconds pass."""
        from bot.media.probe import probe, upload_parts  # FFmpeg, loaded on first use

        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                if info is None:
                    info = await asyncio.to_thread(probe, data)
                parts = await asyncio.to_thread(
                    upload_parts,
                    data,
                    info,
                    filename=filename,
                    limit_bytes=self.upload_limit,
                    limit_seconds=self.part_seconds,
                )
                texts = await self._parts(parts, info.duration, language)
        except TimeoutError:
            log.warning("transcription took more than %.0f s; given up", self.timeout)
            raise TranscriptionError(detail=f"no transcript within {self.timeout:g} s") from None
        log.info(
            "transcribed %.1f s of audio in %d part(s), %.1f s",
            info.duration,
            len(parts),
            time.monotonic() - started,
        )
        whole = join(zip((p.offset for p in parts), texts, strict=True), info.duration)
        return Transcript(whole.segments, language or whole.language, info.duration)

    async def transcribe_as_is(
        self, data: bytes, filename: str, duration: float, *, language: str | None = None
    ) -> Transcript:
        """Send a file PyAV could not read as it is, and let the endpoint decide: a codec we
        don't bundle may still be one it reads. One part; `duration` as declared or estimated."""
        part = AudioPart(data, filename, 0.0)
        try:
            async with asyncio.timeout(self.timeout):
                texts = await self._parts([part], duration, language)
        except TimeoutError:
            log.warning("transcription took more than %.0f s; given up", self.timeout)
            raise TranscriptionError(detail=f"no transcript within {self.timeout:g} s") from None
        whole = join([(0.0, texts[0])], duration)
        return Transcript(whole.segments, language or whole.language, whole.duration)

    async def _parts(
        self, parts: Sequence[AudioPart], duration: float, language: str | None
    ) -> list[Transcript]:
        """Each part's transcript, on its own timeline, in order."""
        ends = [p.offset for p in parts[1:]] + [duration]
        lengths = [max(0.0, end - p.offset) for p, end in zip(parts, ends, strict=True)]
        if len(parts) == 1:
            return [await self._part(parts[0], lengths[0], language)]
        gate = asyncio.Semaphore(PARALLEL_PARTS)

        async def one(part: AudioPart, length: float) -> Transcript:
            async with gate:
                return await self._part(part, length, language)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(p, n)) for p, n in zip(parts, lengths, strict=True)]
        except BaseExceptionGroup as failed:
            raise _first_of(failed) from None
        return [task.result() for task in tasks]

    async def _part(self, part: AudioPart, length: float, language: str | None) -> Transcript:
        import openai  # the client given to us has loaded it

        if self.plain_only:
            return await self._plain(part, length, language)
        try:
            return await self._timed(part, length, language)
        except (openai.BadRequestError, openai.UnprocessableEntityError) as error:
            if not _refuses_verbose(error):
                raise _mapped(error) from None
            refusal = error
        except openai.OpenAIError as error:
            raise _mapped(error) from None
        transcript = await self._plain(part, length, language)
        if not self.plain_only:
            # Remembered only once plain text worked: a refusal of this one file (too long for
            # the model, say) must not cost every later recording its timestamps.
            log.info(
                "transcription endpoint has no verbose_json (%s: %s); text only",
                self.model,
                refusal.message,
            )
            self.plain_only = True
        return transcript

    async def _plain(self, part: AudioPart, length: float, language: str | None) -> Transcript:
        import openai

        try:
            response = await self.client.audio.transcriptions.create(
                model=self.model,
                file=(part.filename, part.data),
                response_format="json",
                language=language if language else openai.omit,
            )
        except openai.OpenAIError as error:
            raise _mapped(error) from None
        return from_plain(_text_of(response), length)

    async def _timed(self, part: AudioPart, length: float, language: str | None) -> Transcript:
        import openai

        response: object = await self.client.audio.transcriptions.create(
            model=self.model,
            file=(part.filename, part.data),
            response_format="verbose_json",
            timestamp_granularities=["segment"],
            language=language if language else openai.omit,
        )
        if isinstance(response, str):  # a server that answers in plain text whatever is asked
            return from_plain(response, length)
        # Servers that call themselves compatible may leave out any field but `text`.
        text = _text_of(response)
        duration = float(getattr(response, "duration", None) or length)
        spoken = getattr(response, "language", None)
        found = getattr(response, "segments", None) or []
        segments = tuple(
            Segment(float(s.start), float(s.end), str(s.text).strip())
            for s in found
            if getattr(s, "start", None) is not None and getattr(s, "end", None) is not None
        )
        if not segments:
            return from_plain(text, duration, spoken)
        return Transcript(segments, spoken, duration)


def _text_of(response: object) -> str:
    """The transcript's text, from a JSON answer or a plain-text one."""
    if isinstance(response, str):
        return response
    return str(getattr(response, "text", "") or "")


def _first_of(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error to raise for parts that failed together: ours first, else whatever it was."""
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        current = pending.pop(0)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        else:
            leaves.append(current)
    ours = [e for e in leaves if isinstance(e, SkimError)]
    return ours[0] if ours else leaves[0]


def _refuses_verbose(error: openai.APIStatusError) -> bool:
    """A 400 about the request rather than the file: OpenAI's for models without segment times
    (`response_format`), or a compatible server that knows no `timestamp_granularities`."""
    text = str(error.message).lower()
    return not (error.param == "file" or any(hint in text for hint in _BAD_FILE_HINTS))


def _mapped(error: openai.OpenAIError) -> SkimError:
    """Our exception for what the client library raised."""
    import openai

    name = type(error).__name__
    if isinstance(error, openai.APIStatusError):
        return _status_error(error)
    if isinstance(error, openai.APITimeoutError):
        return TranscriptionError(detail=f"transcription request timed out ({name})")
    if isinstance(error, openai.APIConnectionError):
        return TranscriptionError(detail=f"transcription endpoint unreachable ({name})")
    return TranscriptionError(detail=f"transcription failed ({name}: {error})")


def _status_error(error: openai.APIStatusError) -> SkimError:
    status = error.status_code
    detail = f"HTTP {status}: {error.message}"
    log.warning("transcription endpoint answered %s", detail)
    if status in (401, 403):
        return TranscriptionError(detail=f"transcription endpoint refused the key ({detail})")
    if status in (429, 503):
        return TranscriptionError(key="err_transcription_busy", detail=f"busy ({detail})")
    if status == 400 and (
        error.param == "file" or any(hint in str(error.message).lower() for hint in _BAD_FILE_HINTS)
    ):
        return MediaError(detail=f"transcription endpoint could not read the file ({detail})")
    if status == 404:
        return TranscriptionError(detail=f"transcription model or endpoint not found ({detail})")
    return TranscriptionError(detail=f"transcription refused ({detail})")
