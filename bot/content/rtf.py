"""Rich Text Format files (.rtf): their text, through striprtf.

RTF is 7-bit text with control words; striprtf drops the control words and groups that hold
no body text (font tables, styles, pictures) and decodes `\\'xx` bytes in the code page the
file declares (`\\ansicpg`) and `\\uN` characters.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import PurePath
from urllib.parse import urlsplit

from bot.content.document import Document, tidy_lines
from bot.content.words import reading_words
from bot.errors import ExtractionError

log = logging.getLogger(__name__)

RTF_TYPE = "application/rtf"
RTF_TYPES = (RTF_TYPE, "text/rtf", "application/x-rtf")
_MIN_WORDS = 3


_BOM = b"\xef\xbb\xbf"


def is_rtf(data: bytes) -> bool:
    """Whether the bytes are RTF: `{\\rtf` first (after a byte-order mark or white space)."""
    return data.lstrip(_BOM + b" \t\r\n")[:5].lower() == b"{\\rtf"


def extract_rtf(data: bytes, url: str | None = None, filename: str | None = None) -> Document:
    """The text of an RTF document, titled by its own title (`{\\info{\\title ...}}`), else
    its name."""
    from striprtf.striprtf import rtf_to_text

    source = data.lstrip(_BOM).decode("latin-1")
    try:
        # RTF is ASCII: any other byte is a damaged or foreign file, read as Latin-1 so that
        # nothing raises before striprtf has seen the control words.
        plain: str = rtf_to_text(source, errors="replace")  # type: ignore[no-untyped-call]
        text = tidy_lines(plain)
        title, author = (_info(source, field, rtf_to_text) for field in ("title", "author"))
    except Exception as error:  # striprtf on a malformed group or code page
        log.info("unreadable RTF document: %s", type(error).__name__)
        raise ExtractionError(key="err_rtf_damaged") from None
    if reading_words(text) < _MIN_WORDS:
        raise ExtractionError(key="err_no_text_rtf")
    return Document(
        text=text,
        source_kind="rtf",
        title=title or (PurePath(filename).stem if filename else None),
        author=author,
        url=url,
        canonical_url=url,
        site_name=urlsplit(url).hostname if url else None,
    )


def _info(source: str, field: str, rtf_to_text: Callable[..., str]) -> str | None:
    """A field of the document's `\\info` group, as text."""
    match = re.search(rf"\{{\\{field}\s+((?:[^{{}}\\]|\\.)*)\}}", source)
    if match is None:
        return None
    value = " ".join(rtf_to_text("{\\rtf1 " + match.group(1) + "}", errors="replace").split())
    return value or None
