"""Commands about reading: /start, /help, /summary, /ask, /cancel, /forget, /usage."""

from __future__ import annotations

import re

from telegram import Message, Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.content.sources import UrlSource
from bot.content.urls import find_urls
from bot.i18n import t
from bot.pipeline import CancelResult
from handlers.addressing import delivery_for, is_group, requester_id
from handlers.context import Context
from handlers.deeplinks import open_payload
from handlers.media import carries_media, summarize_media_message
from handlers.private import summarize_document_message, summarize_links_or_text
from handlers.questions import answer_in_thread
from handlers.replies import send_text
from handlers.sources import message_urls, replied_message, typed_text_source
from handlers.summaries import deliver_summary

SUMMARY_COMMANDS = ("summary", "tldr", "s")
ASK_COMMANDS = ("ask", "q")
# /summary written as a picture's or a document's caption (Telegram's commands are text only).
_SUMMARY_CAPTION = re.compile(rf"^/(?:{'|'.join(SUMMARY_COMMANDS)})(?:@(\w+))?(?:\s|$)", re.I)


def _argument(message: Message) -> str:
    """The text after the command (and after a @botname), as the user typed it."""
    text = message.text or message.caption or ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def start(update: Update, context: Context) -> None:
    """Greet a new user, or open a summary from a deep link."""
    message = update.effective_message
    if message is None:
        return
    if context.args and await open_payload(update, context, context.args[0]):
        return
    delivery = await delivery_for(update, context, None)
    # A group's own introduction: "send me a link" does nothing there.
    key = "group_welcome" if is_group(message.chat.type) else "welcome"
    await send_text(context, delivery, t(key, delivery.language))


async def help_command(update: Update, context: Context) -> None:
    """Explain what Skim does and which commands exist (in a group, how it works there)."""
    delivery = await delivery_for(update, context, None)
    chat = update.effective_chat
    key = "group_welcome" if chat is not None and is_group(chat.type) else "help"
    await send_text(context, delivery, t(key, delivery.language))


async def summary_command(update: Update, context: Context) -> None:
    """/summary URL-or-text, or /summary in reply to a message holding a link, text or file."""
    message = update.effective_message
    if message is None:
        return
    argument = _argument(message)
    if argument:
        urls = find_urls(argument)
        source = UrlSource(urls[0]) if urls else typed_text_source(argument)
        delivery = await delivery_for(update, context, source)
        if source is None:
            await send_text(context, delivery, t("summary_usage", delivery.language))
            return
        await deliver_summary(context, delivery)
        return
    target = replied_message(message)
    if target is None:
        delivery = await delivery_for(update, context, None)
        await send_text(context, delivery, t("summary_usage", delivery.language))
        return
    await _summarize_message(update, context, target)


async def _summarize_message(update: Update, context: Context, target: Message) -> None:
    """A message's recording, picture, file, links or text: what /summary points at."""
    if carries_media(target) and not message_urls(target):  # a caption's link is what's meant
        await summarize_media_message(update, context, target)
    elif target.document is not None:
        await summarize_document_message(update, context, target)
    else:
        await summarize_links_or_text(update, context, target)


async def summary_caption(update: Update, context: Context) -> None:
    """A file, picture or recording sent with /summary as its caption: it is what is meant
    (in a group the command was ignored, as commands in captions reach no command handler)."""
    message = update.effective_message
    if message is None or message.caption is None:
        return
    command = _SUMMARY_CAPTION.match(message.caption)
    addressee = command.group(1) if command else None
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return  # another bot's /summary
    await _summarize_message(update, context, message)


async def ask_command(update: Update, context: Context) -> None:
    """/ask question, in reply to a summary or an answer."""
    message = update.effective_message
    if message is None:
        return
    question = _argument(message)
    if question and await answer_in_thread(update, context, question):
        return
    delivery = await delivery_for(update, context, None)
    await send_text(context, delivery, t("ask_usage", delivery.language))


async def cancel_command(update: Update, context: Context) -> None:
    """Stop the user's running request."""
    requester = requester_id(update)
    if requester is None:
        return
    found = await context.pipeline.cancel(requester)
    if found is CancelResult.STOPPING:
        return  # the cancelled request says "Stopped." itself
    delivery = await delivery_for(update, context, None)
    key = "cancelled" if found is CancelResult.REQUESTED else "nothing_to_cancel"
    await send_text(context, delivery, t(key, delivery.language))


async def forget_command(update: Update, context: Context) -> None:
    """Delete everything Skim keeps about this user."""
    requester = requester_id(update)
    if requester is None:
        return
    await context.state.forget_user(requester)
    delivery = await delivery_for(update, context, None)
    await send_text(context, delivery, t("forgotten", delivery.language))


async def usage_command(update: Update, context: Context) -> None:
    """The user's own usage today, and how much of the daily quota is left."""
    requester = requester_id(update)
    if requester is None:
        return
    deps = context.deps
    usage = await deps.skim.state.user_usage(requester)
    delivery = await delivery_for(update, context, None)
    language = delivery.language
    lines = [
        t(
            "usage",
            language,
            requests=usage.get("requests", 0),
            prompt=usage.get("prompt_tokens", 0),
            completion=usage.get("completion_tokens", 0),
        )
    ]
    limit = deps.settings.daily_summary_quota
    # Only summaries the LLM writes count: none without an LLM, nor for operators.
    if limit > 0 and deps.llm is not None and not delivery.exempt:
        used = min(await deps.skim.state.daily_quota_used(requester), limit)
        lines.append(t("usage_limit", language, used=used, limit=limit))
    else:
        lines.append(t("usage_no_limit", language))
    await send_text(context, delivery, " ".join(lines))


def register(app: Application) -> None:  # type: ignore[type-arg]
    # New messages only: an edited command is not run again (a second summary or answer).
    new = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("start", start, filters=new))
    app.add_handler(CommandHandler("help", help_command, filters=new))
    app.add_handler(CommandHandler(list(SUMMARY_COMMANDS), summary_command, filters=new))
    app.add_handler(MessageHandler(new & filters.CaptionRegex(_SUMMARY_CAPTION), summary_caption))
    app.add_handler(CommandHandler(list(ASK_COMMANDS), ask_command, filters=new))
    app.add_handler(CommandHandler("cancel", cancel_command, filters=new))
    app.add_handler(CommandHandler("forget", forget_command, filters=new))
    app.add_handler(CommandHandler("usage", usage_command, filters=new))
