"""What a user can hand Skim: a link, some text, or a file."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

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
    """A file's bytes, or (a Telegram document) how to download them once the request is
    admitted: a user sending files while one is read must not make the bot download them all."""

    data: bytes
    filename: str
    mime_type: str | None = None
    load: Callable[[], Awaitable[bytes]] | None = field(default=None, compare=False, repr=False)


MediaKind = Literal["voice", "audio", "video_note", "video"]


@dataclass(frozen=True)
class MediaSource:
    """A recording held elsewhere (a Telegram file): fetched only once the request is admitted.

    `key` names the recording itself (Telegram's file_unique_id) so its transcript is cached;
    `duration` is what the sender declared, checked against the limits before downloading.
    """

    load: Callable[[], Awaitable[bytes]] = field(compare=False, repr=False)
    key: str
    kind: MediaKind
    filename: str
    mime_type: str | None = None
    duration: float | None = None
    size: int | None = None
    title: str | None = None


@dataclass(frozen=True)
class ImageSource:
    """A picture of text (a screenshot, a photographed page), read by a vision model."""

    load: Callable[[], Awaitable[bytes]] = field(compare=False, repr=False)
    key: str
    mime_type: str | None = None
    caption: str | None = None
    # The album's other pictures, in order (a long article screenshotted in several parts).
    more: tuple[Callable[[], Awaitable[bytes]], ...] = field(default=(), compare=False, repr=False)


Source = UrlSource | TextSource | FileSource | MediaSource | ImageSource


def files_in_directories(arguments: Sequence[str]) -> list[str]:
    """The arguments with each directory replaced by the files under it, in name order.

    So `skim extract --json pages/` reads a whole set of pages in one process. Hidden files
    and folders (a name starting with a dot) are left out; a directory with no file stays as
    it is, for `source_from_argument` to report.
    """
    expanded: list[str] = []
    for argument in arguments:
        root = Path(argument)
        if argument in ("-", "") or not _is_directory(root):
            expanded.append(argument)
            continue
        expanded.extend([str(path) for path in sorted(_files_under(root))] or [argument])
    return expanded


def _files_under(root: Path) -> Iterator[Path]:
    """The files under `root`, hidden ones (and those in hidden folders) left out; a folder
    that can't be listed and a link to nothing are yielded too, for `source_from_argument` to
    report (`Path.rglob` skipped both in silence)."""
    unreadable: list[Path] = []

    def note(error: OSError) -> None:
        if error.filename:
            unreadable.append(Path(error.filename))

    for folder, folders, files in os.walk(root, onerror=note):
        folders[:] = [name for name in folders if not name.startswith(".")]
        yield from unreadable
        unreadable.clear()
        for name in files:
            if not name.startswith("."):
                yield Path(folder, name)
    yield from unreadable


def _is_directory(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name the system refuses: not a directory, source_from_argument says why
        return False


def source_from_argument(argument: str) -> Source:
    """Interpret a command-line SOURCE: `-` for stdin, an existing path, or a URL."""
    if argument == "-":
        data = sys.stdin.buffer.read()
        return FileSource(data=data, filename="stdin.txt", mime_type=None)
    if not argument.strip():  # Path("") is the current directory: not what was meant
        raise InvalidSourceError(key="err_source_unknown", name=repr(argument))
    path = Path(argument)
    try:
        is_file = path.is_file()
        exists = is_file or path.exists()
    except OSError:  # a name the system refuses (a long link is too long a file name)
        is_file = exists = False
    if is_file:
        try:
            return FileSource(data=path.read_bytes(), filename=path.name)
        except OSError as error:
            raise InvalidSourceError(
                key="err_source_unreadable", name=argument, reason=error.strerror or "error"
            ) from None
    if looks_like_url(argument):
        return UrlSource(argument)
    raise _not_a_source(path, argument, exists=exists)


def _not_a_source(path: Path, argument: str, *, exists: bool) -> InvalidSourceError:
    """Why a path that is no readable file, and no link, can't be read."""
    if exists and _is_directory(path):
        if not os.access(path, os.R_OK | os.X_OK):
            return InvalidSourceError(
                key="err_source_unreadable", name=argument, reason="permission denied"
            )
        has_files = next(_files_under(path), None) is not None
        key = "err_source_directory" if has_files else "err_source_empty_directory"
        return InvalidSourceError(key=key, name=argument)
    if exists:
        return InvalidSourceError(key="err_source_not_file", name=argument)
    if path.is_symlink():
        return InvalidSourceError(
            key="err_source_unreadable", name=argument, reason="a link to nothing"
        )
    return InvalidSourceError(key="err_source_unknown", name=argument)
