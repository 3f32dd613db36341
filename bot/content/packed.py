"""Files that arrive gzip-compressed (`page.html.gz`, as benchmark sets and web archives keep
their pages, or `zcat`-able text on stdin): unpacked before anything reads them.

What a file unpacks to is bounded: a few kilobytes of gzip can unpack to gigabytes.
"""

from __future__ import annotations

import zlib
from dataclasses import replace
from pathlib import PurePath

from bot.content.sources import FileSource
from bot.errors import InvalidSourceError

GZIP_MAGIC = b"\x1f\x8b"
# No more than the largest file a bot may download from Telegram, uncompressed.
MAX_UNPACKED_BYTES = 20_000_000
# The zlib window for a gzip header and trailer, not raw deflate or a zlib stream.
_GZIP_WINDOW = 16 + zlib.MAX_WBITS


def unpacked(source: FileSource, limit: int = MAX_UNPACKED_BYTES) -> FileSource:
    """The file inside a gzip-compressed one (`page.html.gz` → `page.html`, its type then
    known from its name and bytes again), or the file itself when it is not compressed.

    Members written one after another (``cat a.gz b.gz``) are unpacked in turn, as gzip does;
    bytes after the last member are ignored, as gzip does. InvalidSourceError when the file
    is damaged or unpacks to more than ``limit`` bytes.
    """
    if not source.data.startswith(GZIP_MAGIC):
        return source
    parts: list[bytes] = []
    room, rest = limit, source.data
    while rest.startswith(GZIP_MAGIC):
        part, rest = _inflate_member(rest, room, source.filename, limit)
        parts.append(part)
        room -= len(part)
    return replace(
        source, data=b"".join(parts), filename=inner_name(source.filename), mime_type=None
    )


def inner_name(filename: str) -> str:
    """The name of the file inside a gzip-compressed one: `page.html.gz` → `page.html`."""
    name = PurePath(filename)
    return name.stem if name.suffix.lower() == ".gz" else filename


def _inflate_member(data: bytes, room: int, name: str, limit: int) -> tuple[bytes, bytes]:
    """One gzip member's bytes (at most ``room``) and what follows it."""
    inflater = zlib.decompressobj(_GZIP_WINDOW)
    try:
        part = inflater.decompress(data, room + 1)
    except zlib.error as error:
        raise InvalidSourceError(key="err_packed_damaged", name=name, detail=str(error)) from None
    if len(part) > room:
        raise InvalidSourceError(key="err_packed_too_large", name=name, mb=f"{limit / 1_000_000:g}")
    if not inflater.eof:
        raise InvalidSourceError(key="err_packed_damaged", name=name, detail="truncated")
    return part, inflater.unused_data
