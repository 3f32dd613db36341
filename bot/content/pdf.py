"""A PDF's text layer as a reader would read it: no running headers, words whole again.

pypdf gives each page's text as laid out: words hyphenated across lines ("restor-" / "ation"),
ligatures as single characters ("ﬁ"), the same header, footer and page number on every page.
Those are undone here; a text layer that is no text (fonts without a map to Unicode give
shifted letters and control characters) is refused rather than summarized.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections import Counter
from pathlib import PurePath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.content.document import Document, tidy_lines
from bot.content.words import reading_words
from bot.errors import ExtractionError

if TYPE_CHECKING:  # pypdf itself is imported only when a PDF comes
    from pypdf import PdfReader

log = logging.getLogger(__name__)

MIN_WORDS = 3
# A text layer with more control characters than this share is no text: fonts without a
# ToUnicode map (their glyph numbers as characters).
GARBLED_CONTROL_SHARE = 0.02
# A line among the first or last two of at least this share of pages is a running header or
# footer (page numbers counted as one line whatever their number).
RUNNING_SHARE = 0.6
RUNNING_MIN_PAGES = 3
RUNNING_MAX_WORDS = 10  # a header is short; a body line repeated on every page is no header
_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
)
_HYPHENATED = re.compile(r"(\w)-\n(?=[a-zà-ÿа-я])")
_DIGITS = re.compile(r"\d+")
# Titles that authoring tools write for the file, not the reader.
_JUNK_TITLE = re.compile(
    r"^(?:untitled|document\d*|microsoft (?:word|powerpoint) - .*"
    r"|.*\.(?:docx?|pdf|rtf|odt|txt|pptx?)|[a-z]:\\.*|/.*)$",
    re.IGNORECASE,
)


def _opened(reader: PdfReader) -> bool:
    from pypdf import PasswordType

    try:
        return bool(reader.decrypt("") != PasswordType.NOT_DECRYPTED)
    except Exception:  # an encryption pypdf cannot undo (or a broken one): locked for us
        return False


def extract_pdf(data: bytes, url: str | None = None, filename: str | None = None) -> Document:
    """The text layer of a PDF; scanned PDFs have none and say so."""
    # Imported here: pypdf is about 7 MB of a running bot that most bots never use.
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        # An empty user password opens PDFs locked only against editing; decrypt reports
        # (rather than raises) that a real password is needed.
        if reader.is_encrypted and not _opened(reader):
            raise ExtractionError(key="err_pdf_password")
        pages = [page.extract_text() or "" for page in reader.pages]
        metadata = reader.metadata
        title = str(metadata.title) if metadata and metadata.title else None
        author = str(metadata.author) if metadata and metadata.author else None
    except ExtractionError:
        raise
    except Exception as error:  # any pypdf error on a damaged file (its own, asserts, zlib...)
        log.info("unreadable PDF: %s", type(error).__name__)
        raise ExtractionError(key="err_pdf_damaged") from None
    text = "\n\n".join(without_running_lines(pages))
    if garbled(text):
        log.info("a PDF whose text layer is no text")
        raise ExtractionError(key="err_pdf_garbled")
    text = tidy_pdf_text(text)
    if reading_words(text) < MIN_WORDS:
        raise ExtractionError(key="err_pdf_scanned")
    return Document(
        text=text,
        source_kind="pdf",
        title=reader_title(title) or (PurePath(filename).stem if filename else None),
        author=(author or "").strip() or None,
        url=url,
        canonical_url=url,
        site_name=urlsplit(url).hostname if url else None,
    )


def reader_title(title: str | None) -> str | None:
    """The document's declared title, unless it is a tool's name for the file."""
    title = " ".join((title or "").split())
    return None if not title or _JUNK_TITLE.match(title) else title


def garbled(text: str) -> bool:
    """Whether a text layer is mostly not text: too many control characters."""
    visible = [char for char in text if not char.isspace()]
    if not visible:
        return False
    controls = sum(1 for char in visible if unicodedata.category(char) == "Cc")
    return controls / len(visible) > GARBLED_CONTROL_SHARE


def tidy_pdf_text(text: str) -> str:
    """Ligatures as letters, words hyphenated across lines joined, line ends tidied."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_LIGATURES)
    return tidy_lines(_HYPHENATED.sub(r"\1", text))


def without_running_lines(pages: list[str]) -> list[str]:
    """Each page without the header and footer lines most pages repeat ("ACME – Confidential",
    "Page 3 of 12"): the first and last two lines of a page are looked at."""
    if len(pages) < RUNNING_MIN_PAGES:
        return pages
    edges = [_edge_lines(page) for page in pages]
    counts = Counter(key for page in edges for key in set(page.values()))
    running = {key for key, seen in counts.items() if seen >= RUNNING_SHARE * len(pages)}
    if not running:
        return pages
    kept = []
    for page, edge in zip(pages, edges, strict=True):
        lines = page.split("\n")
        drop = {index for index, key in edge.items() if key in running}
        kept.append("\n".join(line for index, line in enumerate(lines) if index not in drop))
    return kept


def _edge_lines(page: str) -> dict[int, str]:
    """The indices of a page's first and last two non-blank lines, with their shape (digits as
    "#", so "Page 3 of 12" is one line on every page)."""
    lines = page.split("\n")
    filled = [index for index, line in enumerate(lines) if line.strip()]
    chosen = [
        index
        for index in filled[:2] + filled[-2:]
        if len(lines[index].split()) <= RUNNING_MAX_WORDS
    ]
    return {index: _DIGITS.sub("#", " ".join(lines[index].split()).lower()) for index in chosen}
