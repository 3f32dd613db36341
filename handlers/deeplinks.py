"""`/start <payload>` deep links (from inline results) that open a summary in the private chat.

A summary payload is `s_` and a token: the first 32 hex digits of the SHA-256 of the normalized
URL, which Redis maps back to that URL for DEEP_LINK_TTL (refreshed by every inline answer).
The token is derived, not random, so one page has one payload and Telegram can cache answers.
`inline_help` explains inline mode.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re

from telegram import Update

from bot.content.sources import UrlSource
from bot.i18n import t
from bot.store.keys import DEEP_LINK_TTL
from bot.store.state import Prefs
from bot.values import SummaryOptions
from handlers.addressing import delivery_for, options_from
from handlers.context import Context
from handlers.replies import send_text
from handlers.summaries import deliver_summary

log = logging.getLogger(__name__)

SUMMARY_PREFIX = "s_"
HELP_PAYLOAD = "inline_help"
_TOKEN = re.compile(r"[0-9a-f]{32}")


def token_for(normalized_url: str) -> str:
    return hashlib.sha256(normalized_url.encode("utf-8")).hexdigest()[:32]


def summary_payload(normalized_url: str) -> str:
    """The `/start` payload for a link: `s_` + 32 hex digits, within Telegram's 64 characters."""
    return SUMMARY_PREFIX + token_for(normalized_url)


def deep_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"


async def remember_link(context: Context, normalized_url: str) -> str:
    """Store where a summary payload points and return the payload."""
    await context.state.save_deep_link(token_for(normalized_url), normalized_url, ttl=DEEP_LINK_TTL)
    return summary_payload(normalized_url)


async def link_for(context: Context, token: str) -> str | None:
    """The normalized URL behind a token, or None when the token is malformed or expired."""
    if not _TOKEN.fullmatch(token):
        return None
    return await context.state.deep_link(token)


async def personal_options(context: Context, user_id: int) -> SummaryOptions:
    """A user's summary options: their private chat's settings, then their own, then defaults."""
    state = context.state
    # Started together, the two reads share one Redis round trip (automatic pipelining).
    chat, own = await asyncio.gather(state.chat_prefs(user_id), state.user_prefs(user_id))
    merged = Prefs(
        length=chat.length or own.length,
        style=chat.style or own.style,
        language=chat.language or own.language,
    )
    return options_from(context.deps.settings, merged)


async def open_payload(update: Update, context: Context, payload: str) -> bool:
    """Handle a deep-link payload; False (after a note) when it is unknown or expired."""
    user = update.effective_user
    if update.effective_chat is None:
        return False
    delivery = await delivery_for(update, context, None)
    if payload == HELP_PAYLOAD:
        text = t("inline_help", delivery.language, bot=context.bot.username)
        await send_text(context, delivery, text)
        return True
    if not payload.startswith(SUMMARY_PREFIX):
        # Someone else's payload (a referral, a campaign tag): the welcome says the rest.
        log.info("a /start payload that is none of ours")
        return False
    url = await link_for(context, payload.removeprefix(SUMMARY_PREFIX))
    if url is None:
        await send_text(context, delivery, t("deeplink_unknown", delivery.language))
        return False
    delivery.source = UrlSource(url)
    if user is not None:
        delivery.options = await personal_options(context, user.id)
    await deliver_summary(context, delivery)
    return True
