"""Reading an update into a `Delivery`: who asked, where to answer, with which options."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import Update
from telegram.constants import ChatType

from bot.config import Settings
from bot.content.sources import Source
from bot.i18n import pick_language
from bot.pipeline import Caller
from bot.store.state import Prefs
from bot.values import SummaryOptions
from handlers.context import Context


@dataclass
class Delivery:
    """One request as Telegram sees it: what to read, for whom, and where the answer goes."""

    chat_id: int
    source: Source | None = None
    user_id: int | None = None
    language: str = "en"
    reply_to: int | None = None
    thread_id: int | None = None
    group: bool = False  # a shared chat: the chat's rate limit, slower status edits, repeats
    options: SummaryOptions = field(default_factory=SummaryOptions)
    exempt: bool = False
    channel: bool = False  # subscribers can't use buttons meant for the requester
    quiet: bool = False  # nobody asked (auto-summaries): failures are logged, not posted
    chat_type: str = ChatType.PRIVATE
    chat_username: str | None = None

    @property
    def caller(self) -> Caller:
        return Caller(
            user_id=self.user_id,
            chat_id=self.chat_id,
            language=self.language,
            shared=self.group,
            exempt=self.exempt,
        )


def options_from(settings: Settings, prefs: Prefs) -> SummaryOptions:
    """The chat's saved choices over the operator's defaults."""
    return SummaryOptions(
        length=prefs.length or settings.summary_length,
        style=prefs.style or settings.summary_style,
        language=prefs.language or settings.summary_language,
    )


def is_group(chat_type: str) -> bool:
    return chat_type in (ChatType.GROUP, ChatType.SUPERGROUP)


def interface_language(update: Update) -> str:
    user = update.effective_user
    return pick_language(user.language_code if user else None)


def requester_id(update: Update) -> int | None:
    """Whose request this is: the user, or the chat a message was sent as.

    Telegram gives everyone who posts as a chat one shared stand-in user (an anonymous group
    admin is GroupAnonymousBot, a post as a channel Channel_Bot, an automatic forward 777000):
    keyed on that, every anonymous admin on Telegram would share one request at a time, one
    rate limit and one quota. The chat they post as tells them apart.
    """
    message = update.message
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id
    user = update.effective_user
    return user.id if user is not None else None


def is_admin(context: Context, user_id: int | None) -> bool:
    """Operators listed in ADMIN_USER_IDS."""
    return user_id is not None and user_id in context.deps.settings.admin_user_ids


async def delivery_for(update: Update, context: Context, source: Source | None) -> Delivery:
    """A Delivery answering in the update's chat (and forum topic), with the chat's options."""
    message = update.effective_message
    chat = update.effective_chat
    requester = requester_id(update)
    assert chat is not None
    prefs = await context.chat_prefs(update)
    topic = message.message_thread_id if message is not None and message.is_topic_message else None
    language = interface_language(update)
    if is_group(chat.type) and prefs.language and prefs.language != "auto":
        # A group whose admins chose a language hears the bot in it, whoever posted (it
        # switched language with each member's app).
        language = pick_language(prefs.language)
    return Delivery(
        chat_id=chat.id,
        source=source,
        user_id=requester,
        language=language,
        reply_to=message.message_id if message is not None else None,
        thread_id=topic,
        group=is_group(chat.type),
        options=options_from(context.deps.settings, prefs),
        exempt=is_admin(context, requester),
        channel=chat.type == ChatType.CHANNEL,
        chat_type=chat.type,
        chat_username=chat.username,
    )
