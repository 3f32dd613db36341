"""Commands every chat understands."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from handlers.context import Context
from handlers.texts import HELP, WELCOME


async def start(update: Update, context: Context) -> None:
    """Greet a new user."""
    if update.effective_message:
        await update.effective_message.reply_text(WELCOME)


async def help_command(update: Update, context: Context) -> None:
    """Explain what Skim does."""
    if update.effective_message:
        await update.effective_message.reply_text(HELP)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
