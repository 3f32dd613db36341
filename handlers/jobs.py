"""Building a Job from an update: who asked, where to answer, with which options."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot.content.sources import Source
from bot.i18n import pick_language
from handlers.context import Context, chat_prefs, deps_of
from handlers.flow import Job, is_group, options_from


def interface_language(update: Update) -> str:
    user = update.effective_user
    return pick_language(user.language_code if user else None)


def is_admin(context: Context, user_id: int | None) -> bool:
    """Operators listed in ADMIN_USER_IDS."""
    return user_id is not None and user_id in deps_of(context).settings.admin_user_ids


async def make_job(update: Update, context: Context, source: Source | None) -> Job:
    """A Job answering in the update's chat (and forum topic), with the chat's saved options."""
    message = update.effective_message
    chat = update.effective_chat
    user = update.effective_user
    assert chat is not None
    prefs = await chat_prefs(update, context)
    topic = message.message_thread_id if message is not None and message.is_topic_message else None
    return Job(
        chat_id=chat.id,
        source=source,
        user_id=user.id if user is not None else None,
        language=interface_language(update),
        reply_to=message.message_id if message is not None else None,
        thread_id=topic,
        group=is_group(chat.type),
        options=options_from(context, prefs),
        exempt=is_admin(context, user.id if user else None),
        channel=chat.type == ChatType.CHANNEL,
        chat_type=chat.type,
        chat_username=chat.username,
    )
