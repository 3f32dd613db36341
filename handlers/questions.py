"""Questions in reply to a summary or an answer, answered from the stored article."""

from __future__ import annotations

from telegram import Message, Update

from bot.i18n import t
from handlers.addressing import delivery_for, is_group
from handlers.context import Context
from handlers.keyboards import CALLBACK_PREFIX
from handlers.replies import send_text
from handlers.sources import asks_beside_links, message_urls, only_acknowledges
from handlers.summaries import deliver_answer, thread_of


def replies_to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == bot_id


def _summary_of_ours(message: Message) -> bool:
    """The message carries our summary keyboard: it was a summary, whatever its thread became."""
    markup = message.reply_markup
    return markup is not None and any(
        str(button.callback_data or "").startswith(CALLBACK_PREFIX)
        for row in markup.inline_keyboard
        for button in row
    )


async def answer_in_thread(update: Update, context: Context, question: str) -> bool:
    """Answer `question` about the bot message being replied to; False when that is no summary
    or answer of ours, or the reply shares links to read rather than asking about one."""
    message = update.effective_message
    if message is None or message.reply_to_message is None:
        return False
    if message_urls(message) and not asks_beside_links(message):
        return False
    thread = await thread_of(context, message.reply_to_message)
    delivery = await delivery_for(update, context, None)
    if thread is None:
        replied = message.reply_to_message
        if replies_to_bot(message, context.bot.id) and await context.pipeline.is_status(
            replied.chat_id, replied.message_id
        ):
            await send_text(context, delivery, t("thread_still_writing", delivery.language))
            return True
        # Under a help line, a hint or a refusal the reply is no question about an article.
        if not _summary_of_ours(replied):
            return False
        await send_text(context, delivery, t("thread_forgotten", delivery.language))
        return True
    if only_acknowledges(question):
        if not is_group(message.chat.type):  # in a group, thanks need no reply from us
            await send_text(context, delivery, t("thanks_reply", delivery.language))
        return True
    await deliver_answer(context, delivery, thread, question)
    return True
