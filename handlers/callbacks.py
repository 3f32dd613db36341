"""Summary buttons: Shorter, Longer, Translate (+ language picker) and Ask a question."""

from __future__ import annotations

import logging

from telegram import ForceReply, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler

from bot.errors import SkimError
from bot.i18n import t
from bot.values import SummaryOptions
from handlers.context import Context, deps_of
from handlers.flow import Job, is_group, rerender, thread_of
from handlers.jobs import interface_language, is_admin
from handlers.keyboards import (
    ASK,
    BACK,
    LONGER,
    SHORTER,
    TRANSLATE,
    TRANSLATE_TO,
    language_keyboard,
    summary_keyboard,
)

log = logging.getLogger(__name__)
LENGTH_STEPS = ("short", "medium", "long")


async def on_button(update: Update, context: Context) -> None:
    """Re-render the summary under the pressed button, from the cache where possible."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    language = interface_language(update)
    message = query.message
    if not isinstance(message, Message):  # None, or too old for the bot to see
        await query.answer()
        return
    state = deps_of(context).skim.state
    thread = await thread_of(context, message)
    if thread is None:
        await query.answer(t("thread_forgotten", language), show_alert=True)
        return
    data = query.data
    options = SummaryOptions(thread.length, thread.style, thread.language)
    if data == ASK:
        await query.answer()
        prompt = await context.bot.send_message(
            message.chat.id,
            t("ask_prompt", language),
            reply_to_message_id=message.message_id,
            reply_markup=ForceReply(selective=True),
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
        )
        # A reply to the prompt is a question about the same article.
        await state.save_thread(message.chat.id, prompt.message_id, thread)
        return
    if data in (SHORTER, LONGER):
        step = LENGTH_STEPS.index(options.length) + (-1 if data == SHORTER else 1)
        if not 0 <= step < len(LENGTH_STEPS):
            await query.answer(
                t("already_shortest" if data == SHORTER else "already_longest", language)
            )
            return
        options = SummaryOptions(LENGTH_STEPS[step], options.style, options.language)
    elif data == TRANSLATE:
        await query.answer()
        await _edit_markup(message, language_keyboard())
        return
    elif data == BACK:
        await query.answer()
        await _edit_markup(message, summary_keyboard(thread.url, language))
        return
    elif data.startswith(TRANSLATE_TO):
        options = SummaryOptions(options.length, options.style, data.removeprefix(TRANSLATE_TO))
    else:
        await query.answer()
        return
    await query.answer(t("status_summarizing", language))
    user = query.from_user
    job = Job(
        chat_id=message.chat.id,
        user_id=user.id,
        language=language,
        reply_to=message.message_id,
        thread_id=message.message_thread_id if message.is_topic_message else None,
        group=is_group(message.chat.type),
        options=options,
        exempt=is_admin(context, user.id),
        chat_type=message.chat.type,
        chat_username=message.chat.username,
    )
    try:
        await rerender(context, message, thread, job)
    except SkimError as error:
        log.info("button re-render failed: %s", error.detail)
        await context.bot.send_message(
            message.chat.id, error.message_for(language), reply_to_message_id=message.message_id
        )


async def _edit_markup(message: Message, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await message.edit_reply_markup(markup)
    except TelegramError as error:
        log.info("could not change the keyboard: %s", error)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^sk:"))
