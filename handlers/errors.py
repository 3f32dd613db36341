"""The last line of defence: log what broke (no user content, no tokens) and apologise."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from bot.i18n import t
from handlers.addressing import interface_language
from handlers.context import Context
from handlers.replies import plain

log = logging.getLogger(__name__)


# Telegram's words for a chat the bot may not write to (restricted, read-only, closed).
_NO_RIGHT_TO_POST = ("not enough rights", "chat_write_forbidden", "chat_restricted")


def _may_not_post(error: BaseException | None) -> bool:
    """Blocked by the user, removed from the group, or muted in it."""
    if isinstance(error, Forbidden):
        return True
    said = str(error).lower()
    return isinstance(error, BadRequest) and any(words in said for words in _NO_RIGHT_TO_POST)


async def on_error(update: object, context: Context) -> None:
    """Log an unexpected error by type and place; tell the user if there is one."""
    error = context.error
    if _may_not_post(error):
        # Nobody can be told (an apology would be refused too), and nothing of ours broke.
        chat = update.effective_chat if isinstance(update, Update) else None
        log.info("Telegram refuses messages to chat %s: %s", chat.id if chat else "-", error)
        return
    log.error(
        "unhandled %s while processing update %s",
        type(error).__name__,
        update.update_id if isinstance(update, Update) else "-",
        exc_info=(type(error), error, error.__traceback__) if error else None,
    )
    if isinstance(update, Update) and update.effective_message and update.effective_chat:
        try:
            text = t("internal_error", interface_language(update))
            await update.effective_message.reply_text(plain(text))
        except TelegramError:
            log.warning("could not tell the user about the error")


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_error_handler(on_error)
