"""What a media file is (duration, tracks) and the audio to upload for transcription.

Everything here is synchronous and CPU-bound (PyAV, FFmpeg underneath): callers run it in a
thread. The input is untrusted bytes from users, so every read is bounded by the bytes we hold
(FFmpeg reads from memory, never past the end) and by a packet budget.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from fractions import Fraction

import av
import av.container
import av.stream
from av.audio.stream import AudioStream

from bot.content.binary import NEVER_MEDIA
from bot.errors import MediaError
from bot.media.info import ACCEPTED_EXTENSIONS, AudioPart, MediaInfo

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "AudioPart",
    "MediaInfo",
    "probe",
    "upload_parts",
]

log = logging.getLogger(__name__)

# Shorter than this is no recording at all (a tap on the microphone button).
MIN_SECONDS = 0.1
# Enough packets for 24 hours of 20 ms frames: a file that has more is not a recording we want.
MAX_PACKETS = 5_000_000
# FFmpeg's own probing limits, stated so a hostile header cannot ask for more.
_OPEN_OPTIONS = {"probesize": "5000000", "analyzeduration": "10000000"}
# Containers that hold pictures, not recordings; FFmpeg opens them as one-frame "video".
_IMAGE_FORMATS = frozenset({"image2", "gif", "apng", "ico", "tiff", "bmp", "webp"})
# Audio codecs each passthrough container may carry, so the endpoint can decode what we send.
_PASSTHROUGH: dict[str, tuple[str, frozenset[str]]] = {
    "mp3": ("mp3", frozenset({"mp3", "mp3float"})),
    "wav": ("wav", frozenset({"pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_u8"})),
    "flac": ("flac", frozenset({"flac"})),
    "ogg": ("ogg", frozenset({"opus", "vorbis", "flac"})),
    "mov,mp4,m4a,3gp,3g2,mj2": ("mp4", frozenset({"aac", "mp3", "mp3float", "alac"})),
    "matroska,webm": ("webm", frozenset({"opus", "vorbis"})),
}
# A video bigger than this is sent as its audio alone: uploading pictures no one will hear.
VIDEO_PASSTHROUGH_BYTES = 4 * 1024 * 1024
# The transcoded audio: Opus in Ogg, mono 16 kHz at 24 kbit/s, about 11 MB per hour.
OPUS_RATE = 16000
OPUS_BIT_RATE = 24000
# Constant rate, so slices can be cut by time; mid complexity, twice as fast as the default for
# a loss a transcriber does not notice.
_OPUS_OPTIONS = {"vbr": "off", "compression_level": "5"}


def probe(data: bytes) -> MediaInfo:
    """Read what `data` holds; MediaError if it is not audio or video, or has no sound."""
    try:
        return _probe(data)
    except MediaError:
        raise
    except Exception as exc:  # FFmpegError, and anything else a hostile file provokes
        log.info("media probe failed: %s: %s", type(exc).__name__, exc)
        raise MediaError(detail=f"not decodable media: {type(exc).__name__}") from exc


def _open(data: bytes) -> av.container.InputContainer:
    return av.open(io.BytesIO(data), mode="r", options=dict(_OPEN_OPTIONS))


def _probe(data: bytes) -> MediaInfo:
    if not data:
        raise MediaError(detail="no bytes")
    if data.startswith(NEVER_MEDIA):
        raise MediaError(detail="an archive, program or document, not media")
    with _open(data) as container:
        format_name = container.format.name
        audio = container.streams.audio[0] if container.streams.audio else None
        has_video = any(not _is_picture(s) for s in container.streams.video)
        if format_name in _IMAGE_FORMATS or format_name.endswith("_pipe"):
            raise MediaError(detail=f"a picture ({format_name}), not media")
        if audio is None:
            if has_video:
                raise MediaError(key="err_media_empty", detail="video without an audio track")
            raise MediaError(detail=f"no audio or video streams ({format_name})")
        codec = audio.codec_context.name
        duration = _audio_seconds(container, audio)
    log.debug("probed %s/%s: %.2f s, video=%s", format_name, codec, duration, has_video)
    if duration < MIN_SECONDS:
        raise MediaError(key="err_media_empty", detail=f"{duration:.3f} s of audio")
    return MediaInfo(duration, True, has_video, format_name, codec)


def _is_picture(stream: av.stream.Stream) -> bool:
    """A cover picture attached to an audio file is not a video track."""
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _audio_seconds(container: av.container.InputContainer, audio: AudioStream) -> float:
    """Seconds of audio actually present: where the last audio packet ends, found by demuxing.

    The container's header may claim anything (a WAV header can say ten hours over 64 bytes),
    so it is believed only when packets carry no timestamps. One of the first packets must
    decode, or the stream is noise that happened to look like a format.
    """
    span = _Span()
    decoded = False
    for count, packet in enumerate(container.demux(audio)):
        if count >= MAX_PACKETS:
            raise MediaError(detail=f"more than {MAX_PACKETS} audio packets")
        if packet.size == 0:
            continue
        if not decoded and span.packets < 50:
            decoded = _decodes(audio, packet)
        span.add(packet)
    if span.packets == 0:
        return 0.0
    if not decoded:
        raise MediaError(detail="no audio packet decodes")
    if span.start is None or span.end is None:
        declared = container.duration
        return max(0.0, declared / 1_000_000) if declared else 0.0
    return max(0.0, float((span.end - span.start) * (audio.time_base or Fraction(1, 1))))


class _Span:
    """The first and last timestamps of the packets seen, in the stream's time base."""

    def __init__(self) -> None:
        self.packets = 0
        self.start: int | None = None
        self.end: int | None = None

    def add(self, packet: av.Packet[AudioStream]) -> None:
        self.packets += 1
        if packet.pts is None:
            return
        end = packet.pts + (packet.duration or 0)
        self.start = packet.pts if self.start is None else min(self.start, packet.pts)
        self.end = end if self.end is None else max(self.end, end)


