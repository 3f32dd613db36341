"""The bot added to a group or a channel: a word on what it does there, once.

Without it an admin who adds the bot learns nothing: not `/autosummary on`, not that privacy
mode hides members' links, not how to ask. A group gets a short introduction; a channel does
not (every subscriber would read it): whoever added the bot gets it privately, if they have
talked to the bot before (a bot may not write first).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import ChatMemberAdministrator, ChatMemberOwner, ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ChatMemberHandler

from bot.i18n import pick_language, t
from handlers.context import Context
from handlers.replies import plain
from handlers.settings import privacy_hides_messages

log = logging.getLogger(__name__)

_OUTSIDE = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.BANNED})
_INSIDE = frozenset(
    {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.RESTRICTED}
)


def _joined(change: ChatMemberUpdated) -> bool:
    return change.old_chat_member.status in _OUTSIDE and change.new_chat_member.status in _INSIDE


async def on_added(update: Update, context: Context) -> None:
    """Introduce the bot where it was just added (a group) or to who added it (a channel)."""
    change = update.my_chat_member
    if change is None:
        return
    if change.chat.type == ChatType.CHANNEL:
        await _record_post_right(context, change)
    if not _joined(change):
        return
    chat = change.chat
    language = pick_language(change.from_user.language_code)
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        text = t("group_welcome", language)
        if await privacy_hides_messages(context, chat.id):
            text += "\n\n" + t("group_welcome_privacy", language)
        target, what = chat.id, "group"
    elif chat.type == ChatType.CHANNEL:
        text = t("channel_welcome", language, channel=chat.title or str(chat.id))
        target, what = change.from_user.id, "channel admin"
    else:
        return
    try:
        await context.bot.send_message(target, plain(text))
    except TelegramError as error:  # muted, or an admin who never started the bot
        log.info("could not introduce the bot to a new %s: %s", what, error)


async def _record_post_right(context: Context, change: ChatMemberUpdated) -> None:
    """Whether Skim may post in a channel, kept with its settings: without that right each post
    would be fetched and summarized, then its summary refused."""
    member = change.new_chat_member
    if isinstance(member, ChatMemberOwner):
        may_post = True
    elif isinstance(member, ChatMemberAdministrator):
        may_post = bool(member.can_post_messages)
    else:
        return  # left or removed: nothing is posted there anyway
    state = context.deps.skim.state
    prefs = await state.chat_prefs(change.chat.id)
    if prefs.may_post != may_post:
        await state.save_chat_prefs(change.chat.id, replace(prefs, may_post=may_post))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(ChatMemberHandler(on_added, ChatMemberHandler.MY_CHAT_MEMBER))
