"""YouTube: video ids from links, metadata and captions, and the audio when there are none.

yt-dlp does the talking to YouTube, and only this module knows it: YouTube changes often and
breaks such libraries, so it must be easy to patch or swap. Whatever goes wrong in there (a
changed page, an HTTP error, a hang, a caption file we cannot parse) comes out as one
`VideoError`, logged once, within the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import math
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from bot.errors import MediaError, SkimError, VideoError
from bot.media.transcript import Segment, Transcript

log = logging.getLogger(__name__)

T = TypeVar("T")

_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_WATCH_HOSTS = frozenset(
    {
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "music.youtube.com",
        "youtube-nocookie.com",
        "www.youtube-nocookie.com",
    }
)
_SHORT_HOSTS = frozenset({"youtu.be", "www.youtu.be"})
_PATH_KINDS = frozenset({"shorts", "live", "embed", "v", "e"})
_OFFSET = re.compile(r"(?:(\d{1,3})h)?(?:(\d{1,4})m)?(?:(\d{1,6})s?)?")

_CAPTION_FORMATS = ("json3", "vtt", "srv3")
_MAX_CAPTION_BYTES = 8 << 20  # a three-hour talk's json3 is well under 2 MiB
_AUDIO_CHUNK = 10 << 20  # googlevideo throttles unranged downloads; yt-dlp asks 10 MiB at a time
_READ = 64 << 10
_MB = 1_000_000
_LIVE = ("is_live", "is_upcoming")


# --- links -----------------------------------------------------------------------------------


def video_id(url: str) -> str | None:
    """The 11-character id of a YouTube video link, or None for anything else."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".").lower()
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    segments = [s for s in parts.path.split("/") if s]
    candidate: str | None = None
    if host in _SHORT_HOSTS:
        candidate = segments[0] if segments else None
    elif host in _WATCH_HOSTS:
        if segments == ["watch"]:
            candidate = parse_qs(parts.query).get("v", [None])[0]
        elif len(segments) >= 2 and segments[0] in _PATH_KINDS:
            candidate = segments[1]
    if candidate is None or _ID.fullmatch(candidate) is None:
        return None
    return candidate


def start_seconds(url: str) -> int | None:
    """Where a link asks the video to start (``t=123``, ``t=1m23s``, ``t=1h2m3s``), or None."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    for component in (parts.query, parts.fragment):
        values = parse_qs(component)
        for name in ("t", "start"):
            for value in values.get(name, []):
                match = _OFFSET.fullmatch(value.strip().lower())
                if match is not None and any(match.groups()):
                    hours, minutes, seconds = (int(g or 0) for g in match.groups())
                    return hours * 3600 + minutes * 60 + seconds
    return None


# --- values ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chapter:
    """A chapter mark: where it starts (seconds) and its title."""

    start: float
    title: str


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What we know about a video before reading it.

    `published` is an ISO date; `language` a primary language subtag ("de"); `is_live` is a
    stream still running (`YouTube` refuses those with `err_youtube_live` before answering).
    """

    id: str
    title: str
    channel: str | None
    duration: float | None
    published: str | None
    language: str | None
    chapters: tuple[Chapter, ...]
    is_live: bool


# --- captions: choosing and parsing (pure) ---------------------------------------------------

_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_CUE_TIME = re.compile(
    r"((?:\d+:)?\d{1,2}:\d{2}[.,]\d{3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{3})"
)


def clean_caption_text(text: str) -> str:
    """Caption text without markup: tags, cue timestamps, entities, control characters."""
    for _ in range(3):  # entities may hide tags ("&lt;b&gt;"), once or twice over
        plain = html.unescape(_TAG.sub("", text))
        if plain == text:
            break
        text = plain
    text = _TAG.sub("", text)
    return " ".join(_CONTROL.sub(" ", text).split())


def _primary(language: str) -> str:
    return language.replace("_", "-").split("-")[0].lower()


