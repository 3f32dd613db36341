"""Channels through the Bot API fake: auto-summaries as replies to posts, and edited posts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from bot.config import Settings
from tests.conftest import eventually
from tests.fakes.bot_api import DEFAULT_CHANNEL_ID, FakeBotAPI, make_user
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import (
    bot_membership,
    replied_to,
    sent_in,
    set_auto_summary,
    summaries_in,
    wait_summary,
)

CHANNEL = DEFAULT_CHANNEL_ID


def article(web: FakeWeb, path: str, subject: str) -> str:
    """Route a distinct article about `subject`; returns its URL."""
    paragraphs = [
        f"The {subject} opened to the public on Saturday after three years of work, and the "
        "queue at the gate reached the end of the street before nine in the morning.",
        f"Volunteers who restored the {subject} said most of the money came from small "
        "donations, and that the original drawings had been found in a cellar.",
        f"Visitors can see the {subject} every weekend until October; guided tours start at "
        "the visitor centre and last about an hour.",
    ]
    web.page(path, title=f"The {subject}", paragraphs=paragraphs)
    return web.url(path)


in_channel = sent_in(CHANNEL)


async def test_channel_post_with_link_gets_a_summary_reply(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    url = article(web, "/museum", "railway museum")
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, CHANNEL)
        post = bot_api.send_channel_post(f"Worth a visit: {url}")["channel_post"]
        summary = await wait_summary(bot_api, chat_id=CHANNEL)
        await bot_api.wait_idle(quiet=0.3)
    assert replied_to(summary) == post["message_id"]
    assert summary.result["reply_to_message"]["message_id"] == post["message_id"]
    assert "railway museum" in summary.result["text"].lower()
    # Subscribers get only the source link: no buttons that would change the post for everyone.
    buttons = [b for row in summary.params["reply_markup"]["inline_keyboard"] for b in row]
    assert all("url" in button for button in buttons)
    # The status message was removed: only the summary is left under the post.
    assert [m["message_id"] for m in bot_api.messages_in(CHANNEL)] == [summary.result["message_id"]]


async def test_a_post_from_before_auto_summary_gets_none_for_a_typo_fix(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """Only a new link in an edit is news: an old post's typo fix after auto-summary was
    turned on would otherwise notify every subscriber about it."""
    old = article(web, "/garden", "walled garden")
    new = article(web, "/boathouse", "boathouse")
    async with start_bot(settings_for()) as bot:
        post = bot_api.send_channel_post(f"Open this weekend: {old}")["channel_post"]
        await bot_api.wait_idle(quiet=0.3)
        await set_auto_summary(bot, CHANNEL)
        bot_api.send_channel_post(
            f"Open this weekend!! {old}", edited=True, message_id=post["message_id"]
        )
        bot_api.send_channel_post(f"And now: {new}")
        await wait_summary(bot_api, chat_id=CHANNEL)
        await bot_api.wait_idle(quiet=0.3)
    assert (web.hits("/garden"), web.hits("/boathouse")) == (0, 1)


async def test_edited_post_with_a_new_link_gets_a_new_summary(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    first = article(web, "/garden", "walled garden")
    second = article(web, "/boathouse", "boathouse")
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, CHANNEL)
        post = bot_api.send_channel_post(f"Open this weekend: {first}")["channel_post"]
        await wait_summary(bot_api, chat_id=CHANNEL)
        # A typo fixed, same link: nothing new to summarize.
        bot_api.send_channel_post(
            f"Open this weekend!! {first}", edited=True, message_id=post["message_id"]
        )
        await bot_api.wait_idle(quiet=0.3)
        assert len(summaries_in(bot_api, CHANNEL)) == 1
        bot_api.send_channel_post(
            f"Open this weekend: {first} and {second}", edited=True, message_id=post["message_id"]
        )
        added = await wait_summary(bot_api, count=2, chat_id=CHANNEL)
        await bot_api.wait_idle(quiet=0.3)
    assert replied_to(added) == post["message_id"]
    assert "boathouse" in added.result["text"].lower()
    assert len(summaries_in(bot_api, CHANNEL)) == 2
    assert web.hits("/garden") == 1
    assert web.hits("/boathouse") == 1


async def test_post_without_links_is_ignored(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, CHANNEL)
        bot_api.send_channel_post("Good morning, dear readers! No links today, just coffee.")
        bot_api.add_update(
            {
                "channel_post": {
                    "message_id": 99,
                    "date": 1_700_000_000,
                    "chat": {"id": CHANNEL, "type": "channel", "title": "Skim Test Channel"},
                    "sender_chat": {"id": CHANNEL, "type": "channel", "title": "Skim Test Channel"},
                    "pinned_message": {
                        "message_id": 1,
                        "date": 0,
                        "chat": {"id": CHANNEL, "type": "channel", "title": "Skim Test Channel"},
                    },
                }
            }
        )
        await bot_api.wait_idle(quiet=0.4)
    assert not [c for c in bot_api.calls if in_channel(c)]
    assert not bot_api.internal_errors


async def test_auto_summary_off_means_nothing(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    url = article(web, "/tower", "clock tower")
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, CHANNEL, on=False)
        bot_api.send_channel_post(f"Read this: {url}")
        bot_api.send_channel_post(f"And again: {url}", edited=True)
        await bot_api.wait_idle(quiet=0.4)
    assert not [c for c in bot_api.calls if in_channel(c)]
    assert web.hits("/tower") == 0


async def test_a_dead_link_in_a_post_is_logged_not_posted(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    dead = web.url("/gone")  # the web fake answers 404 for a path it does not serve
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, CHANNEL)
        before = len(bot_api.messages_in(CHANNEL))
        bot_api.send_channel_post(f"Read this: {dead}")
        await bot_api.wait_idle(quiet=0.5)
    assert web.hits("/gone") >= 1
    # Nobody asked: no error under the post for every subscriber, and no status left behind.
    assert len(bot_api.messages_in(CHANNEL)) == before


async def test_a_summary_posts_silently_without_a_status_post(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """Every message in a channel is a post each subscriber sees: the post itself notified them;
    a "Reading…" post and a second notification for its summary were noise."""
    url = article(web, "/quay", "old quay")
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, CHANNEL)
        bot_api.send_channel_post(f"Worth a visit: {url}")
        summary = await wait_summary(bot_api, chat_id=CHANNEL)
        await bot_api.wait_idle(quiet=0.3)
    sent = [c for c in bot_api.calls if in_channel(c) and c.method == "sendMessage"]
    assert sent == [summary], "no status message before it"
    assert summary.params["disable_notification"] is True
    assert not [c for c in bot_api.calls if in_channel(c) and c.method == "editMessageText"]


async def test_a_forwarded_summary_of_ours_is_not_summarized_again(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    url = article(web, "/pier", "pier")
    bot_user = make_user(bot_api.bot_id, "Skim", "skim_test_bot", is_bot=True)
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, CHANNEL)
        bot_api.send_channel_post(
            f"The pier\n{url}", forward_origin={"type": "user", "sender_user": bot_user, "date": 1}
        )
        await bot_api.wait_idle(quiet=0.5)
    assert web.hits("/pier") == 0
    assert not summaries_in(bot_api, CHANNEL)


async def test_a_channel_where_the_bot_may_not_post_is_skipped_after_the_first_refusal(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each post's page was fetched and summarized, then the summary refused, post after post,
    with nothing to tell the admin why. Skim learns it from the refusal (or from Telegram's
    word when its rights change) and asks nothing more: a cached summary stays one call."""
    urls = [article(web, f"/s{n}", f"station {n}") for n in range(3)]
    bot_api.set_bot_may_post(CHANNEL, False)  # an admin without "Post messages"
    caplog.set_level(logging.WARNING, "handlers.channels")
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, CHANNEL)
        bot_api.send_channel_post(f"Read: {urls[0]}")
        state = bot.deps.skim.state

        async def refused() -> bool:
            return (await state.chat_prefs(CHANNEL)).may_post is False

        await eventually(refused, timeout=10)
        bot_api.send_channel_post(f"Read: {urls[1]}")
        bot_api.send_channel_post(f"Read: {urls[2]}")
        await bot_api.wait_idle(quiet=0.5)
        assert [web.hits(f"/s{n}") for n in range(3)] == [1, 0, 0]
        bot_api.set_bot_may_post(CHANNEL, True)
        channel = {"id": CHANNEL, "type": "channel", "title": "Skim Test Channel"}
        bot_membership(bot_api, channel, "administrator", "administrator")  # the admin fixed it
        await bot_api.wait_idle(quiet=0.3)
        bot_api.send_channel_post(f"And: {urls[1]}")
        summary = await bot_api.wait_for("sendMessage", lambda call: call.ok and in_channel(call))
    assert "station 1" in summary.params["text"]
    assert [web.hits(f"/s{n}") for n in range(3)] == [1, 1, 0]
    assert not bot_api.calls_to("getChatMember")
    [warning] = [r for r in caplog.records if "may not post there" in r.getMessage()]
    assert "give me the right to post messages" in warning.getMessage()


async def test_a_bot_made_admin_without_the_right_to_post_fetches_nothing(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    url = article(web, "/lock", "canal lock")
    channel = {"id": CHANNEL, "type": "channel", "title": "Skim Test Channel"}
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, CHANNEL)
        bot_membership(bot_api, channel, "left", "administrator", can_post_messages=False)
        await bot_api.wait_idle(quiet=0.3)
        bot_api.send_channel_post(f"Read: {url}")
        await bot_api.wait_idle(quiet=0.5)
    assert web.hits("/lock") == 0


async def test_a_channel_on_auto_labels_a_summary_in_its_articles_language(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """A Russian article's summary in a channel said "1 min read" and "Open source": nobody
    asked in a language of their own, and English was the default."""
    web.route("/ru", read_fixture("article_ru.html"))
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, CHANNEL)
        bot_api.send_channel_post(f"Читать: {web.url('/ru')}")
        summary = await wait_summary(bot_api, chat_id=CHANNEL)
    assert "мин чтения" in summary.params["text"]
    assert "min read" not in summary.params["text"]
