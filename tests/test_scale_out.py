"""Scale-out with real processes: one intake and several workers meeting in a Redis Stream,
on one Redis and on a Redis Cluster (three masters, a replica each).

Each test starts `skim run --role intake` and `skim run --role worker` processes against the
Bot API, OpenAI and web fakes, and checks what users see: every update answered once, one LLM
request per distinct link, nothing lost when a worker is killed, state shared by all workers.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest

from tests.fakes.bot_api import FakeBotAPI, make_user
from tests.fakes.openai_api import FakeOpenAI, Reply
from tests.fakes.web import FakeWeb
from tests.helpers.processes import SkimRun, skim_run, skim_run_env
from tests.helpers.redis_cluster import RedisCluster
from tests.helpers.redis_server import free_port
from tests.tg import USER_ID, message_of, summaries_in, wait_summary

SUMMARY = "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it"


def article(n: int) -> str:
    """A page of its own for link `n`: distinct text, so each is a distinct summary."""
    paragraphs = "".join(
        f"<p>Report {n}, part {k}: the harbour committee of town number {n} met on day {k} "
        f"and agreed that the old tide mill, item {n * 100 + k}, should be restored by "
        f"spring, with volunteers from {n + k} villages carrying stones by hand.</p>"
        for k in range(8)
    )
    return (
        f"<html><head><title>Harbour report {n}</title></head><body><article>"
        f"<h1>Harbour report {n}</h1>{paragraphs}</article></body></html>"
    )


@pytest.fixture(params=["redis", "cluster"])
def shared_redis(
    request: pytest.FixtureRequest, redis_url: str, redis_prefix: str
) -> Iterator[tuple[str, str]]:
    """(REDIS_URL, REDIS_PREFIX): the test's Redis, or a Redis Cluster of the test's own."""
    if request.param == "redis":
        yield redis_url, redis_prefix
        return
    cluster = RedisCluster()
    cluster.start()
    try:
        yield cluster.url, redis_prefix
    finally:
        cluster.stop()


def env_for(bot_api: FakeBotAPI, llm_api: FakeOpenAI, redis_url: str, prefix: str, **extra: str):
    return skim_run_env(
        bot_api,
        redis_url,
        prefix,
        OPENAI_API_KEY=llm_api.api_key,
        OPENAI_BASE_URL=llm_api.url,
        **extra,
    )


@asynccontextmanager
async def cluster_of(
    env: dict[str, str], workers: int, *intake_args: str
) -> AsyncIterator[list[SkimRun]]:
    """One intake and `workers` workers for the block: [intake, worker, worker, ...]."""
    async with AsyncExitStack() as stack:
        runs = [await stack.enter_async_context(skim_run(env, "--role", "intake", *intake_args))]
        for _ in range(workers):
            runs.append(await stack.enter_async_context(skim_run(env, "--role", "worker")))
        yield runs
        for run in runs:
            assert run.process.returncode in (None, 0, -9), run.stderr


async def test_fifty_users_twenty_links_three_workers_one_llm_request_per_link(
    bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb, shared_redis: tuple[str, str]
) -> None:
    redis_url, redis_prefix = shared_redis
    for n in range(20):
        web.route(f"/report/{n}", article(n))
    llm_api.first_token_delay = 0.5  # the identical requests overlap: single flight must hold
    env = env_for(bot_api, llm_api, redis_url, redis_prefix)
    users = [make_user(1000 + i, f"Reader{i}") for i in range(50)]
    async with cluster_of(env, 3):
        await asyncio.sleep(2)  # every process up and reading
        for i, user in enumerate(users):
            bot_api.send_private_message(web.url(f"/report/{i % 20}"), user=user)
        for user in users:
            await wait_summary(bot_api, chat_id=user["id"], timeout=60)
        await asyncio.sleep(1.5)  # a duplicate would come now
    for user in users:
        assert len(summaries_in(bot_api, user["id"])) == 1, user["id"]
    assert len(llm_api.requests) == 20


async def test_a_worker_killed_mid_summary_another_delivers_it_once(
    bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb, shared_redis: tuple[str, str]
) -> None:
    redis_url, redis_prefix = shared_redis
    web.route("/story", article(1))
    # The first LLM request never finishes in time (its worker dies); the retry is quick.
    llm_api.script(Reply(content=SUMMARY, delay=60), Reply(content=SUMMARY))
    env = env_for(
        bot_api, llm_api, redis_url, redis_prefix, STREAM_CLAIM_IDLE="3", SINGLE_FLIGHT_LOCK_TTL="3"
    )
    async with cluster_of(env, 1) as runs:
        bot_api.send_private_message(web.url("/story"))
        await llm_api.wait_for_requests(1, timeout=30)
        async with skim_run(env, "--role", "worker") as second:
            runs[1].process.send_signal(signal.SIGKILL)
            loop = asyncio.get_running_loop()
            killed_at = loop.time()
            await wait_summary(bot_api, timeout=3 + 3 + 10)
            took = loop.time() - killed_at
            await asyncio.sleep(2)
        assert second.process.returncode in (0, None), second.stderr
    assert len(summaries_in(bot_api, USER_ID)) == 1
    assert took < 16
    assert len(llm_api.requests) == 2


async def test_the_same_update_posted_twice_to_the_webhook_is_answered_once(
    bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb, shared_redis: tuple[str, str]
) -> None:
    redis_url, redis_prefix = shared_redis
    web.route("/story", article(2))
    port = free_port()
    env = env_for(
        bot_api,
        llm_api,
        redis_url,
        redis_prefix,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        WEBHOOK_SECRET="s3cret-token",
        WEBHOOK_LISTEN=f"127.0.0.1:{port}",
    )
    update = {
        "update_id": 777001,
        "message": {
            "message_id": 5,
            "date": 1_700_000_000,
            "chat": {"id": 4242, "type": "private", "first_name": "Ann"},
            "from": {"id": 4242, "is_bot": False, "first_name": "Ann", "language_code": "en"},
            "text": web.url("/story"),
            "entities": [{"type": "url", "offset": 0, "length": len(web.url("/story"))}],
        },
    }
    async with cluster_of(env, 2):
        await bot_api.wait_for("setWebhook", timeout=20)
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        async with httpx.AsyncClient() as client:
            for _ in range(2):  # Telegram retries when it did not see our 200 in time
                answer = await client.post(
                    f"http://127.0.0.1:{port}/hook",
                    content=json.dumps(update),
                    headers={**headers, "Content-Type": "application/json"},
                )
                assert answer.status_code == 200
        await wait_summary(bot_api, chat_id=4242, timeout=30)
        await asyncio.sleep(2)
    assert len(summaries_in(bot_api, 4242)) == 1


async def test_settings_and_threads_written_through_one_worker_are_seen_by_another(
    bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb, redis_url: str, redis_prefix: str
) -> None:
    # On a cluster: tests/test_scale_out_cluster.py (settings across a failover) and
    # tests/test_cluster.py (threads and settings through two processes).
    web.route("/one", article(3))
    web.route("/two", article(4))
    env = env_for(bot_api, llm_api, redis_url, redis_prefix)
    async with skim_run(env, "--role", "intake"):
        async with skim_run(env, "--role", "worker"):
            bot_api.send_private_message("/length short")
            await bot_api.wait_for("sendMessage", timeout=20)
            bot_api.send_private_message(web.url("/one"))
            first = await wait_summary(bot_api, timeout=30)
        # The first worker is gone; a new one must know the setting and the thread.
        async with skim_run(env, "--role", "worker"):
            bot_api.send_private_message(
                "What should be restored?", reply_to_message=message_of(bot_api, first)
            )
            await bot_api.wait_for(
                "sendMessage", lambda c: "What should be restored?" in c.params["text"], timeout=30
            )
            bot_api.send_private_message(web.url("/two"))
            await wait_summary(bot_api, count=2, timeout=30)
    asked = [r for r in llm_api.requests if "What should be restored?" in r.user_text]
    assert asked, "the question was answered from the thread saved by the first worker"
    summaries = [r for r in llm_api.requests if "Harbour report 4" in r.user_text]
    assert summaries
    assert "About 450 characters" in json.dumps(summaries[0].messages), "the short preset"


async def test_a_worker_stopped_mid_summary_frees_its_lock_and_another_answers_at_once(
    bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb, redis_url: str, redis_prefix: str
) -> None:
    web.route("/story", article(7))
    llm_api.script(Reply(content=SUMMARY, delay=60), Reply(content=SUMMARY))
    env = env_for(bot_api, llm_api, redis_url, redis_prefix, SHUTDOWN_GRACE="1")
    async with cluster_of(env, 1) as runs:
        bot_api.send_private_message(web.url("/story"))
        await llm_api.wait_for_requests(1, timeout=30)
        async with skim_run(env, "--role", "worker"):
            loop = asyncio.get_running_loop()
            stopped_at = loop.time()
            runs[1].process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(runs[1].process.wait(), 20)
            # Not STREAM_CLAIM_IDLE (30 s) nor SINGLE_FLIGHT_LOCK_TTL (15 s): given back at once.
            await wait_summary(bot_api, timeout=15)
            took = loop.time() - stopped_at
    assert code == 0
    assert "1 abandoned" in runs[1].stderr, runs[1].stderr
    assert took < 15
    assert len(summaries_in(bot_api, USER_ID)) == 1
    assert len(llm_api.requests) == 2
