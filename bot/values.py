"""The values every layer shares: what was asked, what was made, how far the work has got.

Rendering, handlers and the CLI import these without importing the LLM engine or the store.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Literal

from bot.content.document import Document
from bot.llm.prompts import LENGTHS, PROMPT_VERSION, STYLES

EXTRACTIVE_MODEL = "extractive"
# "auto" (the document's own language) or a language code such as en, ru, pt-BR.
LANGUAGE_CODE = re.compile(r"^(auto|[a-z]{2,3}(-[A-Za-z0-9]{2,8})?)$")


class Stage(StrEnum):
    """Where a request is; each stage has its own status line for the user."""

    READING = "reading"
    FETCHING = "fetching"
    SUMMARIZING = "summarizing"
    COMBINING = "combining"
    ANSWERING = "answering"
    DOWNLOADING = "downloading"
    TRANSCRIBING = "transcribing"
    CAPTIONS = "captions"
    LOOKING = "looking"


@dataclass(frozen=True)
class SummaryOptions:
    """What the user asked for; every field is part of the cache key."""

    length: str = "medium"
    style: str = "bullets"
    language: str = "auto"

    def __post_init__(self) -> None:
        if self.length not in LENGTHS:
            raise ValueError(f"unknown length {self.length!r}")
        if self.style not in STYLES:
            raise ValueError(f"unknown style {self.style!r}")
        # The language reaches the prompt: only a code's shape, never free text, gets there.
        if not LANGUAGE_CODE.match(self.language):
            raise ValueError(f"not a language code: {self.language!r}")


@dataclass(frozen=True)
class Summary:
    """A finished summary; `extractive` marks one built without the LLM.

    `prompt_tokens`/`completion_tokens`/`requests` add up every LLM request made for it (also the
    failed ones before an extractive fallback). `truncated` means only the first part of the
    document was read; `note` then tells the user which part.
    """

    text: str
    extractive: bool
    model: str
    prompt_version: str = PROMPT_VERSION
    prompt_tokens: int = 0
    completion_tokens: int = 0
    truncated: bool = False
    requests: int = 0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        fields = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in fields})


@dataclass(frozen=True)
class Answer:
    """An answer about a document; `extractive` marks passages quoted without the LLM."""

    text: str
    extractive: bool
    model: str = EXTRACTIVE_MODEL
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    passages: tuple[str, ...] = ()  # an extractive answer's quotes, for the user's language


@dataclass(frozen=True)
class SummaryProgress:
    """A step of summarizing a long document: "summarizing part 3 of 8", "combining 8 parts"."""

    stage: Literal["part", "combining"]
    part: int
    parts: int

    def __str__(self) -> str:
        if self.stage == "part":
            return f"summarizing part {self.part} of {self.parts}"
        return f"combining {self.parts} parts"


@dataclass(frozen=True)
class Progress:
    """A step the user can be told about ("Reading example.com…", "part 3 of 8")."""

    stage: Stage
    detail: str = ""
    part: int = 0
    parts: int = 0


@dataclass(frozen=True)
class Requester:
    """Who asked, for usage accounting; both optional (the CLI has neither)."""

    user_id: int | None = None
    chat_id: int | None = None


@dataclass(frozen=True)
class SummaryResult:
    """A summary with the document it is about; `cached` when no LLM work was done for it."""

    document: Document
    summary: Summary
    cached: bool
