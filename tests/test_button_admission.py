"""The Shorter, Longer and Translate buttons pass the same gate as a new link.

A version the LLM must write is rate-limited, counted in the daily quota and subject to one
request at a time (and /cancel); a version already in the cache costs nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.config import Settings
from bot.llm.prompts import LENGTHS
from tests.conftest import llm_settings
from tests.fakes.bot_api import ApiCall, FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI, Reply
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import USER_ID, message_of, send_for_summary, wait_text

SUMMARY = (
    "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it\n- It grinds flour"
)
QUOTA_TEXT = "You've used today's"


def html_edit(call: ApiCall) -> bool:
    """An edit that puts a finished summary (HTML) in place, not a streamed status."""
    return call.params.get("parse_mode") == "HTML"


async def _summary(bot_api: FakeBotAPI, web: FakeWeb, path: str = "/story") -> dict[str, Any]:
    return message_of(bot_api, await send_for_summary(bot_api, web.url(path)))


async def test_longer_at_quota_is_refused_like_a_new_link_without_an_llm_request(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    web.route("/other", read_fixture("article_ru.html"))
    settings = llm_settings(settings_for, llm_api, daily_summary_quota=1)
    async with start_bot(settings):
        summary = await _summary(bot_api, web)  # the one summary of the day
        assert len(llm_api.requests) == 1
        bot_api.send_private_message(web.url("/other"))
        link_refusal = await wait_text(bot_api, QUOTA_TEXT)
        bot_api.send_callback_query("sk:long", message=summary)
        await bot_api.wait_for("answerCallbackQuery")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while loop.time() < deadline:
            refusals = [m for m in bot_api.messages_in(USER_ID) if QUOTA_TEXT in m.get("text", "")]
            if len(refusals) >= 2:
                break
            await asyncio.sleep(0.05)
        assert len(refusals) == 2, [m.get("text") for m in bot_api.messages_in(USER_ID)]
        assert refusals[-1]["text"] == link_refusal["text"], "the same message as a new link"
        assert refusals[-1]["reply_to_message"]["message_id"] == summary["message_id"]
    assert len(llm_api.requests) == 1, "no LLM request for the refused button"
    assert bot_api.message(USER_ID, summary["message_id"])["text"] == summary["text"]


async def test_a_button_served_from_the_cache_costs_no_quota(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    settings = llm_settings(settings_for, llm_api, daily_summary_quota=2)
    async with start_bot(settings):
        summary = await _summary(bot_api, web)  # quota 1 of 2
        bot_api.send_callback_query("sk:short", message=summary)  # quota 2 of 2
        await bot_api.wait_for("editMessageText", html_edit)
        assert llm_api.requests[-1].max_tokens == LENGTHS["short"].max_tokens
        bot_api.send_callback_query("sk:long", message=summary)  # back to medium: cached
        await bot_api.wait_for("editMessageText", html_edit, count=2)
    assert len(llm_api.requests) == 2
    texts = [m.get("text", "") for m in bot_api.messages_in(USER_ID)]
    assert not [text for text in texts if QUOTA_TEXT in text]


async def test_translate_pressed_twice_while_running_makes_one_llm_request(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY, Reply(content=SUMMARY, delay=2))
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await _summary(bot_api, web)
        bot_api.send_callback_query("sk:tr:ru", message=summary)
        await llm_api.wait_for_requests(2)
        bot_api.send_callback_query("sk:tr:ru", message=summary)
        await wait_text(bot_api, "Still working on your last link")
        await bot_api.wait_for("editMessageText", html_edit)
    assert len(llm_api.requests) == 2, "the summary and one translation"
    assert "Russian" in llm_api.requests[-1].user_text


async def test_shorter_is_rate_limited_like_a_new_link(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    settings = llm_settings(
        settings_for, llm_api, rate_limit_user_burst=1, rate_limit_user_per_minute=1
    )
    async with start_bot(settings):
        summary = await _summary(bot_api, web)  # takes the one token
        bot_api.send_callback_query("sk:short", message=summary)
        await wait_text(bot_api, "You're sending requests too fast")
    assert len(llm_api.requests) == 1


async def test_cancel_stops_a_button_re_render(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY, Reply(content=SUMMARY, delay=5))
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await _summary(bot_api, web)
        bot_api.send_callback_query("sk:long", message=summary)
        await llm_api.wait_for_requests(2)
        bot_api.send_private_message("/cancel")
        await wait_text(bot_api, "Stopped.")
    assert bot_api.message(USER_ID, summary["message_id"])["text"] == summary["text"]


async def test_an_admin_at_quota_still_gets_a_new_version(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    settings = llm_settings(settings_for, llm_api, daily_summary_quota=1, admin_user_ids=[USER_ID])
    async with start_bot(settings):
        summary = await _summary(bot_api, web)
        bot_api.send_callback_query("sk:long", message=summary)
        await bot_api.wait_for("editMessageText", html_edit)
    assert llm_api.requests[-1].max_tokens == LENGTHS["long"].max_tokens
