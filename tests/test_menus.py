"""Command menus (setMyCommands) per scope and language, set at start-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.config import Settings
from tests.fakes.bot_api import ApiCall, FakeBotAPI
from tests.tg import USER_ID, to_user

PRIVATE = {"type": "all_private_chats"}
GROUPS = {"type": "all_group_chats"}
ADMINS = {"type": "all_chat_administrators"}

PRIVATE_NAMES = [
    "start",
    "help",
    "summary",
    "ask",
    "settings",
    "lang",
    "length",
    "style",
    "cancel",
    "usage",
    "forget",
]
GROUP_NAMES = ["summary", "ask", "help"]
ADMIN_NAMES = [*GROUP_NAMES, "settings", "autosummary", "lang", "length", "style"]


def names(bot_api: FakeBotAPI, scope: dict[str, Any], language_code: str = "") -> list[str]:
    return [command["command"] for command in bot_api.my_commands(scope, language_code)]


def descriptions(bot_api: FakeBotAPI, scope: dict[str, Any], language_code: str) -> dict[str, str]:
    return {c["command"]: c["description"] for c in bot_api.my_commands(scope, language_code)}


async def started(bot_api: FakeBotAPI, settings: Settings, start_bot: Any) -> None:
    """Run the bot until it has answered /start, so post_init (and the menus) are done."""
    async with start_bot(settings):
        bot_api.send_private_message("/start")
        await bot_api.wait_for("sendMessage", to_user)


async def test_menus_per_scope_and_language(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    await started(bot_api, settings_for(), start_bot)
    for language in ("", "ru"):
        assert names(bot_api, PRIVATE, language) == PRIVATE_NAMES
        assert names(bot_api, GROUPS, language) == GROUP_NAMES
        assert names(bot_api, ADMINS, language) == ADMIN_NAMES
    # Nothing for the default scope and no per-chat menus without operators.
    assert bot_api.my_commands() == []
    assert bot_api.my_commands({"type": "chat", "chat_id": USER_ID}) == []

    english = descriptions(bot_api, PRIVATE, "")
    russian = descriptions(bot_api, PRIVATE, "ru")
    assert english["settings"] == "Length, style, language, auto-summary"
    assert russian["settings"] == "Длина, стиль, язык, авто-пересказ"
    assert english["start"] == "Welcome and what I can do"
    assert russian["start"] == "Приветствие и что я умею"
    assert descriptions(bot_api, ADMINS, "ru")["autosummary"].startswith("Автоматически")
    assert all(english[name] != russian[name] for name in PRIVATE_NAMES)


async def test_operators_see_stats_in_their_private_chat(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    await started(bot_api, settings_for(admin_user_ids=[USER_ID, 4242]), start_bot)
    for user_id in (USER_ID, 4242):
        for language in ("", "ru"):
            scope = {"type": "chat", "chat_id": user_id}
            assert names(bot_api, scope, language) == [*PRIVATE_NAMES, "stats"]
    assert "stats" not in names(bot_api, PRIVATE)


async def test_a_refused_menu_is_not_fatal(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    bot_api.fail_next("setMyCommands", status=400, description="Bad Request: nope", count=2)
    await started(bot_api, settings_for(), start_bot)
    calls = bot_api.calls_to("setMyCommands")
    assert len(calls) == 6
    refused: list[ApiCall] = [call for call in calls if not call.ok]
    assert len(refused) == 2
    # The other menus were still set.
    set_menus = [
        names(bot_api, scope, lang) for scope in (PRIVATE, GROUPS, ADMINS) for lang in ("", "ru")
    ]
    assert sum(1 for menu in set_menus if menu) == 4
