"""A link summarized in a group within the day gets a pointer to that summary, not a new one."""

from __future__ import annotations

from telegram.constants import ChatType

from bot.content.sources import UrlSource
from bot.service import link_name
from bot.store.state import State


def message_link(chat_id: int, chat_type: str, username: str | None, message_id: int) -> str | None:
    """A t.me link to a message: public chats by username, supergroups by internal id."""
    if username:
        return f"https://t.me/{username}/{message_id}"
    text_id = str(chat_id)
    if chat_type in (ChatType.SUPERGROUP, ChatType.CHANNEL) and text_id.startswith("-100"):
        return f"https://t.me/c/{text_id[4:]}/{message_id}"
    return None  # basic groups have no message links


def repeat_key(source: object, *, group: bool, channel: bool) -> str | None:
    """The normalized link to check for repeats: groups only (channels track links per post)."""
    if not group or channel or not isinstance(source, UrlSource):
        return None
    try:
        return link_name(source.url)  # one YouTube video under any of its links
    except ValueError:
        return None


async def remember_summary(
    state: State, chat_id: int, normalized: str, message_id: int, link: str | None
) -> None:
    """Record the summary under the posted link and under the page's canonical `link`."""
    await state.remember_link(chat_id, normalized, message_id)
    if not link:
        return
    try:
        canonical = link_name(link)
    except ValueError:
        return
    if canonical != normalized:
        await state.remember_link(chat_id, canonical, message_id)
