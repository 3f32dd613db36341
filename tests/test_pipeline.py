"""The request pipeline on its own (bot.pipeline): the events a surface renders, and the policies.

No Telegram here: requests go straight to `Pipeline.run`, with real Redis, the web fake and the
OpenAI fake over HTTP, as the CLI uses it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from itertools import pairwise

import pytest

from bot.config import Settings
from bot.content.sources import UrlSource
from bot.deps import Deps, build_deps
from bot.origin import REDELIVERED
from bot.pipeline import (
    Answered,
    AskRequest,
    Caller,
    Cancelled,
    CancelResult,
    Event,
    Failed,
    Refusal,
    Refused,
    StageChanged,
    Summarized,
    SummarizeRequest,
    TextStreamed,
)
from bot.values import Stage, SummaryOptions
from tests.conftest import llm_settings
from tests.fakes.openai_api import FakeOpenAI, Reply
from tests.fakes.web import FakeWeb, read_fixture

SUMMARY = "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it"
ALICE = Caller(user_id=7, chat_id=7, language="en")


@pytest.fixture
async def make_deps(
    settings_for: Callable[..., Settings], llm_api: FakeOpenAI
) -> AsyncIterator[Callable[..., Deps]]:
    made: list[Deps] = []

    def make(**overrides: object) -> Deps:
        deps = build_deps(llm_settings(settings_for, llm_api, **overrides))
        made.append(deps)
        return deps

    yield make
    for deps in made:
        await deps.aclose()


async def events_of(deps: Deps, request: SummarizeRequest | AskRequest) -> list[Event]:
    return [event async for event in deps.pipeline.run(request)]


def story(web: FakeWeb, caller: Caller = ALICE) -> SummarizeRequest:
    web.route("/story", read_fixture("article_en.html"))
    return SummarizeRequest(UrlSource(web.url("/story")), SummaryOptions(), caller)


async def test_a_new_summary_reports_stages_then_streams_then_ends_with_the_result(
    make_deps: Callable[..., Deps], llm_api: FakeOpenAI, web: FakeWeb
) -> None:
    llm_api.script(SUMMARY)
    events = await events_of(make_deps(), story(web))
    stages = [e.progress.stage for e in events if isinstance(e, StageChanged)]
    assert stages[0] is Stage.FETCHING
    assert Stage.SUMMARIZING in stages
    first = events[0]
    assert isinstance(first, StageChanged)
    assert first.text.startswith("Reading 127.0.0.1")
    streamed = [e.text for e in events if isinstance(e, TextStreamed)]
    assert streamed, "the model's text streams"
    assert all(b.startswith(a) for a, b in pairwise(streamed)), "all the text so far"
    last = events[-1]
    assert isinstance(last, Summarized)
    assert not last.result.cached
    assert "tide mill works" in last.result.summary.text


async def test_a_cached_summary_is_one_event_and_costs_no_quota(
    make_deps: Callable[..., Deps], llm_api: FakeOpenAI, web: FakeWeb
) -> None:
    deps = make_deps(daily_summary_quota=1)
    llm_api.script(SUMMARY)
    await events_of(deps, story(web))
    for _ in range(3):
        [event] = await events_of(deps, story(web))
        assert isinstance(event, Summarized)
        assert event.result.cached
    assert len(llm_api.requests) == 1


async def test_over_the_quota_the_work_stops_before_the_llm(
    make_deps: Callable[..., Deps], llm_api: FakeOpenAI, web: FakeWeb
) -> None:
    deps = make_deps(daily_summary_quota=1)
    llm_api.script(SUMMARY)
    await events_of(deps, story(web))
    web.route("/other", read_fixture("article_ru.html"))
    request = SummarizeRequest(UrlSource(web.url("/other")), SummaryOptions(), ALICE)
    last = (await events_of(deps, request))[-1]
    assert isinstance(last, Refused)
    assert last.reason is Refusal.QUOTA
    assert last.message.startswith("You've used today's summaries (1 a day)")
    assert len(llm_api.requests) == 1
    operator = SummarizeRequest(request.source, request.options, Caller(7, 7, exempt=True))
    assert isinstance((await events_of(deps, operator))[-1], Summarized), "operators pass"


async def test_one_request_at_a_time_per_user(
    make_deps: Callable[..., Deps], llm_api: FakeOpenAI, web: FakeWeb
) -> None:
    deps = make_deps()
    llm_api.script(Reply(content=SUMMARY, delay=1.5))
    first = asyncio.create_task(events_of(deps, story(web)))
    await llm_api.wait_for_requests(1)
    web.route("/other", read_fixture("article_ru.html"))
    other = SummarizeRequest(UrlSource(web.url("/other")), SummaryOptions(), ALICE)
    [busy] = await events_of(deps, other)
    assert isinstance(busy, Refused)
    assert busy.reason is Refusal.BUSY
    assert isinstance((await first)[-1], Summarized)
    bob = SummarizeRequest(other.source, other.options, Caller(8, 8))
    llm_api.script(SUMMARY)
    assert isinstance((await events_of(deps, bob))[-1], Summarized), "others are not held up"


async def test_cancel_stops_the_running_request_with_an_event(
    make_deps: Callable[..., Deps], llm_api: FakeOpenAI, web: FakeWeb
) -> None:
    deps = make_deps()
    llm_api.script(Reply(content=SUMMARY, delay=5))
    running = asyncio.create_task(events_of(deps, story(web)))
    await llm_api.wait_for_requests(1)
    assert await deps.pipeline.cancel(7) is CancelResult.STOPPING
    events = await asyncio.wait_for(running, 3)
    assert isinstance(events[-1], Cancelled)
    assert events[-1].message == "Stopped."
    assert await deps.pipeline.cancel(7) is CancelResult.NOTHING, "the lock went with it"


async def test_a_cancel_another_process_took_stops_a_summary_being_written(
    make_deps: Callable[..., Deps], llm_api: FakeOpenAI, web: FakeWeb
) -> None:
    """Two workers on one Redis: /cancel reached the other one. The request, past its last
    stage change while the model writes, said "Stopped." and then delivered the summary."""
    here, there = make_deps(), make_deps()
    llm_api.script(Reply(content=SUMMARY, delay=8))
    running = asyncio.create_task(events_of(here, story(web)))
    await llm_api.wait_for_requests(1)
    assert await there.pipeline.cancel(7) is CancelResult.REQUESTED
    events = await asyncio.wait_for(running, 5)
    assert isinstance(events[-1], Cancelled)
    assert not any(isinstance(event, Summarized) for event in events)


async def test_a_redelivered_request_cancelled_meanwhile_is_not_done_again(
    make_deps: Callable[..., Deps], llm_api: FakeOpenAI, web: FakeWeb
) -> None:
    """Its worker died mid-summary and the user sent /cancel: the worker that claims the
    update must not summarize it after all (a "Stopped." then the summary, and an LLM call)."""
    deps = make_deps()
    assert await deps.pipeline.cancel(7) is CancelResult.NOTHING  # nothing runs: no mark
    await deps.skim.state.begin_request(7)  # the dead worker's request, lease left behind
    assert await deps.pipeline.cancel(7) is CancelResult.REQUESTED
    token = REDELIVERED.set(True)
    try:
        events = await events_of(deps, story(web))
    finally:
        REDELIVERED.reset(token)
    assert isinstance(events[-1], Cancelled)
    assert not llm_api.requests


async def test_rate_limits_refuse_before_any_work(
    make_deps: Callable[..., Deps], llm_api: FakeOpenAI, web: FakeWeb
) -> None:
    deps = make_deps(rate_limit_user_burst=1, rate_limit_user_per_minute=1)
    llm_api.script(SUMMARY, SUMMARY)
    web.route("/other", read_fixture("article_ru.html"))
    await events_of(deps, story(web))
    request = SummarizeRequest(UrlSource(web.url("/other")), SummaryOptions(), ALICE)
    [refused] = await events_of(deps, request)
    assert isinstance(refused, Refused)
    assert refused.reason is Refusal.USER_RATE
    assert web.hits("/other") == 0, "nothing fetched for a refused request"


async def test_a_failure_is_an_event_with_the_users_message(
    make_deps: Callable[..., Deps], web: FakeWeb
) -> None:
    deps = make_deps()
    caller = Caller(7, 7, language="ru")
    request = SummarizeRequest(UrlSource(web.url("/missing")), SummaryOptions(), caller)
    last = (await events_of(deps, request))[-1]
    assert isinstance(last, Failed)
    assert last.message == last.error.message_for("ru")
    assert await deps.skim.state.begin_request(7) is not None, "the user is free again"


async def test_a_question_about_any_source_streams_its_answer(
    make_deps: Callable[..., Deps], llm_api: FakeOpenAI, web: FakeWeb
) -> None:
    deps = make_deps()
    llm_api.script("It grinds flour.")
    web.route("/story", read_fixture("article_en.html"))
    request = AskRequest(UrlSource(web.url("/story")), "What does it grind?", ALICE)
    events = await events_of(deps, request)
    assert any(isinstance(e, StageChanged) and e.progress.stage is Stage.ANSWERING for e in events)
    last = events[-1]
    assert isinstance(last, Answered)
    assert "flour" in last.answer.text
    assert last.thread is None, "no thread for a question about a plain source"


async def test_identical_work_is_done_once_and_the_wait_is_counted(
    make_deps: Callable[..., Deps], llm_api: FakeOpenAI, web: FakeWeb
) -> None:
    deps = make_deps()
    llm_api.script(Reply(content=SUMMARY, delay=1))
    alice = story(web)
    bob = SummarizeRequest(alice.source, alice.options, Caller(8, 8))
    first, second = await asyncio.gather(events_of(deps, alice), events_of(deps, bob))
    assert isinstance(first[-1], Summarized)
    assert isinstance(second[-1], Summarized)
    assert len(llm_api.requests) == 1
    waits = deps.metrics.single_flight_waits._value.get()
    assert waits >= 1
    assert deps.metrics.cache.labels("summary", "miss")._value.get() == 2
