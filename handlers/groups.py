"""Groups and supergroups: mentions, replies to the bot and auto-summaries.

Commands work here as anywhere (handlers.reading, handlers.settings); this module adds what
only groups have: `@bot <link>` or `@bot` in reply to a message, questions in reply to a
summary, and an optional summary of every link posted (the chat's `auto_summary` setting). A
link that comes back within a day gets a pointer to the earlier summary (handlers.summaries).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from telegram import Message, MessageEntity, MessageOriginUser, Update
from telegram.error import TelegramError
from telegram.ext import Application, MessageHandler, filters

from bot.i18n import t
from handlers.addressing import delivery_for
from handlers.context import Context
from handlers.media import carries_media, summarize_media_message
from handlers.private import summarize_document_message
from handlers.questions import answer_in_thread, replies_to_bot
from handlers.replies import send_text
from handlers.sources import message_urls, replied_message, text_source, typed_text_source
from handlers.summaries import deliver_links, deliver_summary

log = logging.getLogger(__name__)


def _mention_pattern(username: str) -> re.Pattern[str]:
    return re.compile(rf"@{re.escape(username)}(?![A-Za-z0-9_])", re.IGNORECASE)


def mentions_bot(message: Message, username: str, bot_id: int) -> bool:
    """A mention entity naming the bot (by @username or as a text mention)."""
    wanted = f"@{username}".lower()
    kinds: list[str | None] = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    for entities in (message.parse_entities(kinds), message.parse_caption_entities(kinds)):
        for entity, text in entities.items():
            if entity.type == MessageEntity.MENTION and text.lower() == wanted:
                return True
            if entity.user is not None and entity.user.id == bot_id:
                return True
    return False


def without_mentions(text: str, username: str) -> str:
    return _mention_pattern(username).sub("", text).strip()


def _ignored_sender(message: Message, bot_id: int) -> bool:
    """The bot itself or another bot (no bot-to-bot loops); anonymous admins post as the chat."""
    sender = message.from_user
    if sender is None:
        return message.sender_chat is None
    if sender.id == bot_id:
        return True
    return sender.is_bot and message.sender_chat is None


async def summarize_group_links(
    update: Update, context: Context, urls: Sequence[str], *, auto: bool
) -> None:
    """Summarize the first few links of a group message (repeats get a pointer, see flow)."""
    chat = update.effective_chat
    assert chat is not None
    delivery = await delivery_for(update, context, None)
    if auto:
        # Nobody asked: the chat's rate limit applies, not the poster's limits or /cancel,
        # and a dead link is not worth a message in the group.
        delivery.user_id = None
        delivery.quiet = True
    try:
        await deliver_links(context, delivery, urls, note_rest=not auto)
    except TelegramError as error:
        # Typically no right to post here (muted, restricted); nothing more to do.
        log.info("could not answer in group %s: %s", chat.id, error)


def not_for_auto_summary(message: Message, bot_id: int) -> bool:
    """Posts whose links were summarized already, or are the channel's to summarize."""
    if message.via_bot is not None and message.via_bot.id == bot_id:
        return True  # our own inline result, posted by a member
    if message.is_automatic_forward:
        return True  # a linked channel's post copied into its discussion group
    origin = message.forward_origin
    return isinstance(origin, MessageOriginUser) and origin.sender_user.id == bot_id


# Handlers


async def _summarize_on_mention(
    update: Update, context: Context, message: Message, rest: str
) -> None:
    """`@bot <link or text>`, or `@bot` in reply to a message with a link, text, file,
    recording or picture (a link in a picture's caption is what is read)."""
    urls = message_urls(message)
    if urls:
        await summarize_group_links(update, context, urls, auto=False)
        return
    if message.document is not None:
        await summarize_document_message(update, context, message)
        return
    if carries_media(message):  # a recording or picture captioned with the mention
        await summarize_media_message(update, context, message)
        return
    target = replied_message(message)
    if target is not None and target.document is not None:
        await summarize_document_message(update, context, target)
        return
    if target is not None:
        urls = message_urls(target)
        if urls:
            await summarize_group_links(update, context, urls, auto=False)
            return
        if carries_media(target):
            await summarize_media_message(update, context, target)
            return
    # The replied message has no links (just checked): only its own text is left to read.
    source = text_source(target) if target is not None else None
    if source is None:
        source = typed_text_source(rest)
    delivery = await delivery_for(update, context, source)
    if source is None:
        await send_text(context, delivery, t("group_mention_usage", delivery.language))
        return
    await deliver_summary(context, delivery)


async def on_group_message(update: Update, context: Context) -> None:
    """A group message the bot sees: a question to it, a mention, or a link to auto-summarize."""
    message = update.message
    if message is None:
        return
    bot = context.bot
    if _ignored_sender(message, bot.id):
        log.debug("ignoring a message from a bot in chat %s", message.chat_id)
        return
    username = bot.username or ""
    text = message.text or message.caption or ""
    mentioned = bool(username) and mentions_bot(message, username, bot.id)
    rest = without_mentions(text, username) if username else text
    if replies_to_bot(message, bot.id):
        await _answer_reply(update, context, message, rest)
        return
    if mentioned:
        await _summarize_on_mention(update, context, message, rest)
        return
    await _auto_summary(update, context, message)


async def _answer_reply(update: Update, context: Context, message: Message, question: str) -> None:
    """A reply to the bot: a question about its summary, or links to read (shared in reply to
    a summary, or to anything else of ours). "Thanks" under a help line gets nothing."""
    if question and await answer_in_thread(update, context, question):
        return
    urls = message_urls(message)
    if urls:
        await summarize_group_links(update, context, urls, auto=False)


async def _auto_summary(update: Update, context: Context, message: Message) -> None:
    """Summarize every link posted, when the chat turned auto-summary on."""
    if not_for_auto_summary(message, context.bot.id):
        return
    urls = message_urls(message)
    if not urls:
        return
    prefs = await context.chat_prefs(update)
    if not prefs.auto_summary:
        return
    await summarize_group_links(update, context, urls, auto=True)


async def ignore_group_update(update: Update, context: Context) -> None:
    """Service messages, media without captions, edits: nothing to do."""
    message = update.effective_message
    chat_id = message.chat_id if message is not None else None
    log.debug("ignoring update %s in group %s", update.update_id, chat_id)


async def on_migration(update: Update, context: Context) -> None:
    """A group upgraded to a supergroup: its settings move to the new chat id. Telegram says so
    twice, in the old group (migrate_to_chat_id) and in the new one (migrate_from_chat_id)."""
    message = update.effective_message
    if message is None:
        return
    old, new = message.chat.id, message.migrate_to_chat_id
    if message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat.id
    if new is not None and await context.deps.skim.state.move_chat_prefs(old, new):
        log.info("chat %s became supergroup %s: its settings moved with it", old, new)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Group messages (commands are handled elsewhere), then a quiet catch-all."""
    groups = filters.ChatType.GROUPS
    text = filters.TEXT | filters.CAPTION
    app.add_handler(
        MessageHandler(
            groups & filters.UpdateType.MESSAGE & ~filters.COMMAND & text, on_group_message
        )
    )
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migration))
    app.add_handler(MessageHandler(groups, ignore_group_update))
