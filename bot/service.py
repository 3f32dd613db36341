"""The one service every surface uses: source in, summary or answer out, with progress."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.content.document import Document
from bot.content.reader import ContentReader
from bot.content.sources import Source, UrlSource
from bot.content.urls import normalize_url
from bot.errors import ExtractionError, FetchError, InvalidSourceError
from bot.llm.client import TextCallback
from bot.llm.engine import EXTRACTIVE_MODEL, Answer, Summarizer, Summary, SummaryOptions
from bot.llm.prompts import PROMPT_VERSION
from bot.store.base import KeyValueStore, decode_value, encode_value
from bot.store.keys import Keys

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """A step the user can be told about ("Reading example.com…")."""

    stage: str
    detail: str = ""


ProgressCallback = Callable[[Progress], Awaitable[None]]


@dataclass(frozen=True)
class CacheTimes:
    document: int = 24 * 3600
    summary: int = 30 * 24 * 3600
    failure: int = 600


@dataclass(frozen=True)
class SummaryResult:
    document: Document
    summary: Summary
    cached: bool


async def _no_progress(_: Progress) -> None:
    return None


class Skim:
    """Reads sources through the cache and summarizes or answers about them."""

    def __init__(
        self,
        reader: ContentReader,
        summarizer: Summarizer,
        store: KeyValueStore,
        keys: Keys,
        times: CacheTimes | None = None,
    ) -> None:
        self._reader = reader
        self._summarizer = summarizer
        self._store = store
        self._keys = keys
        self._times = times or CacheTimes()

    async def document(self, source: Source, progress: ProgressCallback | None = None) -> Document:
        """The Document for a source; URLs are cached by their normalized form."""
        report = progress or _no_progress
        if not isinstance(source, UrlSource):
            await report(Progress("reading"))
            return await self._reader.read(source)
        try:
            normalized = normalize_url(source.url)
        except ValueError:
            raise InvalidSourceError("That doesn't look like a valid link.") from None
        doc_key = self._keys.document_by_url(normalized)
        fail_key = self._keys.failed_fetch(normalized)
        cached = await self._store.get(doc_key)
        if cached is not None:
            value = decode_value(cached)
            if value is not None:
                return Document.from_dict(value["document"])
        failed = await self._store.get(fail_key)
        if failed is not None:
            value = decode_value(failed)
            if value is not None:
                raise FetchError(str(value["message"]), detail="negative cache hit")
        await report(Progress("fetching", urlsplit(normalized).hostname or normalized))
        try:
            document = await self._reader.read_url(source.url)
        except (FetchError, ExtractionError) as error:
            await self._store.set(
                fail_key, encode_value({"message": error.user_message}), ttl=self._times.failure
            )
            raise
        stored = encode_value({"document": document.to_dict()})
        await self._store.set(doc_key, stored, ttl=self._times.document)
        return document

    def _summary_key(self, document: Document, options: SummaryOptions, model: str) -> str:
        return self._keys.summary(
            document.content_hash,
            model=model,
            prompt_version=PROMPT_VERSION,
            length=options.length,
            style=options.style,
            language=options.language,
        )

    async def summarize(
        self,
        source: Source,
        options: SummaryOptions | None = None,
        *,
        progress: ProgressCallback | None = None,
        on_text: TextCallback | None = None,
    ) -> SummaryResult:
        """Summarize a source, answering from the cache when the same work was done before."""
        options = options or SummaryOptions()
        report = progress or _no_progress
        document = await self.document(source, report)
        key = self._summary_key(document, options, self._summarizer.model_identity)
        cached = await self._store.get(key)
        if cached is not None:
            value = decode_value(cached)
            if value is not None:
                return SummaryResult(document, Summary.from_dict(value["summary"]), cached=True)
        await report(Progress("summarizing"))
        summary = await self._summarizer.summarize(document, options, on_text=on_text)
        if summary.extractive and self._summarizer.model_identity != EXTRACTIVE_MODEL:
            # The LLM failed: keep its slot free so the next request tries it again.
            key = self._summary_key(document, options, EXTRACTIVE_MODEL)
        await self._store.set(
            key, encode_value({"summary": summary.to_dict()}), ttl=self._times.summary
        )
        return SummaryResult(document, summary, cached=False)

    async def ask(
        self,
        source: Source,
        question: str,
        history: list[tuple[str, str]] | None = None,
        *,
        progress: ProgressCallback | None = None,
        on_text: TextCallback | None = None,
    ) -> tuple[Document, Answer]:
        """Answer a question from the source's own text."""
        if not question.strip():
            raise InvalidSourceError("Ask a question about the document.")
        document = await self.document(source, progress)
        answer = await self._summarizer.answer(document, question, history, on_text=on_text)
        return document, answer
