"""Checks that run before every handler (group -1): duplicate updates, then access lists."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.i18n import t
from bot.origin import FROM_STREAM
from handlers.addressing import interface_language
from handlers.context import Context
from handlers.replies import plain

log = logging.getLogger(__name__)


async def skip_duplicates(update: Update, context: Context) -> None:
    """An update id already processed (a redelivery, a second worker) is dropped."""
    state = context.state
    chat = update.effective_chat
    if FROM_STREAM.get():
        # The intake dropped repeated ids already, and an entry claimed from a worker that
        # died must run again: only the chat's settings are needed here.
        if chat is not None:
            context.prefs = await state.chat_prefs(chat.id)
        return
    if chat is None:
        fresh = await state.first_time(context.bot.id, update.update_id)
    else:
        # Every update of a chat needs its settings too: read them in the same round trip.
        fresh, prefs = await state.first_time_with_prefs(context.bot.id, update.update_id, chat.id)
        context.prefs = prefs
    if not fresh:
        log.info("skipping duplicate update %s", update.update_id)
        raise ApplicationHandlerStop


async def check_access(update: Update, context: Context) -> None:
    """ALLOWED_USER_IDS / ALLOWED_CHAT_IDS: others get one polite refusal, then silence."""
    settings = context.deps.settings
    if not settings.allowed_user_ids and not settings.allowed_chat_ids:
        return
    user = update.effective_user
    chat = update.effective_chat
    user_ok = user is not None and (
        user.id in settings.allowed_user_ids or user.id in settings.admin_user_ids
    )
    chat_ok = chat is not None and chat.id in settings.allowed_chat_ids
    if user_ok or chat_ok:
        return
    refused = context.bot_data.refused_users
    who = user.id if user is not None else (chat.id if chat is not None else 0)
    log.info("refused an update from a user or chat not on the allow lists")
    if who not in refused and update.effective_message is not None and chat is not None:
        refused.add(who)
        if chat.type == "private" or update.effective_message.text:
            language = interface_language(update)
            await update.effective_message.reply_text(plain(t("not_allowed", language)))
    raise ApplicationHandlerStop


UPDATE_KINDS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "my_chat_member",
    "chat_member",
)


def update_kind(update: Update) -> str:
    """The update's kind, from a fixed list (a bounded metrics label)."""
    return next((kind for kind in UPDATE_KINDS if getattr(update, kind, None)), "other")


async def screen(update: Update, context: Context) -> None:
    """Both checks as one handler: every update passes through them, so one dispatch, not two."""
    context.deps.metrics.updates.labels(update_kind(update)).inc()
    await skip_duplicates(update, context)
    await check_access(update, context)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, screen), group=-1)
