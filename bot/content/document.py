"""The one shape every source is read into."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from typing import Any, Literal

from bot.content.urls import link_url
from bot.content.words import reading_words

SourceKind = Literal[
    "html",
    "pdf",
    "docx",
    "pptx",
    "epub",
    "rtf",
    "feed",
    "text",
    "markdown",
    "message",
    "audio",
    "video",
    "youtube",
    "telegram",
    "image",
]

_BLANK_RUNS = re.compile(r"\n{3,}")


def tidy_lines(text: str) -> str:
    """A read text as documents keep it: one kind of line end, no trailing spaces, at most one
    blank line in a row."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


@dataclass(frozen=True)
class Document:
    """Readable text plus what we know about where it came from."""

    text: str
    source_kind: SourceKind
    title: str | None = None
    site_name: str | None = None
    author: str | None = None
    date: str | None = None
    language: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    # Recordings: seconds of audio, and where a timestamp links to (`{media_link}?t=83`) when
    # the recording has a public page (YouTube); the text carries `[m:ss]` markers.
    duration: float | None = None
    media_link: str | None = None
    # Set only on a "reference" copy without its text (cache shortcuts): what the text had.
    known_hash: str | None = None
    known_words: int | None = None

    @cached_property  # read by several checks of each page read (too short, login wall...)
    def word_count(self) -> int:
        if self.known_words is not None and not self.text:
            return self.known_words
        return reading_words(self.text)

    @property
    def content_hash(self) -> str:
        """Identity of the text itself, so the same article under two URLs shares a summary."""
        if self.known_hash is not None and not self.text:
            return self.known_hash
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def is_reference(self) -> bool:
        """A copy that names the document (hash, metadata) without carrying its text."""
        return not self.text and self.known_hash is not None

    def reference(self) -> Document:
        """This document's metadata and identity without the text: cheap to store and read."""
        return replace(self, text="", known_hash=self.content_hash, known_words=self.word_count)

    @property
    def is_recording(self) -> bool:
        """A transcript of audio or video: it has timestamps and a Transcript button."""
        return self.source_kind in ("audio", "video", "youtube")

    @cached_property  # read by the summary's title link and its keyboard alike
    def link(self) -> str | None:
        """Where a reader opens it: the canonical URL, else the one read, encoded for Telegram's
        links and buttons; None when neither is a usable http(s) URL."""
        return link_url(self.canonical_url) or link_url(self.url)

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.word_count / 230))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        fields = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in fields})
