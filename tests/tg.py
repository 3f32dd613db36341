"""Small helpers for tests that talk to the bot through the Bot API fake."""

from __future__ import annotations

import asyncio

from tests.fakes.bot_api import ApiCall, FakeBotAPI

USER_ID = 1001


def is_summary(call: ApiCall) -> bool:
    """The final summary message: a sendMessage carrying the summary keyboard.

    In channels that keyboard holds only the "Open source" link.
    """
    markup = call.params.get("reply_markup") or {}
    buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
    return call.method == "sendMessage" and any(
        b.get("callback_data") == "sk:short" or "url" in b for b in buttons
    )


async def wait_summary(
    bot_api: FakeBotAPI, count: int = 1, chat_id: int = USER_ID, timeout: float = 15
) -> ApiCall:
    return await bot_api.wait_for(
        "sendMessage",
        lambda c: is_summary(c) and c.params.get("chat_id") == chat_id,
        count=count,
        timeout=timeout,
    )


async def wait_text(
    bot_api: FakeBotAPI, needle: str, chat_id: int = USER_ID, timeout: float = 15
) -> dict[str, object]:
    """Wait until a bot message in the chat (after edits) contains `needle`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        for message in bot_api.messages_in(chat_id):
            if needle in str(message.get("text", "")):
                return message
        if loop.time() > deadline:
            texts = [m.get("text") for m in bot_api.messages_in(chat_id)]
            raise AssertionError(f"no bot message contains {needle!r}; messages: {texts}")
        await asyncio.sleep(0.05)


def last_text(bot_api: FakeBotAPI, chat_id: int = USER_ID) -> str:
    return str(bot_api.messages_in(chat_id)[-1]["text"])
