"""What a recording holds and what is uploaded of it: values only, so that code which only
passes them around does not load FFmpeg (PyAV is imported by `bot.media.probe` when needed)."""

from __future__ import annotations

from dataclasses import dataclass

# What OpenAI's transcription endpoint accepts, by file name extension.
ACCEPTED_EXTENSIONS = frozenset(
    {"flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm"}
)
# A file named like a recording is read as one, whatever type its sender declared.
RECORDING_EXTENSIONS = frozenset(
    {f".{extension}" for extension in ACCEPTED_EXTENSIONS} | {".opus", ".aac", ".mov", ".mkv"}
)


@dataclass(frozen=True)
class MediaInfo:
    """What a media file holds: seconds of audio, which tracks, FFmpeg's container name."""

    duration: float
    has_audio: bool
    has_video: bool
    format_name: str
    audio_codec: str = ""


@dataclass(frozen=True)
class AudioPart:
    """One upload: the bytes, a file name whose extension tells their format, where it starts."""

    data: bytes
    filename: str
    offset: float
