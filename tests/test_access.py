"""Allow lists and duplicate updates, checked before any handler runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.config import Settings
from tests.fakes.bot_api import FakeBotAPI
from tests.tg import USER_ID, wait_text

STRANGER = {"id": 4004, "is_bot": False, "first_name": "Eve", "language_code": "en"}


async def test_strangers_get_one_polite_refusal_then_silence(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for(allowed_user_ids=[USER_ID])):
        bot_api.send_private_message("/start", user=STRANGER)
        await wait_text(bot_api, "this bot is private", chat_id=4004)
        bot_api.send_private_message("/help", user=STRANGER)
        bot_api.send_private_message("/start")  # the allowed user is served
        await wait_text(bot_api, "I read so you don't have to")
        await bot_api.wait_idle(quiet=0.3)
    assert len(bot_api.messages_in(4004)) == 1


async def test_allowed_chat_admits_everyone_in_it(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    group = -100777
    async with start_bot(settings_for(allowed_chat_ids=[group])):
        bot_api.send_group_message("/help", chat_id=group, user=STRANGER)
        await wait_text(bot_api, "Reply /summary to a message with a link", chat_id=group)


async def test_a_redelivered_update_is_handled_once(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    update = bot_api.send_private_message("/start")
    async with start_bot(settings_for()):
        await wait_text(bot_api, "I read so you don't have to")
        # The same update id again, as after a crash before the offset was confirmed.
        bot_api.add_update(update)
        await bot_api.wait_idle(quiet=0.3)
        await asyncio.sleep(0.2)
    delivered = [
        u["update_id"] for call in bot_api.calls_to("getUpdates") if call.ok for u in call.result
    ]
    assert delivered.count(update["update_id"]) == 2, "the bot really saw it twice"
    assert len(bot_api.messages_in(USER_ID)) == 1
