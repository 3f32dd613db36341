"""The request pipeline every surface shares: limits, status, streaming, final message, thread.

Handlers parse an update into a `Job` and call `deliver_summary` or `deliver_answer`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from urllib.parse import urlsplit

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError

from bot.content.document import Document
from bot.content.sources import Source, UrlSource
from bot.errors import SkimError
from bot.i18n import t
from bot.render import html_parts, split_html, summary_lines, summary_plain
from bot.store.state import Prefs, Thread
from bot.values import Progress, Requester, Summary, SummaryOptions, SummaryResult
from handlers.context import Context, deps_of
from handlers.keyboards import summary_keyboard
from handlers.repeats import message_link, remember_summary, repeat_key
from handlers.status import StatusMessage, typing

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
RUNNING_KEY = "running"


class CancelledByUser(Exception):
    """/cancel was sent while this request ran."""


@dataclass
class Job:
    """One request: what to read, where to answer, for whom."""

    chat_id: int
    source: Source | None = None
    user_id: int | None = None
    language: str = "en"
    reply_to: int | None = None
    thread_id: int | None = None
    group: bool = False
    options: SummaryOptions = field(default_factory=SummaryOptions)
    exempt: bool = False
    channel: bool = False  # subscribers can't use buttons meant for the requester
    quiet: bool = False  # nobody asked (auto-summaries): failures are logged, not posted
    chat_type: str = ChatType.PRIVATE
    chat_username: str | None = None

    @property
    def requester(self) -> Requester:
        return Requester(self.user_id, self.chat_id)


def options_from(context: Context, prefs: Prefs) -> SummaryOptions:
    """The chat's saved choices over the operator's defaults."""
    settings = deps_of(context).settings
    return SummaryOptions(
        length=prefs.length or settings.summary_length,
        style=prefs.style or settings.summary_style,
        language=prefs.language or settings.summary_language,
    )


def wait_text(seconds: float, language: str) -> str:
    seconds = max(1, round(seconds))
    if seconds < 90:
        return t("seconds", language, n=seconds)
    if seconds < 5400:
        return t("minutes", language, n=round(seconds / 60))
    return t("hours", language, n=round(seconds / 3600))


def is_group(chat_type: str) -> bool:
    return chat_type in (ChatType.GROUP, ChatType.SUPERGROUP)


async def send_text(
    context: Context, job: Job, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """A short plain reply (with an optional keyboard) in the job's chat and topic."""
    try:
        return await context.bot.send_message(
            job.chat_id,
            text,
            message_thread_id=job.thread_id,
            reply_parameters=_reply(job.reply_to),
            link_preview_options=NO_PREVIEW,
            reply_markup=markup,
        )
    except TelegramError as error:
        log.info("could not reply in chat %s: %s", job.chat_id, error)
        return None


def _reply(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id, allow_sending_without_reply=True)


