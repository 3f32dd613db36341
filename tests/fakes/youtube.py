"""A fake YouTube on 127.0.0.1, reached by the real yt-dlp through an HTTP proxy.

yt-dlp only speaks to ``https://www.youtube.com`` and ``https://*.googlevideo.com``, so the fake
is a forward proxy: it answers ``CONNECT host:443`` itself, finishes the TLS handshake with a
certificate from a throwaway ``trustme`` CA (yt-dlp runs with ``nocheckcertificate``), and serves
the HTTP/1.1 requests inside the tunnel from the fixtures in ``tests/fixtures/youtube``. No
request ever leaves the machine: a host the fake does not play gets a 404 and is recorded.

What it plays: the watch page (``ytcfg``, ``ytInitialData``, ``ytInitialPlayerResponse``), the
innertube ``/youtubei/v1/player`` and ``/youtubei/v1/next`` endpoints, ``/api/timedtext`` for
captions and ``/videoplayback`` on a googlevideo host for audio bytes (with ``Range``).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
import json
import re
import ssl
import warnings
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import trustme

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "youtube"
AUDIO_HOST = "rr1---sn-fake.googlevideo.com"
_HOSTS = ("www.youtube.com", "youtube.com", "m.youtube.com", AUDIO_HOST)
_MAX_HEAD = 64 * 1024


def fixture(name: str) -> bytes:
    """Return the bytes of ``tests/fixtures/youtube/<name>``."""
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    """Return ``tests/fixtures/youtube/<name>`` parsed as JSON."""
    value = json.loads(fixture(name))
    assert isinstance(value, dict)
    return value


@dataclass
class FakeVideo:
    """One video the fake knows: its player response, watch-page data, captions and audio.

    ``captions`` maps ``(lang, kind, fmt)`` to a caption file; ``kind`` is ``""`` for the
    creator's captions and ``"asr"`` for automatic ones (as in the ``baseUrl`` query).
    ``audio`` maps an itag to the bytes its ``/videoplayback`` URL serves.
    """

    id: str
    player: dict[str, Any]
    initial_data: dict[str, Any] = field(default_factory=dict)
    captions: dict[tuple[str, str, str], bytes] = field(default_factory=dict)
    audio: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Seen:
    """One request the fake answered: the host it was meant for, method, path, query, headers."""

    host: str
    method: str
    path: str
    query: str
    headers: dict[str, str] = field(default_factory=dict)


def video_from_fixtures(
    video_id: str,
    player: str,
    *,
    initial_data: str | None = "initial_data.json",
    captions: dict[tuple[str, str, str], str] | None = None,
    audio: dict[str, bytes] | None = None,
) -> FakeVideo:
    """Build a FakeVideo from fixture files, with ``VIDEO_ID`` in them replaced by ``video_id``."""

    def load(name: str) -> dict[str, Any]:
        text = fixture(name).decode().replace("VIDEO_ID", video_id)
        value = json.loads(text)
        assert isinstance(value, dict)
        return value

    return FakeVideo(
        id=video_id,
        player=load(player),
        initial_data=load(initial_data) if initial_data else {},
        captions={key: fixture(name) for key, name in (captions or {}).items()},
        audio=dict(audio or {}),
    )


class FakeYouTube:
    """The fake, used as ``async with FakeYouTube() as yt:``; ``yt.proxy`` goes to yt-dlp.

    ``fail_status`` makes every YouTube request answer that status; ``hang`` makes every request
    wait forever (until the fake stops, which drops the connections).
    """

    def __init__(self) -> None:
        self.videos: dict[str, FakeVideo] = {}
        self.seen: list[Seen] = []
        self.fail_status: int | None = None
        self.hang = False
        self._ca = trustme.CA()
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert(*_HOSTS).configure_cert(self._tls)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, video: FakeVideo) -> FakeVideo:
        self.videos[video.id] = video
        return video

    @property
    def proxy(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    @property
    def ytdlp_options(self) -> dict[str, Any]:
        """Options a test passes as ``YouTube(extra_options=...)``: trust the fake, one client."""
        return {
            "nocheckcertificate": True,
            # The client yt-dlp uses when no JavaScript runtime is around (the fake plays none),
            # pinned so a developer's deno doesn't change which endpoints are asked.
            "extractor_args": {"youtube": {"player_client": ["visionos"]}},
            "js_runtimes": {},
        }

    def paths(self, host: str | None = None) -> list[str]:
        return [s.path for s in self.seen if host is None or s.host == host]

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        collect_ytdlp_leaks()

    # --- connection handling -------------------------------------------------------------

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        self._writers.add(writer)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.transport.abort()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await _read_head(reader)
        if head is None:
            return
        method, target, headers = head
        if method == "CONNECT":
            host = target.rsplit(":", 1)[0].lower()
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await writer.start_tls(self._tls)
            while (head := await _read_head(reader)) is not None:
                method, target, headers = head
                if not await self._answer(host, method, target, headers, reader, writer):
                    return
            return
        # A plain-HTTP request through the proxy carries an absolute URL.
        parts = urlsplit(target)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        await self._answer((parts.hostname or "").lower(), method, path, headers, reader, writer)

    async def _answer(
        self,
        host: str,
        method: str,
        target: str,
        headers: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        path, _, query = target.partition("?")
        self.seen.append(Seen(host, method, path, query, headers))
        if self.hang:
            await asyncio.Event().wait()
        status, extra, payload = self._route(host, method, path, query, headers, body)
        head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", f"Content-Length: {len(payload)}"]
        head += [f"{k}: {v}" for k, v in extra.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)
        await writer.drain()
        return headers.get("connection", "").lower() != "close"

    # --- what YouTube answers ------------------------------------------------------------

    def _route(
        self,
        host: str,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes]:
        if self.fail_status is not None:
            return self.fail_status, _TEXT, b"Internal error"
        qs = {k: v[-1] for k, v in parse_qs(query).items()}
        if host in ("www.youtube.com", "youtube.com", "m.youtube.com"):
            if path == "/watch":
                return self._watch(qs.get("v", ""))
            if path == "/youtubei/v1/player" and method == "POST":
                return self._player(json.loads(body or b"{}").get("videoId", ""))
            if path == "/youtubei/v1/next" and method == "POST":
                video = self.videos.get(json.loads(body or b"{}").get("videoId", ""))
                return 200, _JSON, json.dumps(video.initial_data if video else {}).encode()
            if path == "/api/timedtext":
                return self._timedtext(qs)
        if host == AUDIO_HOST and path == "/videoplayback":
            return self._audio(qs.get("id", ""), qs.get("itag", ""), headers.get("range"))
        return 404, _TEXT, b"Not found"

    def _watch(self, video_id: str) -> tuple[int, dict[str, str], bytes]:
        video = self.videos.get(video_id)
        player = _unplayable(video_id) if video is None else _page_player(video.player)
        initial = video.initial_data if video is not None else {}
        ytcfg = {
            "INNERTUBE_API_KEY": "fake-key",
            "INNERTUBE_CONTEXT": {
                "client": {"clientName": "WEB", "clientVersion": "2.20250101.00.00", "hl": "en"}
            },
            "INNERTUBE_CONTEXT_CLIENT_NAME": 1,
            "INNERTUBE_CLIENT_VERSION": "2.20250101.00.00",
            "VISITOR_DATA": "CgtmYWtlLXZpc2l0b3I%3D",
        }
        title = str(player.get("videoDetails", {}).get("title", "YouTube"))
        page = _WATCH_PAGE.format(
            title=title.replace("<", "&lt;"),
            ytcfg=json.dumps(ytcfg),
            player=json.dumps(player),
            initial=json.dumps(initial),
        )
        return 200, _HTML, page.encode()

    def _player(self, video_id: str) -> tuple[int, dict[str, str], bytes]:
        video = self.videos.get(video_id)
        player = _unplayable(video_id) if video is None else video.player
        return 200, _JSON, json.dumps(player).encode()

    def _timedtext(self, qs: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        video = self.videos.get(qs.get("v", ""))
        key = (qs.get("lang", ""), qs.get("kind", ""), qs.get("fmt", ""))
        if video is None or key not in video.captions:
            return 404, _TEXT, b""
        return 200, _TEXT, video.captions[key]

    def _audio(
        self, video_id: str, itag: str, range_header: str | None
    ) -> tuple[int, dict[str, str], bytes]:
        video = self.videos.get(video_id)
        if video is None or itag not in video.audio:
            return 404, _TEXT, b""
        data = video.audio[itag]
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", range_header or "")
        if match is None:
            return 200, {"Content-Type": "audio/webm"}, data
        start = int(match[1])
        end = min(int(match[2]) if match[2] else len(data) - 1, len(data) - 1)
        if start >= len(data):
            return 416, {"Content-Range": f"bytes */{len(data)}"}, b""
        return (
            206,
            {"Content-Type": "audio/webm", "Content-Range": f"bytes {start}-{end}/{len(data)}"},
            data[start : end + 1],
        )


_TEXT = {"Content-Type": "text/plain; charset=utf-8"}
_JSON = {"Content-Type": "application/json; charset=utf-8"}
_HTML = {"Content-Type": "text/html; charset=utf-8"}
_WATCH_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - YouTube</title>
<script>ytcfg.set({ytcfg});</script>
</head><body>
<script>var ytInitialPlayerResponse = {player};</script>
<script>var ytInitialData = {initial};</script>
</body></html>
"""


def _page_player(player: dict[str, Any]) -> dict[str, Any]:
    """The player response embedded in the watch page: the same, without streams (web client)."""
    page = copy.deepcopy(player)
    page.pop("streamingData", None)
    return page


def _unplayable(video_id: str) -> dict[str, Any]:
    return {
        "playabilityStatus": {"status": "ERROR", "reason": "This video is unavailable"},
        "videoDetails": {"videoId": video_id},
    }


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str]] | None:
    """Read one request line and its headers; None at a clean end of the connection."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError as e:
        raise ValueError("request head too long") from e
    if len(raw) > _MAX_HEAD:
        raise ValueError("request head too long")
    line, *rest = raw.decode("latin-1").split("\r\n")
    method, target, _version = line.split(" ", 2)
    headers: dict[str, str] = {}
    for item in rest:
        if ":" in item:
            name, value = item.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return method, target, headers


def collect_ytdlp_leaks() -> None:
    """yt-dlp drops the responses of failed requests (an HTTP 429 it retries, a 500) without
    closing them; their sockets are closed when collected. Collect them here, where the test
    that caused them ends, instead of letting a later test trip over the ResourceWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
