"""Turning fetched or uploaded bytes into a Document."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import partial
from pathlib import PurePath
from urllib.parse import urlsplit

from bot.content.binary import looks_binary
from bot.content.decode import decode_bytes
from bot.content.document import Document, tidy_lines
from bot.content.ebook import EPUB_TYPE, extract_epub
from bot.content.feeds import extract_feed
from bot.content.fetch import sniff_media_type
from bot.content.html import extract_article
from bot.content.office import (
    COMPOUND_FILE,
    DOCX_TYPE,
    WORD_97_TYPE,
    ZIP_PACKAGE,
    extract_docx,
)
from bot.content.pdf import extract_pdf
from bot.content.rtf import RTF_TYPE, extract_rtf, is_rtf
from bot.content.slides import PPT_97_TYPE, PPTX_TYPE, extract_pptx
from bot.errors import ExtractionError, UnsupportedContentError

log = logging.getLogger(__name__)

_MIN_WORDS = 3
# A page this short with a password field is a login wall: its text is the form's, not an
# article's ("Sign in to continue", "Forgot your password?").
LOGIN_WALL_WORDS = 40
_PASSWORD_FIELD = re.compile(r"<input\b[^>]*\btype\s*=\s*[\"']?password\b", re.IGNORECASE)
# A page this short that sends the reader on by script, or says it needs JavaScript (an app
# rendered in the browser), has its text only after a script runs, which Skim does not do.
# (Short articles hold scripts with such lines too, a mobile redirect or a menu's onclick: the
# 1,505 benchmark pages have three of 31 to 35 words.)
SCRIPT_PAGE_WORDS = 20
_NEEDS_SCRIPT = re.compile(
    r"(?:\blocation(?:\.href)?\s*=\s*[\"'`]|\blocation\.(?:replace|assign)\s*\()"
    r"|(?:enable|turn on|requires?|needs?)\W+(?:\w+\W+){0,3}javascript",
    re.IGNORECASE,
)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_MD_UNDERLINE = re.compile(r"^\s{0,3}(?:=+|-+)\s*$")  # a setext heading's underline
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_TITLE = re.compile(r"^title\s*:\s*(.+)$", re.MULTILINE | re.IGNORECASE)
# HTML a README carries (a logo, a centred block): markup, not words to summarize.
_MD_HTML_TAG = re.compile(r"</?(?:img|p|div|br|a|picture|source|h\d|span|b|i|sup|sub)\b[^>\n]*>")
_EXTENSIONS = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".docx": DOCX_TYPE,
    ".docm": DOCX_TYPE,  # with macros, never run: only the text is read
    ".dotx": DOCX_TYPE,
    ".doc": WORD_97_TYPE,
    ".pptx": PPTX_TYPE,
    ".pptm": PPTX_TYPE,  # with macros, never run: only the text is read
    ".ppsx": PPTX_TYPE,
    ".ppt": PPT_97_TYPE,
    ".epub": EPUB_TYPE,
    ".rtf": RTF_TYPE,
}
# Zip packages, known by their first bytes; a file of that name that is no package is read as
# what its bytes are (the HTML or RTF many "export to Word" buttons save).
_PACKAGE_TYPES = (DOCX_TYPE, WORD_97_TYPE, PPTX_TYPE, PPT_97_TYPE, EPUB_TYPE)


_XML_TYPES = ("application/xml", "application/rss+xml", "application/atom+xml")


def media_type_for_file(filename: str, declared: str | None, data: bytes) -> str:
    """Decide how to read an uploaded or local file: extension, then declared type, then bytes.

    A PDF is known by its first bytes whatever its name says (`notes.txt` that is a PDF), and
    so is a "Word" file that is none: the HTML or RTF many "export to Word" buttons save.
    """
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if is_rtf(data):
        return RTF_TYPE
    by_extension = _EXTENSIONS.get(PurePath(filename).suffix.lower())
    if by_extension == RTF_TYPE:
        return sniff_media_type(data[:1024])  # named .rtf, but no RTF: what its bytes are
    if by_extension in _PACKAGE_TYPES and not data.startswith((ZIP_PACKAGE, COMPOUND_FILE)):
        return sniff_media_type(data[:1024])
    if by_extension:
        return by_extension
    if declared and declared != "application/octet-stream":
        return declared.lower()
    return sniff_media_type(data[:1024])


def _note(explain: list[str] | None, line: str) -> None:
    if explain is not None:
        explain.append(line)


def _require_text(document: Document, key: str, explain: list[str] | None = None) -> Document:
    if document.word_count < _MIN_WORDS:
        _note(explain, f"result: no text ({document.word_count} of {_MIN_WORDS} words needed)")
        raise ExtractionError(key=key)
    return document


def extract_html(
    html: str, url: str | None = None, *, explain: list[str] | None = None
) -> Document:
    """Main text and metadata of an article page, without navigation, ads or comments.

    ``explain``, when given, receives lines on which extractor candidate won and why.
    """
    try:
        article = extract_article(html, url, explain=explain)
    except Exception as error:  # each extractor is guarded; this is the parse and metadata
        article = None
        log.warning("HTML extraction failed: %s", type(error).__name__)
    if article is None:
        _note(explain, "result: no article text left after extraction")
        raise ExtractionError(key=_key_for_little_text(html, "err_no_article"))
    document = _require_text(
        Document(
            text=tidy_lines(article.text),
            source_kind="html",
            title=article.title,
            site_name=article.site_name,
            author=article.author,
            date=article.date,
            language=article.language,
            url=url,
            canonical_url=article.canonical_url or url,
        ),
        _key_for_little_text(html, "err_no_text_page"),
        explain,
    )
    if document.word_count < SCRIPT_PAGE_WORDS and _needs_script(html):
        _note(explain, f"result: {document.word_count} words and a script to run: not read")
        raise ExtractionError(key="err_needs_javascript", detail="little text; needs a script")
    if document.word_count < LOGIN_WALL_WORDS and _PASSWORD_FIELD.search(html):
        _note(explain, f"result: a login form and {document.word_count} words: a login wall")
        raise ExtractionError(key="err_login_wall", detail="a login form and little text")
    _note(explain, f"result: {document.word_count} words")
    return document


def _needs_script(html: str) -> bool:
    return "<script" in html.lower() and bool(_NEEDS_SCRIPT.search(html))


def _key_for_little_text(html: str, key: str) -> str:
    """Why a page gave no text: a script it needs, or plainly nothing to read."""
    return "err_needs_javascript" if _needs_script(html) else key


def extract_plain(
    text: str, *, markdown: bool = False, url: str | None = None, filename: str | None = None
) -> Document:
    """Plain text or Markdown as it is; a leading heading (a Markdown file's front matter
    title, or its underlined heading) becomes the title, else a file's name."""
    cleaned = tidy_lines(text)
    title = None
    if markdown:
        cleaned, title = _without_front_matter(cleaned)
        cleaned = tidy_lines(_MD_HTML_TAG.sub("", cleaned))
    first_line, _, rest = cleaned.partition("\n")
    heading = _MD_HEADING.match(first_line)
    if title:
        pass
    elif heading:
        title = heading.group(1)
    elif markdown and _MD_UNDERLINE.match(rest.partition("\n")[0]) and first_line.strip():
        title = first_line.strip()
    elif 0 < len(first_line) <= 120 and "\n\n" in cleaned[: len(first_line) + 2]:
        title = first_line
    return _require_text(
        Document(
            text=cleaned,
            source_kind="markdown" if markdown else "text",
            title=title or (PurePath(filename).stem if filename else None),
            url=url,
            canonical_url=url,
            site_name=urlsplit(url).hostname if url else None,
        ),
        "err_no_text_text",
    )