async def _send_parts(
    context: Context, job: Job, parts: list[str], markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send HTML parts in order: the first replies to the request, the last carries `markup`."""
    sent: Message | None = None
    for index, part in enumerate(parts):
        sent = await context.bot.send_message(
            job.chat_id,
            part,
            parse_mode=ParseMode.HTML,
            message_thread_id=job.thread_id,
            reply_parameters=_reply(job.reply_to) if index == 0 else None,
            link_preview_options=NO_PREVIEW,
            reply_markup=markup if index == len(parts) - 1 else None,
        )
    return sent


async def send_html(
    context: Context,
    job: Job,
    lines: list[str],
    plain: Callable[[], str],
    markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Send HTML split to the limit (keyboard on the last part); plain text on a parse error.

    `plain` is rendered only for that fallback, so a cache hit renders its summary once.
    """
    try:
        return await _send_parts(context, job, split_html(lines), markup)
    except BadRequest as error:
        if "parse" not in str(error).lower():
            raise
        log.warning("Telegram refused our HTML (%s); re-sending as plain text", error)
    return await _send_parts(context, job, html_parts(plain()), markup)


async def admit(context: Context, job: Job) -> str | None:
    """Rate limits for the user and the chat; a refusal text, or None to go ahead."""
    if job.exempt:
        return None
    deps = deps_of(context)
    settings = deps.settings
    state = deps.skim.state
    if job.user_id is not None:
        wait = await state.take_token(
            "user", job.user_id, settings.rate_limit_user_burst, settings.rate_limit_user_per_minute
        )
        if wait > 0:
            return t("rate_limited", job.language, wait=wait_text(wait, job.language))
    if job.group:
        wait = await state.take_token(
            "chat", job.chat_id, settings.rate_limit_chat_burst, settings.rate_limit_chat_per_minute
        )
        if wait > 0:
            return t("chat_rate_limited", job.language, wait=wait_text(wait, job.language))
    return None


@contextlib.asynccontextmanager
async def one_at_a_time(context: Context, job: Job) -> AsyncIterator[bool]:
    """Yields False when the user already has a request in flight; registers for /cancel."""
    state = deps_of(context).skim.state
    if job.user_id is None:
        yield True
        return
    owner = await state.begin_request(job.user_id)
    if owner is None:
        yield False
        return
    running: dict[int, asyncio.Task[object]] = context.bot_data.setdefault(RUNNING_KEY, {})
    task = asyncio.current_task()
    if task is not None:
        running[job.user_id] = task
    try:
        yield True
    finally:
        if running.get(job.user_id) is task:
            running.pop(job.user_id, None)
        await state.end_request(job.user_id, owner)


@contextlib.asynccontextmanager
async def admitted(context: Context, job: Job) -> AsyncIterator[bool]:
    """The rate limits, then one request at a time; yields False once the user is told why not."""
    refusal = await admit(context, job)
    if refusal is not None:
        await _finish_with(context, job, None, refusal)
        yield False
        return
    async with one_at_a_time(context, job) as free:
        if not free:
            await _finish_with(context, job, None, t("busy", job.language))
        yield free


async def _post_status(context: Context, job: Job, text: str) -> StatusMessage | None:
    """The request's status message, in its chat and topic, under the request."""
    return await StatusMessage.send(
        context.bot,
        job.chat_id,
        text,
        reply_to=job.reply_to,
        thread_id=job.thread_id,
        group=job.group,
    )


def status_text(progress: Progress, language: str) -> str:
    if progress.stage == "fetching":
        return t("status_fetching", language, site=progress.detail)
    if progress.stage == "summarizing" and progress.parts > 1:
        return t("status_summarizing_part", language, part=progress.part, parts=progress.parts)
    if progress.stage == "combining":
        return t("status_combining", language, parts=progress.parts)
    if progress.stage == "summarizing":
        return t("status_summarizing", language)
    return t("status_reading", language)


def first_status(job: Job) -> str:
    if isinstance(job.source, UrlSource):
        host = urlsplit(job.source.url).hostname or job.source.url
        return t("status_fetching", job.language, site=host.removeprefix("www."))
    return t("status_reading", job.language)


async def send_summary_message(context: Context, job: Job, result: SummaryResult) -> Message | None:
    """The final summary with its keyboard; records the thread so replies can ask questions.

    In a group it also records the link (and the page's canonical link) for the repeat check:
    the canonical link is known here, so it need not be read back from the saved thread.
    """
    document, summary = result.document, result.summary
    link = document.canonical_url or document.url
    markup = summary_keyboard(link, job.language, interactive=not job.channel)
    # In a one-to-one chat the summary follows the link it answers; quoting it only adds weight.
    target = job if job.group or job.channel else replace(job, reply_to=None)
    sent = await send_html(
        context,
        target,
        summary_lines(document, summary, job.language),
        partial(summary_plain, document, summary, job.language),
        markup,
    )
    if sent is not None:
        await remember_thread(context, job, document, sent.message_id)
        repeated = repeat_key(job.source, group=job.group, channel=job.channel)
        if repeated is not None:
            state = deps_of(context).skim.state
            await remember_summary(state, job.chat_id, repeated, sent.message_id, link)
    return sent


# A summary's thread is written just after Telegram confirms the message: a reply or a button
# press can arrive in between. A just-sent bot message with no thread yet is waited for briefly.
THREAD_SETTLE_SECONDS = 2.0
THREAD_POLL_SECONDS = 0.05


async def thread_of(context: Context, message: Message) -> Thread | None:
    """The thread under one of the bot's messages (a summary, an answer, an Ask prompt)."""
    state = deps_of(context).skim.state
    thread = await state.thread(message.chat.id, message.message_id)
    from_bot = message.from_user is not None and message.from_user.id == context.bot.id
    if thread is not None or not from_bot:
        return thread
    age = (datetime.now(UTC) - message.date).total_seconds()
    deadline = asyncio.get_running_loop().time() + max(0.0, THREAD_SETTLE_SECONDS - age)
    while thread is None and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(THREAD_POLL_SECONDS)
        thread = await state.thread(message.chat.id, message.message_id)
    return thread


async def remember_thread(
    context: Context,
    job: Job,
    document: Document,
    message_id: int,
    turns: list[list[str]] | None = None,
) -> None:
    state = deps_of(context).skim.state
    await state.keep_document(document)
    await state.save_thread(
        job.chat_id,
        message_id,
        Thread(
            content_hash=document.content_hash,
            title=document.title,
            url=document.canonical_url or document.url,
            user_id=job.user_id,
            length=job.options.length,
            style=job.options.style,
            language=job.options.language,
            turns=turns or [],
        ),
    )


async def deliver_summary(context: Context, job: Job) -> Message | None:
    """Summarize `job.source` with status, streaming and limits; returns the summary message.

    In a group, a link summarized there within the day gets a pointer to that summary instead.
    """
    assert job.source is not None
    repeated = repeat_key(job.source, group=job.group, channel=job.channel)
    if repeated is not None:
        earlier = await deps_of(context).skim.state.earlier_summary(job.chat_id, repeated)
        if earlier is not None:
            await point_to_earlier(context, job, earlier)
            return None
    return await _deliver(context, job)


async def deliver_links(
    context: Context, job: Job, urls: Sequence[str], *, note_rest: bool = True
) -> None:
    """Summarize the first few links of a message in turn; `note_rest`: say how many were left."""
    limit = deps_of(context).settings.max_links_per_message
    for url in urls[:limit]:
        job.source = UrlSource(url)
        await deliver_summary(context, job)
    if note_rest and len(urls) > limit:
        await send_text(context, job, t("more_links", job.language, total=len(urls), limit=limit))


async def point_to_earlier(context: Context, job: Job, earlier: int) -> None:
    """Reply with a link to the earlier summary (basic groups: reply to the summary itself)."""
    link = message_link(job.chat_id, job.chat_type, job.chat_username, earlier)
    if link is not None:
        sent = await send_text(context, job, t("group_link_seen", job.language, link=link))
    else:
        pointer = replace(job, reply_to=earlier)
        sent = await send_text(context, pointer, t("group_link_seen_above", job.language))
    if sent is None:
        return
    # Questions in reply to the pointer are about the same article.
    state = deps_of(context).skim.state
    thread = await state.thread(job.chat_id, earlier)
    if thread is not None:
        await state.save_thread(job.chat_id, sent.message_id, thread)


async def _deliver(context: Context, job: Job) -> Message | None:
    assert job.source is not None
    skim = deps_of(context).skim
    cached = await skim.peek(job.source, job.options)
    if cached is not None:
        return await send_summary_message(context, job, cached)
    async with admitted(context, job) as go:
        result = await _summarize_with_status(context, job) if go else None
    # Sent once the request is over: a user who answers the summary at once is not "busy".
    return None if result is None else await send_summary_message(context, job, result)


def quota_gate(context: Context, job: Job) -> Callable[[Progress], Awaitable[None]]:
    """A progress callback that charges the daily quota once, when the LLM is about to write.

    A summary served from the cache never reaches that stage, so it costs nothing; over the
    quota, the work stops with the refusal as a SkimError.
    """
    charged = False

    async def charge(event: Progress) -> None:
        nonlocal charged
        if event.stage != "summarizing" or charged:
            return
        charged = True
        refusal = await quota_refusal(context, job)
        if refusal is not None:
            raise SkimError(refusal, detail="daily quota reached")

    return charge


async def quota_refusal(context: Context, job: Job) -> str | None:
    """One LLM summary against the user's daily quota; a refusal text once that is used up."""
    deps = deps_of(context)
    limit = deps.settings.daily_summary_quota
    if job.exempt or job.user_id is None or deps.llm is None or limit <= 0:
        return None
    wait = await deps.skim.state.use_daily_quota(job.user_id, limit)
    if wait is None:
        return None
    return t("quota_reached", job.language, limit=limit, wait=wait_text(wait, job.language))


async def _summarize_with_status(context: Context, job: Job) -> SummaryResult | None:
    assert job.source is not None
    deps = deps_of(context)
    state = deps.skim.state
    status = await _post_status(context, job, first_status(job))
    streamed: list[str] = []
    charge_quota = quota_gate(context, job)

    async def progress(event: Progress) -> None:
        if job.user_id is not None and await state.cancelled(job.user_id):
            raise CancelledByUser
        await charge_quota(event)
        if status is not None and not streamed:
            status.show(status_text(event, job.language))

    async def on_text(piece: str) -> None:
        streamed.append(piece)
        if status is not None:
            status.show("".join(streamed))

    try:
        async with typing(context.bot, job.chat_id, job.thread_id):
            result = await deps.skim.summarize(
                job.source, job.options, progress=progress, on_text=on_text, requester=job.requester
            )
    except SkimError as error:
        log.info("request in chat %s failed: %s", job.chat_id, error.detail)
        await _finish_with(context, job, status, error.message_for(job.language))
        await state.bump("errors")
        return None
    except (CancelledByUser, asyncio.CancelledError):
        log.info("request in chat %s cancelled by the user", job.chat_id)
        await _finish_with(context, job, status, t("cancelled", job.language))
        return None
    if status is not None:
        await status.delete()
    await state.bump("summaries", user_id=job.user_id)
    return result


async def _finish_with(context: Context, job: Job, status: StatusMessage | None, text: str) -> None:
    """The request's last word: a failure or refusal, in place of its status message.

    Nobody asked for a quiet job (auto-summaries): its failures are logged, not posted.
    """
    if job.quiet:
        log.info("not posting to chat %s, nobody asked: %s", job.chat_id, text)
        if status is not None:
            await status.delete()
        return
    if status is not None:
        await status.replace(text)
    else:
        await send_text(context, job, text)


async def deliver_answer(
    context: Context, job: Job, thread: Thread, question: str
) -> Message | None:
    """Answer a question about a thread's document; the answer is itself replyable."""
    deps = deps_of(context)
    try:
        document = await thread_document(context, thread)
    except SkimError:
        document = None
    if document is None:
        await send_text(context, job, t("thread_forgotten", job.language))
        return None
    async with admitted(context, job) as go:
        if not go:
            return None
        status = await _post_status(context, job, t("status_answering", job.language))
        streamed: list[str] = []

        async def on_text(piece: str) -> None:
            streamed.append(piece)
            if status is not None:
                status.show("".join(streamed))

        history = thread.history(deps.settings.qa_history_turns)
        try:
            _, answer = await deps.skim.ask(
                document, question, history, on_text=on_text, requester=job.requester
            )
        except SkimError as error:
            log.info("question in chat %s failed: %s", job.chat_id, error.detail)
            await _finish_with(context, job, status, error.message_for(job.language))
            return None
        except asyncio.CancelledError:
            await _finish_with(context, job, status, t("cancelled", job.language))
            return None
        if status is not None:
            await status.delete()
    # Escaped plain text: no markup for Telegram to refuse, so no plain-text fallback to try.
    sent = await _send_parts(context, job, html_parts(answer.text))
    if sent is not None:
        turns = [*thread.turns, [question, answer.text]]
        await deps.skim.state.save_thread(
            job.chat_id, sent.message_id, replace(thread, turns=turns)
        )
    return sent


async def thread_document(context: Context, thread: Thread) -> Document | None:
    """The article a thread is about: kept by its hash, else read again from its link."""
    deps = deps_of(context)
    document = await deps.skim.state.document(thread.content_hash)
    if document is None and thread.url:
        document = await deps.skim.document(UrlSource(thread.url))
    return document


async def rerender(context: Context, message: Message, thread: Thread, job: Job) -> Summary | None:
    """Summarize a thread's document again with `job.options` and edit the message in place.

    A version already in the cache costs nothing; one the LLM must write passes the same gate
    as a new link: the rate limits, one request at a time (and /cancel), the daily quota.
    """
    deps = deps_of(context)
    document = await thread_document(context, thread)
    if document is None:
        raise SkimError(t("thread_forgotten", job.language))
    result = await deps.skim.peek_document(document, job.options)
    if result is None:
        async with admitted(context, job) as go:
            result = await _resummarize(context, job, document) if go else None
    if result is None:
        return None
    await _edit_summary(context, message, result, job.language)
    thread.length, thread.style = job.options.length, job.options.style
    thread.language = job.options.language
    await deps.skim.state.save_thread(message.chat_id, message.message_id, thread)
    return result.summary


async def _resummarize(context: Context, job: Job, document: Document) -> SummaryResult | None:
    """A new version by the LLM, charged to the daily quota only if it is really written."""
    deps = deps_of(context)
    try:
        result = await deps.skim.summarize_document(
            document, job.options, progress=quota_gate(context, job), requester=job.requester
        )
    except SkimError as error:
        log.info("button re-render in chat %s failed: %s", job.chat_id, error.detail)
        await _finish_with(context, job, None, error.message_for(job.language))
        return None
    except asyncio.CancelledError:
        log.info("button re-render in chat %s cancelled by the user", job.chat_id)
        await _finish_with(context, job, None, t("cancelled", job.language))
        return None
    if not result.cached:
        await deps.skim.state.bump("summaries", user_id=job.user_id)
    return result


async def _edit_summary(
    context: Context, message: Message, result: SummaryResult, language: str
) -> None:
    document, summary = result.document, result.summary
    parts = split_html(summary_lines(document, summary, language))
    markup = summary_keyboard(document.canonical_url or document.url, language)
    try:
        await message.edit_text(
            parts[0],
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=markup,
        )
    except BadRequest as error:
        if "not modified" in str(error).lower():
            return
        if "parse" not in str(error).lower():
            raise
        await message.edit_text(
            html_parts(summary_plain(document, summary, language))[0],
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
