"""Bytes to text: declared charset first, then the page's own meta tag, then detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes
from charset_normalizer.models import CharsetMatch
from charset_normalizer.utils import is_multi_byte_encoding

from bot.content.binary import utf16_without_bom

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.IGNORECASE
)
# The WHATWG Encoding Standard reads every ISO-8859-1 label ("latin1", "iso-8859-1", ...) as
# windows-1252, its superset: pages that say Latin-1 use its quotes and dashes (0x80-0x9F), which
# Latin-1 would turn into invisible control characters. ISO-8859-9 (Turkish) is read as
# windows-1254 and TIS-620 / ISO-8859-11 (Thai) as windows-874 for the same reason. Latin-1
# stays the fallback for the five bytes windows-1252 leaves undefined.
_READ_AS = {"iso8859-1": "cp1252", "iso8859-9": "cp1254", "iso8859-11": "cp874", "tis-620": "cp874"}
# Valid non-ASCII characters per invalid sequence for bytes to be UTF-8 with a stray bad byte.
_VALID_PER_BAD = 4
# The legacy Windows code page of each language written in Latin letters, for pages that
# declare none. Such text is mostly ASCII: the detector names its language reliably from the
# words, but several single-byte code pages fit its few accented bytes equally well, and it
# then picks one by chance (cp1250 for English, turning "£" into "Ł" and a no-break space into
# "Ā"). The language's own code page is what the page's author used. Other scripts need no
# help: their letters are what the detector reads, so its code page (KOI8-R, cp866 or
# cp1251 for Russian) is already the one that gave the language.
_CODE_PAGE_OF = {
    **dict.fromkeys(
        (
            "English",
            "French",
            "German",
            "Spanish",
            "Portuguese",
            "Italian",
            "Dutch",
            "Danish",
            "Swedish",
            "Norwegian",
            "Finnish",
            "Indonesian",
            "Catalan",
        ),
        "cp1252",
    ),
    **dict.fromkeys(
        ("Polish", "Czech", "Slovak", "Hungarian", "Slovene", "Croatian", "Romanian"), "cp1250"
    ),
    **dict.fromkeys(("Lithuanian", "Latvian", "Estonian"), "cp1257"),
    "Turkish": "cp1254",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _known(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("'\"")).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None, *, html: bool = False) -> str:
    """Decode without raising: a BOM wins, then the declared or meta charset, then detection."""
    by_bom = bom_text(data)
    if by_bom is not None:
        return by_bom
    utf16 = utf16_without_bom(data)
    if utf16 is not None:
        return data.decode(utf16, errors="replace")
    for encoding in _declared(data, declared, html=html):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            if encoding in ("utf-8", "ascii"):
                break
    return _decode_detected(data)


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 text with a stray bad byte, read as a browser reads it (that byte replaced), or None
    when the bad sequences are too many for UTF-8 text: a page in a legacy 8-bit encoding
    (cp1251, Latin-1) almost never forms a valid multi-byte sequence."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))  # counted in C: pages are big
    valid = non_ascii - bad
    return text if bad and valid >= _VALID_PER_BAD * bad else None


def bom_text(data: bytes) -> str | None:
    """The text after a byte-order mark, or None when the data starts with none."""
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(bom_encoding, errors="replace")
    return None


def _declared(data: bytes, declared: str | None, *, html: bool) -> list[str]:
    """The known encodings the sender and (for HTML) the page's meta tag declare, in that order."""
    candidates = [_known(declared)]
    if html:
        match = _META_CHARSET.search(data[:4096])
        candidates.append(_known(match.group(1).decode("ascii", "ignore")) if match else None)
    # a declared UTF-16 (or 32) without BOM on an ASCII-compatible page is a lie
    known = [
        encoding
        for encoding in candidates
        if encoding is not None and not encoding.startswith(("utf-16", "utf-32"))
    ]
    return [read for encoding in known for read in (_READ_AS.get(encoding), encoding) if read]


def _decode_detected(data: bytes) -> str:
    """UTF-8 when the data is valid UTF-8, else the detected encoding, replacing what is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    mostly = _mostly_utf8(data)
    if mostly is not None:
        return mostly
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding and best.encoding != "ascii":
        return data.decode(_language_code_page(data, best) or best.encoding, errors="replace")
    # Nothing detected (or "ascii" for bytes that are not): a browser's default for a legacy
    # page that declares nothing.
    return data.decode("cp1252", errors="replace")


def _language_code_page(data: bytes, best: CharsetMatch) -> str | None:
    """The likeliest language's own code page, when the detector settled on a single-byte one
    that is none of its two likeliest languages' and the bytes are valid in it; None to keep
    the detector's choice."""
    if is_multi_byte_encoding(best.encoding):
        return None
    likeliest = [_CODE_PAGE_OF.get(language) for language in best.languages[:2]]
    code_page = likeliest[0] if likeliest else None
    if code_page is None or best.encoding in likeliest:
        return None
    try:
        data.decode(code_page)
    except UnicodeDecodeError:
        return None
    return code_page
