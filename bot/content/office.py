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
from bot.content.words import reading_words
from bot.errors import ExtractionError

log = logging.getLogger(__name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
WORD_97_TYPE = "application/msword"
# An OLE compound file: a .doc from Word 97-2003, or a .docx locked with a password.
COMPOUND_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_PACKAGE = b"PK\x03\x04"  # a .docx
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
    if data.startswith(COMPOUND_FILE):
        # Word encrypts a protected .docx into a compound file (its stream EncryptedPackage,
        # named in UTF-16); an old .doc is one as well.
        locked = "EncryptedPackage".encode("utf-16-le") in data[:65536]
        raise ExtractionError(key="err_docx_locked" if locked else "err_doc_old")
    # Imported here: a bot that never sees a Word file does not load it.
    from docx import Document as open_docx

    try:
        word = open_docx(io.BytesIO(bounded_package(data, "err_docx_too_big")))
        lines, title = _Reader(word).lines()
        properties = word.core_properties
        declared_title, author = properties.title, properties.author
    except ExtractionError:
        raise
    except Exception as error:  # any library error on a damaged package (zlib, XML, zip...)
        log.info("unreadable Word document: %s", type(error).__name__)
        raise ExtractionError(key="err_docx_damaged") from None
    text = "\n\n".join(lines)
    if reading_words(text) < _MIN_WORDS:
        raise ExtractionError(key="err_no_text_docx")
    return Document(
        text=text,
        source_kind="docx",
        title=(declared_title or "").strip()
        or title
        or (PurePath(filename).stem if filename else None),
        author=(author or "").strip() or None,
        url=url,
        canonical_url=url,
        site_name=urlsplit(url).hostname if url else None,
    )


_UTF8_NAMES = 0x800  # the zip flag that says a part's name is UTF-8


def bounded_package(data: bytes, key: str, retyped: dict[bytes, bytes] | None = None) -> bytes:
    """A zip package (Word, PowerPoint, EPUB) unpacked within `MAX_UNPACKED_BYTES` and packed
    again without compression, for the libraries to read; refused with the message `key` when
    its directory declares more (a zip bomb).

    zipfile's `read()` inflates a part whole before cutting it to the size the directory
    declares, so a part declared 20 KB that inflates to 1.5 GB took that memory: each part is
    read here in bounded steps, no further than its declared size, and a part whose bytes do
    not match its checksum is damaged. Names stored as UTF-8 without the flag that says so (old
    zip tools) are read as UTF-8. `retyped` replaces bytes in `[Content_Types].xml`.
    """
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as package,
        zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as bounded,
    ):
        parts = package.infolist()
        unpacked = sum(part.file_size for part in parts)
        if unpacked > MAX_UNPACKED_BYTES:
            log.info("a package unpacking to %d bytes refused", unpacked)
            raise ExtractionError(key=key, mb=f"{MAX_UNPACKED_BYTES // 2**20}")
        for part in parts:
            if part.is_dir():
                continue
            with package.open(part) as stream:
                body = stream.read(part.file_size)  # checksum checked at the end: BadZipFile
            name = _utf8_name(part)
            if retyped and name == "[Content_Types].xml":
                for old, new in retyped.items():
                    body = body.replace(old, new)
            bounded.writestr(name, body)
    return out.getvalue()


def _utf8_name(part: zipfile.ZipInfo) -> str:
    if part.flag_bits & _UTF8_NAMES or part.filename.isascii():
        return part.filename
    try:
        return part.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return part.filename


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Containers whose children are blocks in reading order: content controls, custom XML.
_BLOCK_WRAPPERS = (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml")


class _Reader:
    """The body's visible text as python-docx's paragraph and table objects do not give it
    whole: tracked insertions, content controls, fields, smart tags, text boxes and nested
    tables are read too (deleted text, `w:delText`, and field codes, `w:instrText`, are not)."""

    def __init__(self, word: Any) -> None:
        self._word = word
        self._numbered = 0
        self.title: str | None = None

    def lines(self) -> tuple[list[str], str | None]:
        lines: list[str] = []
        for block in _blocks(self._word.element.body):
            if block.tag == f"{_W}tbl":
                self._numbered = 0
                lines.extend(_table_rows(block))
            else:
                lines.extend(self._paragraph(block))
        return lines, self.title

    def _paragraph(self, element: Any) -> list[str]:
        """A paragraph's line (marked as a list item where it is one), then its text boxes."""
        from docx.text.paragraph import Paragraph

        boxes = [
            line
            for box in element.iter(f"{_W}txbxContent")
            if not _under(box, _FALLBACK, element)  # the same box again, for old readers
            for block in _blocks(box)
            for line in (_table_rows(block) if block.tag == f"{_W}tbl" else [_text(block)])
            if line
        ]
        text = _text(element)
        if not text:
            return boxes
        style = Paragraph(element, self._word).style
        name = (style.name if style is not None else "") or ""
        if name == "Title" and self.title is None:
            self.title = text
        if name.startswith("List Number"):
            self._numbered += 1
            return [f"{self._numbered}. {text}", *boxes]
        self._numbered = 0
        properties = element.pPr
        if name.startswith("List") or (properties is not None and properties.numPr is not None):
            text = f"• {text}"
        return [text, *boxes]


def _blocks(container: Any) -> list[Any]:
    """Paragraphs and tables of a body, cell or text box, in order, through content controls."""
    found: list[Any] = []
    for child in container:
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            found.append(child)
        elif child.tag in _BLOCK_WRAPPERS:
            found.extend(_blocks(child))
    return found


def _under(node: Any, tag: str, top: Any) -> bool:
    """Whether `node` lies inside a `tag` element below `top`."""
    for ancestor in node.iterancestors():
        if ancestor is top:
            return False
        if ancestor.tag == tag:
            return True
    return False


def _text(paragraph: Any) -> str:
    """A paragraph's own visible text: every run, inserted or in a field, hyperlink, smart tag
    or content control; not its text boxes, which are read as paragraphs of their own."""
    pieces: list[str] = []
    for node in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        if _under(node, f"{_W}txbxContent", paragraph):
            continue
        pieces.append(node.text or "" if node.tag == f"{_W}t" else " ")
    return " ".join("".join(pieces).split())


def _table_rows(table: Any) -> list[str]:
    """One line per row, its cells' text joined (a nested table's rows inside its cell)."""
    rows = []
    for row in table.iterchildren(f"{_W}tr"):
        cells: list[str] = []
        for cell in row.iterchildren(f"{_W}tc"):
            parts = [
                line
                for block in _blocks(cell)
                for line in (_table_rows(block) if block.tag == f"{_W}tbl" else [_text(block)])
                if line
            ]
            text = " ".join(parts)
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows
