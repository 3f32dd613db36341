"""Telling binary content from text before any parser or model sees it.

Servers and file names lie: an executable served as `text/html`, an archive sent as
`notes.txt`. Known magic numbers, NUL bytes (outside UTF-16) and a high share of control
characters mark content that no reader would call text.
"""

from __future__ import annotations

# Magic numbers of formats that are neither text nor a recording: executables, archives,
# documents. (FFmpeg, guessing at any bytes, may take an archive for a raw video stream.)
NEVER_MEDIA = (
    b"MZ",  # Windows executables (PE)
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",  # Java classes, Mach-O universal binaries
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit
    b"\xfe\xed\xfa\xcf",
    b"\x00asm",  # WebAssembly
    b"PK\x03\x04",
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"(\xb5/\xfd",  # zstd
    b"%!PS",
    b"\xd0\xcf\x11\xe0",  # old Office documents
    b"SQLite format 3\x00",
)
# Magic numbers of formats that are never text: the above, images and media.
MAGIC = (
    *NEVER_MEDIA,
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"RIFF",
    b"ID3",
    b"OggS",
    b"\x1aE\xdf\xa3",  # Matroska, WebM
)
SAMPLE_BYTES = 4096
# Text may hold a few stray control characters (a vertical tab, a form feed); binary is full.
MAX_CONTROL_SHARE = 0.05
_WHITESPACE = frozenset(b"\t\n\r\x0b\x0c")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Text in UTF-16 without a byte-order mark (Windows tools write it): one byte of each pair is
# the character's block, a value or two for a whole text (0 for spaces and Latin letters, 4
# for Cyrillic), with NULs among them; the other byte is almost never NUL.
_UTF16_BLOCK_SHARE = 0.9
_UTF16_MIN_NULS = 0.05


def utf16_without_bom(data: bytes) -> str | None:
    """The UTF-16 byte order ("utf-16-le" or "utf-16-be") of such text, else None."""
    head = data[:SAMPLE_BYTES]
    pairs = len(head) // 2
    if pairs < 8:
        return None
    even, odd = head[0 : 2 * pairs : 2], head[1 : 2 * pairs : 2]
    if _is_block_byte(odd, even):
        return "utf-16-le"
    if _is_block_byte(even, odd):
        return "utf-16-be"
    return None


def _is_block_byte(blocks: bytes, letters: bytes) -> bool:
    counts = sorted((blocks.count(value) for value in set(blocks)), reverse=True)
    return (
        sum(counts[:2]) >= _UTF16_BLOCK_SHARE * len(blocks)
        and blocks.count(0) >= _UTF16_MIN_NULS * len(blocks)
        and letters.count(0) < 0.02 * len(letters)
    )


def looks_binary(data: bytes) -> bool:
    """True for content that is not text, whatever its declared type or file name says."""
    head = data[:SAMPLE_BYTES]
    if not head:
        return False
    if head.startswith(MAGIC):
        return True
    if head.startswith(_UTF16_BOMS) or utf16_without_bom(head) is not None:
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 0x20 and byte not in _WHITESPACE)
    return controls / len(head) > MAX_CONTROL_SHARE
