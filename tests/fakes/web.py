"""A fake web server on 127.0.0.1 for fetcher tests: fixtures, redirects, delays, hostile hosts.

Built on aiohttp's low-level server so handlers can misbehave on purpose: drip bytes, stream
forever, serve gzip bombs, hang, or write raw (malformed) bytes straight to the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import socket
import struct
import textwrap
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Self

from aiohttp import web
from multidict import CIMultiDict

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"

_EN_MARKERS = (
    "menuwombat",  # header, menu, search, breadcrumbs
    "cookiegiraffe",  # cookie banner
    "sharemongoose",  # share bar, newsletter box
    "commentpelican",  # comments
    "relatedotter",  # related / most-read aside
    "footerlynx",  # site footer
    "hiddenmarmot",  # style="display:none" div inside the article
    "ariaheron",  # aria-hidden="true" element inside the article
    "scriptjackal",  # inline <script>
    "stylebadger",  # inline <style>
    "noscriptyak",  # <noscript>
)
_RU_MARKERS = (
    "менюсуслик",
    "кукижираф",
    "делисьмангуст",
    "комментпеликан",
    "смотривыдра",
    "подвалрысь",
    "скрытсурок",
    "ариацапля",
    "скриптшакал",
    "стильбарсук",
    "носкриптяк",
)
FIXTURE_MARKERS: dict[str, tuple[str, ...]] = {
    "article_en.html": _EN_MARKERS,
    "article_ru.html": _RU_MARKERS,
    "article_cp1251.html": _RU_MARKERS,
}
"""Words in each fixture's boilerplate that must never reach extracted text (same order)."""

_Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
_SHUTDOWN_GRACE = 0.3  # seconds given to cancelled handlers / open connections on stop
_BOMB_BLOCK = 1 << 20  # decoded bytes per repeated deflate block of the gzip bomb
_BOMB_BATCH = 64  # blocks per write (~64 KiB on the wire)


def read_fixture(name: str) -> bytes:
    """Return the raw bytes of ``tests/fixtures/<name>``."""
    return (FIXTURES_DIR / name).read_bytes()


def with_canonical(href: str) -> str:
    """The mill article declaring `href` (relative: on the site it is fetched from) as its
    canonical link."""
    page = read_fixture("article_en.html").decode()
    declared = "https://coastal-ledger.example/local/2024/05/brackwater-tide-mill"
    return page.replace(f'content="{declared}"', f'content="{href}"').replace(
        f'href="{declared}"', f'href="{href}"'
    )


class _Headers(dict[str, str]):
    """Request headers with lower-case keys and case-insensitive lookups."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__()
        for key, value in items:
            k = key.lower()
            super().__setitem__(k, f"{super().__getitem__(k)}, {value}" if k in self else value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(key.lower(), default)


@dataclass
class WebRequest:
    """One request as the server saw it.

    ``path`` is percent-decoded, ``query`` is raw, ``headers`` has lower-case keys and
    case-insensitive lookups, ``at`` is ``time.monotonic()`` on arrival.
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    at: float


@dataclass
class _Static:
    """A fixed response; mutable so ``set_status`` can change it later."""

    body: bytes
    status: int
    content_type: str | None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _no_body(method: str, status: int) -> bool:
    return method == "HEAD" or status in (204, 304) or 100 <= status < 200


def _send_raw(request: web.BaseRequest, data: bytes) -> web.StreamResponse:
    """Write ``data`` straight to the socket and close it.

    The returned dummy response is never sent: aiohttp's attempt to write it fails on the
    closing transport and is treated as a client disconnect.
    """
    transport = request.transport
    if transport is not None and not transport.is_closing():
        if data:
            transport.write(data)
        transport.close()
    return web.Response()


