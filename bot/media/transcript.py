"""A transcript with times, and the `[m:ss]` markers that tie a summary to moments in it.

Values only, no I/O. A timed text starts each paragraph with the marker of its first segment;
`anchor_moments` keeps a model's cited times honest: only markers that exist survive.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "MARKER_RE",
    "Segment",
    "Transcript",
    "anchor_moments",
    "format_timestamp",
    "from_plain",
    "join",
    "parse_timestamp",
]

# `[1:23]` or `[1:02:03]`: the markers `timed_text` writes and a model may cite.
MARKER_RE = re.compile(r"\[(?P<time>(?:\d{1,2}:)?\d{1,3}:\d{2})\]")
# What `anchor_moments` rewrites: a bracketed time, perhaps already a Markdown link.
_CITED_RE = re.compile(
    r"(?P<before>[ \t]?)\[(?P<time>\d{1,3}(?::\d{1,3}){1,2})\](?:\([^()\s]*\))?(?P<after>[ \t]?)"
)
_TIME_RE = re.compile(r"(?:(?P<h>\d{1,3}):)?(?P<m>\d{1,3}):(?P<s>\d{2})")


@dataclass(frozen=True)
class Segment:
    """Words spoken from `start` to `end` seconds."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    """What was said, in timed segments; `duration` is the recording's length in seconds."""

    segments: tuple[Segment, ...]
    language: str | None = None
    duration: float = 0.0

    @property
    def text(self) -> str:
        """The words alone, one space between segments."""
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    def timed_text(self, every: float = 30.0) -> str:
        """Paragraphs of about `every` seconds, each opening with its `[m:ss]` marker."""
        return "\n\n".join(
            f"[{format_timestamp(start)}] {' '.join(words)}"
            for start, words in self._paragraphs(every)
        )

    def marker_times(self, every: float = 30.0) -> list[int]:
        """The whole seconds `timed_text(every)` writes as markers, in order."""
        return [math.floor(start) for start, _ in self._paragraphs(every)]

    def _paragraphs(self, every: float) -> list[tuple[float, list[str]]]:
        paragraphs: list[tuple[float, list[str]]] = []
        for segment in self.segments:
            words = segment.text.strip()
            if not words:
                continue
            if not paragraphs or segment.start >= paragraphs[-1][0] + every:
                paragraphs.append((max(0.0, segment.start), []))
            paragraphs[-1][1].append(words)
        return paragraphs

    def shifted(self, offset: float) -> Transcript:
        """The same words `offset` seconds later (a part of a longer recording)."""
        return replace(
            self,
            segments=tuple(
                Segment(s.start + offset, s.end + offset, s.text) for s in self.segments
            ),
            duration=self.duration + offset if self.duration else 0.0,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form, for the cache."""
        return {
            "segments": [[s.start, s.end, s.text] for s in self.segments],
            "language": self.language,
            "duration": self.duration,
        }

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Transcript:
        """The inverse of `to_dict`; ValueError when `value` is not that shape."""
        try:
            segments = tuple(
                Segment(float(start), float(end), str(text))
                for start, end, text in value["segments"]
            )
            language = value.get("language")
            duration = float(value.get("duration") or 0.0)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a transcript: {exc}") from exc
        if language is not None and not isinstance(language, str):
            raise ValueError("not a transcript: language is not a string")
        return cls(segments, language, duration)


def from_plain(text: str, duration: float, language: str | None = None) -> Transcript:
    """A transcript from an endpoint that gives no times: one segment over the recording."""
    words = text.strip()
    segments = (Segment(0.0, max(0.0, duration), words),) if words else ()
    return Transcript(segments, language, max(0.0, duration))


def join(parts: Iterable[tuple[float, Transcript]], duration: float | None = None) -> Transcript:
    """One transcript of consecutive parts, each given with its start in the whole."""
    segments: list[Segment] = []
    language: str | None = None
    end = 0.0
    for offset, part in parts:
        moved = part.shifted(offset)
        segments.extend(moved.segments)
        language = language or part.language
        end = max(end, moved.duration, *(s.end for s in moved.segments))
    return Transcript(tuple(segments), language, end if duration is None else duration)


def format_timestamp(seconds: float) -> str:
    """`0:05`, `12:40`, `1:02:03`: whole seconds, hours only when there are some."""
    total = max(0, math.floor(seconds)) if math.isfinite(seconds) else 0
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def parse_timestamp(text: str) -> int | None:
    """Seconds in `m:ss` or `h:mm:ss` (brackets allowed), or None if it is not a real time."""
    match = _TIME_RE.fullmatch(text.strip().removeprefix("[").removesuffix("]"))
    if match is None:
        return None
    minutes, seconds = int(match["m"]), int(match["s"])
    if seconds >= 60:
        return None
    if match["h"] is None:
        return minutes * 60 + seconds
    if minutes >= 60:
        return None
    return int(match["h"]) * 3600 + minutes * 60 + seconds


def anchor_moments(
    text: str,
    allowed: Sequence[int],
    duration: float,
    link: Callable[[int], str] | None = None,
) -> str:
    """`text` with every cited `[m:ss]` made true: snapped to the marker at or before it.

    A time that cannot be real (`[99:99]`, past `duration` when that is known) is removed
    with one space next to it; with `link`, each kept time becomes `[m:ss](link(seconds))`
    (a time already linked is linked again, to our address). Never writes a time that is
    not in `allowed`.
    """
    markers = sorted(set(allowed))

    def rewrite(match: re.Match[str]) -> str:
        cited = parse_timestamp(match["time"])
        if cited is None or not markers or (duration > 0 and cited > duration):
            return " " if match["before"] and match["after"] else ""
        at = _snap(cited, markers)
        label = f"[{format_timestamp(at)}]"
        if link is not None:
            label = f"{label}({link(at)})"
        return match["before"] + label + match["after"]

    return _CITED_RE.sub(rewrite, text)


def _snap(seconds: int, markers: list[int]) -> int:
    """The last marker at or before `seconds`; the first marker when it is earlier than all."""
    earlier = [m for m in markers if m <= seconds]
    return earlier[-1] if earlier else markers[0]
