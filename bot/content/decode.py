"""Bytes to text: declared charset first, then the page's own meta tag, then detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.IGNORECASE
)
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
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(bom_encoding, errors="replace")
    candidates: list[str | None] = [_known(declared)]
    if html:
        match = _META_CHARSET.search(data[:4096])
        candidates.append(_known(match.group(1).decode("ascii", "ignore")) if match else None)
    for encoding in candidates:
        if encoding is None:
            continue
        if encoding.startswith("utf-16") or encoding.startswith("utf-32"):
            continue  # a declared UTF-16 without BOM on an ASCII-compatible page is a lie
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            if encoding in ("utf-8", "ascii"):
                break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace")
    return data.decode("utf-8", errors="replace")