def _without_front_matter(text: str) -> tuple[str, str | None]:
    """A Markdown file without its YAML front matter (`---` lines around `key: value`s), and the
    title it declares."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return text, None
    title = _FRONT_MATTER_TITLE.search(match.group(1))
    declared = title.group(1).strip().strip("\"'").strip() if title else None
    return text[match.end() :], declared or None


FileReader = Callable[[bytes, str | None, str | None], Document]


def _file_reader(data: bytes, media_type: str) -> tuple[str, FileReader] | None:
    """The reader of a file format that is no web page (PDF, Office, EPUB, RTF), and its name."""
    if media_type == "application/pdf" or data.startswith(b"%PDF-"):
        return "pdf", extract_pdf
    if media_type in (DOCX_TYPE, WORD_97_TYPE):
        return "word document", partial(extract_docx, media_type=media_type)
    if media_type in (PPTX_TYPE, PPT_97_TYPE):
        return "presentation", extract_pptx
    if media_type == EPUB_TYPE:
        return "e-book", extract_epub
    if is_rtf(data):  # declared RTF that is none is read as what its bytes are
        return "rtf", extract_rtf
    return None


def extract_bytes(
    data: bytes,
    media_type: str,
    *,
    charset: str | None = None,
    url: str | None = None,
    filename: str | None = None,
    explain: list[str] | None = None,
) -> Document:
    """Dispatch on media type to the right reader; ``explain`` as for `extract_html`."""
    file_reader = _file_reader(data, media_type)
    if file_reader is not None:
        kind, read = file_reader
        _note(explain, f"source kind: {kind} (no HTML candidates)")
        return read(data, url, filename)
    if looks_binary(data):
        _note(explain, f"source kind: binary (declared {media_type}; not read)")
        log.info("refused binary content declared as %s", media_type)
        raise UnsupportedContentError(key="err_binary")
    if media_type in ("text/html", "application/xhtml+xml"):
        _note(explain, "source kind: html")
        return extract_html(decode_bytes(data, charset, html=True), url=url, explain=explain)
    if media_type in ("text/markdown", "text/x-markdown"):
        _note(explain, "source kind: markdown (no HTML candidates)")
        return extract_plain(decode_bytes(data, charset), markdown=True, url=url, filename=filename)
    if media_type in _XML_TYPES or media_type == "text/xml":
        feed = extract_feed(data, url)
        if feed is not None:
            _note(explain, "source kind: RSS or Atom feed (its newest items)")
            return _require_text(feed, "err_no_text_page", explain)
    if media_type.startswith("text/") or media_type in _XML_TYPES:
        decoded = decode_bytes(data, charset)
        if sniff_media_type(data[:1024]) == "text/html":
            _note(explain, f"source kind: html (declared {media_type}, the bytes look like HTML)")
            return extract_html(decoded, url=url, explain=explain)
        _note(explain, "source kind: text (no HTML candidates)")
        return extract_plain(decoded, url=url, filename=filename)
    _note(explain, f"source kind: {media_type} (not read)")
    raise UnsupportedContentError(key="err_unsupported_type", type=media_type)
