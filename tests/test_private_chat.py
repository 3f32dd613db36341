"""The first end-to-end slice: a private chat through the Bot API fake, real Redis, real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.config import Settings
from tests.conftest import eventually, llm_settings, run_cli
from tests.fakes.bot_api import DEFAULT_SUPERGROUP_ID, FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture, with_canonical
from tests.helpers.processes import skim_llm_env, skim_run, skim_run_env
from tests.helpers.redis_server import PrivateRedis, monitored
from tests.tg import USER_ID, send_for_summary, to_user, wait_summary, wait_text


async def test_link_gets_chat_action_then_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script("Mill turns again\nTL;DR: A <tide> mill & more.\n\n- Halloran restored it")
    # (The name is older than the status message being the only sign of work:
    # bench/request_path.py runs this test by that name.)
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(f"look {web.url('/story')}")
        status = await bot_api.wait_for("sendMessage", to_user)
        reply = await wait_summary(bot_api)
    assert "Reading 127.0.0.1" in status.params["text"]
    assert status.at <= reply.at
    assert not bot_api.calls_to("sendChatAction"), "the status message is the sign of work"
    assert reply.params["parse_mode"] == "HTML"
    assert "TL;DR: A &lt;tide&gt; mill &amp; more." in reply.params["text"]
    shown = bot_api.messages_in(USER_ID)[-1]["text"]
    assert "TL;DR: A <tide> mill & more." in shown
    assert "• Halloran restored it" in shown
    sent = llm_api.requests[0].user_text
    assert "Brackwater" in sent
    assert "menuwombat" not in sent


async def test_a_canonical_link_with_spaces_and_non_ascii_is_encoded_for_telegram(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """Telegram refuses such a URL in a button (BUTTON_URL_INVALID): the summary would fail."""
    web.route("/story", with_canonical("/the mill/«tide» 1?q=a b"))
    llm_api.script("Mill turns again\nTL;DR: A tide mill.\n\n- Halloran restored it")
    async with start_bot(llm_settings(settings_for, llm_api)):
        reply = await send_for_summary(bot_api, web.url("/story"))
    assert reply.ok, reply.summary()
    encoded = web.url("/the%20mill/%C2%ABtide%C2%BB%201?q=a%20b")
    buttons = [b for row in reply.params["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["url"] for b in buttons if "url" in b] == [encoded]
    assert f'<a href="{encoded}">' in reply.params["text"]


def reads_of(commands: list[list[str]], kind: str) -> int:
    """GETs of one kind of key (`doc:url`, `fail:url`, ...), the scripts' own included."""
    return sum(1 for words in commands if words[0] == "GET" and f":{kind}:" in words[1])


async def test_a_new_link_reads_each_cache_once_then_once_under_the_lock(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    private_redis: PrivateRedis,
) -> None:
    """The cache look before the work, and the single-flight's look once it holds the lock
    (the work may have finished in between); no third read of the same key."""
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script("Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it")
    settings = llm_settings(settings_for, llm_api, redis_url=private_redis.url)
    async with start_bot(settings), monitored(private_redis.url) as commands:
        await send_for_summary(bot_api, web.url("/story"))
    assert reads_of(commands, "doc:url") == 2, commands
    assert reads_of(commands, "fail:url") == 2, commands
    assert reads_of(commands, "sum:url") == 1, "the link's summary is looked up once"


async def test_a_link_that_just_failed_is_answered_from_the_failure_cache_read_once(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    private_redis: PrivateRedis,
) -> None:
    web.route("/gone", "missing", status=404)
    notice = "That page doesn't exist on 127.0.0.1 (HTTP 404)."

    async def told(times: int) -> bool:
        texts = [str(message.get("text", "")) for message in bot_api.messages_in(USER_ID)]
        return sum(notice in text for text in texts) >= times

    async with start_bot(settings_for(redis_url=private_redis.url)):
        bot_api.send_private_message(web.url("/gone"))
        await eventually(lambda: told(1), timeout=15)
        calls_before = len(bot_api.calls)
        async with monitored(private_redis.url) as commands:
            bot_api.send_private_message(web.url("/gone"))
            await eventually(lambda: told(2), timeout=15)
        replies = [
            call.method for call in bot_api.calls[calls_before:] if call.method != "getUpdates"
        ]
    assert web.hits("/gone") == 1, "the failure is remembered, not fetched again"
    assert reads_of(commands, "fail:url") == 1, commands
    assert replies == ["sendMessage"], "told at once, like a cache hit: no status message"
    assert not any(":rl:" in " ".join(words) for words in commands), "no rate limit spent on it"