def video_language(info: dict[str, Any]) -> str | None:
    """The spoken language: YouTube's original automatic captions, else the original audio."""
    for key in _dict(info.get("automatic_captions")):
        if isinstance(key, str) and key.endswith("-orig") and len(key) > 5:
            return _primary(key.removesuffix("-orig"))
    for fmt in _list(info.get("formats")):
        lang = fmt.get("language") if isinstance(fmt, dict) else None
        if isinstance(lang, str) and lang and (fmt.get("language_preference") or 0) >= 10:
            return _primary(lang)
    return None


def choose_track(info: dict[str, Any], language: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The caption track to read: (its language, its formats); ([] formats) when none fits.

    The creator's captions in the video's language, else the creator's in any language
    (English first), else automatic ones in the original language, else automatic English.
    """
    manual = {
        k: v
        for k, v in _dict(info.get("subtitles")).items()
        if isinstance(k, str) and k != "live_chat" and _list(v)
    }
    auto = {k: v for k, v in _dict(info.get("automatic_captions")).items() if isinstance(k, str)}
    if language is not None:
        for key, formats in manual.items():
            if _primary(key) == language:
                return _primary(key), formats
    if manual:
        key = next((k for k in manual if _primary(k) == "en"), next(iter(manual)))
        return _primary(key), manual[key]
    for key, formats in auto.items():
        if key.endswith("-orig") and _list(formats):
            return _primary(key.removesuffix("-orig")), formats
    if _list(auto.get("en")):
        return "en", auto["en"]
    return language or "", []


def parse_json3(data: bytes) -> list[Segment]:
    """YouTube's json3 caption file: events with millisecond times and text runs."""
    events = _dict(json.loads(data)).get("events")
    segments = []
    for event in _list(events):
        if not isinstance(event, dict):
            continue
        text = clean_caption_text(
            "".join(s.get("utf8", "") for s in _list(event.get("segs")) if isinstance(s, dict))
        )
        start = float(event.get("tStartMs") or 0) / 1000
        if text:
            end = start + float(event.get("dDurationMs") or 0) / 1000
            segments.append(Segment(start, end, text))
    return segments


def parse_vtt(text: str) -> list[Segment]:
    """WebVTT; drops the lines automatic captions roll over from the cue before."""
    segments = []
    previous: list[str] = []
    for block in text.replace("\r\n", "\n").replace("\r", "\n").split("\n\n"):
        lines = block.split("\n")
        at = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if at is None:
            continue
        match = _CUE_TIME.search(lines[at])
        if match is None:
            continue
        cue = [t for t in (clean_caption_text(line) for line in lines[at + 1 :]) if t]
        fresh = [line for line in cue if line not in previous]
        if cue:
            previous = cue
        if fresh:
            segments.append(Segment(_clock(match[1]), _clock(match[2]), " ".join(fresh)))
    return segments


def parse_srv3(data: bytes) -> list[Segment]:
    """YouTube's srv3 XML: ``<p t="ms" d="ms">`` paragraphs."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ValueError("caption XML with a document type")
    root = ET.fromstring(data)  # noqa: S314 - no DTD (refused above), size bounded by the caller
    segments = []
    for p in root.iter("p"):
        text = clean_caption_text("".join(p.itertext()))
        if text:
            start = float(p.get("t") or 0) / 1000
            segments.append(Segment(start, start + float(p.get("d") or 0) / 1000, text))
    return segments


def parse_captions(ext: str, data: bytes) -> list[Segment]:
    """Parse a caption file YouTube serves as `ext` (json3, vtt or srv3)."""
    if ext == "json3":
        return parse_json3(data)
    if ext == "vtt":
        return parse_vtt(data.decode("utf-8", errors="replace"))
    if ext == "srv3":
        return parse_srv3(data)
    raise ValueError(f"unsupported caption format {ext!r}")


def _clock(value: str) -> float:
    total = 0.0
    for part in value.replace(",", ".").split(":"):
        total = total * 60 + float(part)
    return total


def _dict(value: object) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def video_info(info: dict[str, Any], video_id: str) -> VideoInfo:
    """Our VideoInfo from the info dict yt-dlp returns."""
    duration = info.get("duration")
    upload = info.get("upload_date")
    published = (
        f"{upload[:4]}-{upload[4:6]}-{upload[6:]}"
        if isinstance(upload, str) and re.fullmatch(r"\d{8}", upload)
        else None
    )
    chapters = tuple(
        Chapter(float(c["start_time"]), str(c.get("title") or ""))
        for c in _list(info.get("chapters"))
        if isinstance(c, dict) and isinstance(c.get("start_time"), int | float)
    )
    channel = info.get("channel") or info.get("uploader")
    return VideoInfo(
        id=video_id,
        title=str(info.get("title") or ""),
        channel=str(channel) if channel else None,
        duration=float(duration) if isinstance(duration, int | float) and duration > 0 else None,
        published=published,
        language=video_language(info),
        chapters=chapters,
        is_live=info.get("live_status") in _LIVE,
    )


def audio_formats(info: dict[str, Any]) -> list[dict[str, Any]]:
    """Audio-only formats with a direct URL, best first (original language, quality, bitrate)."""
    found = [
        f
        for f in _list(info.get("formats"))
        if isinstance(f, dict)
        and f.get("vcodec") == "none"
        and f.get("acodec") not in (None, "none")
        and not f.get("has_drm")
        and f.get("protocol") in (None, "http", "https")
        and str(f.get("url") or "").startswith(("https://", "http://"))
    ]
    return sorted(
        found,
        key=lambda f: (
            f.get("language_preference") or 0,
            f.get("quality") or 0,
            f.get("abr") or f.get("tbr") or 0,
        ),
        reverse=True,
    )


# --- the client ------------------------------------------------------------------------------


class _Stopped(Exception):
    """The caller gave up (timeout or cancel): the worker thread stops reading."""


class _YtdlpLog:
    """yt-dlp's logger: everything at debug level; warnings kept for the error's detail."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def debug(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def info(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def warning(self, msg: str) -> None:
        log.debug("yt-dlp warning: %s", msg)
        if len(self.warnings) < 10:
            self.warnings.append(msg[:300])

    def error(self, msg: str) -> None:
        log.debug("yt-dlp error: %s", msg)


# How many videos' extracted info is kept, and for how long (their stream URLs last hours).
_RECENT_VIDEOS = 8
_RECENT_SECONDS = 600.0


# What YouTube says (through yt-dlp) when a video is not for us to watch, and what the user
# is told: that it is the video, not a fault of ours, and that trying again won't help.
_UNAVAILABLE = (
    (("private video", "video is private"), "err_youtube_private"),
    (("confirm your age", "age-restricted", "inappropriate for some users"), "err_youtube_age"),
    (
        ("members-only", "join this channel", "available to this channel's members"),
        "err_youtube_members",
    ),
    (("in your country", "blocked it in your country", "geo-restricted"), "err_youtube_region"),
    (
        (
            "been removed",
            "no longer available",
            "account associated with this video has been terminated",
            "video is unavailable",
            "video unavailable",
        ),
        "err_youtube_unavailable",
    ),
)


def unavailable_key(said: str) -> str:
    """The message key for why YouTube would not show a video, or the generic one."""
    said = said.lower()
    if "try again later" in said:  # YouTube's rate limit says "unavailable" too
        return VideoError.key
    for phrases, key in _UNAVAILABLE:
        if any(phrase in said for phrase in phrases):
            return key
    return VideoError.key


class YouTube:
    """Reads YouTube videos through yt-dlp; built once at startup and passed in.

    `timeout` bounds reading metadata and captions, `audio_timeout` (default: the same)
    fetching the audio; `extra_options` are merged over our yt-dlp options (tests point it
    at a fake).
    """

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        audio_timeout: float | None = None,
        proxy: str | None = None,
        extra_options: dict[str, Any] | None = None,
    ) -> None:
        self._timeout = timeout
        self._audio_timeout = audio_timeout or timeout
        self._proxy = proxy
        self._extra = dict(extra_options or {})
        # The last videos' extracted info: a video without captions asks for its audio right
        # after its captions, and the streams' addresses are good for hours.
        self._recent: dict[str, tuple[float, dict[str, Any]]] = {}
        self._recent_lock = threading.Lock()

    async def info_and_captions(self, video_id: str) -> tuple[VideoInfo, Transcript | None]:
        """The video's metadata and its captions (None when it has none)."""
        return await self._run("captions", video_id, self._timeout, self._info_and_captions)

    async def audio(self, video_id: str, *, max_bytes: int) -> bytes:
        """The best audio-only stream that fits in `max_bytes` (MediaError when none does)."""

        def work(stop: threading.Event) -> bytes:
            return self._audio(video_id, max_bytes, stop)

        return await self._run("audio", video_id, self._audio_timeout, work, pass_id=False)

    # Everything below runs in a worker thread.

    async def _run(
        self,
        what: str,
        video_id: str,
        seconds: float,
        work: Callable[..., T],
        *,
        pass_id: bool = True,
    ) -> T:
        if _ID.fullmatch(video_id) is None:
            raise VideoError(detail=f"not a YouTube video id: {video_id!r}")
        stop = threading.Event()
        args = (video_id, stop) if pass_id else (stop,)
        try:
            async with asyncio.timeout(seconds):
                return await asyncio.to_thread(work, *args)
        except SkimError as e:
            log.warning("youtube %s %s: %s", what, video_id, e.detail)
            raise
        except TimeoutError:
            log.warning("youtube %s %s: no answer within %.0f s", what, video_id, seconds)
            raise VideoError(detail=f"youtube {what} {video_id}: timed out") from None
        except Exception as e:  # yt-dlp raises anything at all when YouTube changes
            log.warning("youtube %s %s failed: %s: %.300s", what, video_id, type(e).__name__, e)
            key = unavailable_key(str(e))
            raise VideoError(
                key=key, detail=f"youtube {what} {video_id}: {type(e).__name__}"
            ) from e
        finally:
            stop.set()

    def _options(self, logger: _YtdlpLog) -> dict[str, Any]:
        options: dict[str, Any] = {
            "logger": logger,
            "quiet": True,
            "noprogress": True,
            "skip_download": True,
            "noplaylist": True,
            "cachedir": False,
            "socket_timeout": self._timeout,
            "extractor_retries": 1,
            "retries": 1,
            # Captions are read even when YouTube withholds every stream (SABR, PO tokens).
            "ignore_no_formats_error": True,
        }
        if self._proxy:
            options["proxy"] = self._proxy
        return options | self._extra

    def _extract(self, ydl: Any, logger: _YtdlpLog, video_id: str) -> dict[str, Any]:
        with self._recent_lock:
            kept = self._recent.get(video_id)
        if kept is not None and time.monotonic() - kept[0] < _RECENT_SECONDS:
            return kept[1]
        info = self._extract_fresh(ydl, logger, video_id)
        with self._recent_lock:
            self._recent[video_id] = (time.monotonic(), info)
            while len(self._recent) > _RECENT_VIDEOS:
                self._recent.pop(next(iter(self._recent)))
        return info

    def _extract_fresh(self, ydl: Any, logger: _YtdlpLog, video_id: str) -> dict[str, Any]:
        info = ydl.extract_info(
            f"https://www.youtube.com/watch?v={video_id}",
            download=False,
            process=False,
            ie_key="Youtube",
        )
        if not isinstance(info, dict) or info.get("_type", "video") != "video":
            raise VideoError(detail=f"yt-dlp gave no video for {video_id}")
        if info.get("live_status") in _LIVE:
            raise VideoError(key="err_youtube_live", detail=f"{video_id} is live right now")
        has_captions = bool(_dict(info.get("subtitles")) or _dict(info.get("automatic_captions")))
        if not info.get("title") or not (_list(info.get("formats")) or has_captions):
            reason = "; ".join(logger.warnings) or "no title, streams or captions"
            raise VideoError(
                key=unavailable_key(reason), detail=f"{video_id} unavailable: {reason}"
            )
        return info

    def _info_and_captions(
        self, video_id: str, stop: threading.Event
    ) -> tuple[VideoInfo, Transcript | None]:
        logger = _YtdlpLog()
        with _ytdlp().YoutubeDL(self._options(logger)) as ydl:
            info = self._extract(ydl, logger, video_id)
            meta = video_info(info, video_id)
            language, formats = choose_track(info, meta.language)
            by_ext = {
                f.get("ext"): f.get("url")
                for f in formats
                if isinstance(f, dict) and isinstance(f.get("url"), str)
            }
            failures = []
            for ext in _CAPTION_FORMATS:
                url = by_ext.get(ext)
                if url is None:
                    continue
                if stop.is_set():
                    raise _Stopped
                try:
                    data = _read(ydl, _request(url), _MAX_CAPTION_BYTES, stop)
                    segments = parse_captions(ext, data)
                except _Stopped:
                    raise
                except Exception as e:  # HTTP errors, bad JSON or XML: try the next format
                    failures.append(f"{ext}: {type(e).__name__}")
                    log.debug("youtube captions %s %s: %s", video_id, ext, e)
                    continue
                if not segments:
                    return meta, None
                duration = meta.duration or segments[-1].end
                return meta, Transcript(tuple(segments), language or None, duration)
            if failures:
                raise VideoError(detail=f"captions of {video_id}: {', '.join(failures)}")
            return meta, None

    def _audio(self, video_id: str, max_bytes: int, stop: threading.Event) -> bytes:
        logger = _YtdlpLog()
        with _ytdlp().YoutubeDL(self._options(logger)) as ydl:
            info = self._extract(ydl, logger, video_id)
            candidates = audio_formats(info)
            if not candidates:
                raise VideoError(detail=f"{video_id}: no audio-only stream")
            fitting = [f for f in candidates if (f.get("filesize") or 0) <= max_bytes]
            if not fitting:
                smallest = min(int(f["filesize"]) for f in candidates)
                raise _too_big(smallest, max_bytes)
            best = fitting[0]
            return _download(ydl, str(best["url"]), max_bytes, stop)


