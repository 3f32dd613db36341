"""Rich Text Format files (.rtf): their text, through striprtf.

RTF is 7-bit text with control words; striprtf drops the control words and groups that hold
no body text (font tables, styles, pictures) and decodes `\\'xx` bytes in the code page the
file declares (`\\ansicpg`) and `\\uN` characters.
"""

from __future__ import annotations

import logging
from pathlib import PurePath
from urllib.parse import urlsplit

from bot.content.document import Document, tidy_lines
from bot.errors import ExtractionError

log = logging.getLogger(__name__)

RTF_TYPE = "application/rtf"
RTF_TYPES = (RTF_TYPE, "text/rtf", "application/x-rtf")
_MIN_WORDS = 3


def extract_rtf(data: bytes, url: str | None = None, filename: str | None = None) -> Document:
    """The text of an RTF document, titled by its name."""
    from striprtf.striprtf import rtf_to_text

    try:
        # RTF is ASCII: any other byte is a damaged or foreign file, read as Latin-1 so that
        # nothing raises before striprtf has seen the control words.
        plain: str = rtf_to_text(data.decode("latin-1"), errors="replace")  # type: ignore[no-untyped-call]
        text = tidy_lines(plain)
    except Exception as error:  # striprtf on a malformed group or code page
        log.info("unreadable RTF document: %s", type(error).__name__)
        raise ExtractionError(key="err_rtf_damaged") from None
    if len(text.split()) < _MIN_WORDS:
        raise ExtractionError(key="err_no_text_text")
    return Document(
        text=text,
        source_kind="rtf",
        title=PurePath(filename).stem if filename else None,
        url=url,
        canonical_url=url,
        site_name=urlsplit(url).hostname if url else None,
    )
