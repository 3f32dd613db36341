"""Finding links in text and normalizing them into stable cache identities."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import idna

_URL_IN_TEXT = re.compile(r"(?:https?://|www\.)[^\s<>\"'«»“”]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"…»"
_DEFAULT_PORTS = {"http": 80, "https": 443}
# A scheme ("ftp:", "mailto:", "tg:"), not a host followed by its port ("example.com:8080").
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:(?!\d)", re.IGNORECASE)
_TRACKING_PREFIXES = ("utm_", "mtm_", "pk_")
_TRACKING_NAMES = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "ysclid",
        "mc_cid",
        "mc_eid",
        "ref_src",
        "ref_url",
        "igshid",
        "igsh",
        "si",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "spm",
        "s_cid",
    }
)


def looks_like_url(text: str) -> bool:
    """True for a single http(s) link (the whole string)."""
    candidate = text.strip()
    if not candidate or any(ch.isspace() for ch in candidate):
        return False
    try:
        parts = urlsplit(candidate)
    except ValueError:  # e.g. an unclosed IPv6 bracket: not a link anyone can open
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _trim(candidate: str) -> str:
    while candidate and candidate[-1] in _TRAILING:
        # Keep a closing parenthesis that belongs to the URL, as in Wikipedia links.
        if candidate[-1] == ")" and candidate.count("(") >= candidate.count(")"):
            break
        candidate = candidate[:-1]
    return candidate


def find_urls(text: str) -> list[str]:
    """Links written out in plain text, in order, without duplicates."""
    found: list[str] = []
    for match in _URL_IN_TEXT.finditer(text):
        url = _trim(match.group(0))
        if url.lower().startswith("www."):
            url = "https://" + url
        if looks_like_url(url) and url not in found:
            found.append(url)
    return found


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def _ascii_host(host: str) -> str:
    host = host.rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return host.encode("idna").decode("ascii")


def normalize_url(url: str) -> str:
    """One spelling per page: scheme/host lower-cased, IDNA, no default port, fragment or trackers.

    Raises ValueError when the URL has no usable host or port.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname
    if not host:
        raise ValueError("no host in URL")
    ascii_host = _ascii_host(host)
    if ":" in ascii_host:
        ascii_host = f"[{ascii_host}]"
    port = parts.port
    netloc = (
        ascii_host
        if port is None or _DEFAULT_PORTS.get(scheme) == port
        else (f"{ascii_host}:{port}")
    )
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(name)
    ]
    query.sort()
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ASCII_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")
# RFC 3986's characters allowed in a path, query and fragment, besides letters and digits.
_URL_SAFE = "!$&'()*+,;=:@/?-._~%"


def _encoded(part: str) -> str:
    return quote(_LONE_PERCENT.sub("%25", part), safe=_URL_SAFE)


def link_url(url: str | None) -> str | None:
    """The link as a browser sends it, or None unless it is http(s) with a valid host.

    Pages declare canonical links with spaces, quotes or non-ASCII paths, and Telegram refuses
    such a URL in a button (``BUTTON_URL_INVALID``): the host is put in IDNA, the path, query
    and fragment percent-encoded (existing escapes kept), any user name and password dropped.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not host:
            return None
        if ":" in host:
            netloc = f"[{ipaddress.IPv6Address(host).compressed}]"
        else:
            netloc = _ascii_host(host)
            if not _ASCII_HOST.fullmatch(netloc):
                return None
    except (ValueError, UnicodeError):  # a bad port, IPv6 literal or IDNA label
        return None
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return urlunsplit(
        (scheme, netloc, _encoded(parts.path), _encoded(parts.query), _encoded(parts.fragment))
    )


_OTHER_SCHEME_LINK = re.compile(r"\b([a-z][a-z0-9+.-]*)://\S", re.IGNORECASE)


def other_scheme(text: str, marked: list[str]) -> str | None:
    """The scheme of a link that is no web page (`ftp`, `file`, `ipfs`...), marked by the
    message's entities or written out, for telling the sender why it is not read."""
    for candidate in [*marked, text]:
        for match in _OTHER_SCHEME_LINK.finditer(candidate):
            scheme = match.group(1).lower()
            if scheme not in ("http", "https"):
                return scheme
    return None


def message_links(text: str, marked: list[str]) -> list[str]:
    """A message's links: those its entities mark (scheme added when missing), then bare text.

    `marked` holds what the message's url and text_link entities point at, in order. Those
    with a scheme other than http(s) are left out, never read as `https://ftp://...`.
    """
    links: list[str] = []
    seen: set[str] = set()  # one page once, however its links differ (utm_*, #fragment)

    def add(url: str) -> None:
        try:
            page = normalize_url(url)
        except ValueError:
            page = url
        if page not in seen:
            seen.add(page)
            links.append(url)

    for candidate in marked:
        if candidate and not candidate.lower().startswith(("http://", "https://")):
            if _SCHEME.match(candidate):
                continue  # another scheme (ftp:, file:, mailto:, tg:...): not a web page
            candidate = "https://" + candidate
        if candidate and looks_like_url(candidate):
            add(candidate)
    for url in find_urls(text):
        add(url)
    return links