def _decodes(audio: AudioStream, packet: av.Packet[AudioStream]) -> bool:
    try:
        return any(frame.samples > 0 for frame in audio.codec_context.decode(packet))
    except av.error.FFmpegError:
        return False


def upload_parts(
    data: bytes,
    info: MediaInfo,
    *,
    filename: str,
    limit_bytes: int,
    limit_seconds: float | None = None,
) -> list[AudioPart]:
    """The uploads that carry `data`'s audio, each at most `limit_bytes` (and `limit_seconds`
    long, for models that take no longer audio).

    The original goes as it is when the endpoint reads its format and it is small (and short)
    enough; otherwise its audio is transcoded to Opus, and cut into time slices if that is
    still too big or too long.
    """
    stem = os.path.splitext(os.path.basename(filename))[0] or "audio"
    short = limit_seconds is None or info.duration <= limit_seconds
    passthrough = _passthrough_extension(data, info, limit_bytes) if short else None
    if passthrough is not None:
        return [AudioPart(data, f"{stem}.{passthrough}", 0.0)]
    try:
        return _transcoded_parts(data, info, stem, limit_bytes, limit_seconds)
    except MediaError:
        raise
    except Exception as exc:
        log.info("media transcode failed: %s: %s", type(exc).__name__, exc)
        raise MediaError(detail=f"audio could not be transcoded: {type(exc).__name__}") from exc


def _passthrough_extension(data: bytes, info: MediaInfo, limit_bytes: int) -> str | None:
    """The extension to send the original under, or None when it must be transcoded."""
    if len(data) > limit_bytes:
        return None
    if info.has_video and len(data) > VIDEO_PASSTHROUGH_BYTES:
        return None
    known = _PASSTHROUGH.get(info.format_name)
    if known is None or info.audio_codec not in known[1]:
        return None
    extension = known[0]
    if extension == "mp4" and not info.has_video:
        extension = "m4a"
    return extension if extension in ACCEPTED_EXTENSIONS else None


