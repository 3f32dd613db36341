"""Safe fetching: the only code that opens HTTP connections to URLs strangers send."""

from __future__ import annotations

import asyncio
import html
import ipaddress
import logging
import math
import re
import socket
import time
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email.message import Message
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Protocol
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

import httpx

from bot import __version__
from bot.content.addresses import IPAddress, is_public_address
from bot.content.decode import bom_text
from bot.content.ebook import EPUB_TYPE
from bot.content.office import DOCX_TYPE, WORD_97_TYPE
from bot.content.rtf import RTF_TYPES
from bot.content.slides import PPT_97_TYPE, PPTX_TYPE
from bot.errors import FetchError, InvalidSourceError, SkimError, UnsupportedContentError
from bot.metrics import Metrics
from bot.retry_after import retry_after_seconds

log = logging.getLogger(__name__)

USER_AGENT = f"Skim/{__version__} (+https://github.com/skim-bot/skim; summarizer bot)"
MAX_REDIRECTS = 5
# A 429 asking to wait at most this long is waited out once, as a browser's reader would not
# notice; a longer wait is told to the user.
RETRY_AFTER_WAITED = 5.0
_ACCEPT = "text/html,application/xhtml+xml,application/pdf,text/plain;q=0.9,*/*;q=0.5"
_READABLE_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "text/markdown",
    "text/x-markdown",
    "application/pdf",
    DOCX_TYPE,
    WORD_97_TYPE,
    PPTX_TYPE,
    PPT_97_TYPE,
    EPUB_TYPE,
    *RTF_TYPES,
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "application/atom+xml",
)
_REFUSED_PREFIXES = ("image/", "audio/", "video/", "font/", "model/")
_REFUSED_TYPES = frozenset(
    {
        "application/zip",
        "application/gzip",
        "application/x-gzip",
        "application/x-tar",
        "application/x-7z-compressed",
        "application/x-rar-compressed",
        "application/vnd.rar",
        "application/x-bzip2",
        "application/x-xz",
        "application/zstd",
        "application/java-archive",
        "application/vnd.android.package-archive",
        "application/x-msdownload",
        "application/x-iso9660-image",
        "application/wasm",
    }
)


class Resolver(Protocol):
    """Turns a host name into the addresses a connection may go to."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]: ...


class SystemResolver:
    """The operating system's resolver, without blocking the event loop."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses: list[IPAddress] = []
        for *_, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
        return addresses


