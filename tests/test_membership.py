"""The bot added to a group or a channel says what it does there, once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.config import Settings
from tests.fakes.bot_api import DEFAULT_SUPERGROUP_ID, FakeBotAPI
from tests.tg import USER_ID, bot_membership, wait_text

CHANNEL_ID = -1009876543210


GROUP_CHAT = {"id": DEFAULT_SUPERGROUP_ID, "type": "supergroup", "title": "Rowing Club"}
CHANNEL_CHAT = {"id": CHANNEL_ID, "type": "channel", "title": "Mill News"}


async def test_a_group_that_adds_the_bot_hears_how_to_use_it_and_about_privacy_mode(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """The admin who added it learned nothing: not /autosummary, not that privacy mode hides
    members' links."""
    async with start_bot(settings_for()):
        bot_membership(bot_api, GROUP_CHAT, "left", "member")
        welcome = await wait_text(bot_api, "/autosummary on", chat_id=DEFAULT_SUPERGROUP_ID)
    assert "Reply /summary to a message with a link" in welcome["text"]
    assert "make me an admin of this group" in welcome["text"]


async def test_a_group_that_adds_the_bot_as_admin_is_not_told_about_privacy(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    bot_api.set_chat_admins(DEFAULT_SUPERGROUP_ID, [USER_ID, bot_api.bot_id])
    async with start_bot(settings_for()):
        bot_membership(bot_api, GROUP_CHAT, "left", "administrator")
        welcome = await wait_text(bot_api, "/autosummary on", chat_id=DEFAULT_SUPERGROUP_ID)
    assert "make me an admin" not in welcome["text"]


async def test_a_channel_admin_is_told_privately_and_subscribers_see_nothing(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_private_message("/start")
        await wait_text(bot_api, "I read so")
        bot_membership(bot_api, CHANNEL_CHAT, "left", "administrator")
        told = await wait_text(bot_api, "Mill News")
    assert "/autosummary on" in told["text"]
    assert not bot_api.messages_in(CHANNEL_ID)


async def test_nothing_is_said_when_the_bot_is_removed_or_only_promoted(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_membership(bot_api, GROUP_CHAT, "member", "administrator")
        bot_membership(bot_api, GROUP_CHAT, "member", "left")
        await bot_api.wait_idle(quiet=0.5)
    assert not bot_api.calls_to("sendMessage")


async def test_start_in_a_group_gets_the_groups_introduction(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """It said "Send me a link, paste a long text…", which does nothing in a group."""
    async with start_bot(settings_for()):
        bot_api.send_group_message("/start")
        told = await wait_text(bot_api, "/autosummary on", chat_id=DEFAULT_SUPERGROUP_ID)
    assert "Send me a link" not in told["text"]
