"""Bot API calls per summary: Telegram's limits count messages and edits, so each call a summary
costs is a summary fewer a second. Counted from the Bot API fake's log (`tests/helpers/api_calls`).

The user still gets what they need: a sign of work within a moment (the status message, or the
button's toast) and a notification when the result is ready (a new message, not an edit).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.config import Settings
from handlers.status import GROUP_EDIT_INTERVAL, PRIVATE_EDIT_INTERVAL
from tests.conftest import llm_settings
from tests.fakes.bot_api import (
    DEFAULT_CHANNEL_ID,
    DEFAULT_GROUP_ID,
    DEFAULT_SUPERGROUP_ID,
    ApiCall,
    FakeBotAPI,
    JSONDict,
    detect_entities,
    make_user,
)
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb
from tests.helpers.api_calls import Kind, Tally, assert_paced, per_summary, tally
from tests.tg import message_of, set_auto_summary, wait_summary

AUTO_GROUP = -1001112223334


def article(web: FakeWeb, path: str, subject: str) -> str:
    """Route a distinct article about `subject`; returns its URL."""
    paragraphs = [
        f"The {subject} reopened this spring after two winters of repairs, paid for mostly by "
        "small donations collected at the market on Saturdays.",
        f"Engineers who surveyed the {subject} found that most of its original parts were still "
        "sound after more than a century of daily use by the town.",
        f"The council will decide next month whether the {subject} gets a grant for the rest of "
        "the work, after a public meeting that drew a record crowd.",
    ]
    web.page(path, title=f"The {subject}", paragraphs=paragraphs)
    return web.url(path)


def streaming(llm_api: FakeOpenAI, *replies: str) -> None:
    """Replies that take a few seconds to stream, so the status message is edited as they do."""
    llm_api.tokens_per_second = 40
    llm_api.script(*replies)


LONG_REPLY = "Mill turns again\nTL;DR: " + " ".join(["word"] * 120)


async def cost(
    api: FakeBotAPI, act: Callable[[], object], done: Callable[[], Awaitable[ApiCall]]
) -> Tally:
    """The calls made from `act` until `done` has happened and the bot is idle again."""
    start = len(api.calls)
    act()
    await done()
    await api.wait_idle(quiet=0.4)
    return tally(api.calls[start:])


def command(api: FakeBotAPI, text: str, **options: Any) -> JSONDict:
    """A group command with its entities in offset order, as Telegram sends them."""
    entities = sorted(detect_entities(text), key=lambda entity: entity["offset"])
    return api.send_group_message(text, entities=entities, **options)


def assert_worked_within_limits(calls: Tally, interval: float) -> None:
    """A summary or answer that took work: a status message, its edits, its deletion, the result
    as a new message (it notifies; the status did not); no chat action on top."""
    assert calls.besides_edits <= 3, calls.describe()
    assert calls.count(Kind.CHAT_ACTION) == 0, calls.describe()
    assert calls.count(Kind.DELETE) == 1, calls.describe()
    status, result = calls.calls[0], calls.calls[-1]
    assert status.method == "sendMessage"
    assert status.params.get("disable_notification") is True
    assert result.method == "sendMessage"
    assert not result.params.get("disable_notification")
    # The status message and its edits, at most one per `interval`.
    assert_paced(
        [status.at] + [c.at for c in calls.calls if c.method == "editMessageText"], interval
    )


async def test_cached_summary_in_private_is_one_call(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    url = article(web, "/mill", "tide mill")
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(url)
        await wait_summary(bot_api)
        await bot_api.wait_idle(quiet=0.4)
        again = await cost(
            bot_api,
            lambda: bot_api.send_private_message(f"once more {url}"),
            lambda: wait_summary(bot_api, count=2),
        )
    assert again.total == 1, again.describe()
    assert again.count(Kind.SUMMARY) == 1


async def test_uncached_summary_in_private_costs_three_calls_and_edits_a_second_apart(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    url = article(web, "/mill", "tide mill")
    streaming(llm_api, LONG_REPLY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        calls = await cost(
            bot_api,
            lambda: bot_api.send_private_message(url),
            lambda: wait_summary(bot_api, timeout=20),
        )
    assert calls.edits >= 2, "the summary was shown while it streamed"
    assert_worked_within_limits(calls, PRIVATE_EDIT_INTERVAL)
    assert calls.count(Kind.SUMMARY) == 1


async def test_summaries_in_a_group_cost_one_call_cached_three_and_edits_uncached(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    url = article(web, "/mill", "tide mill")
    streaming(llm_api, LONG_REPLY + " word" * 120)  # six seconds: two edits at the group rate
    async with start_bot(llm_settings(settings_for, llm_api)):
        fresh = await cost(
            bot_api,
            lambda: command(bot_api, f"/summary {url}"),
            lambda: wait_summary(bot_api, chat_id=DEFAULT_SUPERGROUP_ID, timeout=30),
        )
        cached = await cost(
            bot_api,
            lambda: command(bot_api, f"/summary {url}", chat_type="group"),
            lambda: wait_summary(bot_api, chat_id=DEFAULT_GROUP_ID),
        )
    assert fresh.edits >= 2, "the summary was shown while it streamed"
    assert_worked_within_limits(fresh, GROUP_EDIT_INTERVAL)
    assert cached.total == 1, cached.describe()
    # The whole log split per summary (as the load bench does) says the same.
    assert [calls.total for calls in per_summary(bot_api.calls)] == [fresh.total, 1]


async def test_two_summaries_at_once_in_one_group_share_its_edit_pace(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    first = article(web, "/mill", "tide mill")
    second = article(web, "/bridge", "swing bridge")
    # Twelve seconds each: the two status messages and a few edits, all at the group's pace.
    streaming(llm_api, LONG_REPLY + " word" * 360, LONG_REPLY + " word" * 360)
    async with start_bot(llm_settings(settings_for, llm_api)):
        start = len(bot_api.calls)
        command(bot_api, f"/summary {first}", user=make_user(31, "Ann"))
        command(bot_api, f"/summary {second}", user=make_user(32, "Bob"))
        await wait_summary(bot_api, count=2, chat_id=DEFAULT_SUPERGROUP_ID, timeout=40)
        await bot_api.wait_idle(quiet=0.4)
    in_group = [
        call
        for call in bot_api.calls[start:]
        if call.params.get("chat_id") == DEFAULT_SUPERGROUP_ID and call.method == "editMessageText"
    ]
    assert len(in_group) >= 2, "both streamed"
    assert_paced([call.at for call in in_group], GROUP_EDIT_INTERVAL)


async def test_cached_summaries_cost_one_call_by_every_way_into_groups_and_channels(
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """/summary with a link, /summary in reply to one, auto-summaries in groups and channels."""
    urls = [article(web, f"/a{n}", subject) for n, subject in enumerate(("mill", "pier", "lock"))]
    async with (
        FakeBotAPI(can_read_all_group_messages=True) as api,
        start_bot(llm_settings(settings_for, llm_api, telegram_api_url=api.url)) as bot,
    ):
        for count, url in enumerate(urls, 1):  # the cache is warmed in a private chat
            api.send_private_message(url)
            await wait_summary(api, count=count)
        await set_auto_summary(bot, AUTO_GROUP)
        await set_auto_summary(bot, DEFAULT_CHANNEL_ID)
        await api.wait_idle(quiet=0.4)
        start = len(api.calls)
        command(api, f"/summary {urls[0]}")
        await wait_summary(api, chat_id=DEFAULT_SUPERGROUP_ID)
        link = api.send_group_message(f"look {urls[1]}", chat_type="group")["message"]
        command(api, "/summary", chat_type="group", reply_to_message=link)
        await wait_summary(api, chat_id=DEFAULT_GROUP_ID)
        api.send_group_message(f"news: {urls[2]}", chat_id=AUTO_GROUP)
        await wait_summary(api, chat_id=AUTO_GROUP)
        api.send_channel_post(f"Worth a visit: {urls[0]}")
        await wait_summary(api, chat_id=DEFAULT_CHANNEL_ID)
        await api.wait_idle(quiet=0.4)
    each = per_summary(api.calls[start:])
    assert [calls.total for calls in each] == [1, 1, 1, 1], [c.describe() for c in each]
    assert len(llm_api.requests) == 3


async def test_question_costs_three_calls_and_edits(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    url = article(web, "/mill", "tide mill")
    streaming(llm_api, "Mill turns again\nTL;DR: It grinds.", " ".join(["volunteers"] * 120))
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(url)
        summary = message_of(bot_api, await wait_summary(bot_api, timeout=20))
        await bot_api.wait_idle(quiet=0.4)
        calls = await cost(
            bot_api,
            lambda: bot_api.send_private_message("Who repaired it?", reply_to_message=summary),
            lambda: bot_api.wait_for("sendMessage", lambda c: "volunteers" in c.params["text"]),
        )
    assert calls.edits >= 2, "the answer was shown while it streamed"
    assert_worked_within_limits(calls, PRIVATE_EDIT_INTERVAL)


async def test_shorter_costs_the_button_answer_and_one_edit(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """The toast is the sign of work; the summary is edited in place, whether new or cached."""
    url = article(web, "/mill", "tide mill")
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(url)
        summary = message_of(bot_api, await wait_summary(bot_api))
        await bot_api.wait_idle(quiet=0.4)

        def rendered(count: int) -> Callable[[], Awaitable[ApiCall]]:
            return lambda: bot_api.wait_for(
                "editMessageText", lambda c: c.params.get("parse_mode") == "HTML", count=count
            )

        shorter = await cost(
            bot_api, lambda: bot_api.send_callback_query("sk:short", message=summary), rendered(1)
        )
        longer = await cost(  # back to the first length: from the cache
            bot_api, lambda: bot_api.send_callback_query("sk:long", message=summary), rendered(2)
        )
    for calls in (shorter, longer):
        assert calls.total == 2, calls.describe()
        assert calls.count(Kind.CALLBACK_ANSWER) == calls.count(Kind.EDIT) == 1
    toast = shorter.calls[0]
    assert toast.params.get("text"), "the button says the work started"
    assert len(llm_api.requests) == 2
