"""Groups and supergroups through the Bot API fake: commands, mentions, replies, auto-summary."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.content.urls import normalize_url
from bot.store.state import Prefs
from tests.conftest import RunningBot, eventually, llm_settings
from tests.fakes.bot_api import (
    DEFAULT_GROUP_ID,
    DEFAULT_SUPERGROUP_ID,
    FakeBotAPI,
    JSONDict,
    detect_entities,
    make_user,
)
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.helpers.media import ogg_opus, png
from tests.tg import (
    is_summary,
    message_of,
    replied_to,
    sent_in,
    sent_to,
    set_auto_summary,
    summaries_in,
    wait_summary,
)

GROUP = DEFAULT_SUPERGROUP_ID
BOB = make_user(2002, "Bob", "bob")
CAROL = make_user(3003, "Carol", "carol", language_code="ru")
BOT = "@skim_test_bot"
TOPIC = 77


def article(web: FakeWeb, path: str, subject: str, *, delay: float = 0.0) -> str:
    """Route a distinct article about `subject` (served `delay` seconds late); returns its URL."""
    paragraphs = [
        f"The {subject} was the talk of the town this spring, and for good reason: nobody had "
        f"seen anything like the {subject} in living memory, the old people said.",
        f"Engineers who studied the {subject} found that it had been built with care, and that "
        "most of the original parts were still in place after a century of use.",
        f"The council will decide next month whether the {subject} gets a grant for repairs, "
        "after a public meeting that drew more people than any in the last ten years.",
    ]
    page = web.page(path, title=f"The {subject}", paragraphs=paragraphs)
    if delay:
        web.route(path, page, delay=delay)
    return web.url(path)


async def settle(bot_api: FakeBotAPI) -> None:
    """Every update delivered and handled, nothing in flight."""
    await bot_api.wait_idle(quiet=0.4)


async def link_recorded(bot: RunningBot, chat_id: int, url: str) -> None:
    """The bot is done with a link's summary: its thread and the link are stored (a reply sent
    right after the summary appears could otherwise overtake that)."""
    state = bot.deps.skim.state

    async def recorded() -> bool:
        return await state.earlier_summary(chat_id, normalize_url(url)) is not None

    await eventually(recorded)


async def thread_saved(bot: RunningBot, chat_id: int, message_id: int) -> None:
    state = bot.deps.skim.state

    async def saved() -> bool:
        return await state.thread(chat_id, message_id) is not None

    await eventually(saved)


def command(bot_api: FakeBotAPI, text: str, **options: Any) -> JSONDict:
    """A group command; entities in offset order, as Telegram sends them (the fake's automatic
    detection lists links before the command, which hides the command from the bot)."""
    entities = sorted(detect_entities(text), key=lambda entity: entity["offset"])
    return posted(bot_api.send_group_message(text, entities=entities, **options))


def posted(update: JSONDict) -> JSONDict:
    message = update["message"]
    assert isinstance(message, dict)
    return message


async def test_summary_command_in_reply_to_link_in_forum_topic(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script("Mill turns again\nTL;DR: The tide mill grinds again.")
    async with start_bot(llm_settings(settings_for, llm_api)):
        link = posted(
            bot_api.send_group_message(
                f"worth a read {web.url('/story')}",
                user=BOB,
                message_thread_id=TOPIC,
                is_topic_message=True,
            )
        )
        request = posted(
            bot_api.send_group_message(
                "/summary",
                reply_to_message=link,
                message_thread_id=TOPIC,
                is_topic_message=True,
            )
        )
        summary = await wait_summary(bot_api, chat_id=GROUP)
    assert summary.params["message_thread_id"] == TOPIC
    assert summary.result["is_topic_message"] is True
    assert replied_to(summary) == request["message_id"]
    assert "The tide mill grinds again." in summary.result["text"]
    assert "Brackwater" in llm_api.requests[0].user_text
    # The status message stayed in the topic too.
    assert len(bot_api.calls_to("sendMessage")) >= 2
    for call in bot_api.calls_to("sendMessage"):
        assert call.params.get("message_thread_id") == TOPIC


async def test_summary_aliases_in_group(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    first = article(web, "/first", "lighthouse")
    second = article(web, "/second", "footbridge")
    async with start_bot(settings_for()):
        command(bot_api, f"/tldr {first}")
        await wait_summary(bot_api, chat_id=GROUP)
        command(bot_api, f"/s@skim_test_bot {second}")
        await wait_summary(bot_api, count=2, chat_id=GROUP)
    texts = [call.result["text"] for call in summaries_in(bot_api, GROUP)]
    assert "lighthouse" in texts[0].lower()
    assert "footbridge" in texts[1].lower()


async def test_mention_with_link_is_summarized(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    url = article(web, "/mill", "windmill")
    async with start_bot(settings_for()):
        update = bot_api.send_group_message(f"{BOT} what is this? {url}")
        summary = await wait_summary(bot_api, chat_id=GROUP)
    assert "update_id" in update  # mentions reach a bot in privacy mode
    mention = posted(update)
    assert replied_to(summary) == mention["message_id"]
    assert "windmill" in summary.result["text"].lower()


async def test_mention_in_reply_to_a_message_with_link(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    url = article(web, "/canal", "canal lock")
    async with start_bot(settings_for()):
        update = bot_api.send_group_message(f"look at this {url}", user=BOB)
        assert "update_id" not in update  # privacy mode: the bot never saw it
        bot_api.send_group_message(BOT, reply_to_message=posted(update))
        summary = await wait_summary(bot_api, chat_id=GROUP)
    assert "canal lock" in summary.result["text"].lower()
    assert web.hits("/canal") == 1


async def test_bare_mention_gets_a_hint(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_group_message(f"hey {BOT}")
        hint = await bot_api.wait_for("sendMessage", sent_in(GROUP))
    assert "Mention me with a link" in hint.params["text"]


async def test_question_in_reply_to_group_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(
        "Mill turns again\nTL;DR: The tide mill grinds again.",
        "Halloran and volunteers restored the mill.",
    )
    async with start_bot(llm_settings(settings_for, llm_api)) as bot:
        command(
            bot_api, f"/summary {web.url('/story')}", message_thread_id=TOPIC, is_topic_message=True
        )
        summary = await wait_summary(bot_api, chat_id=GROUP)
        await link_recorded(bot, GROUP, web.url("/story"))
        update = bot_api.send_group_message(
            "Who restored the mill?",
            user=BOB,
            reply_to_message=summary.result,
            message_thread_id=TOPIC,
            is_topic_message=True,
        )
        answer = await bot_api.wait_for(
            "sendMessage",
            lambda c: c.params.get("parse_mode") == "HTML" and "Halloran" in c.params["text"],
        )
    assert "update_id" in update  # replies to the bot reach it in privacy mode
    question = posted(update)
    assert len(llm_api.requests) == 2
    assert "Who restored the mill?" in llm_api.requests[1].user_text
    assert "Brackwater" in llm_api.requests[1].user_text
    assert replied_to(answer) == question["message_id"]
    assert answer.params["message_thread_id"] == TOPIC


async def test_auto_summary_on_summarizes_posted_links(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    url = article(web, "/harbour", "harbour wall")
    other = article(web, "/other", "old ferry")
    async with (
        FakeBotAPI(can_read_all_group_messages=True) as api,
        start_bot(settings_for(telegram_api_url=api.url)) as bot,
    ):
        await set_auto_summary(bot, GROUP)
        greeting = posted(api.send_group_message("good morning everyone", user=BOB))
        unknown = command(api, f"/unknown {other}", user=BOB)
        link = posted(api.send_group_message(f"news: {url}", user=BOB))
        summary = await wait_summary(api, chat_id=GROUP)
        await settle(api)
    assert replied_to(summary) == link["message_id"]
    assert "harbour wall" in summary.result["text"].lower()
    assert len(summaries_in(api, GROUP)) == 1
    answered = {replied_to(c) for c in api.calls_to("sendMessage")}
    assert greeting["message_id"] not in answered
    assert unknown["message_id"] not in answered
    assert web.hits("/other") == 0


async def test_auto_summary_off_ignores_links(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    url = article(web, "/quay", "quay")
    bot_api.set_chat_admins(GROUP, [bot_api.bot_id])  # an admin bot sees every message
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, GROUP, on=False)
        update = bot_api.send_group_message(f"news: {url}", user=BOB)
        await settle(bot_api)
    assert "update_id" in update  # the bot saw it and chose to stay quiet
    assert not sent_to(bot_api, GROUP)
    assert web.hits("/quay") == 0


async def test_privacy_mode_plain_link_never_reaches_the_bot(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    url = article(web, "/pier", "pier")
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, GROUP)
        update = bot_api.send_group_message(f"news: {url}", user=BOB)
        await settle(bot_api)
    assert "update_id" not in update
    assert not sent_to(bot_api, GROUP)
    assert web.hits("/pier") == 0


async def test_same_link_twice_points_to_the_earlier_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    url = article(web, "/ferry", "ferry")
    bot_api.set_chat_admins(GROUP, [bot_api.bot_id])
    async with start_bot(llm_settings(settings_for, llm_api)) as bot:
        await set_auto_summary(bot, GROUP)
        bot_api.send_group_message(f"news: {url}", user=BOB)
        summary = await wait_summary(bot_api, chat_id=GROUP)
        await link_recorded(bot, GROUP, url)
        earlier = f"https://t.me/c/1234567890/{summary.result['message_id']}"
        again = posted(bot_api.send_group_message(f"{url}?utm_source=tg", user=CAROL))
        pointer = await bot_api.wait_for(
            "sendMessage", lambda c: earlier in c.params["text"] and replied_to(c) is not None
        )
        explicit_request = command(bot_api, f"/summary {url}")
        explicit = await bot_api.wait_for(
            "sendMessage",
            lambda c: replied_to(c) == explicit_request["message_id"] and not is_summary(c),
        )
        await settle(bot_api)
    assert replied_to(pointer) == again["message_id"]
    assert "уже пересказывал" in pointer.params["text"]  # Carol's interface is Russian
    assert earlier in explicit.params["text"]
    assert len(summaries_in(bot_api, GROUP)) == 1
    assert len(llm_api.requests) == 1
    assert web.hits("/ferry") == 1


async def test_question_in_reply_to_the_pointer(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    url = article(web, "/dam", "dam")
    llm_api.script("The dam\nTL;DR: A dam.", "It gets a grant next month, maybe.")
    async with start_bot(llm_settings(settings_for, llm_api)) as bot:
        command(bot_api, f"/summary {url}")
        await wait_summary(bot_api, chat_id=GROUP)
        await link_recorded(bot, GROUP, url)
        bot_api.send_group_message(f"{BOT} {url}", user=BOB)
        pointer = await bot_api.wait_for("sendMessage", lambda c: "t.me/c/" in c.params["text"])
        await thread_saved(bot, GROUP, pointer.result["message_id"])
        bot_api.send_group_message("Will it get money?", user=BOB, reply_to_message=pointer.result)
        await bot_api.wait_for("sendMessage", lambda c: "grant next month" in c.params["text"])
    assert "Will it get money?" in llm_api.requests[1].user_text


async def test_regular_group_works_and_points_by_reply(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    url = article(web, "/barn", "barn")
    async with start_bot(settings_for()) as bot:
        command(bot_api, f"/summary {url}", chat_type="group")
        summary = await wait_summary(bot_api, chat_id=DEFAULT_GROUP_ID)
        await link_recorded(bot, DEFAULT_GROUP_ID, url)
        bot_api.send_group_message(f"{BOT} {url}", chat_type="group", user=BOB)
        pointer = await bot_api.wait_for(
            "sendMessage",
            lambda c: sent_in(DEFAULT_GROUP_ID)(c) and "summarized this link" in c.params["text"],
        )
    assert "barn" in summary.result["text"].lower()
    # Basic groups have no message links: the pointer replies to the earlier summary.
    assert replied_to(pointer) == summary.result["message_id"]
    assert "t.me" not in pointer.params["text"]
    assert web.hits("/barn") == 1


async def test_service_messages_media_and_edits_are_ignored(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    chat = {"id": GROUP, "type": "supergroup", "title": "Skim Test Group"}
    base = {"chat": chat, "date": 1_700_000_000, "from": BOB}
    sticker = {
        "file_id": "sticker-1",
        "file_unique_id": "s1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    itself = make_user(bot_api.bot_id, "Skim", "skim_test_bot", is_bot=True)
    async with start_bot(settings_for()):
        bot_api.add_update({"message": {**base, "message_id": 501, "new_chat_members": [BOB]}})
        bot_api.add_update({"message": {**base, "message_id": 502, "sticker": sticker}})
        bot_api.add_update(
            {"edited_message": {**base, "message_id": 503, "text": f"{BOT} hi", "edit_date": 1}}
        )
        bot_api.add_update(
            {"message": {**base, "message_id": 504, "from": itself, "text": f"{BOT} echo"}}
        )
        bot_api.send_group_message("/help")  # still answering afterwards
        await bot_api.wait_for("sendMessage", sent_in(GROUP))
        await settle(bot_api)
    sent = sent_to(bot_api, GROUP)
    assert len(sent) == 1
    assert "Reply /summary to a message with a link" in sent[0].params["text"], "group help"
    assert not bot_api.internal_errors


UPGRADED = -1009876543210  # the supergroup DEFAULT_GROUP_ID becomes


async def test_a_groups_settings_follow_it_when_it_becomes_a_supergroup(
    web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """Telegram gives an upgraded group a new id; what its admins chose must not be lost."""
    url = article(web, "/lock", "lock gates")
    async with (
        FakeBotAPI(can_read_all_group_messages=True) as api,
        start_bot(settings_for(telegram_api_url=api.url)) as bot,
    ):
        await set_auto_summary(bot, DEFAULT_GROUP_ID)
        api.migrate_group(DEFAULT_GROUP_ID, UPGRADED, user=BOB)
        await settle(api)
        link = posted(api.send_group_message(f"news: {url}", chat_id=UPGRADED, user=BOB))
        summary = await wait_summary(api, chat_id=UPGRADED)
        assert (await bot.deps.skim.state.chat_prefs(UPGRADED)).auto_summary
    assert replied_to(summary) == link["message_id"]


async def test_a_summary_asked_for_before_the_upgrade_reaches_the_supergroup(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    url = article(web, "/weir", "weir", delay=1.0)
    async with start_bot(settings_for()):
        command(bot_api, f"/summary {url}", chat_type="group", chat_id=DEFAULT_GROUP_ID)
        await bot_api.wait_for("sendMessage", sent_in(DEFAULT_GROUP_ID))  # the status
        bot_api.migrate_group(DEFAULT_GROUP_ID, UPGRADED)
        summary = await wait_summary(bot_api, chat_id=UPGRADED)
    assert "weir" in summary.result["text"].lower()


async def test_the_ask_button_in_a_group_prompts_whoever_pressed_it(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """A selective ForceReply reaches the users a message mentions, or the sender of the
    message it replies to (the bot's own summary here): the presser is mentioned."""
    url = article(web, "/dock", "dry dock")
    async with start_bot(settings_for()):
        command(bot_api, f"/summary {url}")
        summary = await wait_summary(bot_api, chat_id=GROUP)
        shown = message_of(bot_api, summary, GROUP)
        bot_api.send_callback_query("sk:ask", message=shown, user=BOB)
        prompt = await bot_api.wait_for(
            "sendMessage", lambda c: "force_reply" in str(c.params) and c.ok
        )
        asked = message_of(bot_api, prompt, GROUP)
        bot_api.send_group_message("How old is the dock?", user=BOB, reply_to_message=asked)
        await bot_api.wait_for(
            "sendMessage",
            lambda c: sent_in(GROUP)(c) and "Most relevant passages" in c.params["text"],
        )
    mentions = [e for e in asked.get("entities", []) if e["type"] == "text_mention"]
    assert [mention["user"]["id"] for mention in mentions] == [BOB["id"]]
    assert asked["text"].startswith("Bob, reply to the summary"), "no capital after the comma"
    assert prompt.params["reply_markup"] == {"force_reply": True, "selective": True}


async def test_summary_in_reply_to_a_picture_reads_its_captions_link(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """A news post shared as a photo with its link in the caption: the link is what is meant
    (no vision model is needed, as for a mention or in a private chat)."""
    url = article(web, "/mill", "tide mill")
    async with start_bot(settings_for()):
        photo = posted(
            bot_api.send_photo(
                png(), width=4, height=4, caption=f"Read this: {url}", chat_type="supergroup"
            )
        )
        bot_api.send_group_message("/summary", reply_to_message=photo)
        await wait_summary(bot_api, chat_id=GROUP)
    assert web.hits("/mill") == 1


async def test_a_mention_in_reply_to_a_voice_message_summarizes_it(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """`@bot` under a recording works as `/summary` under it does, and so does a recording
    captioned with the mention."""
    said = "The tide mill on the estuary was rebuilt by volunteers and grinds flour again. "
    llm_api.script_transcript(said * 3, said * 4)
    llm_api.script("Mill\nTL;DR: a mill grinds again.", "Mill\nTL;DR: the mill again.")
    async with start_bot(llm_settings(settings_for, llm_api)):
        voice = posted(
            bot_api.send_voice(ogg_opus(40), duration=40, chat_type="supergroup", user=BOB)
        )
        bot_api.send_group_message(BOT, reply_to_message=voice)
        await wait_summary(bot_api, chat_id=GROUP)
        bot_api.send_voice(
            ogg_opus(40, frequency=330), duration=40, chat_type="supergroup", caption=BOT
        )
        await wait_summary(bot_api, count=2, chat_id=GROUP)
    assert len(llm_api.transcription_requests) == 2


async def test_a_bare_summary_in_a_topic_is_told_how_to_use_it(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """In a forum topic every message replies to the topic's opening message; that one is not
    what `/summary` was sent in reply to."""
    opening = {
        "message_id": TOPIC,
        "from": BOB,
        "chat": {"id": GROUP, "type": "supergroup", "title": "Forum", "is_forum": True},
        "date": 1_700_000_000,
        "message_thread_id": TOPIC,
        "is_topic_message": True,
        "forum_topic_created": {"name": "Reading", "icon_color": 7322096},
    }
    async with start_bot(settings_for()):
        bot_api.send_group_message(
            "/summary", message_thread_id=TOPIC, is_topic_message=True, reply_to_message=opening
        )
        await settle(bot_api)
    [reply] = sent_to(bot_api, GROUP)
    assert reply.params["text"].startswith("Send /summary with a link")
    assert reply.params["message_thread_id"] == TOPIC


async def test_anonymous_admins_of_two_groups_are_two_requesters(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """Every anonymous admin on Telegram is the one user GroupAnonymousBot: the group they post
    as is who asks, so one group's admin neither waits for nor cancels another group's."""
    anonymous = make_user(1087968824, "Group", "GroupAnonymousBot", is_bot=True)
    group_a, group_b = -1001111111111, -1002222222222
    slow = article(web, "/slow", "slow harbour", delay=3.0)
    other = article(web, "/other", "other bridge")

    def as_group(chat_id: int, text: str) -> None:
        sender = {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}
        bot_api.send_group_message(text, chat_id=chat_id, user=anonymous, sender_chat=sender)

    async with start_bot(settings_for()):
        as_group(group_a, f"/summary {slow}")
        await bot_api.wait_for("sendMessage", sent_in(group_a))  # its status: A's request runs
        as_group(group_b, f"/summary {other}")
        await wait_summary(bot_api, chat_id=group_b)
        as_group(group_b, "/cancel")
        await wait_summary(bot_api, chat_id=group_a, timeout=10)
        await settle(bot_api)
    assert sent_to(bot_api, group_b)[-1].params["text"] == "Nothing is running."


async def test_auto_summary_skips_a_channels_copies_and_forwarded_summaries(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """A linked channel's posts arrive in its discussion group as automatic forwards (their
    summary is the channel's), and a summary of ours forwarded into the group is one already:
    neither is summarized again. A member's own link after them is."""
    channel = {"id": -1009999999999, "type": "channel", "title": "News"}
    copied = article(web, "/copied", "railway museum")
    forwarded = article(web, "/forwarded", "ferry timetable")
    posted_link = article(web, "/posted", "city library")
    service = make_user(777000, "Telegram")
    bot_user = make_user(bot_api.bot_id, "Skim", "skim_test_bot", is_bot=True)
    bot_api.set_chat_admins(GROUP, [bot_api.bot_id])  # it sees every message
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, GROUP)
        bot_api.send_group_message(
            f"Worth a visit: {copied}",
            user=service,
            sender_chat=channel,
            is_automatic_forward=True,
            forward_origin={"type": "channel", "chat": channel, "message_id": 5, "date": 1},
        )
        bot_api.send_group_message(
            f"Summary of {forwarded}",
            user=BOB,
            forward_origin={"type": "user", "sender_user": bot_user, "date": 1},
        )
        bot_api.send_group_message(f"Look: {posted_link}", user=BOB)
        await wait_summary(bot_api, chat_id=GROUP)
        await settle(bot_api)
    assert len(summaries_in(bot_api, GROUP)) == 1
    assert (web.hits("/copied"), web.hits("/forwarded"), web.hits("/posted")) == (0, 0, 1)


async def test_an_edited_command_is_not_run_again(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """Fixing a typo in an old `/summary` or `/help` posts no second reply."""
    url = article(web, "/mill", "tide mill")
    async with start_bot(settings_for()):
        command = posted(bot_api.send_group_message(f"/summary {url}", user=BOB))
        await wait_summary(bot_api, chat_id=GROUP)
        await settle(bot_api)
        before = len(sent_to(bot_api, GROUP))
        for text in (f"/summary  {url}", "/help me"):
            edited = {**command, "text": text, "edit_date": command["date"] + 5}
            edited["entities"] = detect_entities(text)
            bot_api.add_update({"edited_message": edited})
        bot_api.send_group_message("/usage", user=BOB)  # answered: the edits were seen first
        await bot_api.wait_for("sendMessage", sent_in(GROUP), count=before + 1)
        await settle(bot_api)
    assert len(sent_to(bot_api, GROUP)) == before + 1
    assert web.hits("/mill") == 1


async def test_thanks_under_a_help_line_gets_no_reply(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """Only a summary of ours has an article to have forgotten."""
    async with start_bot(settings_for()):
        bot_api.send_group_message("/help", user=BOB)
        sent = await bot_api.wait_for("sendMessage", sent_in(GROUP))
        help_line = message_of(bot_api, sent, GROUP)
        help_line["date"] -= 60  # no thread is being saved under it any more
        bot_api.send_group_message("thanks, got it", user=BOB, reply_to_message=help_line)
        bot_api.send_group_message("/usage", user=BOB)
        await bot_api.wait_for("sendMessage", sent_in(GROUP), count=2)
        await settle(bot_api)
    assert len(sent_to(bot_api, GROUP)) == 2


async def test_a_group_where_the_bot_may_not_post_is_no_error(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A muted bot's /summary: one INFO line, no traceback, and no apology that would be
    refused as well."""
    url = article(web, "/mill", "tide mill")
    refusal = "Bad Request: not enough rights to send text messages to the chat"
    caplog.set_level(logging.INFO)
    async with start_bot(settings_for()):
        bot_api.fail_next("sendMessage", status=400, description=refusal, count=10, chat_id=GROUP)
        bot_api.send_group_message(f"/summary {url}", user=BOB)
        await bot_api.wait_for("sendMessage", lambda c: not c.ok and sent_in(GROUP)(c), count=2)
        await settle(bot_api)
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert any("refuses messages to chat" in record.getMessage() for record in caplog.records)
    attempts = [c for c in bot_api.calls_to("sendMessage") if sent_in(GROUP)(c)]
    assert "went wrong" not in str([c.params["text"] for c in attempts])


async def test_a_link_two_members_post_at_once_gets_one_auto_summary(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """The earlier-summary record is written when the summary is sent: both posts passed the
    check before it, and the group got the same summary twice."""
    url = article(web, "/mill", "tide mill", delay=1.0)
    bot_api.set_chat_admins(GROUP, [bot_api.bot_id])
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, GROUP)
        bot_api.send_group_message(f"look {url}", user=BOB)
        bot_api.send_group_message(f"also {url}", user=CAROL)
        await wait_summary(bot_api, chat_id=GROUP)
        await settle(bot_api)
    assert len(summaries_in(bot_api, GROUP)) == 1


async def test_thanks_under_a_summary_in_a_group_gets_no_answer(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    url = article(web, "/dock", "dry dock")
    async with start_bot(settings_for()):
        command(bot_api, f"/summary {url}")
        summary = await wait_summary(bot_api, chat_id=GROUP)
        shown = message_of(bot_api, summary, GROUP)
        sent = len(bot_api.calls_to("sendMessage"))
        bot_api.send_group_message("thanks!", user=BOB, reply_to_message=shown)
        await bot_api.wait_idle(quiet=0.5)
    assert len(bot_api.calls_to("sendMessage")) == sent


async def test_a_group_with_a_chosen_language_hears_the_bot_in_it_whoever_posts(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """The interface followed each poster's app: "Reading…" for one member, "Читаю…" and
    Russian buttons for the next, in one group."""
    url = article(web, "/dock", "dry dock")
    async with start_bot(settings_for()) as bot:
        await bot.deps.skim.state.save_chat_prefs(GROUP, Prefs(language="ru"))
        command(bot_api, f"/summary {url}")  # Alice's app is in English
        summary = await wait_summary(bot_api, chat_id=GROUP)
    labels = [b["text"] for row in summary.params["reply_markup"]["inline_keyboard"] for b in row]
    assert "Короче" in labels, labels
