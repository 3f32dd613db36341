"""Inline mode: `@bot <link>` in any chat answers with the cached summary, or starts one.

The answer never waits for the work. A cached summary is offered at once; otherwise the answer
says "Summarizing…" with a deep link into the bot, and a background job fetches and summarizes
the link so that the next query (Telegram asks again once `cache_time` runs out) finds it.
Telegram sends a query per keystroke, so jobs wait a moment and give way to a newer query from
the same user. A "Summarizing…" message the user sends is edited into the summary when inline
feedback (`chosen_inline_result`) is enabled for the bot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlsplit

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResult,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import Application, ChosenInlineResultHandler, InlineQueryHandler

from bot.content.sites import bare_link
from bot.content.sources import UrlSource
from bot.content.urls import find_urls, normalize_url
from bot.i18n import pick_language, t
from bot.pipeline import Caller, Cancelled, Failed, Refused, Summarized, SummarizeRequest, Surface
from bot.render import TELEGRAM_LIMIT, escape, split_html, summary_lines, visible_text
from bot.values import SummaryOptions, SummaryResult
from handlers.addressing import is_admin
from handlers.context import Context
from handlers.deeplinks import (
    HELP_PAYLOAD,
    SUMMARY_PREFIX,
    deep_link,
    link_for,
    personal_options,
    remember_link,
    token_for,
)
from handlers.inline_jobs import NOTE_TTL, InlineJob, JobKey, Outcome

log = logging.getLogger(__name__)

# Seconds a job waits for the user to stop typing before it fetches anything.
DEBOUNCE = 0.6
# How long Telegram may reuse an answer: briefly while the summary is being made.
PENDING_CACHE_TIME = 2
READY_CACHE_TIME = 60
HELP_CACHE_TIME = 300
# Room kept under Telegram's limit for the "continues in the bot" note.
NOTE_ROOM = 160
DESCRIPTION_CHARS = 120
READY_PREFIX = "sum_"
PENDING_PREFIX = "wait_"
FAILED_PREFIX = "fail_"


def _job_key(user_id: int, normalized_url: str, options: SummaryOptions) -> JobKey:
    return (user_id, normalized_url, options)


def start_job(
    context: Context,
    key: JobKey,
    language: str,
    update: Update,
    *,
    debounce: bool,
    chosen: bool = False,
) -> InlineJob:
    """The running job for `key` (now answering this update too), or a new one; a `chosen`
    job fills in a sent message and runs to its end whatever the user types next."""
    jobs = context.bot_data.inline_jobs
    running = jobs.running(key)
    if running is not None:
        running.outcome.query = max(running.outcome.query, update.update_id)
        running.outcome.chosen |= chosen
        return running
    jobs.prune()
    outcome = Outcome(query=update.update_id, chosen=chosen)
    task = context.application.create_task(
        _summarize(context, outcome, key, language, debounce=debounce), update=update
    )
    job = jobs.jobs[key] = InlineJob(task, outcome)
    return job


async def _summarize(
    context: Context, outcome: Outcome, key: JobKey, language: str, *, debounce: bool
) -> SummaryResult | None:
    """Fetch and summarize within the user's limits; a failure is kept on the job."""
    user_id, url, options = key
    try:
        if debounce:
            await asyncio.sleep(DEBOUNCE)
            if context.bot_data.inline_jobs.superseded(user_id, outcome):
                return None  # the user kept typing: a newer query took over
        caller = Caller(user_id, language=language, exempt=is_admin(context, user_id))
        # Not exclusive: inline jobs are debounced per user instead, and run in the background.
        request = SummarizeRequest(
            UrlSource(url), options, caller, surface=Surface.INLINE, exclusive=False
        )
        done = await context.pipeline.outcome(request)
        if isinstance(done, Summarized):
            return done.result
        if isinstance(done, Refused | Failed | Cancelled):
            log.info("inline summary for user %s did not finish: %s", user_id, done.message)
            outcome.failure = done.message
            if isinstance(done, Refused) and done.retry_after is not None:
                outcome.failure_seconds = min(done.retry_after, NOTE_TTL)
        return None
    finally:
        outcome.finished_at = time.monotonic()


# Results


def _first_line(lines: list[str]) -> str:
    """The summary's first line of text as the result's description, which is plain text."""
    for line in lines:
        text = visible_text(line).removeprefix("• ").strip()
        if text and not line.startswith("<"):
            return text if len(text) <= DESCRIPTION_CHARS else text[: DESCRIPTION_CHARS - 1] + "…"
    return ""


def summary_message(result: SummaryResult, language: str) -> str:
    """The summary as one Telegram HTML message; a longer one is cut between lines, with a note."""
    lines = summary_lines(result.document, result.summary, language)
    parts = split_html(lines, TELEGRAM_LIMIT - NOTE_ROOM)
    text = parts[0]
    if len(parts) > 1:
        text += f"\n\n<i>{escape(t('inline_continued', language))}</i>"
    return text


def summary_markup(result: SummaryResult, link: str, language: str) -> InlineKeyboardMarkup:
    """URL buttons only: callback buttons can't find an inline message's thread."""
    source = result.document.link
    row = [InlineKeyboardButton(t("inline_ask_button", language), url=link)]
    if source:
        row.insert(0, InlineKeyboardButton(t("button_source", language), url=source))
    return InlineKeyboardMarkup([row])


def _title(result: SummaryResult, url: str) -> str:
    document = result.document
    return document.title or document.site_name or urlsplit(url).hostname or url


