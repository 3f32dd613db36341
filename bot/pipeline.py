"""Every request's lifecycle in one place: admission, the work, and what happens, as events.

A surface (a chat, a button, inline mode, a channel, the command line) turns what it received
into a request and renders the events `Pipeline.run` yields; it decides nothing else. Here live
the policies, in the order a request meets them:

1. the cache: a finished summary is served at once and costs nothing;
2. the rate limits: the user's, then the chat's in groups and channels;
3. one request in flight per user (with `/cancel`);
4. the daily quota, charged only when this request is the one that makes the LLM write;
5. the work itself (single flight shares it with identical requests anywhere).

The allow lists are checked before a request is built (they decide whether an update is seen at
all); operators (`Caller.exempt`) pass 2-4 freely.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import secrets
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from urllib.parse import urlsplit

from bot.config import Settings
from bot.content.document import Document
from bot.content.sources import ImageSource, MediaSource, Source, UrlSource
from bot.errors import CancelledByUser, MediaQuotaExceeded, QuotaExceeded, SkimError
from bot.i18n import t
from bot.metrics import Metrics
from bot.origin import REDELIVERED
from bot.render import preview
from bot.service import Skim
from bot.store.state import REQUEST_LEASE, OrphanedStatus, Thread
from bot.values import Answer, Progress, Requester, Stage, SummaryOptions, SummaryResult

log = logging.getLogger(__name__)
# The message of a cancellation /cancel asked for (any other is the process stopping).
USER_CANCEL = "cancelled by the user"
# Seconds between a process's signs of life; three missed and its status messages are orphans.
HEARTBEAT = 3.0
# Seconds a process counts as alive after its last beat: five beats, so that a process busy
# enough to miss a few (a saturated machine) is not taken for dead.
LIFE = HEARTBEAT * 5


class Surface(StrEnum):
    """Where a request came from; it names the counter a finished summary adds to."""

    CHAT = "chat"
    BUTTON = "button"
    INLINE = "inline"
    CLI = "cli"


@dataclass(frozen=True)
class Caller:
    """Who asked and where: what the limits are keyed on, and the language to answer in.

    `user_id` is None when nobody asked (auto-summaries, channel posts, the CLI): no per-user
    limits, quota or `/cancel`. `shared` marks a group or channel, whose own rate limit applies.
    """

    user_id: int | None = None
    chat_id: int | None = None
    language: str = "en"
    shared: bool = False
    exempt: bool = False

    @property
    def requester(self) -> Requester:
        return Requester(self.user_id, self.chat_id)


@dataclass(frozen=True)
class SummarizeRequest:
    """Summarize a source. `exclusive`: counts as the user's one request in flight."""

    source: Source
    options: SummaryOptions
    caller: Caller
    surface: Surface = Surface.CHAT
    exclusive: bool = True


@dataclass(frozen=True)
class ResummarizeRequest:
    """A thread's article again with other options (the Shorter, Longer, Translate buttons)."""

    thread: Thread
    options: SummaryOptions
    caller: Caller


@dataclass(frozen=True)
class AskRequest:
    """A question about a thread's article, or (the CLI) about any source."""

    about: Thread | Source
    question: str
    caller: Caller


Request = SummarizeRequest | ResummarizeRequest | AskRequest


class Refusal(StrEnum):
    """Why a request was not started; the value is its message's catalogue key."""

    USER_RATE = "rate_limited"
    CHAT_RATE = "chat_rate_limited"
    BUSY = "busy"
    QUOTA = "quota_reached"


@dataclass(frozen=True)
class StageChanged:
    """A new stage, with its status line in the caller's language."""

    progress: Progress
    text: str


@dataclass(frozen=True)
class TextStreamed:
    """The text the model has written so far, its tail cut to fit one Telegram message."""

    text: str


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    message: str
    retry_after: float | None = None  # seconds until a rate limit lets the caller in again


@dataclass(frozen=True)
class Failed:
    error: SkimError
    message: str


@dataclass(frozen=True)
class Cancelled:
    message: str


@dataclass(frozen=True)
class Summarized:
    result: SummaryResult


@dataclass(frozen=True)
class Answered:
    """An answer, with the thread to keep under it (the question and answer appended)."""

    document: Document
    answer: Answer
    thread: Thread | None