def _transcoded_parts(
    data: bytes, info: MediaInfo, stem: str, limit_bytes: int, limit_seconds: float | None
) -> list[AudioPart]:
    # Constant bit rate makes the size predictable: cut once, at slices that fit with room for
    # Ogg pages; shrink and cut again only if a part still came out too big.
    per_second = OPUS_BIT_RATE / 8 * 1.1
    seconds: float | None = None
    if info.duration * per_second + 4096 > limit_bytes:
        seconds = max(1.0, (limit_bytes - 4096) / per_second)
    if limit_seconds is not None and info.duration > limit_seconds:
        seconds = min(seconds or limit_seconds, limit_seconds)
    for _ in range(4):
        pieces = _transcode(data, seconds)
        if all(len(piece) <= limit_bytes for piece, _ in pieces):
            break
        biggest = max(len(piece) for piece, _ in pieces)
        longest = seconds or info.duration
        seconds = max(0.5, longest * limit_bytes / biggest * 0.8)
    else:
        raise MediaError(detail=f"audio does not fit {limit_bytes} bytes per upload")
    if len(pieces) == 1:
        return [AudioPart(pieces[0][0], f"{stem}.ogg", 0.0)]
    return [
        AudioPart(piece, f"{stem}.part{index + 1}.ogg", offset)
        for index, (piece, offset) in enumerate(pieces)
    ]


def _transcode(data: bytes, slice_seconds: float | None) -> list[tuple[bytes, float]]:
    """The audio of `data` as Ogg Opus files of `slice_seconds` each (one file if None), with
    their start times. Slices end on frame boundaries (tens of milliseconds), no sample lost."""
    slice_samples = round(slice_seconds * OPUS_RATE) if slice_seconds else None
    pieces: list[tuple[bytes, float]] = []
    writer: _OpusWriter | None = None
    total = 0
    try:
        with _open(data) as container:
            for frame in _mono_frames(container):
                if writer is None:
                    writer = _OpusWriter(total / OPUS_RATE)
                writer.write(frame)
                total += frame.samples
                if slice_samples is not None and writer.samples >= slice_samples:
                    pieces.append(writer.close())
                    writer = None
        if writer is not None:
            pieces.append(writer.close())
            writer = None
    finally:
        if writer is not None:
            writer.abort()
    if not pieces:
        raise MediaError(key="err_media_empty", detail="no audio frames to transcode")
    return pieces


class _OpusWriter:
    """One Ogg Opus file being written to memory."""

    def __init__(self, offset: float) -> None:
        self.offset = offset
        self.samples = 0
        self._buffer = io.BytesIO()
        self._container = av.open(self._buffer, mode="w", format="ogg")
        self._stream = self._container.add_stream(
            "libopus", rate=OPUS_RATE, layout="mono", options=dict(_OPUS_OPTIONS)
        )
        self._stream.bit_rate = OPUS_BIT_RATE

    def write(self, frame: av.AudioFrame) -> None:
        frame.pts = self.samples
        frame.time_base = Fraction(1, OPUS_RATE)
        self._container.mux(self._stream.encode(frame))
        self.samples += frame.samples

    def close(self) -> tuple[bytes, float]:
        self._container.mux(self._stream.encode(None))
        self._container.close()
        return self._buffer.getvalue(), self.offset

    def abort(self) -> None:
        self._container.close()


def _mono_frames(container: av.container.InputContainer) -> Iterator[av.AudioFrame]:
    """Every audio frame of the first audio stream, resampled to mono s16 at OPUS_RATE."""
    audio = container.streams.audio[0]
    resampler = av.AudioResampler(format="s16", layout="mono", rate=OPUS_RATE)
    for count, packet in enumerate(container.demux(audio)):
        if count >= MAX_PACKETS:
            break
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            continue  # one damaged packet in a long recording: skip it, keep the rest
        for frame in frames:
            if isinstance(frame, av.AudioFrame):
                yield from resampler.resample(frame)
    yield from resampler.resample(None)
