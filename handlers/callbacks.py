"""Summary buttons, one handler per kind: Shorter/Longer, Translate (+ language), Back, Ask.

Each is routed by its callback data's `pattern`; the thread under the pressed message says
which article and options the summary has.
"""

from __future__ import annotations

import logging
import re

from telegram import CallbackQuery, ForceReply, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler

from bot.content.urls import link_url
from bot.i18n import t
from bot.i18n.languages import language_label
from bot.store.state import Thread
from bot.values import SummaryOptions
from handlers.addressing import Delivery, interface_language, is_admin, is_group
from handlers.context import Context
from handlers.keyboards import (
    ASK,
    BACK,
    LONGER,
    SHORTER,
    TRANSLATE,
    TRANSLATE_TO,
    TRANSLATION_TARGETS,
    language_keyboard,
    summary_keyboard,
)
from handlers.replies import answer_press, plain, reply_to
from handlers.summaries import rerender, thread_of

log = logging.getLogger(__name__)
LENGTH_STEPS = ("short", "medium", "long")


async def _pressed(
    update: Update, context: Context
) -> tuple[CallbackQuery, Message, Thread] | None:
    """The press, the summary message it is under, and that message's thread.

    None once the press is answered: a message too old to see, or a forgotten thread.
    """
    query = update.callback_query
    assert query is not None
    message = query.message
    if not isinstance(message, Message):  # None, or too old for the bot to see
        await answer_press(query)
        return None
    thread = await thread_of(context, message)
    if thread is None:
        language = interface_language(update)
        await answer_press(query, t("thread_forgotten", language), alert=True)
        return None
    return query, message, thread


async def on_length(update: Update, context: Context) -> None:
    """Shorter or Longer: the next length step, from the cache where possible."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return
    query, message, thread = pressed
    shorter = query.data == SHORTER
    step = LENGTH_STEPS.index(thread.length) + (-1 if shorter else 1)
    if not 0 <= step < len(LENGTH_STEPS):
        language = interface_language(update)
        await answer_press(query, t("already_shortest" if shorter else "already_longest", language))
        return
    options = SummaryOptions(LENGTH_STEPS[step], thread.style, thread.language)
    await _rerender(update, context, query, message, thread, options)


async def on_translate_to(update: Update, context: Context) -> None:
    """A language from the Translate picker (only those offered are accepted)."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    target = query.data.removeprefix(TRANSLATE_TO)
    if target not in TRANSLATION_TARGETS:
        log.info("ignored a translate button for a language not offered")
        await answer_press(query)
        return
    if context.deps.llm is None:
        await answer_press(query, t("translate_needs_llm", interface_language(update)))
        return
    pressed = await _pressed(update, context)
    if pressed is None:
        return
    query, message, thread = pressed
    if target == thread.written_in():  # a picker from before: it offers every language
        language = interface_language(update)
        await answer_press(query, t("translate_same", language, name=language_label(target)))
        return
    options = SummaryOptions(thread.length, thread.style, target)
    await _rerender(update, context, query, message, thread, options)


async def _rerender(
    update: Update,
    context: Context,
    query: CallbackQuery,
    message: Message,
    thread: Thread,
    options: SummaryOptions,
) -> None:
    language = interface_language(update)
    await answer_press(query, t("status_summarizing", language))
    user = query.from_user
    delivery = Delivery(
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
    await rerender(context, message, thread, delivery)


async def on_translate_menu(update: Update, context: Context) -> None:
    """Translate: swap the keyboard for the language picker."""
    pressed = await _pressed(update, context)
    if pressed is not None:
        query, message, thread = pressed
        if context.deps.llm is None:  # a button from before the LLM key was taken away
            await answer_press(query, t("translate_needs_llm", interface_language(update)))
            return
        await answer_press(query)
        await _edit_markup(message, language_keyboard(thread.written_in()))


async def on_back(update: Update, context: Context) -> None:
    """Back from the language picker to the summary's own keyboard."""
    pressed = await _pressed(update, context)
    if pressed is not None:
        query, message, thread = pressed
        await answer_press(query)
        markup = summary_keyboard(
            link_url(thread.url),  # as the summary's own button had it: encoded for Telegram
            interface_language(update),
            transcript=thread.recording,
        )
        await _edit_markup(message, markup)


async def on_ask(update: Update, context: Context) -> None:
    """Ask a question: a prompt whose reply is a question about the same article."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return
    query, message, thread = pressed
    await answer_press(query)
    text = plain(t("ask_prompt", interface_language(update)))
    if is_group(message.chat.type):
        # A selective ForceReply reaches whoever the message mentions, or the sender of the
        # message it replies to: that is the bot itself here, so the presser is mentioned.
        user = query.from_user
        # "Alice, reply to…": the prompt goes on after the name, in lower case.
        mention = f'<a href="tg://user?id={user.id}">{plain(user.first_name)}</a>'
        text = f"{mention}, {text[:1].lower()}{text[1:]}"
    try:
        prompt = await context.bot.send_message(
            message.chat.id,
            text,
            reply_parameters=reply_to(message.message_id),
            reply_markup=ForceReply(selective=True),
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
        )
    except TelegramError as error:
        log.info("could not ask for a question in chat %s: %s", message.chat.id, error)
        return
    await context.state.save_thread(message.chat.id, prompt.message_id, thread)


async def on_unknown(update: Update, context: Context) -> None:
    """A button from an older version of Skim, or forged data: acknowledged, nothing done."""
    query = update.callback_query
    assert query is not None
    await answer_press(query)


async def _edit_markup(message: Message, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await message.edit_reply_markup(markup)
    except TelegramError as error:
        log.info("could not change the keyboard: %s", error)


def _exactly(*data: str) -> str:
    return "^(" + "|".join(re.escape(item) for item in data) + ")$"


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(on_length, pattern=_exactly(SHORTER, LONGER)))
    app.add_handler(CallbackQueryHandler(on_translate_menu, pattern=_exactly(TRANSLATE)))
    app.add_handler(
        CallbackQueryHandler(on_translate_to, pattern=f"^{re.escape(TRANSLATE_TO)}[a-z]{{2}}$")
    )
    app.add_handler(CallbackQueryHandler(on_back, pattern=_exactly(BACK)))
    app.add_handler(CallbackQueryHandler(on_ask, pattern=_exactly(ASK)))
    app.add_handler(CallbackQueryHandler(on_unknown, pattern=r"^sk:"))
