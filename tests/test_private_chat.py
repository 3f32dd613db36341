"""The first end-to-end slice: a private chat through the Bot API fake, real Redis, real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.config import Settings
from tests.conftest import run_cli
from tests.fakes.bot_api import ApiCall, FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import USER_ID, wait_summary, wait_text


def to_user(call: ApiCall) -> bool:
    return str(call.params.get("chat_id")) == str(USER_ID)


def llm_settings(settings_for: Callable[..., Settings], llm_api: FakeOpenAI) -> Settings:
    return settings_for(
        openai_api_key=llm_api.api_key, openai_base_url=llm_api.url, llm_model="fake-model"
    )


async def test_link_gets_chat_action_then_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script("Mill turns again\nTL;DR: A <tide> mill & more.\n\n- Halloran restored it")
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(f"look {web.url('/story')}")
        status = await bot_api.wait_for("sendMessage", to_user)
        action = await bot_api.wait_for("sendChatAction", to_user)
        reply = await wait_summary(bot_api)
    assert "Reading 127.0.0.1" in status.params["text"]
    assert action.params["action"] == "typing"
    assert action.at <= reply.at
    assert reply.params["parse_mode"] == "HTML"
    assert "TL;DR: A &lt;tide&gt; mill &amp; more." in reply.params["text"]
    shown = bot_api.messages_in(USER_ID)[-1]["text"]
    assert "TL;DR: A <tide> mill & more." in shown
    assert "• Halloran restored it" in shown
    sent = llm_api.requests[0].user_text
    assert "Brackwater" in sent
    assert "menuwombat" not in sent


async def test_same_link_again_answers_from_cache(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(web.url("/story"))
        first = await wait_summary(bot_api)
        # The same page, spelled differently: tracking parameters and a fragment.
        bot_api.send_private_message(web.url("/story") + "?utm_source=tg#top")
        second = await wait_summary(bot_api, count=2)
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
        bot_api.send_private_message(web.url("/story"))
        await wait_summary(bot_api)
    async with start_bot(settings):
        bot_api.send_private_message(web.url("/story"))
        await wait_summary(bot_api, count=2)
    assert len(llm_api.requests) == 1


async def test_without_llm_key_an_extractive_summary_is_sent(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(settings_for(redis_url=None)):
        bot_api.send_private_message(web.url("/story"))
        reply = await wait_summary(bot_api)
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
        bot_api.send_private_message(text)
        await wait_summary(bot_api)
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
        bot_api.send_private_message(web.url("/story"))
        await wait_summary(bot_api)
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
    import asyncio
    import os
    import sys

    web.route("/story", read_fixture("article_en.html"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "TELEGRAM"))},
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_URL": bot_api.url,
        "OPENAI_API_KEY": llm_api.api_key,
        "OPENAI_BASE_URL": llm_api.url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": redis_prefix,
        "FETCH_ALLOW_PRIVATE_NETWORKS": "true",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        bot_api.send_private_message(web.url("/story"))
        await wait_summary(bot_api, timeout=30)
        bot_api.send_private_message(web.url("/story"))
        await wait_summary(bot_api, count=2, timeout=30)
    finally:
        process.terminate()
        _, err = await asyncio.wait_for(process.communicate(), 20)
    assert len(llm_api.requests) == 1
    assert bot_api.token not in err.decode()
    assert "Summary:" in bot_api.messages_in(USER_ID)[-1]["text"]


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
    env = {
        "OPENAI_API_KEY": llm_api.api_key,
        "OPENAI_BASE_URL": llm_api.url,
        "LLM_MODEL": "fake-model",
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": redis_prefix,
        "FETCH_ALLOW_PRIVATE_NETWORKS": "true",
    }
    code, _out, err = await run_cli("summarize", web.url("/story"), env=env)
    assert code == 0, err
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(web.url("/story"))
        await wait_summary(bot_api)
    assert len(llm_api.requests) == 1
