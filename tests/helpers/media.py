"""Real media bytes for tests, made with PyAV (and `wave`, `zlib`): small and fast.

Every generator returns the whole file as bytes; the audio is a sine tone, the video a few
tiny grey frames, so the files decode like anything a user sends.
"""

from __future__ import annotations

import io
import math
import struct
import wave
import zlib
from fractions import Fraction

import av
import numpy as np

__all__ = ["html", "lying_wav_header", "m4a", "mp3", "mp4_video", "ogg_opus", "png", "wav"]


def _tone(seconds: float, rate: int, frequency: float) -> np.ndarray:
    """A mono s16 sine tone, shape (1, samples)."""
    samples = round(seconds * rate)
    t = np.arange(samples, dtype=np.float64) / rate
    wave_ = 0.3 * np.sin(2 * math.pi * frequency * t)
    return (wave_ * 32767).astype(np.int16).reshape(1, -1)


def _encode_audio(
    seconds: float,
    *,
    container: str,
    codec: str,
    rate: int,
    frequency: float = 440.0,
    bit_rate: int | None = None,
) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        if bit_rate:
            stream.bit_rate = bit_rate
        _write_tone(out, stream, seconds, rate, frequency)
    return buffer.getvalue()


def _write_tone(
    out: av.container.OutputContainer,
    stream: av.audio.stream.AudioStream,
    seconds: float,
    rate: int,
    frequency: float,
) -> None:
    tone = _tone(seconds, rate, frequency)
    step = 1024
    for start in range(0, tone.shape[1], step):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(tone[:, start : start + step]), format="s16", layout="mono"
        )
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def ogg_opus(seconds: float, *, frequency: float = 440.0) -> bytes:
    """An Ogg Opus file (what a Telegram voice message is), 48 kHz mono."""
    return _encode_audio(
        seconds, container="ogg", codec="libopus", rate=48000, frequency=frequency, bit_rate=32000
    )


def mp3(seconds: float, *, frequency: float = 440.0) -> bytes:
    """An MP3 file, 22.05 kHz mono, 32 kbit/s."""
    return _encode_audio(
        seconds, container="mp3", codec="libmp3lame", rate=22050, frequency=frequency,
        bit_rate=32000,
    )  # fmt: skip


def m4a(seconds: float, *, frequency: float = 440.0) -> bytes:
    """An audio-only MP4 (what iPhones record), AAC at 16 kHz mono."""
    return _encode_audio(seconds, container="mp4", codec="aac", rate=16000, frequency=frequency)


def wav(seconds: float, *, frequency: float = 440.0, rate: int = 16000) -> bytes:
    """A 16-bit mono PCM WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(_tone(seconds, rate, frequency).tobytes())
    return buffer.getvalue()


def mp4_video(seconds: float, *, frequency: float = 440.0, audio: bool = True) -> bytes:
    """An MP4 with a tiny 32x32 H.264 video at 5 fps and (unless `audio=False`) an AAC track."""
    rate = 16000
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as out:
        video = out.add_stream("libx264", rate=5)
        video.width = video.height = 32
        video.pix_fmt = "yuv420p"
        video.options = {"preset": "ultrafast"}
        sound = out.add_stream("aac", rate=rate, layout="mono") if audio else None
        for index in range(max(1, round(seconds * 5))):
            image = np.full((32, 32, 3), (index * 7) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            _write_tone(out, sound, seconds, rate, frequency)
    return buffer.getvalue()


def lying_wav_header(claimed_seconds: float, *, rate: int = 16000, data_bytes: int = 64) -> bytes:
    """A WAV header whose sizes claim `claimed_seconds` of audio, followed by a few bytes."""
    claimed = min(int(claimed_seconds * rate * 2), 0xFFFFFFFF - 36)
    header = b"RIFF" + struct.pack("<I", claimed + 36) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    header += b"data" + struct.pack("<I", claimed)
    return header + bytes(data_bytes)


def png(width: int = 4, height: int = 4) -> bytes:
    """A valid grey PNG image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes([128]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def html() -> bytes:
    """A small web page, as a link that was not media would return."""
    return (
        b"<!doctype html><html><head><title>Not audio</title></head>"
        b"<body><p>Hello, this is a page.</p></body></html>\n" * 20
    )