Event = StageChanged | TextStreamed | Refused | Failed | Cancelled | Summarized | Answered
Outcome = Refused | Failed | Cancelled | Summarized | Answered
Emit = Callable[[StageChanged | TextStreamed], None]


class CancelResult(StrEnum):
    """What `/cancel` found: a request here (it says "Stopped." itself), elsewhere, or none."""

    STOPPING = "stopping"
    REQUESTED = "requested"
    NOTHING = "nothing"


@dataclass(frozen=True)
class Limits:
    """The operator's limits, read once from the settings."""

    user_burst: int = 0
    user_per_minute: float = 0
    chat_burst: int = 0
    chat_per_minute: float = 0
    daily_quota: int = 0
    history_turns: int = 6
    daily_media_seconds: int = 0

    @classmethod
    def from_settings(cls, settings: Settings, *, metered: bool) -> Limits:
        """`metered`: an LLM is configured; the extractive summarizer has no quota."""
        return cls(
            user_burst=settings.rate_limit_user_burst,
            user_per_minute=settings.rate_limit_user_per_minute,
            chat_burst=settings.rate_limit_chat_burst,
            chat_per_minute=settings.rate_limit_chat_per_minute,
            daily_quota=settings.daily_summary_quota if metered else 0,
            history_turns=settings.qa_history_turns,
            daily_media_seconds=round(settings.daily_media_minutes * 60),
        )


def wait_text(seconds: float, language: str) -> str:
    """ "12 seconds", "5 minutes", "3 hours", in the user's language."""
    seconds = max(1, round(seconds))
    if seconds < 90:
        return t("seconds", language, n=seconds)
    if seconds < 5400:
        return t("minutes", language, n=round(seconds / 60))
    return t("hours", language, n=round(seconds / 3600))


def status_text(progress: Progress, language: str) -> str:
    """The status line for a stage ("Reading example.com…", "Summarizing part 2 of 5…")."""
    if progress.stage is Stage.FETCHING:
        return t("status_fetching", language, site=progress.detail)
    if progress.stage is Stage.SUMMARIZING and progress.parts > 1:
        return t("status_summarizing_part", language, part=progress.part, parts=progress.parts)
    if progress.stage is Stage.COMBINING:
        return t("status_combining", language, parts=progress.parts)
    if progress.stage is Stage.SUMMARIZING:
        return t("status_summarizing", language)
    if progress.stage is Stage.ANSWERING:
        return t("status_answering", language)
    if progress.stage is Stage.TRANSCRIBING:
        return t("status_transcribing", language, length=progress.detail)
    if progress.stage in _PLAIN_STATUS:
        return t(_PLAIN_STATUS[progress.stage], language)
    return t("status_reading", language)


_PLAIN_STATUS = {
    Stage.DOWNLOADING: "status_downloading",
    Stage.CAPTIONS: "status_captions",
    Stage.LOOKING: "status_looking",
}


def strip_markers(text: str) -> str:
    """A transcript's words without its `[m:ss]` paragraph markers."""
    return " ".join(_MARKER.sub(" ", text).split())


_MARKER = re.compile(r"\[(?:\d+:)?\d{1,2}:\d{2}\]")


def first_stage(source: Source) -> Progress:
    """What the status says before the work reports anything: the site being read."""
    if isinstance(source, UrlSource):
        host = urlsplit(source.url).hostname or source.url
        return Progress(Stage.FETCHING, host.removeprefix("www."))
    if isinstance(source, MediaSource):
        return Progress(Stage.DOWNLOADING)
    if isinstance(source, ImageSource):
        return Progress(Stage.LOOKING)
    return Progress(Stage.READING)


