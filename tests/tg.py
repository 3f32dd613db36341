"""Small helpers for tests that talk to the bot through the Bot API fake."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.store.state import Prefs
from tests.fakes.bot_api import DEFAULT_USER, ApiCall, FakeBotAPI, JSONDict

if TYPE_CHECKING:
    from tests.conftest import RunningBot

USER_ID = 1001


def sent_in(chat_id: int) -> Callable[[ApiCall], bool]:
    """A call filter: the call was made for the chat `chat_id`."""
    return lambda call: call.params.get("chat_id") == chat_id


def to_user(call: ApiCall) -> bool:
    """The call was made for the default user's private chat."""
    return sent_in(USER_ID)(call)


def sent_to(bot_api: FakeBotAPI, chat_id: int) -> list[ApiCall]:
    """Every sendMessage call the bot made in the chat `chat_id`."""
    return [c for c in bot_api.calls_to("sendMessage") if sent_in(chat_id)(c)]


def replied_to(call: ApiCall) -> int | None:
    """The id of the message a sendMessage call replies to, if any."""
    reply = call.params.get("reply_parameters") or {}
    return reply.get("message_id")


def message_of(bot_api: FakeBotAPI, call: ApiCall, chat_id: int = USER_ID) -> JSONDict:
    """The message a call sent, as it stands in the chat now (empty if it is gone)."""
    return bot_api.message(chat_id, call.result["message_id"]) or {}


async def set_auto_summary(bot: RunningBot, chat_id: int, on: bool = True) -> None:
    """Turn a chat's auto-summary setting on or off in the bot's store."""
    await bot.deps.skim.state.save_chat_prefs(chat_id, Prefs(auto_summary=on))


def is_summary(call: ApiCall) -> bool:
    """The final summary message: a sendMessage carrying the summary keyboard.

    In channels that keyboard holds only the "Open source" link.
    """
    markup = call.params.get("reply_markup") or {}
    buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
    return call.method == "sendMessage" and any(
        b.get("callback_data") == "sk:short" or "url" in b for b in buttons
    )


def summaries_in(bot_api: FakeBotAPI, chat_id: int) -> list[ApiCall]:
    """Every summary message the bot sent in the chat `chat_id`."""
    return [c for c in sent_to(bot_api, chat_id) if is_summary(c)]


async def wait_summary(
    bot_api: FakeBotAPI, count: int = 1, chat_id: int = USER_ID, timeout: float = 15
) -> ApiCall:
    return await bot_api.wait_for(
        "sendMessage",
        lambda c: is_summary(c) and c.params.get("chat_id") == chat_id,
        count=count,
        timeout=timeout,
    )


async def send_for_summary(
    bot_api: FakeBotAPI, text: str, count: int = 1, timeout: float = 15
) -> ApiCall:
    """Send `text` in the user's private chat and wait for the `count`-th summary there."""
    bot_api.send_private_message(text)
    return await wait_summary(bot_api, count=count, timeout=timeout)


async def wait_text(
    bot_api: FakeBotAPI, needle: str, chat_id: int = USER_ID, timeout: float = 15
) -> dict[str, object]:
    """Wait until a bot message in the chat (after edits) contains `needle`."""
    return await wait_any_text(bot_api, (needle,), chat_id, timeout)


async def wait_any_text(
    bot_api: FakeBotAPI, needles: tuple[str, ...], chat_id: int = USER_ID, timeout: float = 15
) -> dict[str, object]:
    """Wait until a bot message in the chat (after edits) contains one of `needles`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        for message in bot_api.messages_in(chat_id):
            if any(needle in str(message.get("text", "")) for needle in needles):
                return message
        if loop.time() > deadline:
            texts = [m.get("text") for m in bot_api.messages_in(chat_id)]
            raise AssertionError(f"no bot message contains any of {needles!r}; messages: {texts}")
        await asyncio.sleep(0.05)


def last_text(bot_api: FakeBotAPI, chat_id: int = USER_ID) -> str:
    return str(bot_api.messages_in(chat_id)[-1]["text"])


def bot_membership(
    bot_api: FakeBotAPI,
    chat: dict[str, Any],
    old: str,
    new: str,
    *,
    can_post_messages: bool = True,
) -> None:
    """A my_chat_member update: the bot's own status in ``chat`` changed, by Alice (the old
    status, when an administrator's, without the right to post)."""
    bot = {key: bot_api.bot_user[key] for key in ("id", "is_bot", "first_name", "username")}

    def member(status: str, may_post: bool) -> dict[str, Any]:
        if status != "administrator":
            return {"user": bot, "status": status}
        rights = dict.fromkeys(
            [
                "can_be_edited",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
                "is_anonymous",
            ],
            False,
        )
        rights.update(can_manage_chat=True, can_delete_messages=True, can_edit_messages=True)
        return {"user": bot, "status": status, **rights, "can_post_messages": may_post}

    bot_api.add_update(
        {
            "my_chat_member": {
                "chat": chat,
                "from": DEFAULT_USER,
                "date": int(time.time()),
                "old_chat_member": member(old, False),
                "new_chat_member": member(new, can_post_messages),
            }
        }
    )
