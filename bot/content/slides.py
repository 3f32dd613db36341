"""PowerPoint presentations (.pptx): each shown slide's title, text, tables and speaker notes.

python-pptx reads the Office Open XML package. A deck is read as its speaker would present it:
slides in order, hidden ones left out, the words of grouped shapes and tables where they stand,
and the speaker's notes after their slide (often where the argument is written out). Old
binary decks (.ppt) and password-protected ones are OLE compound files: each gets its message.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

from bot.content.document import Document
from bot.content.office import COMPOUND_FILE, bounded_package
from bot.content.words import reading_words
from bot.errors import ExtractionError

log = logging.getLogger(__name__)

PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
PPT_97_TYPE = "application/vnd.ms-powerpoint"
_MIN_WORDS = 5
_MAIN = b"application/vnd.openxmlformats-officedocument.presentationml."
_AS_PRESENTATION = {
    _MAIN + kind + b".main+xml": _MAIN + b"presentation.main+xml"
    for kind in (b"slideshow", b"template")
}
# Titles PowerPoint and its templates leave in a deck's properties: no title at all.
_PLACEHOLDER_TITLE = re.compile(
    r"(?:PowerPoint[- ]?(?:Presentation|Präsentation|Presentatie|Prezentacja)|"
    r"(?:Presentación|Présentation|Presentazione|Apresentação|Презентация) (?:de |di |do )?"
    r"PowerPoint|Presentation\s*\d*|Slide\s*\d*)$",
    re.IGNORECASE,
)


def extract_pptx(data: bytes, url: str | None = None, filename: str | None = None) -> Document:
    """The text of a presentation, titled by its properties, its first slide or its name."""
    if data.startswith(COMPOUND_FILE):
        locked = "EncryptedPackage".encode("utf-16-le") in data[:65536]
        raise ExtractionError(key="err_pptx_locked" if locked else "err_ppt_old")
    # Imported here: a bot that never sees a deck does not load it.
    from pptx import Presentation

    try:
        # A slide show (.ppsx) or template (.potx) is a deck under another content type,
        # which python-pptx refuses.
        package = bounded_package(data, "err_pptx_too_big", _AS_PRESENTATION)
        deck = Presentation(io.BytesIO(package))
        slides = [_slide_lines(number, slide) for number, slide in _shown_slides(deck)]
        declared_title = (deck.core_properties.title or "").strip()
        author = (deck.core_properties.author or "").strip()
    except ExtractionError:
        raise
    except Exception as error:  # any library error on a damaged package (zlib, XML, zip...)
        log.info("unreadable presentation: %s", type(error).__name__)
        raise ExtractionError(key="err_pptx_damaged") from None
    text = "\n\n".join("\n".join(lines) for lines, _ in slides if lines)
    if reading_words(text) < _MIN_WORDS:
        raise ExtractionError(key="err_no_text_pptx")
    first_title = next((title for _, title in slides if title), None)
    if _PLACEHOLDER_TITLE.match(declared_title):
        declared_title = ""
    return Document(
        text=text,
        source_kind="pptx",
        title=declared_title or first_title or (PurePath(filename).stem if filename else None),
        author=author or None,
        url=url,
        canonical_url=url,
        site_name=urlsplit(url).hostname if url else None,
    )


def _shown_slides(deck: Any) -> Iterator[tuple[int, Any]]:
    """Slides with the numbers the audience sees, without those hidden from the show."""
    for number, slide in enumerate(deck.slides, 1):
        if slide.element.get("show") not in ("0", "false"):
            yield number, slide


def _slide_lines(number: int, slide: Any) -> tuple[list[str], str | None]:
    """A slide as "Slide N: title", its shapes' lines, then "Notes: ..."; and its title."""
    title_shape = slide.shapes.title
    title = _one_line(title_shape.text_frame.text) if title_shape is not None else ""
    title_id = title_shape.shape_id if title_shape is not None else None
    body = [
        line
        for shape in slide.shapes
        if shape.shape_id != title_id  # python-pptx hands out a new proxy on each access
        for line in _shape_lines(shape)
    ]
    if not title and not body:
        return [], None
    lines = [f"Slide {number}: {title}" if title else f"Slide {number}", *body]
    if slide.has_notes_slide:
        notes_frame = slide.notes_slide.notes_text_frame
        notes = _one_line(notes_frame.text) if notes_frame is not None else ""
        if notes:
            lines.append(f"Notes: {notes}")
    return lines, title or None


def _shape_lines(shape: Any) -> list[str]:
    """A shape's paragraphs (a group's shapes in order, a table's rows as cells)."""
    grouped = getattr(shape, "shapes", None)  # a group shape
    if grouped is not None:
        return [line for inner in grouped for line in _shape_lines(inner)]
    if getattr(shape, "has_table", False):
        rows = []
        for row in shape.table.rows:
            cells = [_one_line(cell.text) for cell in row.cells]
            if any(cells):
                rows.append(" | ".join(cell for cell in cells if cell))
        return rows
    if not getattr(shape, "has_text_frame", False):
        return []  # pictures, charts, media: no words of their own
    paragraphs = (_one_line(paragraph.text) for paragraph in shape.text_frame.paragraphs)
    return [text for text in paragraphs if text]


def _one_line(text: str) -> str:
    """Text with its line breaks and vertical tabs (soft returns in PowerPoint) as spaces."""
    return " ".join(text.replace("\v", " ").split())
