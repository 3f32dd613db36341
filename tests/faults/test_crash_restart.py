"""A bot killed (SIGKILL) mid-summary and started again: nothing stays stuck, nothing is lost.

The update is still pending in the Redis Stream: the next process deletes the dead one's status
message, claims the update and delivers the summary; the user's one-request lock lapses within
seconds (or at once with /cancel), and the next link works.
"""

from __future__ import annotations

import asyncio
import signal

from bot.pipeline import HEARTBEAT, LIFE
from tests.conftest import eventually
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI, Reply
from tests.fakes.web import FakeWeb, read_fixture
from tests.helpers.processes import skim_run, skim_run_env
from tests.tg import (
    USER_ID,
    send_for_summary,
    summaries_in,
    wait_any_text,
    wait_summary,
    wait_text,
)

SUMMARY = "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it"


async def _gone(bot_api: FakeBotAPI, message_id: int) -> bool:
    return bot_api.message(USER_ID, message_id) is None


async def _killed_mid_summary(
    bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb, env: dict[str, str]
) -> None:
    """Start a bot, send a link, and kill the bot while the model is still writing."""
    llm_api.script(Reply(content=SUMMARY, delay=60), SUMMARY)
    async with skim_run(env) as first:
        bot_api.send_private_message(web.url("/story"))
        await llm_api.wait_for_requests(1, timeout=30)
        await wait_text(bot_api, "Summarizing", timeout=10)
        first.process.send_signal(signal.SIGKILL)
        await first.process.wait()


async def test_a_killed_bots_update_is_answered_by_the_next_process_and_the_user_is_free(
    bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb, redis_url: str, redis_prefix: str
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    web.route("/other", read_fixture("article_ru.html"))
    env = skim_run_env(
        bot_api,
        redis_url,
        redis_prefix,
        OPENAI_API_KEY=llm_api.api_key,
        OPENAI_BASE_URL=llm_api.url,
        STREAM_CLAIM_IDLE="3",
    )
    await _killed_mid_summary(bot_api, llm_api, web, env)
    (orphan,) = bot_api.messages_in(USER_ID)
    async with skim_run(env):
        await wait_summary(bot_api, timeout=45)  # the killed process's link, from the stream
        loop = asyncio.get_running_loop()
        started = loop.time()
        await send_for_summary(bot_api, web.url("/other"), count=2, timeout=40)
        assert loop.time() - started < 30, "the dead request's lock lapsed within seconds"
        # Once the dead process's heartbeat has lapsed (LIFE), its status message goes.
        await eventually(lambda: _gone(bot_api, orphan["message_id"]), timeout=LIFE + HEARTBEAT + 5)
    texts = [m.get("text", "") for m in bot_api.messages_in(USER_ID)]
    assert not any("Still working on your last link" in text for text in texts)
    assert not any("Summarizing" in text for text in texts)
    assert len(summaries_in(bot_api, USER_ID)) == 2


async def test_cancel_frees_a_user_whose_request_died_with_its_process(
    bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb, redis_url: str, redis_prefix: str
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    web.route("/other", read_fixture("article_ru.html"))
    env = skim_run_env(
        bot_api,
        redis_url,
        redis_prefix,
        OPENAI_API_KEY=llm_api.api_key,
        OPENAI_BASE_URL=llm_api.url,
    )
    await _killed_mid_summary(bot_api, llm_api, web, env)
    async with skim_run(env):
        bot_api.send_private_message("/cancel")
        # "Stopped." while the dead process's lease (or its redone update) still runs; once the
        # lease has lapsed on its own (a slow machine), "Nothing is running.": free either way.
        await wait_any_text(bot_api, ("Stopped.", "Nothing is running."), timeout=30)
        await send_for_summary(bot_api, web.url("/other"), timeout=30)
    texts = [m.get("text", "") for m in bot_api.messages_in(USER_ID)]
    assert not any("Still working on your last link" in text for text in texts)