class Pipeline:
    """Runs requests through the cache, the limits and the work; see the module docstring."""

    def __init__(
        self,
        skim: Skim,
        limits: Limits,
        instance_id: str | None = None,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self._skim = skim
        self._metrics = metrics or Metrics()
        self._state = skim.state
        self._limits = limits
        # This process, for the status messages it owns (see `keep_alive`).
        self.instance_id = instance_id or secrets.token_hex(8)
        # This process's running work per user, for /cancel; other processes see the flag.
        self._running: dict[int, asyncio.Task[None]] = {}
        self._working_now = 0

    @property
    def skim(self) -> Skim:
        return self._skim

    @property
    def in_flight(self) -> int:
        """Requests of this process whose work is running now (for the shutdown's log line)."""
        return self._working_now

    async def run(self, request: Request) -> AsyncIterator[Event]:
        """The request's events, ending with exactly one `Outcome`."""
        if isinstance(request, SummarizeRequest):
            stream: AsyncGenerator[Event] = self._summarize(request)
        elif isinstance(request, ResummarizeRequest):
            stream = self._resummarize(request)
        else:
            stream = self._ask(request)
        async with contextlib.aclosing(stream):
            async for event in stream:
                if not isinstance(event, StageChanged | TextStreamed):
                    self._count(event)
                yield event

    def _count(self, outcome: Outcome) -> None:
        """The outcome in the metrics: error classes and refusal reasons are bounded sets."""
        metrics = self._metrics
        if isinstance(outcome, Summarized):
            result = outcome.result
            kind = (
                "cached" if result.cached else "extractive" if result.summary.extractive else "llm"
            )
            metrics.summaries.labels(kind, "").inc()
        elif isinstance(outcome, Answered):
            metrics.summaries.labels("answered", "").inc()
        elif isinstance(outcome, Refused):
            metrics.summaries.labels("refused", outcome.reason.value).inc()
            metrics.refusals.labels(outcome.reason.value).inc()
        elif isinstance(outcome, Failed):
            metrics.summaries.labels("failed", type(outcome.error).__name__).inc()
        else:
            metrics.summaries.labels("cancelled", "").inc()

    async def outcome(self, request: Request) -> Outcome:
        """Run a request to its end, for callers with nothing to show along the way."""
        outcome: Outcome | None = None
        async for event in self.run(request):  # to the end: the admission is released there
            if not isinstance(event, StageChanged | TextStreamed):
                outcome = event
        if outcome is None:
            raise AssertionError("a request ended without an outcome")
        return outcome

    async def cancel(self, user_id: int) -> CancelResult:
        """Stop the user's request: at once in this process, by a flag in any other."""
        requested = await self._state.request_cancel(user_id)
        task = self._running.get(user_id)
        if task is not None and not task.done():
            task.cancel(USER_CANCEL)
            return CancelResult.STOPPING
        return CancelResult.REQUESTED if requested else CancelResult.NOTHING

    async def keep_thread(
        self,
        chat_id: int,
        message_id: int,
        result: SummaryResult,
        options: SummaryOptions,
        user_id: int | None,
        *,
        status: int | None = None,
    ) -> None:
        """Keep the article under a sent summary, so replies and buttons can find it.

        `status`: the request's status message, gone now that the summary is there.
        """
        if status is not None:
            await self._state.untrack_status(chat_id, status)
        document = result.document
        await self._state.keep_document(document)
        thread = Thread(
            content_hash=document.content_hash,
            title=document.title,
            url=document.canonical_url or document.url,
            user_id=user_id,
            length=options.length,
            style=options.style,
            language=options.language,
            recording=document.is_recording,
            document_language=document.language,
        )
        await self._state.save_thread(chat_id, message_id, thread)

    # Status messages that outlive a crash

    async def track_status(self, chat_id: int, message_id: int, language: str) -> None:
        """A request's status message, owned by this process until the request ends."""
        await self._state.track_status(chat_id, message_id, language, self.instance_id)

    async def is_status(self, chat_id: int, message_id: int) -> bool:
        return await self._state.is_status(chat_id, message_id)

    async def untrack_status(self, chat_id: int, message_id: int) -> None:
        await self._state.untrack_status(chat_id, message_id)

    async def own_statuses(self) -> list[OrphanedStatus]:
        """This process's status messages: requests still running (at shutdown, abandoned)."""
        return await self._state.statuses_of(self.instance_id)

    async def beat(self) -> None:
        """Say this process is alive for `LIFE` seconds (called every `HEARTBEAT` seconds)."""
        await self._state.beat(self.instance_id, LIFE)

    async def keep_alive(self) -> list[OrphanedStatus]:
        """Say this process is alive; the status messages of processes that stopped saying so.

        A process killed mid-request leaves its status messages to whichever process sweeps
        next, which deletes them (its update is redone from the stream).
        """
        await self.beat()
        return await self._state.orphaned_statuses()

    # The three kinds of request

    async def _summarize(self, request: SummarizeRequest) -> AsyncGenerator[Event]:
        caller = request.caller
        lookup = await self._skim.peek(request.source, request.options)
        self._metrics.cache.labels("summary", "hit" if lookup.result else "miss").inc()
        if lookup.result is None:
            self._metrics.cache.labels("document", "hit" if lookup.document else "miss").inc()
        if lookup.result is not None:
            yield Summarized(lookup.result)
            return
        if lookup.failure is not None:
            # The link failed moments ago (the negative cache): told at once, like a cache hit,
            # free of the limits and without a status message.
            log.info(
                "chat %s: a recent failure replayed: %s", caller.chat_id, lookup.failure.detail
            )
            await self._state.bump("errors")
            yield Failed(lookup.failure, lookup.failure.message_for(caller.language))
            return

        async def work(emit: Emit) -> Outcome:
            emit(self._stage(first_stage(request.source), caller))
            result = await self._skim.summarize(
                request.source,
                request.options,
                progress=self._progress(caller, emit),
                on_text=self._streamer(emit),
                requester=caller.requester,
                before_llm=self._quota_charge(caller),
                known=lookup,
                charge=self._minutes_charge(caller),
            )
            counter = _COUNTERS[request.surface]
            if counter is not None:
                await self._state.bump(counter, user_id=caller.user_id)
            return Summarized(result)

        async for event in self._admitted(caller, work, exclusive=request.exclusive):
            if isinstance(event, Failed):
                await self._state.bump("errors")
            yield event

    async def _resummarize(self, request: ResummarizeRequest) -> AsyncGenerator[Event]:
        caller = request.caller
        try:
            document = await self.thread_document(request.thread, caller)
        except SkimError as error:
            yield Failed(error, error.message_for(caller.language))
            return
        cached = await self._skim.peek_document(document, request.options)
        self._metrics.cache.labels("summary", "hit" if cached else "miss").inc()
        if cached is not None:
            yield Summarized(cached)
            return

        async def work(emit: Emit) -> Outcome:
            result = await self._skim.summarize_document(
                document,
                request.options,
                progress=self._progress(caller, emit),
                requester=caller.requester,
                before_llm=self._quota_charge(caller),
                checked=True,
            )
            if not result.cached:
                await self._state.bump("summaries", user_id=caller.user_id)
            return Summarized(result)

        async for event in self._admitted(caller, work):
            yield event

    async def _ask(self, request: AskRequest) -> AsyncGenerator[Event]:
        caller, about = request.caller, request.about
        try:
            if isinstance(about, Thread):
                document: Document | None = await self.thread_document(about, caller)
                history = about.history(self._limits.history_turns)
            else:
                document, history = None, []
        except SkimError as error:
            yield Failed(error, error.message_for(caller.language))
            return

        async def work(emit: Emit) -> Outcome:
            emit(self._stage(Progress(Stage.ANSWERING), caller))
            source = document if document is not None else about
            assert not isinstance(source, Thread)
            read, answer = await self._skim.ask(
                source,
                request.question,
                history,
                progress=self._progress(caller, emit),
                on_text=self._streamer(emit),
                requester=caller.requester,
                charge=self._minutes_charge(caller),
                seen=_seen_options(about),
            )
            thread = None
            if isinstance(about, Thread):
                # Only the turns a next question can use are kept: every answer stores its own
                # copy of the thread, which grew with the square of the follow-ups.
                kept = max(1, self._limits.history_turns)
                turns = [*about.turns, [request.question, answer.text]][-kept:]
                thread = replace(about, turns=turns)
            return Answered(read, answer, thread)

        async for event in self._admitted(caller, work):
            yield event

    # Admission

    async def _admitted(
        self,
        caller: Caller,
        work: Callable[[Emit], Awaitable[Outcome]],
        *,
        exclusive: bool = True,
    ) -> AsyncIterator[Event]:
        """Rate limits, then one request at a time, then the work's events."""
        again = REDELIVERED.get()
        refusal = None if again else await self._rate_limited(caller)
        if refusal is not None:
            yield refusal
            return
        user_id = caller.user_id if exclusive else None
        if user_id is None:
            async for event in self._working(caller, None, work):
                yield event
            return
        if again and await self._state.cancelled(user_id):
            # Its worker died; the user's /cancel came after it began (a new request clears
            # the mark): redone now, it would undo the cancel and cost a second LLM call.
            log.info("a redelivered request of chat %s was cancelled meanwhile", caller.chat_id)
            yield Cancelled(t("cancelled", caller.language))
            return
        owner = await self._begin(user_id, wait=REQUEST_LEASE + 1 if again else 0)
        if owner is None:
            yield Refused(Refusal.BUSY, t(Refusal.BUSY, caller.language))
            return
        lease = asyncio.create_task(self._renew(user_id, owner))
        try:
            async for event in self._working(caller, user_id, work):
                yield event
        finally:
            lease.cancel()
            await self._state.end_request(user_id, owner)

    async def _begin(self, user_id: int, *, wait: float) -> bytes | None:
        """The user's lease; a redelivered update waits out the lease of the dead worker."""
        deadline = time.monotonic() + wait
        while (owner := await self._state.begin_request(user_id)) is None:
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.25)
        return owner

    async def _renew(self, user_id: int, owner: bytes) -> None:
        """Keep the user's lease while the work runs; a crash lets it lapse in seconds.

        A /cancel another process took is seen here too, within a renewal: the work may be
        past its last stage change (a summary streaming), where it would finish regardless.
        """
        while True:
            await asyncio.sleep(REQUEST_LEASE / 3)
            if await self._state.cancelled(user_id):
                task = self._running.get(user_id)
                if task is not None and not task.done():
                    task.cancel(USER_CANCEL)
                return
            if not await self._state.renew_request(user_id, owner):
                return  # lost: the work goes on, unguarded

    async def _rate_limited(self, caller: Caller) -> Refused | None:
        if caller.exempt:
            return None
        limits = self._limits
        buckets: list[tuple[Refusal, str, int | None, int, float]] = [
            (Refusal.USER_RATE, "user", caller.user_id, limits.user_burst, limits.user_per_minute),
        ]
        if caller.shared:
            buckets.append(
                (
                    Refusal.CHAT_RATE,
                    "chat",
                    caller.chat_id,
                    limits.chat_burst,
                    limits.chat_per_minute,
                )
            )
        for reason, scope, key, burst, per_minute in buckets:
            if key is None:
                continue
            wait = await self._state.take_token(scope, key, burst, per_minute)
            if wait > 0:
                language = caller.language
                message = t(reason, language, wait=wait_text(wait, language))
                return Refused(reason, message, retry_after=wait)
        return None

    def _quota_charge(self, caller: Caller) -> Callable[[], Awaitable[None]]:
        """Charged just before the LLM writes for this request; over the quota, it stops."""

        async def charge() -> None:
            limit = self._limits.daily_quota
            if caller.exempt or caller.user_id is None or limit <= 0:
                return
            wait = await self._state.use_daily_quota(caller.user_id, limit)
            if wait is not None:
                raise QuotaExceeded(limit=limit, seconds=wait)

        return charge

    def _minutes_charge(self, caller: Caller) -> Callable[[float], Awaitable[None]]:
        """Charged just before a recording is transcribed for this request (DAILY_MEDIA_MINUTES);
        negative seconds give back those of a recording that was not transcribed after all."""

        async def charge(seconds: float) -> None:
            limit = self._limits.daily_media_seconds
            if caller.exempt or caller.user_id is None or limit <= 0:
                return
            if seconds < 0:
                await self._state.give_back_media_seconds(caller.user_id, round(-seconds))
                return
            if seconds > limit:  # no day's allowance would do: say so, not "come back tomorrow"
                raise MediaQuotaExceeded(
                    key="err_media_over_daily",
                    minutes=math.ceil(seconds / 60),
                    limit=round(limit / 60),
                    detail=f"recording of {seconds:.0f} s over the daily {limit} s",
                )
            wait = await self._state.use_media_seconds(caller.user_id, round(seconds), limit)
            if wait is not None:
                raise MediaQuotaExceeded(
                    limit=round(limit / 60), detail=f"daily media quota of {limit} s reached"
                )

        return charge

    async def hear(self, source: MediaSource, caller: Caller) -> str:
        """The words of a spoken question (a short voice reply), through the minutes quota."""
        document = await self._skim.document(source, charge=self._minutes_charge(caller))
        return strip_markers(document.text)

    # The work, in its own task so that /cancel can stop it

    async def _working(
        self, caller: Caller, user_id: int | None, work: Callable[[Emit], Awaitable[Outcome]]
    ) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        language = caller.language

        async def body() -> None:
            try:
                queue.put_nowait(await work(queue.put_nowait))
            except QuotaExceeded as refusal:
                wait = wait_text(refusal.seconds, language)
                text = t(Refusal.QUOTA, language, limit=refusal.limit, wait=wait)
                queue.put_nowait(Refused(Refusal.QUOTA, text))
            except SkimError as error:
                log.info("request of chat %s failed: %s", caller.chat_id, error.detail)
                queue.put_nowait(Failed(error, error.message_for(language)))
            except (CancelledByUser, asyncio.CancelledError) as stop:
                by_user = isinstance(stop, CancelledByUser) or USER_CANCEL in stop.args
                why = "by the user" if by_user else "as the process stops"
                log.info("request of chat %s cancelled %s", caller.chat_id, why)
                queue.put_nowait(Cancelled(t("cancelled", language)))
            except Exception as error:  # a bug of ours: the user still gets a last word
                log.exception("request of chat %s failed unexpectedly", caller.chat_id)
                internal = SkimError(key="internal_error", detail=type(error).__name__)
                queue.put_nowait(Failed(internal, internal.message_for(language)))
            finally:
                queue.put_nowait(None)

        task = asyncio.create_task(body())
        if user_id is not None:
            self._running[user_id] = task
        self._metrics.in_flight.inc()
        self._working_now += 1
        started = time.monotonic()
        try:
            while (event := await queue.get()) is not None:
                yield event
        finally:
            self._working_now -= 1
            self._metrics.in_flight.dec()
            self._metrics.request_seconds.observe(time.monotonic() - started)
            if user_id is not None and self._running.get(user_id) is task:
                del self._running[user_id]
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _progress(self, caller: Caller, emit: Emit) -> Callable[[Progress], Awaitable[None]]:
        """Progress becomes events; a /cancel sent to another process is noticed here."""

        async def report(progress: Progress) -> None:
            if caller.user_id is not None and await self._state.cancelled(caller.user_id):
                raise CancelledByUser
            emit(self._stage(progress, caller))

        return report

    @staticmethod
    def _stage(progress: Progress, caller: Caller) -> StageChanged:
        return StageChanged(progress, status_text(progress, caller.language))

    @staticmethod
    def _streamer(emit: Emit) -> Callable[[str], Awaitable[None]]:
        pieces: list[str] = []

        async def on_text(piece: str) -> None:
            pieces.append(piece)
            emit(TextStreamed(preview("".join(pieces))))

        return on_text

    async def thread_document(self, thread: Thread, caller: Caller) -> Document:
        """The article (or transcript) a thread is about, for buttons, questions and the
        Transcript button: kept by its hash, else read again from its link (a recording
        transcribed again counts against the caller's minutes)."""
        document = await self._state.document(thread.content_hash)
        if document is None and thread.url:
            try:
                document = await self._skim.document(
                    UrlSource(thread.url), charge=self._minutes_charge(caller)
                )
            except MediaQuotaExceeded:
                raise
            except SkimError as error:
                log.info("could not read a thread's article again: %s", error.detail)
        if document is None:
            raise SkimError(key="thread_forgotten")
        return document


def _seen_options(about: Thread | Source) -> SummaryOptions | None:
    """The options of the summary a thread hangs under; the CLI's questions have none."""
    if not isinstance(about, Thread):
        return None
    return SummaryOptions(about.length, about.style, about.language)


_COUNTERS: dict[Surface, str | None] = {
    Surface.CHAT: "summaries",
    Surface.BUTTON: "summaries",
    Surface.INLINE: "inline_summaries",
    Surface.CLI: None,
}
