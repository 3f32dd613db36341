"""Groups and supergroups: mentions, replies to the bot, auto-summary and repeated links.

Commands work here as anywhere (handlers.commands); this module adds what only groups have:
`@bot <link>` or `@bot` in reply to a message, questions in reply to a summary, an optional
summary of every link posted (the chat's `auto_summary` setting), and a pointer to the earlier
summary when a link comes back within a day instead of a second summary.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace

from telegram import Chat, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.content.sources import TextSource, UrlSource
from bot.content.urls import find_urls, normalize_url
from bot.i18n import t
from bot.store.state import State
from handlers.commands import SUMMARY_COMMANDS, summary_command
from handlers.context import Context, deps_of
from handlers.flow import Job, deliver_summary, send_text
from handlers.jobs import make_job
from handlers.private import summarize_document_message
from handlers.questions import answer_in_thread, replies_to_bot
from handlers.sources import MIN_TEXT_WORDS, message_source, message_urls

log = logging.getLogger(__name__)


def message_link(chat: Chat, message_id: int) -> str | None:
    """A t.me link to a message: public chats by username, supergroups by internal id."""
    if chat.username:
        return f"https://t.me/{chat.username}/{message_id}"
    chat_id = str(chat.id)
    if chat.type in (ChatType.SUPERGROUP, ChatType.CHANNEL) and chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return None  # basic groups have no message links


def replied_message(message: Message) -> Message | None:
    """The message this one answers; None for the topic's opening message a topic reply carries."""
    target = message.reply_to_message
    if target is None or target.forum_topic_created is not None:
        return None
    if message.is_topic_message and target.message_id == message.message_thread_id:
        return None
    return target


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


def _after_command(message: Message) -> str:
    text = message.text or message.caption or ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


# The same link again within a day: a pointer to the earlier summary


async def _remember_summary(state: State, chat_id: int, normalized: str, message_id: int) -> None:
    """Record the summary under the posted link and under the page's canonical link."""
    await state.remember_link(chat_id, normalized, message_id)
    thread = await state.thread(chat_id, message_id)
    if thread is None or not thread.url:
        return
    try:
        canonical = normalize_url(thread.url)
    except ValueError:
        return
    if canonical != normalized:
        await state.remember_link(chat_id, canonical, message_id)


async def point_to_earlier(context: Context, job: Job, chat: Chat, earlier: int) -> None:
    """Reply with a link to the earlier summary (basic groups: reply to the summary itself)."""
    link = message_link(chat, earlier)
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


async def deliver_group_summary(context: Context, job: Job, chat: Chat) -> Message | None:
    """Summarize `job.source` (a link) unless this chat had it summarized within a day."""
    assert isinstance(job.source, UrlSource)
    state = deps_of(context).skim.state
    try:
        normalized = normalize_url(job.source.url)
    except ValueError:
        return await deliver_summary(context, job)  # the flow explains what is wrong with it
    earlier = await state.earlier_summary(job.chat_id, normalized)
    if earlier is not None:
        await point_to_earlier(context, job, chat, earlier)
        return None
    sent = await deliver_summary(context, job)
    if sent is not None:
        await _remember_summary(state, job.chat_id, normalized, sent.message_id)
    return sent


async def summarize_group_links(
    update: Update, context: Context, urls: Sequence[str], *, auto: bool
) -> None:
    """Summarize the first few links of a group message, each at most once a day per chat."""
    chat = update.effective_chat
    assert chat is not None
    limit = deps_of(context).settings.max_links_per_message
    job = await make_job(update, context, None)
    if auto:
        # Nobody asked: the chat's rate limit applies, not the poster's limits or /cancel,
        # and a dead link is not worth a message in the group.
        job.user_id = None
        job.quiet = True
    try:
        for url in urls[:limit]:
            job.source = UrlSource(url)
            await deliver_group_summary(context, job, chat)
    except TelegramError as error:
        # Typically no right to post here (muted, restricted); nothing more to do.
        log.info("could not answer in group %s: %s", chat.id, error)
        return
    if len(urls) > limit and not auto:
        await send_text(context, job, t("more_links", job.language, total=len(urls), limit=limit))


# Handlers


async def summary_in_group(update: Update, context: Context) -> None:
    """/summary in a group: links go through the repeated-link check, the rest as anywhere."""
    message = update.effective_message
    if message is None:
        return
    argument = _after_command(message)
    target = replied_message(message)
    if argument:
        urls = find_urls(argument)[:1]
    elif target is None:
        job = await make_job(update, context, None)
        await send_text(context, job, t("summary_usage", job.language))
        return
    else:
        urls = [] if target.document is not None else message_urls(target)
    if not urls:
        await summary_command(update, context)
        return
    await summarize_group_links(update, context, urls, auto=False)


async def _summarize_on_mention(
    update: Update, context: Context, message: Message, rest: str
) -> None:
    """`@bot <link or text>`, or `@bot` in reply to a message with a link, text or file."""
    urls = message_urls(message)
    if urls:
        await summarize_group_links(update, context, urls, auto=False)
        return
    if message.document is not None:
        await summarize_document_message(update, context, message)
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
    source = message_source(target) if target is not None else None
    if source is None and len(rest.split()) >= MIN_TEXT_WORDS // 2:
        source = TextSource(rest)
    job = await make_job(update, context, source)
    if source is None:
        await send_text(context, job, t("group_mention_usage", job.language))
        return
    await deliver_summary(context, job)


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
    """A reply to the bot: a question about its summary, or links sent to a non-summary."""
    replied = message.reply_to_message
    assert replied is not None
    state = deps_of(context).skim.state
    urls = message_urls(message)
    if urls and await state.thread(replied.chat_id, replied.message_id) is None:
        await summarize_group_links(update, context, urls, auto=False)
        return
    if question:
        await answer_in_thread(update, context, question)


async def _auto_summary(update: Update, context: Context, message: Message) -> None:
    """Summarize every link posted, when the chat turned auto-summary on."""
    if message.via_bot is not None and message.via_bot.id == context.bot.id:
        return  # our own inline result, posted by a member
    urls = message_urls(message)
    if not urls:
        return
    prefs = await deps_of(context).skim.state.chat_prefs(message.chat_id)
    if not prefs.auto_summary:
        return
    await summarize_group_links(update, context, urls, auto=True)


async def ignore_group_update(update: Update, context: Context) -> None:
    """Service messages, media without captions, edits: nothing to do."""
    message = update.effective_message
    chat_id = message.chat_id if message is not None else None
    log.debug("ignoring update %s in group %s", update.update_id, chat_id)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Group /summary (ahead of the generic one), group messages, then a quiet catch-all."""
    groups = filters.ChatType.GROUPS
    summary = CommandHandler(
        list(SUMMARY_COMMANDS), summary_in_group, filters=groups & filters.UpdateType.MESSAGE
    )
    # Only the first matching handler of a handler group runs, and bot.app registers the
    # generic /summary (handlers.commands) before this module: put the group one in front.
    app.add_handler(summary)
    app.handlers[0].remove(summary)
    app.handlers[0].insert(0, summary)
    text = filters.TEXT | filters.CAPTION
    app.add_handler(
        MessageHandler(
            groups & filters.UpdateType.MESSAGE & ~filters.COMMAND & text, on_group_message
        )
    )
    app.add_handler(MessageHandler(groups, ignore_group_update))
