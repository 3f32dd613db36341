"""Channels: with auto-summary on, every post with a link gets its summary as a reply.

Telegram sends channel posts only to bots that administer the channel. A post has no user
(`sender_chat` is the channel), so jobs carry no user id: no per-user limits, no /cancel; the
chat's rate limit still applies. An edited post is summarized again only for links it did not
have before: a post's links are on record for POST_LINK_TTL (also while auto-summary is off),
and an edit of an older post is left alone.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, MessageHandler, filters

from bot.content.sources import UrlSource
from bot.content.urls import normalize_url
from bot.i18n import pick_language
from bot.store.keys import POST_LINK_TTL
from handlers.addressing import delivery_for
from handlers.context import Context
from handlers.groups import not_for_auto_summary
from handlers.sources import message_urls
from handlers.summaries import deliver_summary

log = logging.getLogger(__name__)


async def on_channel_post(update: Update, context: Context) -> None:
    """A new or edited channel post: summarize the links not summarized under it yet."""
    post = update.channel_post or update.edited_channel_post
    if post is None:
        return
    if not_for_auto_summary(post, context.bot.id):
        return  # our own inline result or summary, posted or forwarded by an admin
    urls = message_urls(post)
    if not urls:
        return
    edited = update.edited_channel_post is not None
    age = (datetime.now(UTC) - post.date).total_seconds()
    if edited and age >= POST_LINK_TTL:
        return  # its links are no longer on record: an old post's typo fix is no new link
    prefs = await context.chat_prefs(update)
    if not prefs.auto_summary:
        if not edited:  # on record, so that turning auto-summary on is no reason to answer it
            await _note_links(context, post, urls)
        return
    if prefs.may_post is False:
        # Each post would be fetched and summarized, then its summary refused.
        _warn_no_rights(context, post.chat_id)
        return
    await summarize_post_links(update, context, post, urls, pick_language(prefs.language))


# A channel where Skim may not post is named in a WARNING at most this often (per process).
RIGHTS_WARNING_SECONDS = 600.0
# What Telegram answers a bot that may not post in a channel.
_NO_RIGHTS = ("rights", "chat_write_forbidden", "not enough", "forbidden")


def _warn_no_rights(context: Context, chat_id: int) -> None:
    warned = context.bot_data.rights_warned
    now = time.monotonic()
    if now - warned.get(chat_id, -RIGHTS_WARNING_SECONDS) >= RIGHTS_WARNING_SECONDS:
        warned[chat_id] = now
        log.warning(
            "channel %s has auto-summary on but I may not post there: give me the right to "
            "post messages, or turn auto-summary off",
            chat_id,
        )
    else:
        log.info("channel %s: may not post there, post skipped", chat_id)


async def _record_no_rights(context: Context, chat_id: int) -> None:
    """Telegram refused a summary for want of rights: later posts are skipped unread until
    Skim's rights change (a my_chat_member update says so)."""
    state = context.deps.skim.state
    prefs = await state.chat_prefs(chat_id)
    await state.save_chat_prefs(chat_id, replace(prefs, may_post=False))
    _warn_no_rights(context, chat_id)


async def _note_links(context: Context, post: Message, urls: list[str]) -> None:
    for url in urls:
        try:
            normalized = normalize_url(url)
        except ValueError:
            continue
        await context.deps.skim.state.claim_post_link(
            post.chat_id, post.message_id, normalized, ttl=POST_LINK_TTL
        )


async def summarize_post_links(
    update: Update, context: Context, post: Message, urls: list[str], language: str
) -> None:
    """Up to the per-message limit of links new to this post, each as a reply to the post."""
    deps = context.deps
    state = deps.skim.state
    delivery = await delivery_for(update, context, None)
    delivery.user_id = None
    delivery.language = language  # no user to take it from: the channel's summary language
    delivery.group = True  # the chat's rate limit and the slower status edits of shared chats
    delivery.quiet = True  # nobody asked: a dead link is logged, not posted to subscribers
    done = 0
    for url in urls:
        if done >= deps.settings.max_links_per_message:
            break
        try:
            normalized = normalize_url(url)
        except ValueError:
            continue
        if not await state.claim_post_link(
            post.chat_id, post.message_id, normalized, ttl=POST_LINK_TTL
        ):
            continue
        done += 1
        delivery.source = UrlSource(url)
        try:
            await deliver_summary(context, delivery)
        except TelegramError as error:
            log.info("could not answer in channel %s: %s", post.chat_id, error)
            if any(sign in str(error).lower() for sign in _NO_RIGHTS):
                await _record_no_rights(context, post.chat_id)
            return


async def ignore_channel_update(update: Update, context: Context) -> None:
    """Posts without text, commands, service messages: nothing to do."""
    message = update.effective_message
    chat_id = message.chat_id if message is not None else None
    log.debug("ignoring update %s in channel %s", update.update_id, chat_id)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Channel posts and their edits with text or a caption, then a quiet catch-all."""
    posts = filters.UpdateType.CHANNEL_POSTS
    readable = (filters.TEXT | filters.CAPTION) & ~filters.COMMAND
    app.add_handler(MessageHandler(posts & readable, on_channel_post))
    app.add_handler(MessageHandler(posts, ignore_channel_update))
