"""The Telegram Bot API misbehaving, end to end through the running bot.

A 429 flood wait is in test_flood.py. Here: 500s, a request that times out, the harmless
"message is not modified", a status message the user deleted mid-request, and a forum topic
deleted while its summary was being written. Each time the user gets the summary or a clear
message, nothing wrong is cached, and the next request works, without a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bot.config import Settings
from tests.conftest import llm_settings
from tests.fakes.bot_api import DEFAULT_SUPERGROUP_ID, FakeBotAPI, make_user
from tests.fakes.openai_api import FakeOpenAI, Reply
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import (
    USER_ID,
    is_summary,
    message_of,
    send_for_summary,
    summaries_in,
    to_user,
    wait_summary,
    wait_text,
)

SUMMARY = "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it"
OTHER = "Harbour wall\nTL;DR: The wall holds.\n\n- Rebuilt in stone"
SORRY = "something went wrong"
KEY_REFUSED = "The bot's LLM key was refused"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
GROUP = DEFAULT_SUPERGROUP_ID
BOB = make_user(2002, "Bob", "bob")
TOPIC = 77
# python-telegram-bot's default read timeout; Skim has no setting for it.
BOT_API_READ_TIMEOUT = 5.0


@pytest.fixture
def pages(web: FakeWeb) -> FakeWeb:
    web.route("/story", read_fixture("article_en.html"))
    web.route("/other", read_fixture("article_ru.html"))
    return web


def _texts(bot_api: FakeBotAPI, chat_id: int = USER_ID) -> list[str]:
    return [str(m.get("text", "")) for m in bot_api.messages_in(chat_id)]


async def _user_deletes(bot_api: FakeBotAPI, chat_id: int, message_id: int) -> None:
    """The user deletes one of the bot's messages (anyone may, in a private chat)."""
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{bot_api.url}/bot{bot_api.token}/deleteMessage",
            json={"chat_id": chat_id, "message_id": message_id},
        )
    assert answer.json()["ok"] is True


async def _next_link_works(bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb) -> None:
    """After the fault: another link is summarized normally, within seconds."""
    llm_api.script(OTHER)
    count = len(summaries_in(bot_api, USER_ID)) + 1
    loop = asyncio.get_running_loop()
    started = loop.time()
    other = await send_for_summary(bot_api, web.url("/other"), count=count, timeout=10)
    assert loop.time() - started < 10
    assert "The wall holds" in str(message_of(bot_api, other).get("text"))


async def test_a_500_on_the_status_message_still_delivers_the_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.script(SUMMARY)
    bot_api.fail_next("sendMessage", status=500)
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await send_for_summary(bot_api, pages.url("/story"), timeout=10)
        assert "Halloran restored it" in str(message_of(bot_api, summary).get("text"))
        assert bot_api.calls_to("sendMessage")[0].status == 500
        await _next_link_works(bot_api, llm_api, pages)
    assert not any(SORRY in text for text in _texts(bot_api))


async def test_500s_on_status_edits_do_not_stop_the_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.tokens_per_second = 30
    llm_api.script(SUMMARY + "\n- " + " ".join(["word"] * 60))
    bot_api.fail_next("editMessageText", status=500, count=2)
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await send_for_summary(bot_api, pages.url("/story"), timeout=15)
        assert "Halloran restored it" in str(message_of(bot_api, summary).get("text"))
        assert [c.status for c in bot_api.calls_to("editMessageText")][:2] == [500, 500]
        await _next_link_works(bot_api, llm_api, pages)
    assert not any(SORRY in text for text in _texts(bot_api))


