"""Word documents (.docx): their text in reading order, headings, lists and tables included.

python-docx reads the Office Open XML package; the body is walked in order so that a table stays
where it stood among the paragraphs. Old binary Word files (.doc) and password-protected ones
are OLE compound files, not zip packages: each gets a message of its own.
"""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

from bot.content.document import Document
from bot.errors import ExtractionError

log = logging.getLogger(__name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
WORD_97_TYPE = "application/msword"
# An OLE compound file: a .doc from Word 97-2003, or a .docx locked with a password.
_COMPOUND_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MIN_WORDS = 5
# What a package may unpack to: a 20 MB upload of compressed zeros can declare gigabytes of XML.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024


def extract_docx(
    data: bytes,
    url: str | None = None,
    filename: str | None = None,
    *,
    media_type: str = DOCX_TYPE,
) -> Document:
    """The text of a Word document, its title from its properties or its Title paragraph."""
    if data.startswith(_COMPOUND_FILE):
        # Word encrypts a protected .docx into a compound file; an old .doc is one as well.
        old = media_type == WORD_97_TYPE or (filename or "").lower().endswith(".doc")
        raise ExtractionError(key="err_doc_old" if old else "err_docx_locked")
    # Imported here: a bot that never sees a Word file does not load it.
    from docx import Document as open_docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        _check_unpacked_size(data)
        word = open_docx(io.BytesIO(data))
        lines, title = _lines(word)
        properties = word.core_properties
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        log.info("unreadable Word document: %s", type(error).__name__)
        raise ExtractionError(key="err_docx_damaged") from None
    text = "\n\n".join(lines)
    if len(text.split()) < _MIN_WORDS:
        raise ExtractionError(key="err_no_text_docx")
    return Document(
        text=text,
        source_kind="docx",
        title=(properties.title or "").strip()
        or title
        or (PurePath(filename).stem if filename else None),
        author=(properties.author or "").strip() or None,
        url=url,
        canonical_url=url,
        site_name=urlsplit(url).hostname if url else None,
    )


def _check_unpacked_size(data: bytes) -> None:
    """Refuse a package whose parts unpack to more than `MAX_UNPACKED_BYTES` (a zip bomb);
    zipfile never inflates a part past the size its directory declares."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        unpacked = sum(part.file_size for part in package.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        log.info("Word document unpacking to %d bytes refused", unpacked)
        raise ExtractionError(key="err_docx_too_big", mb=f"{MAX_UNPACKED_BYTES // 2**20}")


def _lines(word: Any) -> tuple[list[str], str | None]:
    """The body's blocks as text lines, and the first Title paragraph's text."""
    from docx.table import Table

    lines: list[str] = []
    title: str | None = None
    numbered = 0
    for block in word.iter_inner_content():
        if isinstance(block, Table):
            numbered = 0
            lines.extend(_table_rows(block))
            continue
        text = block.text.strip()
        if not text:
            continue
        style = (block.style.name if block.style is not None else "") or ""
        if style == "Title" and title is None:
            title = text
        if style.startswith("List Number"):
            numbered += 1
            text = f"{numbered}. {text}"
        else:
            numbered = 0
            if style.startswith("List") or _in_a_list(block):
                text = f"• {text}"
        lines.append(text)
    return lines, title


def _in_a_list(paragraph: Any) -> bool:
    """A paragraph numbered or bulleted directly (Word's own lists use "List Paragraph")."""
    properties = paragraph._p.pPr
    return properties is not None and properties.numPr is not None


def _table_rows(table: Any) -> list[str]:
    """One line per row, its cells' text joined; a merged cell repeats in python-docx: once."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows
