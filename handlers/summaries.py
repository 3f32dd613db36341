"""Rendering a request's events into Telegram messages: status, summary, answer, re-render.

Every decision about whether and how a request runs is the core pipeline's (`bot.pipeline`);
this module only shows what happens: a status message that follows the stages and the streamed
text, then the result in its place, or the refusal or failure as the request's last word.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial

from telegram import Message
from telegram.error import BadRequest

from bot.content.sources import UrlSource
from bot.i18n import pick_language, t
from bot.pipeline import (
    Answered,
    AskRequest,
    Cancelled,
    Failed,
    Outcome,
    Refused,
    Request,
    ResummarizeRequest,
    StageChanged,
    Summarized,
    SummarizeRequest,
    TextStreamed,
)
from bot.render import answer_parts, answer_plain, answer_text, html_parts, summary_view
from bot.store.state import Thread
from bot.values import SummaryResult
from handlers.addressing import Delivery
from handlers.context import Context
from handlers.keyboards import summary_keyboard
from handlers.repeats import message_link, remember_summary, repeat_key
from handlers.replies import send_html, send_parts, send_text
from handlers.status import StatusMessage

log = logging.getLogger(__name__)


class _Progress:
    """The status message of one request: posted at the first stage, then kept current.

    It is the request's only sign of work: no "typing…" chat action on top, which would cost a
    Bot API call every few seconds and show nothing the status message does not.
    """

    def __init__(self, context: Context, delivery: Delivery):
        self._context = context
        self._delivery = delivery
        self.status: StatusMessage | None = None
        self._posted = self._streamed = False

    async def show(self, event: StageChanged | TextStreamed) -> None:
        delivery = self._delivery
        if isinstance(event, TextStreamed):
            self._streamed = True
        text = event.text
        if not self._posted:
            self._posted = True
            self.status = await StatusMessage.send(
                self._context.bot,
                delivery.chat_id,
                text,
                reply_to=delivery.reply_to,
                thread_id=delivery.thread_id,
                group=delivery.group,
                clock=self._context.bot_data.edit_clock,
            )
            if self.status is not None:
                # Should this process die now, another one finishes the message (app.py).
                message_id = self.status.message.message_id
                await self._context.pipeline.track_status(
                    delivery.chat_id, message_id, delivery.language
                )
        elif self.status is not None and (isinstance(event, TextStreamed) or not self._streamed):
            self.status.show(text)


@dataclass(frozen=True)
class Done:
    """A request's result, and its status message (deleted by now, still tracked by the core
    until the result is delivered)."""

    outcome: Summarized | Answered
    status_id: int | None = None


async def run_request(
    context: Context, delivery: Delivery, request: Request, *, show_status: bool = True
) -> Done | None:
    """Run a request, showing its progress; its result, or None once the user was told why not.

    The status message appears with the first stage (never for a cached summary) and is
    deleted before the result is sent, or replaced by a refusal, failure or "Stopped.".
    """
    outcome: Outcome | None = None
    progress = _Progress(context, delivery)
    async for event in context.pipeline.run(request):
        if not isinstance(event, StageChanged | TextStreamed):
            outcome = event
        elif show_status:
            await progress.show(event)
    status = progress.status
    if isinstance(outcome, Summarized | Answered):
        if status is None:
            return Done(outcome)
        await status.delete()
        return Done(outcome, status.message.message_id)
    if outcome is not None:
        await _finish_with(context, delivery, status, outcome)
    if status is not None:
        await context.pipeline.untrack_status(delivery.chat_id, status.message.message_id)
    return None


async def _finish_with(
    context: Context,
    delivery: Delivery,
    status: StatusMessage | None,
    outcome: Refused | Failed | Cancelled,
) -> None:
    """The request's last word, in place of its status message.

    Nobody asked for a quiet delivery (auto-summaries): its failures are logged, not posted.
    """
    if delivery.quiet:
        log.info("not posting to chat %s, nobody asked: %s", delivery.chat_id, outcome.message)
        if status is not None:
            await status.delete()
        return
    if status is None or not await status.replace(outcome.message):
        await send_text(context, delivery, outcome.message)


# Summaries


# Seconds an auto-summary holds its link in a chat: longer than a summary takes, after which
# the link's recorded summary answers repeats.
AUTO_CLAIM_SECONDS = 180


async def deliver_summary(context: Context, delivery: Delivery) -> Message | None:
    """Summarize `delivery.source` and send it; returns the summary message.

    In a group, a link summarized there within the day gets a pointer to that summary instead.
    """
    assert delivery.source is not None
    repeated = repeat_key(delivery.source, group=delivery.group, channel=delivery.channel)
    if repeated is not None:
        earlier = await context.state.earlier_summary(delivery.chat_id, repeated)
        if earlier is not None:
            await point_to_earlier(context, delivery, earlier)
            return None
        if delivery.quiet and not await context.state.claim_auto_summary(
            delivery.chat_id, repeated, ttl=AUTO_CLAIM_SECONDS
        ):
            log.info("chat %s: a link posted twice at once is summarized once", delivery.chat_id)
            return None
    request = SummarizeRequest(delivery.source, delivery.options, delivery.caller)
    # No status in a channel: each message there is a post every subscriber sees.
    done = await run_request(context, delivery, request, show_status=not delivery.channel)
    # Sent once the request is over: a user who answers the summary at once is not "busy".
    if done is None or not isinstance(done.outcome, Summarized):
        return None
    return await send_summary_message(context, delivery, done.outcome.result, done.status_id)


async def deliver_links(
    context: Context, delivery: Delivery, urls: Sequence[str], *, note_rest: bool = True
) -> None:
    """Summarize the first few links of a message in turn; `note_rest`: say how many were left."""
    limit = context.deps.settings.max_links_per_message
    for url in urls[:limit]:
        delivery.source = UrlSource(url)
        await deliver_summary(context, delivery)
    if note_rest and len(urls) > limit:
        text = t("more_links", delivery.language, total=len(urls), limit=limit)
        await send_text(context, delivery, text)


async def point_to_earlier(context: Context, delivery: Delivery, earlier: int) -> None:
    """Reply with a link to the earlier summary (basic groups: reply to the summary itself)."""
    link = message_link(delivery.chat_id, delivery.chat_type, delivery.chat_username, earlier)
    if link is not None:
        sent = await send_text(
            context, delivery, t("group_link_seen", delivery.language, link=link)
        )
    else:
        pointer = replace(delivery, reply_to=earlier)
        sent = await send_text(context, pointer, t("group_link_seen_above", delivery.language))
    if sent is None:
        return
    # Questions in reply to the pointer are about the same article.
    thread = await context.state.thread(delivery.chat_id, earlier)
    if thread is not None:
        await context.state.save_thread(delivery.chat_id, sent.message_id, thread)


async def send_summary_message(
    context: Context, delivery: Delivery, result: SummaryResult, status_id: int | None = None
) -> Message | None:
    """The final summary with its keyboard; records the thread so replies can ask questions.

    In a group it also records the link (and the page's canonical link) for the repeat check:
    the canonical link is known here, so it need not be read back from the saved thread.
    """
    language = delivery.language
    if delivery.channel and delivery.options.language == "auto":
        # No one asked in a language of their own: the labels ("min read", "Open source")
        # follow the summary, which is in the article's language.
        language = pick_language(result.document.language)
    view = summary_view(result.document, result.summary, language)
    markup = summary_keyboard(
        view.link,
        language,
        interactive=not delivery.channel,
        transcript=view.transcript,
    )
    # In a one-to-one chat the summary follows the link it answers; quoting it only adds weight.
    target = delivery if delivery.group or delivery.channel else replace(delivery, reply_to=None)
    sent = await send_html(context, target, view.parts, view.plain, markup)
    if sent is not None:
        await context.pipeline.keep_thread(
            delivery.chat_id,
            sent.message_id,
            result,
            delivery.options,
            delivery.user_id,
            status=status_id,
        )
        repeated = repeat_key(delivery.source, group=delivery.group, channel=delivery.channel)
        if repeated is not None:
            await remember_summary(
                context.state, delivery.chat_id, repeated, sent.message_id, view.link
            )
    return sent


# Threads: questions and buttons under a summary

# A summary's thread is written just after Telegram confirms the message: a reply or a button
# press can arrive in between. A just-sent bot message with no thread yet is waited for briefly.
THREAD_SETTLE_SECONDS = 2.0
THREAD_POLL_SECONDS = 0.05


async def thread_of(context: Context, message: Message) -> Thread | None:
    """The thread under one of the bot's messages (a summary, an answer, an Ask prompt)."""
    state = context.state
    thread = await state.thread(message.chat.id, message.message_id)
    from_bot = message.from_user is not None and message.from_user.id == context.bot.id
    if thread is not None or not from_bot:
        return thread
    age = (datetime.now(UTC) - message.date).total_seconds()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(0.0, THREAD_SETTLE_SECONDS - age)
    while thread is None and loop.time() < deadline:
        await asyncio.sleep(THREAD_POLL_SECONDS)
        thread = await state.thread(message.chat.id, message.message_id)
    return thread


async def deliver_answer(
    context: Context, delivery: Delivery, thread: Thread, question: str
) -> Message | None:
    """Answer a question about a thread's article; the answer is itself replyable."""
    done = await run_request(context, delivery, AskRequest(thread, question, delivery.caller))
    if done is None or not isinstance(done.outcome, Answered):
        return None
    if done.status_id is not None:
        await context.pipeline.untrack_status(delivery.chat_id, done.status_id)
    answered = done.outcome
    text = answer_text(answered.answer, delivery.language)
    quoted = answered.answer.extractive  # the article's own words, not Markdown
    parts = answer_parts(text, answered.document, verbatim=quoted)
    sent = await send_html(context, delivery, parts, partial(answer_plain, text, verbatim=quoted))
    if sent is not None and answered.thread is not None:
        await context.state.save_thread(delivery.chat_id, sent.message_id, answered.thread)
    return sent


async def rerender(
    context: Context, message: Message, thread: Thread, delivery: Delivery
) -> SummaryResult | None:
    """The thread's article again with `delivery.options`, edited into `message` in place."""
    request = ResummarizeRequest(thread, delivery.options, delivery.caller)
    done = await run_request(context, delivery, request, show_status=False)
    if done is None or not isinstance(done.outcome, Summarized):
        return None
    result = done.outcome.result
    keyboard = await _edit_summary(context, message, result, delivery)
    options = delivery.options
    changed = replace(thread, length=options.length, style=options.style, language=options.language)
    await context.state.save_thread(message.chat_id, message.message_id, changed)
    if keyboard is not None and keyboard.message_id != message.message_id:
        await context.state.save_thread(keyboard.chat_id, keyboard.message_id, changed)
    return result


async def _edit_summary(
    context: Context, message: Message, result: SummaryResult, delivery: Delivery
) -> Message | None:
    """The new version edited into `message`; a version too long for one message goes on in
    replies to it, the keyboard under the last. Returns the message with the keyboard."""
    language = delivery.language
    view = summary_view(result.document, result.summary, language)
    markup = summary_keyboard(view.link, language, transcript=view.transcript)
    head, rest = view.parts[0], view.parts[1:]
    try:
        await message.edit_text(head, reply_markup=None if rest else markup)
    except BadRequest as error:
        if "not modified" in str(error).lower():
            return message
        if "parse" not in str(error).lower():
            raise
        plain = html_parts(view.plain())
        head, rest = plain[0], plain[1:]
        await message.edit_text(head, reply_markup=None if rest else markup)
    if not rest:
        return message
    return await send_parts(context, replace(delivery, reply_to=message.message_id), rest, markup)
