"""What a user can hand Skim: a link, some text, or a file."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bot.content.urls import looks_like_url
from bot.errors import InvalidSourceError


@dataclass(frozen=True)
class UrlSource:
    url: str


@dataclass(frozen=True)
class TextSource:
    text: str
    title: str | None = None


@dataclass(frozen=True)
class FileSource:
    data: bytes
    filename: str
    mime_type: str | None = None


Source = UrlSource | TextSource | FileSource


def source_from_argument(argument: str) -> Source:
    """Interpret a command-line SOURCE: `-` for stdin, an existing path, or a URL."""
    if argument == "-":
        data = sys.stdin.buffer.read()
        return FileSource(data=data, filename="stdin.txt", mime_type=None)
    path = Path(argument)
    if path.is_file():
        try:
            return FileSource(data=path.read_bytes(), filename=path.name)
        except OSError as error:
            raise InvalidSourceError(f"Can't read {argument}: {error.strerror}.") from None
    if looks_like_url(argument):
        return UrlSource(argument)
    if path.exists():
        raise InvalidSourceError(f"{argument} is not a regular file.")
    raise InvalidSourceError(f"{argument} is neither a file nor an http(s) link.")
