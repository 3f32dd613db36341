"""An RSS or Atom feed as a readable text: its newest items, each title with its description.

A link to a feed (a site's "RSS" button) is a list of what the site published; the reader
wants what is new there, not its XML. The items are read in the feed's order (newest first in
practice), their HTML descriptions as text.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import lxml.etree as etree  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]

from bot.content.document import Document
from bot.content.render import render_text

log = logging.getLogger(__name__)

FEED_ITEMS = 20
_FEED_ROOTS = ("rss", "feed", "RDF")


def _text(element: Any | None) -> str:
    """An element's text; HTML inside it (escaped or in CDATA, as feeds carry it) as text."""
    if element is None:
        return ""
    raw = "".join(element.itertext()).strip()
    if "<" not in raw:
        return " ".join(raw.split())
    try:
        fragment = lxml.html.fragment_fromstring(raw, create_parent="div")
    except (etree.ParserError, ValueError):
        return " ".join(raw.split())
    return render_text(fragment).strip()


def _first(parent: Any, *names: str) -> Any | None:
    for name in names:
        found = parent.find(f"{{*}}{name}")
        if found is not None:
            return found
    return None


def parse_xml(data: bytes) -> Any | None:
    """Untrusted XML's root (no entities resolved, nothing fetched), or None."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None


def extract_feed(data: bytes, url: str | None = None) -> Document | None:
    """The feed's newest `FEED_ITEMS` items as a document, or None when the bytes are no feed."""
    root = parse_xml(data)
    if root is None or etree.QName(root).localname not in _FEED_ROOTS:
        return None
    channel = _first(root, "channel") if etree.QName(root).localname == "rss" else root
    items = list(root.iter("{*}item", "{*}entry"))[:FEED_ITEMS]
    paragraphs = []
    for item in items:
        title = _text(_first(item, "title"))
        body = _text(_first(item, "description", "summary", "content", "encoded"))
        paragraphs.append("\n".join(part for part in (title, body) if part))
    text = "\n\n".join(paragraph for paragraph in paragraphs if paragraph)
    if not text:
        return None
    log.info("read a feed of %d items", len(items))
    return Document(
        text=text,
        source_kind="feed",
        title=_text(_first(channel, "title")) if channel is not None else None,
        url=url,
        canonical_url=url,
        site_name=urlsplit(url).hostname if url else None,
    )