# The ports a link may use unless the settings say otherwise: the web's own.
WEB_PORTS = frozenset({80, 443, 8080, 8443})


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetch; built from the settings."""

    allow_private_networks: bool = False
    allowed_ports: frozenset[int] | None = WEB_PORTS  # None: any port
    max_bytes: int = 5_000_000
    deadline: float = 20.0
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    # Audio and video (podcasts, recordings) are taken up to this size, within this deadline
    # from the first byte; 0 refuses them like any other binary file.
    media_max_bytes: int = 0
    media_deadline: float = 300.0


@dataclass(frozen=True)
class FetchResult:
    """A fetched body with what is needed to decode it."""

    url: str
    final_url: str
    status: int
    media_type: str
    charset: str | None
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return message.get_content_type().lower(), str(charset) if isinstance(charset, str) else None


# How an HTML page may begin, after any whitespace: these, or one of the tags browsers also
# take for HTML (WHATWG MIME Sniffing, "rules for identifying an unknown MIME type") followed
# by a space or ">"; an XHTML page may put an XML declaration first.
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<meta")
_HTML_TAGS = (
    *(b"<script", b"<iframe", b"<h1", b"<div", b"<font", b"<table", b"<a", b"<style"),
    *(b"<title", b"<b", b"<br", b"<p"),
)
_TAG_ENDS = (b" ", b"\t", b"\n", b"\r", b"\x0c", b">")
_XML_DECLARATION_END = b"?>"


def _looks_like_html(stripped: bytes) -> bool:
    """``stripped``: the first bytes, lower-cased, leading whitespace removed."""
    if stripped.startswith(b"<?xml"):
        after = stripped.partition(_XML_DECLARATION_END)[2].lstrip()
        return after.startswith((b"<!doctype html", b"<html"))  # not a feed or other XML
    if stripped.startswith(_HTML_STARTS):
        return True
    return any(
        stripped.startswith(tag) and stripped[len(tag) : len(tag) + 1] in _TAG_ENDS
        for tag in _HTML_TAGS
    )


def _narrow(head: bytes) -> bytes:
    """Text after a byte-order mark (Windows tools save HTML in UTF-16) as UTF-8, for the byte
    checks."""
    text = bom_text(head)
    return head if text is None else text.encode()


def sniff_media_type(head: bytes) -> str:
    """Guess a type from the first bytes when the server gave none or a generic one."""
    stripped = _narrow(head).lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").lower()
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if _looks_like_html(stripped):
        return "text/html"
    if head.startswith((b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"BZh")):
        return "application/zip"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"ID3", b"OggS")):
        return "image/unknown"
    if b"\x00" in head[:512] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "application/octet-stream"
    return "text/plain"


def sniff_recording(head: bytes) -> str | None:
    """An audio or video container known by its first bytes, when a server calls it binary."""
    if head.startswith((b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


def is_recording_type(media_type: str) -> bool:
    return media_type.startswith(("audio/", "video/")) or media_type == "application/ogg"


def _parse_hop(url: str) -> tuple[httpx.URL, str, int]:
    """The parsed URL of one hop, its host and port; refuses what is not plain http(s)."""
    try:
        parsed = httpx.URL(url)
        host = parsed.host  # decoded from IDNA here: a malformed "xn--" label raises
    except (httpx.InvalidURL, ValueError):  # IDNA's errors are UnicodeErrors, ValueErrors
        raise InvalidSourceError(key="err_invalid_link") from None
    if parsed.scheme not in ("http", "https"):
        raise InvalidSourceError(key="err_scheme")
    if parsed.userinfo:
        raise InvalidSourceError(key="err_userinfo")
    if not host:
        raise InvalidSourceError(key="err_no_host")
    return parsed, host, parsed.port or (443 if parsed.scheme == "https" else 80)


def _refused(media_type: str) -> bool:
    return media_type.startswith(_REFUSED_PREFIXES) or media_type in _REFUSED_TYPES


def _status_error(status: int, host: str, retry_after: float | None = None) -> FetchError:
    if status == 429 and retry_after is not None:
        minutes = max(1, math.ceil(retry_after / 60))
        return FetchError(
            key="err_http_rate_after", host=host, minutes=minutes, detail=f"HTTP 429 from {host}"
        )
    if status in (204, 205):
        key = "err_http_empty"
    elif status == 451:
        key = "err_http_legal"
    elif status in (401, 402, 403):
        key = "err_http_refused"
    elif status in (404, 410):
        key = "err_http_missing"
    elif status == 429:
        key = "err_http_rate"
    elif status >= 500:
        key = "err_http_server"
    else:
        key = "err_http_other"
    return FetchError(key=key, host=host, status=status, detail=f"HTTP {status} from {host}")


class _Decoder:
    """Content-Encoding decoder that never inflates more than the cap allows."""

    def __init__(self, encoding: str) -> None:
        names = [part.strip().lower() for part in encoding.split(",") if part.strip()]
        names = [name for name in names if name != "identity"]
        if len(names) > 1:
            raise UnsupportedContentError(key="err_encoding", name=", ".join(names))
        self._inflater: zlib._Decompress | None = None
        self._raw_deflate_possible = False
        self._head = b""
        if names:
            if names[0] in ("gzip", "x-gzip"):
                self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            elif names[0] == "deflate":
                self._raw_deflate_possible = True  # decided on the first bytes
            else:
                raise UnsupportedContentError(key="err_encoding", name=names[0])

    def feed(self, chunk: bytes, budget: int) -> bytes:
        if self._raw_deflate_possible:
            # "deflate" means a zlib stream, but some servers send a bare deflate one, which
            # browsers read too: a zlib stream opens with a header whose 16 bits divide by 31.
            chunk = self._head + chunk
            if len(chunk) < 2:
                self._head = chunk
                return b""
            self._raw_deflate_possible, self._head = False, b""
            zlib_header = chunk[0] & 0x0F == 8 and ((chunk[0] << 8) | chunk[1]) % 31 == 0
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        if self._inflater is None:
            return chunk
        try:
            return self._inflater.decompress(
                self._inflater.unconsumed_tail + chunk if self._inflater.unconsumed_tail else chunk,
                budget + 1,
            )
        except zlib.error:
            raise FetchError(key="err_body_corrupt") from None

    def pending(self) -> bool:
        return self._inflater is not None and bool(self._inflater.unconsumed_tail)


class Fetcher:
    """Fetches one URL under a policy: checked addresses, bounded size and time."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        policy: FetchPolicy,
        resolver: Resolver | None = None,
        address_allowed: Callable[[IPAddress], bool] = is_public_address,
        metrics: Metrics | None = None,
    ) -> None:
        self._client = client
        self._policy = policy
        self._resolver = resolver or SystemResolver()
        self._address_allowed = address_allowed
        self._metrics = metrics or Metrics()

    @staticmethod
    def build_client(policy: FetchPolicy) -> httpx.AsyncClient:
        """The fetcher's own client: no env proxies, no cookie jar kept, no auto-redirects."""
        return httpx.AsyncClient(
            trust_env=False,
            follow_redirects=False,
            # A jar whose policy accepts no cookie: nothing a site sets reaches the next request.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            timeout=httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout),
            headers={
                "User-Agent": USER_AGENT,
                "Accept": _ACCEPT,
                "Accept-Encoding": "gzip, deflate",
            },
        )

    async def fetch(self, url: str) -> FetchResult:
        """Fetch `url`, following up to five redirects, each re-checked."""
        started = time.monotonic()
        try:
            result = await self._fetch_in_time(url)
        except SkimError as error:
            self._metrics.fetches.labels(error.key).inc()
            raise
        self._metrics.fetches.labels("ok").inc()
        self._metrics.fetch_seconds.observe(time.monotonic() - started)
        return result

    async def _fetch_in_time(self, url: str) -> FetchResult:
        try:
            async with asyncio.timeout(self._policy.deadline) as window:
                return await self._fetch(url, window)
        except TimeoutError:
            host = urlsplit(url).hostname or url
            raise FetchError(
                key="err_deadline",
                host=host,
                seconds=f"{self._policy.deadline:g}",
                detail=f"deadline exceeded for {host}",
            ) from None

    async def _fetch(self, url: str, window: asyncio.Timeout) -> FetchResult:
        current = url
        waited = False
        # Cookies a site sets along one chain of redirects (a consent check, a CDN's session)
        # go with its later hops, as in a browser; none outlives the fetch.
        cookies = httpx.Cookies()
        for _ in range(MAX_REDIRECTS + 1):
            target, host, addresses = await self._check(current)
            response = await self._open(current, target, host, addresses, cookies)
            if response.status_code == 429 and not waited:
                wait = retry_after_seconds(response.headers)
                if wait is not None and wait <= RETRY_AFTER_WAITED:
                    await response.aclose()
                    await asyncio.sleep(wait)
                    waited = True
                    response = await self._open(current, target, host, addresses, cookies)
            try:
                if response.status_code in (301, 302, 303, 307, 308):
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(key="err_redirect_no_location", host=host)
                    try:
                        current = urljoin(current, location.strip())
                    except ValueError:  # `http://[bad`: not a place to go
                        raise FetchError(key="err_redirect_no_location", host=host) from None
                    continue
                if response.status_code >= 400 or response.status_code < 200:
                    retry_after = retry_after_seconds(response.headers)
                    raise _status_error(response.status_code, host, retry_after)
                if response.status_code in (204, 205):
                    raise _status_error(response.status_code, host)
                result = await self._read(url, current, response, window)
                forward = _refresh_target(result, response.headers.get("refresh"))
                if forward is None or _same_page(forward, current):
                    return result
                current = forward
                continue
            finally:
                await response.aclose()
        raise FetchError(
            key="err_too_many_redirects", limit=MAX_REDIRECTS, detail="too many redirects"
        )

    async def _check(self, url: str) -> tuple[httpx.URL, str, list[IPAddress]]:
        """Validate one hop and resolve it; returns the URL to request and the checked addresses."""
        parsed, host, port = _parse_hop(url)
        # The name as the Host header carries it (IDNA 2008): the system resolver would turn
        # `faß.example` into `fass.example` (IDNA 2003), another site.
        addresses = await self._addresses(parsed.raw_host.decode("ascii"), port)
        if not self._policy.allow_private_networks:
            refused = [address for address in addresses if not self._address_allowed(address)]
            if refused:
                log.warning("refused fetch to non-public address %s for host %s", refused[0], host)
                raise FetchError(
                    key="err_private", detail=f"non-public address {refused[0]} for {host}"
                )
        allowed = self._policy.allowed_ports
        if allowed is not None and port not in allowed:
            raise InvalidSourceError(key="err_port", port=port)
        return parsed, host, addresses

    async def _addresses(self, host: str, port: int) -> list[IPAddress]:
        """The host itself when it is an IP literal, else what the resolver answers (not empty)."""
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        try:
            addresses = await self._resolver.resolve(host, port)
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            raise FetchError(key="err_dns", host=host, detail=f"DNS failure for {host}")
        return addresses

    async def _open(
        self,
        url: str,
        parsed: httpx.URL,
        host: str,
        addresses: list[IPAddress],
        cookies: httpx.Cookies,
    ) -> httpx.Response:
        """Connect to a checked address (no second DNS lookup), keeping Host and SNI, with
        the cookies this fetch was given for `url`."""
        as_named = httpx.Request("GET", parsed)  # cookies match the name, not the address
        cookies.set_cookie_header(as_named)
        last_error: Exception | None = None
        for address in addresses[:4]:
            ip_host = str(address)
            target = parsed.copy_with(host=ip_host)
            headers = {"Host": parsed.netloc.decode("ascii").rpartition("@")[2]}
            if "cookie" in as_named.headers:
                headers["Cookie"] = as_named.headers["cookie"]
            sni = parsed.raw_host.decode("ascii")
            extensions = {"sni_hostname": sni} if parsed.scheme == "https" else {}
            request = self._client.build_request(
                "GET", target, headers=headers, extensions=extensions
            )
            try:
                response = await self._client.send(request, stream=True)
            except httpx.InvalidURL:
                # httpx parses a redirect's Location even when not following it, and fails on
                # one with a scheme but no host (`javascript:alert(1)`, `data:...`).
                raise FetchError(key="err_redirect_no_location", host=host) from None
            except httpx.ConnectError as error:
                if "CERTIFICATE" in str(error).upper() or "SSL" in str(error).upper():
                    raise FetchError(
                        key="err_tls", host=host, detail=f"TLS failure for {host}"
                    ) from None
                last_error = error
                continue
            except httpx.TimeoutException:
                raise FetchError(
                    key="err_timeout", host=host, detail=f"timeout for {host}"
                ) from None
            except httpx.HTTPError as error:
                # A Location httpx cannot parse at all is a RemoteProtocolError.
                bad_location = "location header" in str(error).lower()
                raise FetchError(
                    key="err_redirect_no_location" if bad_location else "err_connection_failed",
                    host=host,
                    detail=f"{type(error).__name__} for {host}",
                ) from None
            cookies.extract_cookies(
                httpx.Response(response.status_code, headers=response.headers, request=as_named)
            )
            return response
        raise FetchError(
            key="err_refused",
            host=host,
            detail=f"connect failed for {host}: {type(last_error).__name__}",
        )

    async def _read(
        self, url: str, final_url: str, response: httpx.Response, window: asyncio.Timeout
    ) -> FetchResult:
        header_type, charset = _media_type(response.headers.get("content-type"))
        limit = self._limit(header_type, response.headers.get("content-length"), window)
        decoder = _Decoder(response.headers.get("content-encoding", ""))
        body = bytearray()
        media_type = header_type
        async for chunk in _raw_chunks(response):
            body += decoder.feed(chunk, limit - len(body))
            while decoder.pending() and len(body) <= limit:
                body += decoder.feed(b"", limit - len(body))
            if len(body) > limit:
                raise _too_large(limit)
            if media_type in ("", "application/octet-stream") and len(body) >= 512:
                media_type = self._sniffed(bytes(body[:1024]), window)
                if is_recording_type(media_type):
                    limit = self._policy.media_max_bytes
        if body.startswith(b"%PDF-"):
            # Whatever the server calls it: S3's binary/octet-stream, application/x-pdf, a
            # download's force-download, even text/plain.
            media_type = "application/pdf"
        if media_type in ("", "application/octet-stream"):
            media_type = self._sniffed(bytes(body[:1024]), window)
        if is_recording_type(media_type):
            return self._result(url, final_url, response, media_type, None, body)
        if not media_type.startswith("text/") and media_type not in _READABLE_TYPES:
            raise UnsupportedContentError(key="err_file_type", type=media_type)
        return self._result(url, final_url, response, media_type, charset, body)

    def _limit(self, header_type: str, length: str | None, window: asyncio.Timeout) -> int:
        """The body's byte cap by its declared type; a recording gets the media cap and time."""
        media = self._policy.media_max_bytes > 0 and is_recording_type(header_type)
        if _refused(header_type) and not media:
            raise UnsupportedContentError(key="err_file_type", type=header_type)
        limit = self._policy.media_max_bytes if media else self._policy.max_bytes
        if length and length.isdigit() and int(length) > (limit if media else limit * 20):
            raise _too_large(limit)
        if media:
            window.reschedule(asyncio.get_running_loop().time() + self._policy.media_deadline)
        return limit

    @staticmethod
    def _result(
        url: str,
        final_url: str,
        response: httpx.Response,
        media_type: str,
        charset: str | None,
        body: bytearray,
    ) -> FetchResult:
        return FetchResult(
            url=url,
            final_url=_without_credentials(final_url),
            status=response.status_code,
            media_type=media_type,
            charset=charset,
            body=bytes(body),
            headers={key.lower(): value for key, value in response.headers.items()},
        )

    def _sniffed(self, head: bytes, window: asyncio.Timeout) -> str:
        recording = sniff_recording(head)
        if recording is not None and self._policy.media_max_bytes > 0:
            window.reschedule(asyncio.get_running_loop().time() + self._policy.media_deadline)
            return recording
        sniffed = sniff_media_type(head)
        if _refused(sniffed) or sniffed == "application/octet-stream":
            raise UnsupportedContentError(key="err_binary")
        return sniffed