async def test_a_500_on_the_summary_itself_is_apologised_for_and_the_resend_is_instant(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """The finished summary is refused by Telegram: the user is told to try again, and the
    summary, which is right, is in the cache: sending the link again shows it at once."""
    llm_api.script(SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(pages.url("/story"))
        await bot_api.wait_for("sendMessage", to_user)  # the status message
        bot_api.fail_next("sendMessage", status=500, chat_id=USER_ID)
        await wait_text(bot_api, SORRY, timeout=10)
        assert summaries_in(bot_api, USER_ID)[0].status == 500
        again = await send_for_summary(bot_api, pages.url("/story"), count=2, timeout=10)
        assert "Halloran restored it" in str(message_of(bot_api, again).get("text"))
        assert len(llm_api.requests) == 1, "the resend came from the cache"
        await _next_link_works(bot_api, llm_api, pages)


async def test_message_is_not_modified_is_ignored_quietly(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    llm_api.tokens_per_second = 30
    llm_api.script(SUMMARY + "\n- " + " ".join(["word"] * 60))
    bot_api.fail_next("editMessageText", status=400, description=NOT_MODIFIED, count=2)
    async with start_bot(llm_settings(settings_for, llm_api)):
        with caplog.at_level(logging.INFO):
            summary = await send_for_summary(bot_api, pages.url("/story"), timeout=15)
        assert "Halloran restored it" in str(message_of(bot_api, summary).get("text"))
        assert [c.status for c in bot_api.calls_to("editMessageText")][:2] == [400] * 2
        await _next_link_works(bot_api, llm_api, pages)
    assert not any(SORRY in text for text in _texts(bot_api))
    noisy = [r for r in caplog.records if "not modified" in r.getMessage()]
    assert noisy == [], "not a problem: nothing logged"


async def test_a_status_message_deleted_mid_request_still_gets_the_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """The first edit of a deleted status answers "message to edit not found": no more edits
    or deletes are tried on it, and the summary arrives as a new message all the same."""
    llm_api.tokens_per_second = 30
    llm_api.script(Reply(SUMMARY + "\n- " + " ".join(["word"] * 90), delay=0.5))
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(pages.url("/story"))
        status = await bot_api.wait_for("sendMessage", to_user)
        await _user_deletes(bot_api, USER_ID, status.result["message_id"])
        summary = await wait_summary(bot_api, timeout=15)
        assert summary.ok
        assert "Halloran restored it" in str(message_of(bot_api, summary).get("text"))
        refused = [c for c in bot_api.calls_to("editMessageText") if not c.ok]
        assert len(refused) == 1, "once refused, the deleted status is not edited again"
        assert "message to edit not found" in refused[0].response["description"]
        assert len(bot_api.calls_to("deleteMessage")) == 1, "the user's: the bot tries none"
        await _next_link_works(bot_api, llm_api, pages)
    assert not any(SORRY in text for text in _texts(bot_api))


async def test_a_failure_whose_status_message_was_deleted_is_sent_as_a_new_message(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """The failure replaces the status message; when the user deleted that, the failure must
    still reach them, as a message of its own."""
    llm_api.script(Reply(status=401, delay=0.5))
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(pages.url("/story"))
        status = await bot_api.wait_for("sendMessage", to_user)
        await _user_deletes(bot_api, USER_ID, status.result["message_id"])
        said = await wait_text(bot_api, KEY_REFUSED, timeout=10)
        assert said["message_id"] != status.result["message_id"]
        await asyncio.sleep(1.2)  # no second copy follows
        assert sum(KEY_REFUSED in text for text in _texts(bot_api)) == 1
        await _next_link_works(bot_api, llm_api, pages)


@pytest.mark.parametrize(
    "refusal", ["Bad Request: message thread not found", "Bad Request: TOPIC_CLOSED"]
)
async def test_a_deleted_forum_topic_gets_its_summary_in_the_chat(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    refusal: str,
) -> None:
    """The topic a summary was asked in is deleted ("message thread not found") or closed while
    it is written. Whoever asked is still in the group and expects the answer: it goes to the chat
    itself (the General topic), without the topic, rather than being lost. The next request in
    a live topic stays in its topic."""
    llm_api.script(SUMMARY, OTHER)
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.fail_next("sendMessage", status=400, description=refusal, count=2)
        bot_api.send_group_message(
            f"/summary {pages.url('/story')}",
            user=BOB,
            message_thread_id=TOPIC,
            is_topic_message=True,
        )
        summary = await bot_api.wait_for(
            "sendMessage", lambda c: is_summary(c) and c.ok and c.params["chat_id"] == GROUP
        )
        assert "message_thread_id" not in summary.params, "sent to the chat, not the lost topic"
        assert "Halloran restored it" in summary.result["text"]
        refused = [c for c in bot_api.calls_to("sendMessage") if not c.ok]
        assert [c.params.get("message_thread_id") for c in refused] == [TOPIC, TOPIC]
        bot_api.send_group_message(
            f"/summary {pages.url('/other')}",
            user=BOB,
            message_thread_id=TOPIC + 1,
            is_topic_message=True,
        )
        other = await wait_summary(bot_api, chat_id=GROUP, count=3, timeout=10)
        assert other.params["message_thread_id"] == TOPIC + 1
    assert not any(SORRY in text for text in _texts(bot_api, GROUP))


async def test_a_bot_api_call_that_times_out_leaves_the_bot_working(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """The answer to sendMessage comes later than python-telegram-bot's 5 s read timeout (Skim has
    no setting for it). Telegram did post the summary; the bot cannot know, so it apologises, and
    the summary is cached: the resend is instant. Then everything works as before."""
    llm_api.script(Reply(SUMMARY, delay=0.3))
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(pages.url("/story"))
        await bot_api.wait_for("sendMessage", to_user)  # the status message
        bot_api.delay_responses("sendMessage", BOT_API_READ_TIMEOUT + 1)
        late = await wait_summary(bot_api, timeout=10)
        assert "Halloran restored it" in str(message_of(bot_api, late).get("text"))
        await wait_text(bot_api, SORRY, timeout=2 * BOT_API_READ_TIMEOUT + 2)
        bot_api.delay_responses("sendMessage", 0)
        again = await send_for_summary(bot_api, pages.url("/story"), count=2, timeout=10)
        assert is_summary(again)
        assert again.ok
        assert len(llm_api.requests) == 1, "the resend came from the cache"
        await _next_link_works(bot_api, llm_api, pages)


async def test_a_user_who_blocked_the_bot_is_logged_not_treated_as_a_bug(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    pages: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Telegram answers 403 "bot was blocked by the user": nobody to apologise to, no error."""
    caplog.set_level(logging.INFO, logger="handlers.errors")
    llm_api.script(SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.fail_next(
            "sendMessage", status=403, description="Forbidden: bot was blocked by the user", count=5
        )
        bot_api.send_private_message(pages.url("/story"))
        await bot_api.wait_for("sendMessage", count=2)
        await bot_api.wait_idle(quiet=0.5)
    refused = bot_api.calls_to("sendMessage")
    assert all(c.status == 403 for c in refused)
    assert len(refused) == 2, "the status message and the summary: no apology sent after them"
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert any("refuses messages to chat" in r.message for r in caplog.records)
