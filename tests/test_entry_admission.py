"""Every way to start a summary passes the same gate (bot.pipeline), end to end.

A user whose daily quota is used up gets the same refusal, with no LLM request, whether the next
summary comes from a link, `/summary`, a deep link, a mention in a group, a button or inline
mode; the rate limits and one-request-at-a-time hold for questions too; nobody's quota pays for
a group's auto-summaries, which the chat's own rate limit holds back instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.content.urls import normalize_url
from bot.store.keys import DEEP_LINK_TTL
from handlers.deeplinks import summary_payload, token_for
from tests.conftest import RunningBot, eventually, llm_settings
from tests.fakes.bot_api import DEFAULT_SUPERGROUP_ID, FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI, Reply
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import (
    USER_ID,
    message_of,
    send_for_summary,
    set_auto_summary,
    summaries_in,
    wait_text,
)

SUMMARY = "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it"
QUOTA_TEXT = "You've used today's"
TOO_FAST = "You're sending requests too fast"


def _pages(web: FakeWeb) -> None:
    web.route("/story", read_fixture("article_en.html"))
    web.route("/other", read_fixture("article_ru.html"))


async def _use_the_quota(bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb) -> None:
    """The day's one summary, through a private link."""
    await send_for_summary(bot_api, web.url("/story"))
    assert len(llm_api.requests) == 1


async def _deep_link(bot: RunningBot, url: str) -> str:
    """A `/start` payload for the link, as an inline answer would have stored it."""
    normalized = normalize_url(url)
    await bot.deps.skim.state.save_deep_link(token_for(normalized), normalized, ttl=DEEP_LINK_TTL)
    return summary_payload(normalized)