# A refresh a browser follows at once (an interstitial: "Redirecting…"); a longer one reloads
# a live page, which is no redirect.
REFRESH_FOLLOWED = 5
_META_TAG = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)
_REFRESH_EQUIV = re.compile(rb"""http-equiv\s*=\s*["']?\s*refresh""", re.IGNORECASE)
_CONTENT = re.compile(rb"""\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_REFRESH_VALUE = re.compile(r"""^\s*(\d+)(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?['"]?([^'"]*)""", re.I)


def _refresh_target(result: FetchResult, header: str | None) -> str | None:
    """Where a `Refresh` header or an HTML page's meta refresh sends the reader at once."""
    value = header
    if value is None and result.media_type in ("text/html", "application/xhtml+xml"):
        for tag in _META_TAG.findall(bytes(result.body[:16_384])):
            content = _CONTENT.search(tag)
            if _REFRESH_EQUIV.search(tag) and content:
                raw = next(group for group in content.groups() if group is not None)
                value = raw.decode("latin-1")
                break
    parsed = _REFRESH_VALUE.match(value or "")
    if parsed is None or not parsed[2].strip() or int(parsed[1]) > REFRESH_FOLLOWED:
        return None
    try:
        return urljoin(result.final_url, html.unescape(parsed[2].strip()))
    except ValueError:
        return None


def _same_page(first: str, second: str) -> bool:
    return urldefrag(first)[0] == urldefrag(second)[0]


def _too_large(limit: int) -> FetchError:
    return FetchError(key="err_too_large", mb=f"{limit / 1_000_000:g}", detail="body over byte cap")


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment=""))


async def _raw_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    except httpx.TimeoutException:
        raise FetchError(key="err_stopped_sending", detail="read timeout") from None
    except httpx.HTTPError as error:
        raise FetchError(key="err_broken", detail=type(error).__name__) from None
