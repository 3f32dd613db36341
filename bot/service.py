"""The one service every surface uses: source in, summary or answer out, with progress.

Identical work is done once: documents are cached by normalized URL and summaries by content
hash and options, and concurrent requests for the same work share one fetch and one LLM call
through the store's single-flight locks.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from bot.content.document import Document
from bot.content.reader import ContentReader
from bot.content.sources import ImageSource, MediaSource, Source, TextSource, UrlSource
from bot.content.urls import normalize_url
from bot.content.youtube import video_id
from bot.errors import (
    CachedFailure,
    ExtractionError,
    FetchError,
    InvalidSourceError,
    LLMError,
    SkimError,
)
from bot.llm.client import TextCallback
from bot.llm.engine import Summarizer
from bot.llm.prompts import PROMPT_VERSION
from bot.media.reading import Charge, MediaHooks, cite_moments
from bot.store.base import KeyValueStore, decode_value, encode_value
from bot.store.keys import (
    DOCUMENT_TTL,
    FAILED_FETCH_TTL,
    FAILED_SUMMARY_TTL,
    PASSING_FAILURE_TTL,
    SUMMARY_TTL,
    Keys,
)
from bot.store.singleflight import SingleFlight
from bot.store.state import State
from bot.values import (
    EXTRACTIVE_MODEL,
    Answer,
    Progress,
    Requester,
    Stage,
    Summary,
    SummaryOptions,
    SummaryProgress,
    SummaryResult,
)

log = logging.getLogger(__name__)
# Fetch failures that may pass in a moment: not remembered for FAILED_FETCH_TTL, so the same
# link works as soon as the site does again.
PASSING_FETCH_FAILURES = frozenset(
    {
        "err_dns",
        "err_timeout",
        "err_refused",
        "err_connection_failed",
        "err_deadline",
        "err_stopped_sending",
        "err_broken",
        "err_http_server",
        "err_http_rate",
    }
)


ProgressCallback = Callable[[Progress], Awaitable[None]]


@dataclass(frozen=True)
class CacheTimes:
    document: int = DOCUMENT_TTL
    summary: int = SUMMARY_TTL
    failure: int = FAILED_FETCH_TTL


@dataclass(frozen=True)
class Lookup:
    """A cache peek: the finished summary, else the document when that alone was cached, or
    the link's recent fetch failure (the negative cache) when that is what the cache holds."""

    result: SummaryResult | None = None
    document: Document | None = None
    failure: SkimError | None = None


BeforeLLM = Callable[[], Awaitable[None]]


async def _no_progress(_: Progress) -> None:
    return None


async def _free(_: float) -> None:
    return None


def link_name(url: str) -> str:
    """A link's cache identity: the video id for YouTube (any of its URL forms), else the
    normalized URL. Raises ValueError for what is not a link."""
    video = video_id(url)
    return f"https://youtu.be/{video}" if video is not None else normalize_url(url)


def media_name(source: MediaSource | ImageSource) -> str:
    """A recording's or picture's cache identity: the file itself, not the message; a picture
    with its caption, which its document holds (the same picture forwarded with someone
    else's caption is another document, or one user's words would reach another)."""
    if isinstance(source, MediaSource):
        return f"media:{source.key}"
    if not source.caption:
        return f"picture:{source.key}"
    caption = hashlib.sha256(source.caption.encode()).hexdigest()[:32]
    return f"picture:{source.key}:{caption}"


