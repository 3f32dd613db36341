"""Questions in reply to a summary or an answer, answered from the stored article."""

from __future__ import annotations

from telegram import Message, Update

from bot.i18n import t
from handlers.addressing import delivery_for
from handlers.context import Context
from handlers.replies import send_text
from handlers.summaries import deliver_answer, thread_of


def replies_to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == bot_id


async def answer_in_thread(update: Update, context: Context, question: str) -> bool:
    """Answer `question` about the bot message being replied to; False when it isn't a thread."""
    message = update.effective_message
    if message is None or message.reply_to_message is None:
        return False
    thread = await thread_of(context, message.reply_to_message)
    delivery = await delivery_for(update, context, None)
    if thread is None:
        if replies_to_bot(message, context.bot.id):
            await send_text(context, delivery, t("thread_forgotten", delivery.language))
            return True
        return False
    await deliver_answer(context, delivery, thread, question)
    return True