def _ytdlp() -> Any:
    """yt-dlp, imported on the first video: a process that never reads one never loads it."""
    import yt_dlp  # type: ignore[import-untyped]

    return yt_dlp


def _request(url: str, headers: dict[str, str] | None = None) -> Any:
    from yt_dlp.networking import Request  # type: ignore[import-untyped]

    return Request(url, headers=headers or {})


def _too_big(size: int | None, max_bytes: int) -> MediaError:
    limit = max_bytes // _MB
    megabytes: object = math.ceil(size / _MB) if size else f"> {limit}"
    return MediaError(
        key="err_media_too_big",
        detail=f"audio is {size or 'more than'} bytes, limit {max_bytes}",
        megabytes=megabytes,
        limit=limit,
    )


def _read(ydl: Any, request: Any, limit: int, stop: threading.Event | None = None) -> bytes:
    """A whole response body through yt-dlp's opener, refusing more than `limit` bytes."""
    out = bytearray()
    with contextlib.closing(ydl.urlopen(request)) as response:
        while chunk := response.read(_READ):
            if stop is not None and stop.is_set():
                raise _Stopped
            out += chunk
            if len(out) > limit:
                raise ValueError(f"more than {limit} bytes")
    return bytes(out)


def _download(ydl: Any, url: str, max_bytes: int, stop: threading.Event) -> bytes:
    """Ranged download of a stream, 10 MiB at a time, never more than `max_bytes`."""
    out = bytearray()
    while True:
        first = len(out)
        request = _request(url, {"Range": f"bytes={first}-{first + _AUDIO_CHUNK - 1}"})
        with contextlib.closing(ydl.urlopen(request)) as response:
            ranged = response.status == 206
            total = _range_total(response.headers.get("Content-Range"))
            if total is not None and total > max_bytes:
                raise _too_big(total, max_bytes)
            while chunk := response.read(_READ):
                if stop.is_set():
                    raise _Stopped
                out += chunk
                if len(out) > max_bytes:
                    raise _too_big(total, max_bytes)
        got = len(out) - first
        if not ranged or got < _AUDIO_CHUNK or (total is not None and len(out) >= total):
            break
    if not out:
        raise VideoError(detail="empty audio stream")
    return bytes(out)


def _range_total(value: str | None) -> int | None:
    match = re.fullmatch(r"bytes \d+-\d+/(\d+)", (value or "").strip())
    return int(match[1]) if match else None