def ready_result(
    result: SummaryResult, url: str, payload: str, link: str, language: str
) -> InlineQueryResultArticle:
    lines = summary_lines(result.document, result.summary, language)
    return InlineQueryResultArticle(
        id=READY_PREFIX + payload.removeprefix(SUMMARY_PREFIX),
        title=_title(result, url),
        description=_first_line(lines[3:]) or None,
        input_message_content=InputTextMessageContent(
            summary_message(result, language),
        ),
        reply_markup=summary_markup(result, link, language),
    )


def pending_result(url: str, payload: str, link: str, language: str) -> InlineQueryResultArticle:
    text = f"{escape(url)}\n\n<i>{escape(t('inline_pending_message', language))}</i>"
    return InlineQueryResultArticle(
        id=PENDING_PREFIX + payload.removeprefix(SUMMARY_PREFIX),
        title=t("inline_summarizing", language),
        description=t("inline_summarizing_description", language),
        input_message_content=InputTextMessageContent(text),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(t("inline_read_button", language), url=link)]]
        ),
    )


def failed_result(url: str, reason: str, language: str) -> InlineQueryResultArticle:
    """Explains the failure; choosing it sends just the link."""
    return InlineQueryResultArticle(
        id=FAILED_PREFIX + token_for(url),
        title=t("inline_failed_title", language),
        description=reason,
        input_message_content=InputTextMessageContent(escape(url)),
    )


async def _answer(
    query: InlineQuery,
    results: list[InlineQueryResult],
    *,
    cache_time: int,
    button: InlineQueryResultsButton | None = None,
) -> None:
    try:
        await query.answer(results, cache_time=cache_time, is_personal=True, button=button)
    except TelegramError as error:
        log.info("could not answer an inline query: %s", error)


# Handlers


async def on_inline_query(update: Update, context: Context) -> None:
    """Answer at once: the cached summary, a recent failure, or "Summarizing…" and start work."""
    query = update.inline_query
    if query is None:
        return
    user = query.from_user
    language = pick_language(user.language_code)
    jobs = context.bot_data.inline_jobs
    jobs.saw(user.id, update.update_id)
    typed = bare_link(query.query)
    urls = find_urls(query.query) or ([typed] if typed is not None else [])
    if not urls:
        hint = "inline_no_link" if query.query.strip() else "inline_how_to"
        button = InlineQueryResultsButton(text=t(hint, language), start_parameter=HELP_PAYLOAD)
        await _answer(query, [], cache_time=HELP_CACHE_TIME, button=button)
        return
    try:
        url = normalize_url(urls[0])
    except ValueError:
        reason = t("inline_invalid_link", language)
        await _answer(query, [failed_result(urls[0], reason, language)], cache_time=HELP_CACHE_TIME)
        return
    skim = context.deps.skim
    options = await personal_options(context, user.id)
    key = _job_key(user.id, url, options)
    payload = await remember_link(context, url)
    link = deep_link(context.bot.username, payload)
    lookup = await skim.peek(UrlSource(url), options)
    recent = lookup.failure.message_for(language) if lookup.failure is not None else None
    if lookup.result is not None:
        result = ready_result(lookup.result, url, payload, link, language)
        await _answer(query, [result], cache_time=READY_CACHE_TIME)
    elif (failure := recent or jobs.failure(key)) is not None:
        await _answer(query, [failed_result(url, failure, language)], cache_time=PENDING_CACHE_TIME)
    else:
        button = InlineQueryResultsButton(
            text=t("inline_open_bot", language), start_parameter=payload
        )
        await _answer(
            query,
            [pending_result(url, payload, link, language)],
            cache_time=PENDING_CACHE_TIME,
            button=button,
        )
        start_job(context, key, language, update, debounce=True)
    await skim.state.bump("inline_queries", user_id=user.id)


async def on_chosen_result(update: Update, context: Context) -> None:
    """A "Summarizing…" message was sent: edit it into the summary once that is ready."""
    chosen = update.chosen_inline_result
    if (
        chosen is None
        or chosen.inline_message_id is None
        or not chosen.result_id.startswith(PENDING_PREFIX)
    ):
        return
    url = await link_for(context, chosen.result_id.removeprefix(PENDING_PREFIX))
    if url is None:
        return
    user = chosen.from_user
    language = pick_language(user.language_code)
    options = await personal_options(context, user.id)
    key = _job_key(user.id, url, options)
    skim = context.deps.skim
    result = (await skim.peek(UrlSource(url), options)).result
    failure: str | None = None
    if result is None:
        job = start_job(context, key, language, update, debounce=False, chosen=True)
        result = await asyncio.shield(job.task)
        failure = job.outcome.failure
    if result is None:
        failure = failure or await skim.recent_failure(UrlSource(url), language)
        if failure is None:
            return  # nothing to say (a chosen job is never superseded)
        text = f"{escape(url)}\n\n<i>{escape(failure)}</i>"
        markup = None
    else:
        payload = SUMMARY_PREFIX + chosen.result_id.removeprefix(PENDING_PREFIX)
        text = summary_message(result, language)
        markup = summary_markup(result, deep_link(context.bot.username, payload), language)
    try:
        await context.bot.edit_message_text(
            text,
            inline_message_id=chosen.inline_message_id,
            reply_markup=markup,
        )
    except TelegramError as error:
        log.info("could not fill in an inline message: %s", error)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Inline queries and, when inline feedback is on, the results users chose."""
    app.add_handler(InlineQueryHandler(on_inline_query))
    app.add_handler(ChosenInlineResultHandler(on_chosen_result))
