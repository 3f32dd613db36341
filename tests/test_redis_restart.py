"""A restart of the bot process keeps what users set up: settings and Q&A threads live in Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.config import Settings
from bot.llm.prompts import LENGTHS
from bot.store import Prefs
from tests.conftest import llm_settings
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import USER_ID, message_of, send_for_summary, wait_text

SUMMARY = "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it"


async def test_settings_and_threads_survive_a_restart(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY, "It was built in 1790.")
    settings = llm_settings(settings_for, llm_api)
    prefs = Prefs(length="short", style="paragraph", language="en", auto_summary=True)
    async with start_bot(settings) as bot:
        assert await bot.deps.skim.state.save_chat_prefs(USER_ID, prefs)
        call = await send_for_summary(bot_api, web.url("/story"))
    summary = message_of(bot_api, call)
    assert llm_api.requests[0].max_tokens == LENGTHS["short"].max_tokens, "the saved length"

    async with start_bot(settings) as bot:
        assert await bot.deps.skim.state.chat_prefs(USER_ID) == prefs
        bot_api.send_private_message("When was it built?", reply_to_message=summary)
        await wait_text(bot_api, "It was built in 1790.")
        thread = await bot.deps.skim.state.thread(USER_ID, call.result["message_id"])
    assert thread is not None
    assert thread.length == "short"
    question = llm_api.requests[1]
    assert "When was it built?" in question.user_text
    assert "Brackwater" in question.user_text, "answered from the article kept with the thread"
    assert len(llm_api.requests) == 2
    assert web.hits("/story") == 1, "the thread's document came from Redis, not a new fetch"