async def test_same_link_again_answers_from_cache(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(llm_settings(settings_for, llm_api)):
        first = await send_for_summary(bot_api, web.url("/story"))
        # The same page, spelled differently: tracking parameters and a fragment.
        second = await send_for_summary(bot_api, web.url("/story") + "?utm_source=tg#top", count=2)
    assert first.params["text"] == second.params["text"]
    assert len(llm_api.requests) == 1
    assert web.hits("/story") == 1


async def test_cache_survives_a_bot_restart(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    settings = llm_settings(settings_for, llm_api)
    async with start_bot(settings):
        await send_for_summary(bot_api, web.url("/story"))
    async with start_bot(settings):
        await send_for_summary(bot_api, web.url("/story"), count=2)
    assert len(llm_api.requests) == 1


async def test_without_llm_key_an_extractive_summary_is_sent(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(settings_for(redis_url=None)):
        reply = await send_for_summary(bot_api, web.url("/story"))
    text = bot_api.messages_in(USER_ID)[-1]["text"]
    assert "extractive summary (no LLM)" in text
    assert "•" in text
    assert reply.params["parse_mode"] == "HTML"


async def test_pasted_long_text_is_summarized(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    text = read_fixture("notes.txt").decode()
    llm_api.script("Sourdough in winter\nTL;DR: Keep the starter warm.")
    async with start_bot(llm_settings(settings_for, llm_api)):
        await send_for_summary(bot_api, text)
    assert "Keep the starter warm." in bot_api.messages_in(USER_ID)[-1]["text"]
    assert text.split("\n")[2][:60] in llm_api.requests[0].user_text


async def test_short_text_gets_a_hint(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_private_message("hello there")
        await bot_api.wait_for("sendMessage", to_user)
    assert "Send me a link" in bot_api.messages_in(USER_ID)[-1]["text"]


async def test_dead_link_gets_a_clear_message_and_bot_keeps_running(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/gone", "nothing", status=404)
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(settings_for()):
        bot_api.send_private_message(web.url("/gone"))
        await wait_text(bot_api, "doesn't exist")
        await send_for_summary(bot_api, web.url("/story"))
    assert "tide mill" in bot_api.messages_in(USER_ID)[-1]["text"].lower()


async def test_text_link_entity_is_followed(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    text = "Have a look at this"
    entity = {"type": "text_link", "offset": 14, "length": 4, "url": web.url("/story")}
    async with start_bot(settings_for()):
        bot_api.send_private_message(text, entities=[entity])
        await wait_summary(bot_api)
    assert web.hits("/story") == 1


async def test_html_parse_error_falls_back_to_plain_text(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(settings_for()):
        bot_api.send_private_message(web.url("/story"))
        await bot_api.wait_for("sendMessage", to_user)  # the status message
        bot_api.fail_next(
            "sendMessage", status=400, description="Bad Request: can't parse entities: oops"
        )
        await wait_summary(bot_api, count=2)
    refused, resent = [c for c in bot_api.calls_to("sendMessage") if "reply_markup" in c.params]
    assert not refused.ok
    assert resent.ok
    assert "extractive summary" in bot_api.messages_in(USER_ID)[-1]["text"]


async def test_skim_run_process_answers_a_link(
    bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb, redis_url: str, redis_prefix: str
) -> None:
    """`skim run` as a real process, pointed at the fakes by environment only."""
    web.route("/story", read_fixture("article_en.html"))
    env = skim_run_env(
        bot_api,
        redis_url,
        redis_prefix,
        OPENAI_API_KEY=llm_api.api_key,
        OPENAI_BASE_URL=llm_api.url,
    )
    async with skim_run(env) as run:
        await send_for_summary(bot_api, web.url("/story"), timeout=30)
        await send_for_summary(bot_api, web.url("/story"), count=2, timeout=30)
    assert len(llm_api.requests) == 1
    assert bot_api.token not in run.stderr
    assert "Summary:" in bot_api.messages_in(USER_ID)[-1]["text"]
    # The first lines tell the operator what this instance runs with.
    model = skim_run_env(bot_api, redis_url, redis_prefix).get("LLM_MODEL", "gpt-4.1-mini")
    assert f"summaries by {model} at {llm_api.url}" in run.stderr
    assert "cache and state in Redis at redis://" in run.stderr
    assert "serving as all (Redis Stream " in run.stderr
    assert "), updates by polling" in run.stderr
    assert llm_api.api_key not in run.stderr


async def test_cli_and_bot_share_the_cache(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    redis_url: str,
    redis_prefix: str,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    env = skim_llm_env(llm_api, redis_url, redis_prefix)
    code, _out, err = await run_cli("summarize", web.url("/story"), env=env)
    assert code == 0, err
    async with start_bot(llm_settings(settings_for, llm_api)):
        await send_for_summary(bot_api, web.url("/story"))
    assert len(llm_api.requests) == 1


async def test_the_bot_asks_telegram_only_for_the_updates_it_handles(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """Not Update.ALL_TYPES: reactions, member changes and business messages would each cost a
    trip to Redis, and a business message would be answered on the account owner's behalf."""
    async with start_bot(settings_for()):
        bot_api.send_private_message("/help")
        await wait_text(bot_api, "/summary")
    polled = bot_api.calls_to("getUpdates")[0].params["allowed_updates"]
    assert sorted(polled) == sorted(
        [
            "message",
            "edited_message",
            "channel_post",
            "edited_channel_post",
            "callback_query",
            "inline_query",
            "chosen_inline_result",
            "my_chat_member",
        ]
    )


async def test_our_own_inline_result_sent_in_the_chat_with_us_is_not_summarized_again(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """`@bot <link>` chosen in the private chat with the bot posts a summary already."""
    web.route("/story", read_fixture("article_en.html"))
    web.route("/other", read_fixture("article_ru.html"))
    bot_user = {"id": bot_api.bot_id, "is_bot": True, "first_name": "Skim"}
    async with start_bot(settings_for()):
        bot_api.send_private_message(f"Summary of {web.url('/story')}", via_bot=bot_user)
        bot_api.send_private_message(web.url("/other"))
        await wait_summary(bot_api)
        await bot_api.wait_idle()
    assert (web.hits("/story"), web.hits("/other")) == (0, 1)


async def test_an_unknown_command_points_to_help(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_private_message("/language ru")
        reply = await wait_text(bot_api, "I don't know /language")
        bot_api.send_private_message("/xyzzy")
        other = await wait_text(bot_api, "I don't know /xyzzy")
    assert reply["text"] == (
        "I don't know /language. Did you mean /lang? /help lists what I can do."
    )
    assert other["text"] == "I don't know /xyzzy. /help lists what I can do."


async def test_an_unknown_command_in_a_group_is_answered_only_when_addressed_to_us(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """A bare /foo may be another bot's; /foo@our_bot got silence."""
    group = DEFAULT_SUPERGROUP_ID
    username = bot_api.bot_user["username"]
    async with start_bot(settings_for()):
        bot_api.send_group_message("/weather")
        bot_api.send_group_message(f"/sumary@{username} https://example.com/a")
        reply = await wait_text(bot_api, "I don't know", chat_id=group)
        await bot_api.wait_idle(quiet=0.3)
    assert (
        reply["text"] == "I don't know /sumary. Did you mean /summary? /help lists what I can do."
    )
    assert len(bot_api.messages_in(group)) == 1


async def test_a_link_to_a_login_wall_says_so(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """It was summarized as if "Sign in to continue. Forgot your password?" were the article."""
    web.route(
        "/members/story",
        "<html><head><title>Sign in</title></head><body><form><h1>Sign in to continue</h1>"
        "<input name=user><input type=password name=pw><button>Sign in</button></form>"
        "<p>Forgot your password?</p></body></html>",
    )
    async with start_bot(settings_for()):
        bot_api.send_private_message(web.url("/members/story"))
        reply = await wait_text(bot_api, "sign in")
    assert reply["text"] == "That page asks to sign in first: all I can see is its login form."
