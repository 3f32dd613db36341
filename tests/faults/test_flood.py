"""Bot API flood control: a 429 for one chat holds back that chat only."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from telegram.error import RetryAfter

from bot.config import Settings
from bot.flood import PerChatRateLimiter
from bot.store import Keys, MemoryStore, State
from tests.conftest import llm_settings
from tests.fakes.bot_api import DEFAULT_SUPERGROUP_ID, FakeBotAPI, make_user
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import send_for_summary, wait_summary

GROUP = DEFAULT_SUPERGROUP_ID
BOB = make_user(2002, "Bob", "bob")
SUMMARY = "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it"


async def test_a_flood_wait_in_one_group_does_not_hold_up_a_private_chat(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    web.route("/other", read_fixture("article_ru.html"))
    llm_api.script(SUMMARY, SUMMARY)
    bot_api.fail_next("sendMessage", status=429, retry_after=6, chat_id=GROUP)
    async with start_bot(llm_settings(settings_for, llm_api)):
        loop = asyncio.get_running_loop()
        started = loop.time()
        bot_api.send_group_message(f"/summary {web.url('/story')}", user=BOB)
        await bot_api.wait_for(
            "sendMessage", lambda c: c.params.get("chat_id") == GROUP and c.status == 429
        )
        await send_for_summary(bot_api, web.url("/other"))
        private_done = loop.time() - started
        await wait_summary(bot_api, chat_id=GROUP, timeout=20)
        group_done = loop.time() - started
    assert private_done < 4, f"the private chat waited {private_done:.1f} s for the group's flood"
    assert group_done >= 6, "the group itself waited its flood out"


async def test_a_429_on_a_call_to_no_chat_pauses_everything() -> None:
    limiter = PerChatRateLimiter(
        State(MemoryStore(), Keys("t:")), overall_max_rate=0, max_retries=1
    )
    answered: list[str] = []
    calls = 0

    async def flooded() -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RetryAfter(1)
        answered.append("no chat")
        return True

    async def to_chat() -> bool:
        answered.append("chat")
        return True

    loop = asyncio.get_running_loop()
    started = loop.time()
    first = asyncio.create_task(limiter.process_request(flooded, (), {}, "getUpdates", {}, None))
    await asyncio.sleep(0.1)
    await limiter.process_request(to_chat, (), {}, "sendMessage", {"chat_id": 5}, None)
    waited = loop.time() - started
    await first
    assert waited >= 1, "a global flood holds back calls to every chat"
    assert answered == ["chat", "no chat"] or answered == ["no chat", "chat"]