@pytest.mark.parametrize("entry", ["link", "/summary", "deep link"])
async def test_private_entry_points_at_quota_are_refused_alike(
    entry: str,
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    _pages(web)
    settings = llm_settings(settings_for, llm_api, daily_summary_quota=1)
    async with start_bot(settings) as bot:
        await _use_the_quota(bot_api, llm_api, web)
        other = web.url("/other")
        if entry == "link":
            bot_api.send_private_message(other)
        elif entry == "/summary":
            bot_api.send_private_message(f"/summary {other}")
        else:
            bot_api.send_private_message(f"/start {await _deep_link(bot, other)}")
        refusal = await wait_text(bot_api, QUOTA_TEXT)
    assert "Try again in" in str(refusal["text"])
    assert len(llm_api.requests) == 1, f"no LLM request for a refused {entry}"


async def test_forget_does_not_hand_out_a_fresh_quota(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    _pages(web)
    settings = llm_settings(settings_for, llm_api, daily_summary_quota=1)
    async with start_bot(settings):
        await _use_the_quota(bot_api, llm_api, web)
        bot_api.send_private_message("/forget")
        await wait_text(bot_api, "are deleted")
        bot_api.send_private_message(web.url("/other"))
        await wait_text(bot_api, QUOTA_TEXT)
    assert len(llm_api.requests) == 1


async def test_a_mention_in_a_group_at_quota_is_refused_there(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    _pages(web)
    async with start_bot(llm_settings(settings_for, llm_api, daily_summary_quota=1)):
        await _use_the_quota(bot_api, llm_api, web)
        bot_api.send_group_message(f"@skim_test_bot {web.url('/other')}")
        await wait_text(bot_api, QUOTA_TEXT, chat_id=DEFAULT_SUPERGROUP_ID)
    assert len(llm_api.requests) == 1


@pytest.mark.parametrize("button", ["sk:short", "sk:long", "sk:tr:de"])
async def test_every_button_at_quota_is_refused_like_a_link(
    button: str,
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    _pages(web)
    async with start_bot(llm_settings(settings_for, llm_api, daily_summary_quota=1)):
        summary = message_of(bot_api, await send_for_summary(bot_api, web.url("/story")))
        bot_api.send_callback_query(button, message=summary)
        refusal = await wait_text(bot_api, QUOTA_TEXT)
    assert len(llm_api.requests) == 1, f"no LLM request for {button} at quota"
    assert bot_api.message(USER_ID, summary["message_id"])["text"] == summary["text"]
    assert "Try again in" in str(refusal["text"])


async def test_inline_mode_at_quota_says_why_and_asks_no_llm(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    _pages(web)
    async with start_bot(llm_settings(settings_for, llm_api, daily_summary_quota=1)) as bot:
        await _use_the_quota(bot_api, llm_api, web)
        bot_api.send_inline_query(web.url("/other"))
        await bot_api.wait_for("answerInlineQuery")
        jobs = bot.app.bot_data.inline_jobs

        async def job_finished() -> bool:
            return bool(jobs.jobs) and all(j.task.done() for j in jobs.jobs.values())

        await eventually(job_finished, timeout=10)
        bot_api.send_inline_query(web.url("/other"))
        second = await bot_api.wait_for("answerInlineQuery", count=2)
    [result] = second.params["results"]
    assert QUOTA_TEXT in result["description"]
    assert len(llm_api.requests) == 1


async def test_a_question_is_rate_limited_like_a_link(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    _pages(web)
    llm_api.script(SUMMARY, "It grinds flour.")
    settings = llm_settings(
        settings_for, llm_api, rate_limit_user_burst=1, rate_limit_user_per_minute=1
    )
    async with start_bot(settings):
        summary = message_of(bot_api, await send_for_summary(bot_api, web.url("/story")))
        bot_api.send_private_message("What does it grind?", reply_to_message=summary)
        await wait_text(bot_api, TOO_FAST)
    assert len(llm_api.requests) == 1, "the refused question asked nothing"


async def test_a_question_waits_for_the_users_running_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    _pages(web)
    llm_api.script(SUMMARY, Reply(content=SUMMARY, delay=3))
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = message_of(bot_api, await send_for_summary(bot_api, web.url("/story")))
        bot_api.send_private_message(web.url("/other"))
        await llm_api.wait_for_requests(2)
        bot_api.send_private_message("What does it grind?", reply_to_message=summary)
        await wait_text(bot_api, "Still working on your last link")
    assert len(llm_api.requests) == 2, "the question made no request while the summary ran"


async def test_group_auto_summaries_cost_nobody_quota_but_meet_the_chat_limit(
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    _pages(web)
    web.route("/third", read_fixture("article_en.html").replace(b"mill", b"windmill"))
    web.route("/fourth", read_fixture("article_en.html").replace(b"mill", b"watermill"))
    async with FakeBotAPI(can_read_all_group_messages=True) as api:
        settings = llm_settings(
            settings_for,
            llm_api,
            telegram_api_url=api.url,
            daily_summary_quota=1,
            rate_limit_chat_burst=2,
            rate_limit_chat_per_minute=1,
        )
        async with start_bot(settings) as bot:
            await _use_the_quota(api, llm_api, web)  # the poster's quota is spent
            await set_auto_summary(bot, DEFAULT_SUPERGROUP_ID)
            for path in ("/other", "/third", "/fourth"):
                api.send_group_message(f"read {web.url(path)}")
                await asyncio.sleep(0.3)

            async def two_summaries() -> bool:
                return len(summaries_in(api, DEFAULT_SUPERGROUP_ID)) >= 2

            await eventually(two_summaries, timeout=15)
            await asyncio.sleep(1.0)  # the third link: held back by the chat's limit, quietly
        assert len(summaries_in(api, DEFAULT_SUPERGROUP_ID)) == 2
        group_texts = [m.get("text", "") for m in api.messages_in(DEFAULT_SUPERGROUP_ID)]
    assert not any(QUOTA_TEXT in text or TOO_FAST in text for text in group_texts)
    assert len(llm_api.requests) == 3, "two auto-summaries on top of the private one"
