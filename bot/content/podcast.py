"""Where a page or a feed declares its audio: an episode page's `og:audio`, an `<audio>` source,
a feed item's enclosure. Only the address is found here; it is fetched like any link."""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

import lxml.etree as etree  # type: ignore[import-untyped]
import lxml.html as html  # type: ignore[import-untyped]

from bot.content.feeds import parse_xml

log = logging.getLogger(__name__)

# Show notes shorter than this are no article: the episode itself is what to read.
SHOW_NOTES_WORDS = 400
_AUDIO_META = ("og:audio", "og:audio:url", "og:audio:secure_url", "twitter:player:stream")


def _http(url: str | None, base: str) -> str | None:
    if not url or not url.strip():
        return None
    try:
        absolute = urljoin(base, url.strip())
    except ValueError:
        return None
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def page_audio(body: bytes, base_url: str) -> str | None:
    """The audio an HTML page declares: `og:audio` first, then the first `<audio>` source."""
    try:
        tree = html.fromstring(body)
    except (etree.ParserError, ValueError) as error:
        log.info("no audio looked for: the page does not parse (%s)", type(error).__name__)
        return None
    for name in _AUDIO_META:
        for value in tree.xpath(f'//meta[@property="{name}" or @name="{name}"]/@content'):
            if found := _http(str(value), base_url):
                return found
    for value in tree.xpath("//audio/@src | //audio/source/@src"):
        if found := _http(str(value), base_url):
            return found
    return None


def feed_audio(body: bytes, base_url: str) -> str | None:
    """The newest episode of an RSS or Atom feed: the first item's audio enclosure."""
    root = parse_xml(body)
    if root is None:
        return None
    for element in root.iter("{*}enclosure", "{*}link"):
        kind = (element.get("type") or "").lower()
        is_enclosure = etree.QName(element).localname == "enclosure" or (
            element.get("rel") == "enclosure"
        )
        audio = kind.startswith(("audio/", "video/")) or not kind
        found = _http(element.get("url") or element.get("href"), base_url) if audio else None
        if is_enclosure and found:
            return found
    return None


def is_feed(media_type: str, body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return media_type in (
        "application/rss+xml",
        "application/atom+xml",
        "application/xml",
        "text/xml",
    ) and (b"<rss" in head or b"<feed" in head or b"<?xml" in head)