def _reset(transport: asyncio.Transport) -> None:
    """Drop a connection with a TCP RST so clients don't keep reading buffered output."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _manual_response(method: str, status: int, headers: dict[str, str], body: bytes) -> bytes:
    """Serialize a well-formed HTTP/1.1 response without Content-Type (``Connection: close``)."""
    head: dict[str, str] = {"Date": formatdate(usegmt=True), "Server": "FakeWeb"}
    if status != 204 and not 100 <= status < 200:
        head["Content-Length"] = str(len(body))
    head["Connection"] = "close"
    lowered = {k.lower() for k in headers}
    head = {k: v for k, v in head.items() if k.lower() not in lowered} | headers
    lines = [f"HTTP/1.1 {status} {_reason(status)}", *(f"{k}: {v}" for k, v in head.items())]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return raw if _no_body(method, status) else raw + body


@functools.cache
def _bomb_block() -> tuple[bytes, bytes]:
    """Return (decoded block of spaces, its raw-deflate encoding ending in a full flush).

    After ``Z_FULL_FLUSH`` the stream is byte-aligned with an empty window, so the same encoded
    block can be repeated any number of times and still decodes correctly.
    """
    fill = b" " * _BOMB_BLOCK
    comp = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    return fill, comp.compress(fill) + comp.flush(zlib.Z_FULL_FLUSH)


def _bomb_tail(rest: int) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    return comp.compress(b" " * rest) + comp.flush(zlib.Z_FINISH)


_NOT_FOUND = b"<!DOCTYPE html><title>404 Not Found</title><h1>Not Found</h1>"
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, mtime 0


def _page_html(
    url: str,
    *,
    title: str,
    paragraphs: list[str],
    nav: list[str],
    footer: str,
    lang: str,
    extra_head: str,
) -> str:
    e = html.escape
    nav_items = "\n".join(
        f'          <li><a href="/section/{i}">{e(item)}</a></li>' for i, item in enumerate(nav)
    )
    body = "\n".join(f"      <p>{e(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="{e(lang)}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{e(title)} | Example Gazette</title>
  <meta name="description" content="{e(paragraphs[0][:150] if paragraphs else title)}">
  <meta name="author" content="Jane Doe">
  <meta property="og:type" content="article">
  <meta property="og:title" content="{e(title)}">
  <meta property="og:site_name" content="Example Gazette">
  <meta property="og:url" content="{e(url)}">
  <meta property="article:published_time" content="2024-03-14T09:30:00+00:00">
  <link rel="canonical" href="{e(url)}">
  {extra_head}
</head>
<body>
  <header class="site-header">
    <a class="logo" href="/">Example Gazette</a>
    <nav class="main-menu" aria-label="Main">
      <ul>
{nav_items}
      </ul>
    </nav>
  </header>
  <main>
    <article>
      <h1>{e(title)}</h1>
      <div class="byline">By <a href="/authors/jane-doe" rel="author">Jane Doe</a>,
        <time datetime="2024-03-14T09:30:00+00:00">14 March 2024</time></div>
{body}
    </article>
    <aside class="related">
      <h2>Related</h2>
      <ul>
        <li><a href="/related/1">Related: five things to know this week</a></li>
        <li><a href="/related/2">Related: readers' letters on the story</a></li>
        <li><a href="/related/3">Related: the week in pictures</a></li>
      </ul>
    </aside>
  </main>
  <footer class="site-footer">
    <p>{e(footer)}</p>
    <p><a href="/privacy">Privacy</a> · <a href="/cookies">Cookie settings</a>
      · <a href="/terms">Terms</a></p>
  </footer>
</body>
</html>
"""


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _build_pdf(streams: list[bytes], *, font: bool) -> bytes:
    """Assemble a PDF: catalog, page tree, optional Helvetica font, one page per stream."""
    page_ids = [4 + 2 * i for i in range(len(streams))]
    resources = b"<< /Font << /F1 3 0 R >> >>" if font else b"<< >>"
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % i for i in page_ids)
        + b"] /Count %d >>" % len(streams),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for page_id, stream in zip(page_ids, streams, strict=True):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "
            + resources
            + b" /Contents %d 0 R >>" % (page_id + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def make_pdf(pages: list[str]) -> bytes:
    """Build a small valid PDF with a real text layer (Helvetica, one string per page).

    Lines are split on newlines and wrapped at 90 characters; text outside cp1252 becomes "?".
    """
    streams: list[bytes] = []
    for text in pages:
        lines = [
            wrapped for line in text.splitlines() for wrapped in (textwrap.wrap(line, 90) or [""])
        ]
        ops = [b"BT", b"/F1 12 Tf", b"14 TL", b"72 720 Td"]
        for i, line in enumerate(lines):
            if i:
                ops.append(b"T*")
            ops.append(_pdf_string(line) + b" Tj")
        ops.append(b"ET")
        streams.append(b"\n".join(ops))
    return _build_pdf(streams, font=True)


def make_scanned_pdf(pages: int = 1) -> bytes:
    """Build a PDF whose pages only draw rectangles (no text layer, like a bare scan)."""
    stream = b"0.85 g\n72 72 468 648 re\nf\n0 G\n2 w\n120 560 372 140 re\nS"
    return _build_pdf([stream] * pages, font=False)


class FakeWeb:
    """HTTP/1.1 server on 127.0.0.1 with scripted routes; use as ``async with FakeWeb() as w``.

    Unknown paths get a 404. Every request is recorded in ``requests`` before any response.
    """

    host: str = "127.0.0.1"

    def __init__(self) -> None:
        self.port: int = 0
        self.requests: list[WebRequest] = []
        self._routes: dict[str, _Static | _Handler] = {}
        self._tasks: set[asyncio.Task[object]] = set()
        self._server: web.Server | None = None
        self._runner: web.ServerRunner | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on a random free port."""
        self._server = web.Server(self._handle, handler_cancellation=True, access_log=None)
        self._runner = web.ServerRunner(self._server, shutdown_timeout=_SHUTDOWN_GRACE)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((self.host, 0))
            self.port = sock.getsockname()[1]
            await web.SockSite(self._runner, sock).start()
        except BaseException:
            sock.close()
            await self._runner.cleanup()
            raise

    async def stop(self) -> None:
        """Cancel running handlers (hang, drip, endless...) and close everything, fast."""
        if self._runner is None:
            return
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if self._server is not None:
            for conn in self._server.connections:
                if conn.transport is not None:
                    _reset(conn.transport)
        if tasks:
            await asyncio.wait(tasks, timeout=_SHUTDOWN_GRACE)
        await self._runner.cleanup()
        self._runner = None
        self._server = None

    # -- addressing and inspection -----------------------------------------------------------

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL for ``path`` (which starts with "/")."""
        return self.base + path

    def hits(self, path: str) -> int:
        """Number of requests to ``path``, ignoring query strings."""
        path = path.partition("?")[0]
        return sum(1 for r in self.requests if r.path == path)

    # -- plain routes ------------------------------------------------------------------------

    def route(
        self,
        path: str,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str | None = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Serve a fixed body; ``content_type=None`` sends no Content-Type at all.

        ``headers`` override the defaults; ``delay`` seconds pass before anything is sent.
        """
        data = body.encode("utf-8") if isinstance(body, str) else body
        self._routes[path] = _Static(data, status, content_type, dict(headers or {}), delay)

    def page(
        self,
        path: str,
        *,
        title: str,
        paragraphs: list[str],
        nav: list[str] | None = None,
        footer: str | None = None,
        lang: str = "en",
        extra_head: str = "",
        status: int = 200,
    ) -> str:
        """Route a realistic article page (metadata, nav menu, article, aside, footer).

        Only ``title`` and ``paragraphs`` are article content; nav, aside and footer are
        boilerplate an extractor must drop. Returns the HTML.
        """
        doc = _page_html(
            self.url(path),
            title=title,
            paragraphs=paragraphs,
            nav=nav if nav is not None else ["Home", "World", "Business", "Culture", "Subscribe"],
            footer=footer
            if footer is not None
            else "© 2024 Example Gazette Ltd. All rights reserved. This site uses cookies.",
            lang=lang,
            extra_head=extra_head,
        )
        self.route(path, doc, status=status)
        return doc

    def redirect(self, path: str, to: str, *, status: int = 302) -> None:
        """Redirect to ``to`` (absolute URL or path; sent verbatim as Location)."""
        body = f'<!DOCTYPE html><title>Moved</title><a href="{html.escape(to)}">Moved</a>'
        self.route(path, body, status=status, headers={"Location": to})

    def set_status(self, path: str, status: int) -> None:
        """Change the status of an existing ``route``/``page``/``redirect``."""
        route = self._routes.get(path)
        if not isinstance(route, _Static):
            raise KeyError(f"no fixed route at {path!r}")
        route.status = status

    def clear(self) -> None:
        """Forget all routes and recorded requests."""
        self._routes.clear()
        self.requests.clear()

    # -- hostile behaviours ------------------------------------------------------------------

    def slow_drip(
        self,
        path: str,
        *,
        chunk: bytes = b"<p>x</p>",
        interval: float = 1.0,
        total_chunks: int = 1000,
        content_type: str = "text/html",
    ) -> None:
        """Send 200 headers at once, then chunk k at time k * interval (chunked encoding)."""

        async def handler(request: web.BaseRequest) -> web.StreamResponse:
            resp = web.StreamResponse(headers={"Content-Type": content_type})
            await resp.prepare(request)
            if request.method == "HEAD":
                return resp
            try:
                for _ in range(total_chunks):
                    await asyncio.sleep(interval)
                    await resp.write(chunk)
                await resp.write_eof()
            except ConnectionError:
                pass
            return resp

        self._routes[path] = handler

    def endless(
        self, path: str, *, content_type: str = "text/html", chunk_size: int = 65536
    ) -> None:
        """Stream a never-ending chunked body until the client disconnects."""
        filler = b"<p>endless filler text</p>\n" * (chunk_size // 27 + 1)
        piece = filler[:chunk_size]

        async def handler(request: web.BaseRequest) -> web.StreamResponse:
            resp = web.StreamResponse(headers={"Content-Type": content_type})
            await resp.prepare(request)
            if request.method == "HEAD":
                return resp
            try:
                while True:
                    await resp.write(piece)
                    await asyncio.sleep(0)
            except ConnectionError:
                pass
            return resp

        self._routes[path] = handler

    def gzip_bomb(self, path: str, *, decoded_size: int = 1 << 30) -> None:
        """Serve a valid gzip body (Content-Encoding: gzip) that inflates to ``decoded_size``.

        About 1 KiB on the wire per MiB decoded, with an honest Content-Length. It is streamed
        from one cached deflate block, so the server never holds more than ~1 MiB.
        """
        blocks, rest = divmod(decoded_size, _BOMB_BLOCK)

        async def handler(request: web.BaseRequest) -> web.StreamResponse:
            fill, block = _bomb_block()
            tail = _bomb_tail(rest)
            length = len(_GZIP_HEADER) + blocks * len(block) + len(tail) + 8
            resp = web.StreamResponse(
                headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}
            )
            resp.content_length = length
            await resp.prepare(request)
            if request.method == "HEAD":
                return resp
            crc = 0
            try:
                await resp.write(_GZIP_HEADER)
                left = blocks
                while left:
                    n = min(left, _BOMB_BATCH)
                    await resp.write(block * n)
                    for _ in range(n):
                        crc = zlib.crc32(fill, crc)
                    left -= n
                    await asyncio.sleep(0)
                crc = zlib.crc32(fill[:rest], crc)
                await resp.write(tail + struct.pack("<II", crc, decoded_size & 0xFFFFFFFF))
                await resp.write_eof()
            except ConnectionError:
                pass
            return resp

        self._routes[path] = handler

    def hang(self, path: str) -> None:
        """Accept the request and never answer (until the client leaves or the server stops)."""

        async def handler(request: web.BaseRequest) -> web.StreamResponse:
            await asyncio.get_running_loop().create_future()
            return web.Response()  # pragma: no cover - never reached

        self._routes[path] = handler

    def raw(self, path: str, response: bytes) -> None:
        """Write ``response`` verbatim as the whole HTTP response, then close the connection.

        ``b""`` closes without answering at all.
        """

        async def handler(request: web.BaseRequest) -> web.StreamResponse:
            return _send_raw(request, response)

        self._routes[path] = handler

    # -- dispatch ----------------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        self.requests.append(
            WebRequest(
                method=request.method,
                path=request.path,
                query=request.raw_path.partition("?")[2],
                headers=_Headers(request.headers.items()),
                at=time.monotonic(),
            )
        )
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        route = self._routes.get(request.path) or _Static(_NOT_FOUND, 404, "text/html")
        if isinstance(route, _Static):
            return await self._serve(request, route)
        return await route(request)

    @staticmethod
    async def _serve(request: web.BaseRequest, route: _Static) -> web.StreamResponse:
        if route.delay > 0:
            await asyncio.sleep(route.delay)
        if route.content_type is None:
            # aiohttp would add a default Content-Type, so write this response by hand.
            data = _manual_response(request.method, route.status, route.headers, route.body)
            return _send_raw(request, data)
        headers: CIMultiDict[str] = CIMultiDict({"Content-Type": route.content_type})
        headers.update(route.headers)
        return web.Response(status=route.status, body=route.body, headers=headers)