class Skim:
    """Reads sources through the cache and summarizes or answers about them."""

    def __init__(
        self,
        reader: ContentReader,
        summarizer: Summarizer,
        store: KeyValueStore,
        keys: Keys,
        times: CacheTimes | None = None,
        flight: SingleFlight | None = None,
    ) -> None:
        self._reader = reader
        self._summarizer = summarizer
        self._store = store
        self._keys = keys
        self._times = times or CacheTimes()
        self._flight = flight or SingleFlight(store, keys)
        self.state = State(store, keys)

    @property
    def summarizer(self) -> Summarizer:
        return self._summarizer

    @property
    def reader(self) -> ContentReader:
        """The reader behind `document`, for callers that must bypass the cache (`--explain`)."""
        return self._reader

    async def _cached_document(self, normalized: str, *, failures: bool = True) -> Document | None:
        """The cached document under a name; with `failures`, a link's recent failure is
        raised (recordings and pictures have no negative cache: their failures are per user)."""
        value = decode_value(await self._store.get(self._keys.document_by_url(normalized)))
        if value is not None:
            return Document.from_dict(value["document"])
        if not failures:
            return None
        value = decode_value(await self._store.get(self._keys.failed_fetch(normalized)))
        if value is not None:
            raise CachedFailure.replay(value, "negative cache hit")
        return None

    async def document(
        self,
        source: Source,
        progress: ProgressCallback | None = None,
        charge: Charge | None = None,
        *,
        checked: bool = False,
    ) -> Document:
        """The Document for a source; URLs are fetched once and cached by normalized form,
        recordings and pictures by the file. `charge` runs before a recording is transcribed
        (the minutes quota), only in the request that transcribes it. `checked`: a `peek` has
        just found no document in the cache (see `SingleFlight.run`)."""
        report = progress or _no_progress
        hooks = MediaHooks(report, charge or _free)
        if isinstance(source, MediaSource | ImageSource):
            return await self._media_document(source, hooks, checked=checked)
        if not isinstance(source, UrlSource):
            await report(Progress(Stage.READING))
            return await self._reader.read(source, hooks=hooks)
        try:
            normalized = link_name(source.url)
        except ValueError:
            raise InvalidSourceError(key="err_invalid_link") from None

        async def fetch() -> Document:
            await report(Progress(Stage.FETCHING, urlsplit(normalized).hostname or normalized))
            try:
                document = await self._reader.read_url(source.url, hooks=hooks)
            except (FetchError, ExtractionError) as error:
                value = encode_value(error.to_dict())
                passing = error.key in PASSING_FETCH_FAILURES
                ttl = (
                    min(PASSING_FAILURE_TTL, self._times.failure)
                    if passing
                    else self._times.failure
                )
                await self._store.set(self._keys.failed_fetch(normalized), value, ttl=ttl)
                raise
            await self._keep_document(normalized, document)
            return document

        return await self._flight.run(
            f"doc:{normalized}", lambda: self._cached_document(normalized), fetch, checked=checked
        )

    async def _keep_document(self, name: str, document: Document) -> None:
        """Cache a document read under its name (a link, a recording, a picture)."""
        stored = encode_value({"document": document.to_dict()})
        await self._store.set(self._keys.document_by_url(name), stored, ttl=self._times.document)

    async def _media_document(
        self, source: MediaSource | ImageSource, hooks: MediaHooks, *, checked: bool
    ) -> Document:
        """A recording's transcript or a picture's text, made once per file and cached."""
        name = media_name(source)

        async def read() -> Document:
            document = await self._reader.read(source, hooks=hooks)
            await self._keep_document(name, document)
            return document

        return await self._flight.run(
            f"doc:{name}",
            lambda: self._cached_document(name, failures=False),
            read,
            checked=checked,
        )

    async def peek(self, source: Source, options: SummaryOptions) -> Lookup:
        """What the cache holds for this request, without fetching or summarizing.

        The finished summary when there is one; otherwise the document when it was read before,
        so that the work that follows (`summarize(..., known=lookup)`) reads no cache twice.
        """
        hit = await self._read_shortcut(self._url_shortcut_key(source, options))
        if hit is not None:
            return Lookup(hit, hit.document)
        if isinstance(source, UrlSource):
            try:
                document = await self._cached_document(link_name(source.url))
            except CachedFailure as failure:
                return Lookup(failure=failure)
            except (ValueError, SkimError):
                return Lookup()
        elif isinstance(source, TextSource):
            try:
                document = self._reader.read_text(source)
            except SkimError:
                return Lookup()
        elif isinstance(source, MediaSource | ImageSource):
            document = await self._cached_document(media_name(source), failures=False)
        else:
            return Lookup()
        if document is None:
            return Lookup()
        return Lookup(await self.peek_document(document, options), document)

    async def peek_document(
        self, document: Document, options: SummaryOptions
    ) -> SummaryResult | None:
        """A document's finished summary with these options from the cache, or None."""
        summary = await self._summary_hit(
            self.summary_key(document, options, self._summarizer.model_identity)
        )
        return None if summary is None else SummaryResult(document, summary, cached=True)

    def summary_key(self, document: Document, options: SummaryOptions, model: str) -> str:
        return self._keys.summary(
            document.content_hash,
            model=model,
            prompt_version=PROMPT_VERSION,
            length=options.length,
            style=options.style,
            language=options.language,
        )

    async def _summary_hit(self, key: str) -> Summary | None:
        """A cached summary; a hit is counted in the stats in the same round trip as the read."""
        value = decode_value(await self.state.read_counting_hit(key))
        return Summary.from_dict(value["summary"]) if value is not None else None

    async def _cached_summary(self, key: str) -> Summary | None:
        summary = await self._summary_hit(key)
        if summary is not None:
            return summary
        value = decode_value(await self._store.get(self._keys.failed_summary(key)))
        if value is not None:
            raise CachedFailure.replay(value, "recent summary failure")
        return None

    async def summarize(
        self,
        source: Source,
        options: SummaryOptions | None = None,
        *,
        progress: ProgressCallback | None = None,
        on_text: TextCallback | None = None,
        requester: Requester | None = None,
        before_llm: BeforeLLM | None = None,
        known: Lookup | None = None,
        charge: Charge | None = None,
    ) -> SummaryResult:
        """Summarize a source, answering from the cache when the same work was done before.

        `known`: what a `peek` just found (no summary), so those caches are not read again.
        `before_llm` runs once, only if this request is the one that will ask the LLM: the
        place for a quota, since a summary someone else makes or made costs nothing.
        """
        options = options or SummaryOptions()
        shortcut = self._url_shortcut_key(source, options)
        if known is None:
            hit = await self._read_shortcut(shortcut)
            if hit is not None:
                return hit
        elif known.result is not None:
            return known.result
        document = known.document if known is not None else None
        if document is None:
            document = await self.document(source, progress, charge, checked=known is not None)
        result = await self.summarize_document(
            document,
            options,
            progress=progress,
            on_text=on_text,
            requester=requester,
            before_llm=before_llm,
            checked=known is not None and known.document is not None,
        )
        if shortcut is not None and not self._is_fallback(result.summary):
            value = {
                "document": document.reference().to_dict(),
                "summary": result.summary.to_dict(),
            }
            await self._store.set(shortcut, encode_value(value), ttl=self._times.document)
        return result

    def _url_shortcut_key(self, source: Source, options: SummaryOptions) -> str | None:
        """For links: one key naming both the document and its summary (a one-read cache hit)."""
        if not isinstance(source, UrlSource):
            return None
        try:
            normalized = link_name(source.url)
        except ValueError:
            return None
        return self._keys.summary_by_url(
            normalized,
            model=self._summarizer.model_identity,
            prompt_version=PROMPT_VERSION,
            length=options.length,
            style=options.style,
            language=options.language,
        )

    async def _read_shortcut(self, key: str | None) -> SummaryResult | None:
        if key is None:
            return None
        value = decode_value(await self.state.read_counting_hit(key))
        if value is None:
            return None
        document = Document.from_dict(value["document"])
        return SummaryResult(document, Summary.from_dict(value["summary"]), cached=True)

    async def summarize_document(
        self,
        document: Document,
        options: SummaryOptions | None = None,
        *,
        progress: ProgressCallback | None = None,
        on_text: TextCallback | None = None,
        requester: Requester | None = None,
        before_llm: BeforeLLM | None = None,
        checked: bool = False,
    ) -> SummaryResult:
        """Summarize a document already read (a thread's, a re-render with other options).

        `checked`: the caller has just found no summary in the cache (see `SingleFlight.run`).
        """
        options = options or SummaryOptions()
        report = progress or _no_progress
        key = self.summary_key(document, options, self._summarizer.model_identity)
        produced: list[Summary] = []

        async def on_progress(step: SummaryProgress) -> None:
            stage = Stage.SUMMARIZING if step.stage == "part" else Stage.COMBINING
            await report(Progress(stage, part=step.part, parts=step.parts))

        async def work() -> Summary:
            if before_llm is not None:
                await before_llm()
            await report(Progress(Stage.SUMMARIZING))
            try:
                summary = await self._summarizer.summarize(
                    document, options, on_text=on_text, on_progress=on_progress
                )
                summary = replace(summary, text=cite_moments(summary.text, document))
            except LLMError as error:
                value = encode_value(error.to_dict())
                await self._store.set(self._keys.failed_summary(key), value, ttl=FAILED_SUMMARY_TTL)
                raise
            value = encode_value({"summary": summary.to_dict()})
            if self._is_fallback(summary):
                # The LLM failed: cache the extractive result under its own key, and under the
                # LLM's only briefly so waiting requests share it but later ones try the LLM.
                extractive_key = self.summary_key(document, options, EXTRACTIVE_MODEL)
                await self._store.set(extractive_key, value, ttl=self._times.summary)
                await self._store.set(key, value, ttl=FAILED_SUMMARY_TTL)
            else:
                await self._store.set(key, value, ttl=self._times.summary)
            produced.append(summary)
            return summary

        summary = await self._flight.run(
            f"sum:{key}", lambda: self._cached_summary(key), work, checked=checked
        )
        cached = not produced
        if not cached:
            await self.state.bump("cache_misses")
            await self._record_usage(requester, summary)
        return SummaryResult(document, summary, cached=cached)

    def _is_fallback(self, summary: Summary) -> bool:
        """An extractive summary made because the configured LLM failed: not the LLM's to cache."""
        return summary.extractive and self._summarizer.model_identity != EXTRACTIVE_MODEL

    async def _record_usage(self, requester: Requester | None, result: Summary | Answer) -> None:
        """Count the LLM tokens of freshly made work against whoever asked."""
        if requester is not None and not result.extractive:
            await self.state.record_usage(
                requester.user_id, requester.chat_id, result.prompt_tokens, result.completion_tokens
            )

    async def ask(
        self,
        source: Source | Document,
        question: str,
        history: list[tuple[str, str]] | None = None,
        *,
        progress: ProgressCallback | None = None,
        on_text: TextCallback | None = None,
        requester: Requester | None = None,
        charge: Charge | None = None,
        seen: SummaryOptions | None = None,
    ) -> tuple[Document, Answer]:
        """Answer a question from the source's own text; `seen`: the options of the summary the
        reader replied to, which the model gets too when it is still cached."""
        if not question.strip():
            raise InvalidSourceError(key="err_ask_question")
        if isinstance(source, Document):
            document = source
        else:
            document = await self.document(source, progress, charge)
        summary = "" if seen is None else await self._seen_summary(document, seen)
        answer = await self._summarizer.answer(
            document, question, history, on_text=on_text, summary=summary
        )
        answer = replace(answer, text=cite_moments(answer.text, document))
        await self._record_usage(requester, answer)
        return document, answer

    async def _seen_summary(self, document: Document, options: SummaryOptions) -> str:
        """The cached text of a summary the reader saw (the model's, else the extractive one
        made when the model failed); not counted as a cache hit: nobody asked for it again."""
        model = self._summarizer.model_identity
        if model == EXTRACTIVE_MODEL:
            return ""  # passages are quoted without a model: nothing would read it
        for identity in (model, EXTRACTIVE_MODEL):
            key = self.summary_key(document, options, identity)
            value = decode_value(await self._store.get(key))
            if value is not None:
                return Summary.from_dict(value["summary"]).text
        return ""

    async def recent_failure(self, source: Source, language: str | None = None) -> str | None:
        """The user-facing message of a link's recent fetch failure (the negative cache), if any."""
        if not isinstance(source, UrlSource):
            return None
        try:
            await self._cached_document(link_name(source.url))
        except ValueError:
            return None
        except CachedFailure as failure:
            return failure.message_for(language)
        return None
