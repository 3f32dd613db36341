"""E-books (.epub): the chapters in reading order, as plain text.

An EPUB is a zip package: `META-INF/container.xml` names the package document, whose spine
lists the XHTML chapters in reading order and whose metadata holds the title, author and
language. The well-kept Python reader, EbookLib, is AGPL-licensed, which an MIT project's image
cannot ship; reading the spine takes the standard library's zipfile and the XML and HTML
parsers Skim has already (untrusted XML without entities; chapters through the page parser).
"""

from __future__ import annotations

import io
import logging
import posixpath
import zipfile
from pathlib import PurePath
from typing import Any
from urllib.parse import unquote, urlsplit

from bot.content.decode import decode_bytes
from bot.content.document import Document, tidy_lines
from bot.content.feeds import parse_xml
from bot.content.html import parse_html, strip_hidden
from bot.content.office import ZIP_PACKAGE, bounded_package
from bot.content.render import render_text
from bot.content.words import reading_words
from bot.errors import ExtractionError

log = logging.getLogger(__name__)

EPUB_TYPE = "application/epub+zip"
_MIN_WORDS = 5
_CHAPTER_TYPES = ("application/xhtml+xml", "text/html")
# EPUB 3 marks note references ("…p.m.¹") and the notes themselves (pop-ups placed mid-text).
_NOTE_KINDS = frozenset({"noteref", "footnote", "endnote", "rearnote"})


def _is_note(element: Any) -> bool:
    if not isinstance(element.tag, str):
        return False
    kinds = element.get("epub:type") or element.get("{http://www.idpf.org/2007/ops}type") or ""
    return not _NOTE_KINDS.isdisjoint(kinds.split())


# Font obfuscation (IDPF, Adobe) scrambles fonts only; any other encryption of a chapter is DRM.
_FONT_OBFUSCATION = ("http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC")


def extract_epub(data: bytes, url: str | None = None, filename: str | None = None) -> Document:
    """The text of an e-book's chapters, with its title, author and language."""
    if not data.startswith(ZIP_PACKAGE):
        raise ExtractionError(key="err_epub_damaged")
    try:
        bounded = bounded_package(data, "err_epub_too_big")
        with zipfile.ZipFile(io.BytesIO(bounded)) as package:
            if _encrypted(package):
                raise ExtractionError(key="err_epub_locked")
            opf_path = _package_path(package)
            opf = parse_xml(package.read(opf_path))
            if opf is None:
                raise ValueError("unreadable package document")
            chapters = [_chapter_text(package, path) for path in _reading_order(opf, opf_path)]
            metadata = opf.find("{*}metadata")
    except ExtractionError:
        raise
    except Exception as error:  # a damaged zip, a missing part, unreadable XML
        log.info("unreadable e-book: %s", type(error).__name__)
        raise ExtractionError(key="err_epub_damaged") from None
    text = tidy_lines("\n\n".join(chapter for chapter in chapters if chapter))
    if reading_words(text) < _MIN_WORDS:
        raise ExtractionError(key="err_no_text_epub")
    return Document(
        text=text,
        source_kind="epub",
        title=_dublin_core(metadata, "title") or (PurePath(filename).stem if filename else None),
        author=_dublin_core(metadata, "creator"),
        language=(_dublin_core(metadata, "language") or "").split("-")[0].lower() or None,
        url=url,
        canonical_url=url,
        site_name=urlsplit(url).hostname if url else None,
    )


def _encrypted(package: zipfile.ZipFile) -> bool:
    """Whether a chapter is encrypted (DRM); obfuscated fonts alone are no obstacle."""
    try:
        listing = package.read("META-INF/encryption.xml")
    except KeyError:
        return False
    root = parse_xml(listing)
    if root is None:
        return False
    methods = [method.get("Algorithm", "") for method in root.iter("{*}EncryptionMethod")]
    return any(method not in _FONT_OBFUSCATION for method in methods)


def _package_path(package: zipfile.ZipFile) -> str:
    """Where the package document (.opf) is, as the container names it."""
    container = parse_xml(package.read("META-INF/container.xml"))
    rootfile = container.find(".//{*}rootfile") if container is not None else None
    path = rootfile.get("full-path") if rootfile is not None else None
    if not path:
        raise ValueError("no package document named")
    return str(path)


def _reading_order(opf: Any, opf_path: str) -> list[str]:
    """The spine's chapters as paths in the package, in order, linear ones only when any."""
    base = posixpath.dirname(opf_path)
    manifest = {
        item.get("id"): item
        for item in opf.iterfind("{*}manifest/{*}item")
        if item.get("media-type") in _CHAPTER_TYPES
        and item.get("href")
        # The table of contents, when the spine lists it: headings, no text to summarize.
        and "nav" not in (item.get("properties") or "").split()
    }
    refs = list(opf.iterfind("{*}spine/{*}itemref"))
    linear = [ref for ref in refs if ref.get("linear") != "no"] or refs
    paths = []
    for ref in linear:
        item = manifest.get(ref.get("idref"))
        if item is not None:
            href = unquote(urlsplit(item.get("href")).path)
            paths.append(posixpath.normpath(posixpath.join(base, href)))
    return paths


def _chapter_text(package: zipfile.ZipFile, path: str) -> str:
    """A chapter's visible text, one line per block, without its note markers and notes; ""
    for a chapter the package lacks (a reader skips it; the book was "damaged")."""
    try:
        data = package.read(path)
    except KeyError:
        log.info("an e-book's chapter is missing from its package")
        return ""
    tree = parse_html(decode_bytes(data, html=True))
    if tree is None:
        return ""
    strip_hidden(tree)
    notes = [element for element in tree.iter() if _is_note(element)]
    for note in notes:
        note.drop_tree()
    body = tree.find("body")
    return render_text(body if body is not None else tree)


def _dublin_core(metadata: Any, name: str) -> str | None:
    """A Dublin Core field of the package metadata (the first one), stripped."""
    if metadata is None:
        return None
    found = metadata.find(f"{{http://purl.org/dc/elements/1.1/}}{name}")
    text = " ".join((found.text or "").split()) if found is not None else ""
    return text or None
