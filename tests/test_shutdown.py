"""SIGTERM: no new updates, the summary in progress still reaches its user, exit 0."""

from __future__ import annotations

import asyncio
import signal

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI, Reply
from tests.fakes.web import FakeWeb, read_fixture
from tests.helpers.processes import skim_run, skim_run_env
from tests.tg import wait_summary, wait_text

SUMMARY = "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it"


def _env(
    bot_api: FakeBotAPI, llm_api: FakeOpenAI, redis_url: str, redis_prefix: str, *, grace: str
) -> dict[str, str]:
    """`skim run` on the fakes with the LLM's fake and this SHUTDOWN_GRACE."""
    return skim_run_env(
        bot_api,
        redis_url,
        redis_prefix,
        OPENAI_API_KEY=llm_api.api_key,
        OPENAI_BASE_URL=llm_api.url,
        SHUTDOWN_GRACE=grace,
    )


async def test_sigterm_during_a_summary_delivers_it_and_exits_0(
    bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb, redis_url: str, redis_prefix: str
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(Reply(content=SUMMARY, delay=3))
    env = _env(bot_api, llm_api, redis_url, redis_prefix, grace="20")
    async with skim_run(env) as run:
        bot_api.send_private_message(web.url("/story"))
        await llm_api.wait_for_requests(1, timeout=30)
        await wait_text(bot_api, "Summarizing", timeout=10)
        run.process.send_signal(signal.SIGTERM)
        await wait_summary(bot_api, timeout=20)
        code = await asyncio.wait_for(run.process.wait(), 20)
    assert code == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert "requests in flight: 1 finished, 0 abandoned" in run.stderr


async def test_a_second_signal_exits_at_once_abandoning_the_work(
    bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb, redis_url: str, redis_prefix: str
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(Reply(content=SUMMARY, delay=60))
    env = _env(bot_api, llm_api, redis_url, redis_prefix, grace="60")
    async with skim_run(env) as run:
        bot_api.send_private_message(web.url("/story"))
        await llm_api.wait_for_requests(1, timeout=30)
        run.process.send_signal(signal.SIGTERM)
        await asyncio.sleep(1)
        assert run.process.returncode is None, "the first signal waits for the work"
        run.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(run.process.wait(), 5)
    assert code == 1
    assert "second signal: exiting now" in run.stderr


async def test_work_the_grace_cuts_off_without_redis_tells_its_user_to_send_again(
    bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb, redis_url: str, redis_prefix: str
) -> None:
    """Without Redis nothing redoes the request (Telegram was told the update arrived): its
    status says to send again instead of "Summarizing…" forever, and the log blames no user."""
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(Reply(content=SUMMARY, delay=60))
    env = _env(bot_api, llm_api, redis_url, redis_prefix, grace="1")
    del env["REDIS_URL"]
    async with skim_run(env) as run:
        bot_api.send_private_message(web.url("/story"))
        await llm_api.wait_for_requests(1, timeout=30)
        status = await wait_text(bot_api, "Summarizing", timeout=10)
        run.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(run.process.wait(), 20)
    assert code == 0, run.stderr
    shown = bot_api.message(status["chat"]["id"], status["message_id"])
    assert shown is not None
    assert shown["text"] == "I was restarted before I could finish this. Please send it again."
    assert "1 abandoned" in run.stderr
    assert "cancelled by the user" not in run.stderr
