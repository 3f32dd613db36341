"""One fetch and one LLM call per link, however many processes ask at once; a dead lock holder
is replaced by a waiter."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator

import pytest

from bot.store import Keys, RedisStore, SingleFlight, State
from tests.conftest import run_cli
from tests.fakes.openai_api import FakeOpenAI, Reply
from tests.fakes.web import FakeWeb, read_fixture
from tests.helpers.processes import run_workers, skim_llm_env, spawn


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[RedisStore]:
    backend = RedisStore.from_url(redis_url)
    yield backend
    await backend.aclose()


@pytest.mark.timeout(300)  # twenty interpreters start on two cores
async def test_twenty_cli_processes_make_one_llm_call_and_one_fetch(
    llm_api: FakeOpenAI, web: FakeWeb, redis_url: str, redis_prefix: str
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.first_token_delay = 2  # the leader is still working while the others arrive
    env = skim_llm_env(llm_api, redis_url, redis_prefix)
    runs = await asyncio.gather(
        *(run_cli("summarize", web.url("/story"), env=env, timeout=90) for _ in range(20))
    )
    assert [code for code, _, _ in runs] == [0] * 20, [err for _, _, err in runs if err]
    outputs = {out for _, out, _ in runs}
    assert len(outputs) == 1
    assert "Summary:" in next(iter(outputs))
    assert len(llm_api.requests) == 1
    assert web.hits("/story") == 1
    # The same page again, with tracking parameters and another fragment: straight from the cache.
    again = web.url("/story") + "?utm_source=telegram&utm_campaign=x&fbclid=abc#comments"
    code, out, err = await run_cli("summarize", again, env=env)
    assert code == 0, err
    assert {out} == outputs
    assert len(llm_api.requests) == 1
    assert web.hits("/story") == 1


async def test_two_processes_with_25_concurrent_summaries_each_share_one_call(
    llm_api: FakeOpenAI, web: FakeWeb, store: RedisStore, redis_url: str, redis_prefix: str
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.first_token_delay = 1
    env = skim_llm_env(llm_api, redis_url, redis_prefix)
    command = ["summarize", web.url("/story"), "25"]
    first, second = await run_workers(env, command, command)
    results = first + second
    assert len(results) == 50
    assert len({result["text"] for result in results}) == 1
    assert sum(not result["cached"] for result in results) == 1, "one caller did the work"
    assert len(llm_api.requests) == 1
    assert web.hits("/story") == 1
    stats = await State(store, Keys(redis_prefix)).stats()
    assert (stats.get("cache_hits"), stats.get("cache_misses")) == (49, 1)


async def test_a_killed_lock_holder_is_replaced_by_a_waiter(
    llm_api: FakeOpenAI, web: FakeWeb, redis_url: str, redis_prefix: str
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    # The first summary request (the holder's) never gets an answer in time; the next one does.
    llm_api.script(Reply(content="never delivered", delay=120))
    env = skim_llm_env(llm_api, redis_url, redis_prefix, SINGLE_FLIGHT_LOCK_TTL="1")
    holder = await spawn("-m", "bot", "summarize", web.url("/story"), env=env)
    waiter = None
    try:
        await llm_api.wait_for_requests(1, timeout=30)
        waiter = await spawn("-m", "bot", "summarize", web.url("/story"), env=env)
        # Long enough for the waiter to start and find the lock held (the holder keeps renewing).
        await asyncio.sleep(3)
        assert waiter.returncode is None, "the waiter waits while the holder is alive"
        assert len(llm_api.requests) == 1
        holder.send_signal(signal.SIGKILL)
        await holder.wait()
        out, err = await asyncio.wait_for(waiter.communicate(), 30)
    finally:
        for process in (holder, waiter):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
    assert waiter.returncode == 0, err.decode()
    assert "Summary:" in out.decode()
    assert "never delivered" not in out.decode()
    assert len(llm_api.requests) == 2
    assert web.hits("/story") == 1, "the holder's fetched document was reused"


async def test_a_waiter_that_just_missed_the_result_does_not_redo_the_work(
    store: RedisStore, redis_prefix: str
) -> None:
    """The holder finishes between a waiter's cache check and its lock attempt."""
    flight = SingleFlight(store, Keys(redis_prefix), poll_interval=0.01)
    cache: dict[str, str] = {}
    calls: list[str] = []
    started = asyncio.Event()

    async def work() -> str:
        calls.append("work")
        started.set()
        await asyncio.sleep(0.05)
        cache["result"] = "done"
        return "done"

    async def check() -> str | None:
        return cache.get("result")

    leader = asyncio.create_task(flight.run("job", check, work))
    await started.wait()

    async def late_check() -> str | None:
        seen = cache.get("result")
        await leader  # by the time this answer arrives, the holder has stored and unlocked
        return seen

    assert await flight.run("job", late_check, work) == "done"
    assert await leader == "done"
    assert calls == ["work"]
