"""Commands end to end: reading commands and aliases, settings (private, groups, channels),
/stats, the Russian interface, and a write that fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.i18n import command_texts as command_strings
from bot.llm.prompts import LENGTHS
from bot.store.state import Prefs
from handlers import settings as settings_handlers
from handlers.keyboards import TRANSLATION_TARGETS
from tests.conftest import llm_settings
from tests.fakes.bot_api import (
    DEFAULT_CHANNEL_ID,
    DEFAULT_SUPERGROUP_ID,
    DEFAULT_USER,
    ApiCall,
    FakeBotAPI,
    make_user,
)
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import USER_ID, send_for_summary, sent_in, sent_to, wait_summary, wait_text

GROUP = DEFAULT_SUPERGROUP_ID
MEMBER = make_user(2002, "Bob", "bob")
RUSSIAN = make_user(USER_ID, "Алиса", "alice", language_code="ru")
ANONYMOUS_ADMIN = make_user(1087968824, "Group", "GroupAnonymousBot", is_bot=True)


async def next_reply(bot_api: FakeBotAPI, chat_id: int, send: Callable[[], object]) -> ApiCall:
    """Send an update and return the bot's next sendMessage in that chat."""
    before = len(sent_to(bot_api, chat_id))
    send()
    return await bot_api.wait_for("sendMessage", sent_in(chat_id), count=before + 1)


async def say(
    bot_api: FakeBotAPI, text: str, user: dict[str, Any] | None = None, **extra: Any
) -> str:
    """A private message; returns the text of the bot's answer."""
    reply = await next_reply(
        bot_api, USER_ID, lambda: bot_api.send_private_message(text, user=user, **extra)
    )
    return str(reply.params["text"])


async def say_in_group(bot_api: FakeBotAPI, text: str, user: dict[str, Any], **extra: Any) -> str:
    reply = await next_reply(
        bot_api, GROUP, lambda: bot_api.send_group_message(text, user=user, **extra)
    )
    return str(reply.params["text"])


def buttons(call: ApiCall) -> dict[str, str]:
    """callback_data → label of an inline keyboard."""
    markup = call.params.get("reply_markup") or {}
    return {b["callback_data"]: b["text"] for row in markup["inline_keyboard"] for b in row}


async def press(bot_api: FakeBotAPI, message: ApiCall, data: str, user: dict[str, Any]) -> ApiCall:
    """Press a button on a message the bot sent; returns the answerCallbackQuery call."""
    before = len(bot_api.calls_to("answerCallbackQuery"))
    bot_api.send_callback_query(data, message=message.result, user=user)
    return await bot_api.wait_for("answerCallbackQuery", count=before + 1)


async def test_reading_commands_and_aliases_answer_in_private(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    notes = " ".join(read_fixture("notes.txt").decode().split()[:80])
    llm_api.script(
        "Mill turns again\nTL;DR: A tide mill.\n\n- Halloran restored it",
        "Winter bread\nTL;DR: Keep the starter warm.",
        "Halloran restored the mill.",
    )
    async with start_bot(llm_settings(settings_for, llm_api)):
        assert "I'm Skim" in await say(bot_api, "/start")
        assert "How to use Skim" in await say(bot_api, "/help")
        assert "Send /summary with a link" in await say(bot_api, "/summary")
        bot_api.send_private_message(f"/tldr {web.url('/story')}")
        summary = await wait_summary(bot_api)
        assert "A tide mill." in summary.params["text"]
        bot_api.send_private_message(f"/s {notes}")
        await wait_summary(bot_api, count=2)
        assert "Keep the starter warm." in bot_api.messages_in(USER_ID)[-1]["text"]
        assert "Reply to a summary with /ask" in await say(bot_api, "/ask")
        assert "Reply to a summary with /ask" in await say(bot_api, "/q")
        bot_api.send_private_message("/q who restored it?", reply_to_message=summary.result)
        await wait_text(bot_api, "Halloran restored the mill.")
        assert await say(bot_api, "/cancel") == "Nothing is running."
        usage = await say(bot_api, "/usage")
        assert usage.startswith("Today the language model worked for you 3 times")
        assert "Daily limit: 200 summaries; 2 used today" in usage  # /tldr and /s; answers free
        forgotten = await say(bot_api, "/forget")
        assert "settings, questions and usage figures are deleted" in forgotten
        assert "daily limit still holds" in forgotten, "the quota's count is kept: say so"
        usage = await say(bot_api, "/usage")
        assert usage.startswith("Today the language model worked for you 0 times")
        assert "2 used today" in usage


async def test_usage_says_no_limit_where_none_applies(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """Without an LLM no summary is counted, and a quota of 0 means none: not "limit: 0"."""
    async with start_bot(settings_for()):
        assert "No daily limit applies to you." in await say(bot_api, "/usage")
    async with start_bot(llm_settings(settings_for, llm_api, daily_summary_quota=0)):
        assert "No daily limit applies to you." in await say(bot_api, "/usage")


async def test_setting_commands_in_private(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()) as bot:
        state = bot.deps.skim.state
        shown = await say(bot_api, "/settings")
        assert shown.startswith("Your settings:\nLength: medium\nStyle: bullets\n")
        assert "Summary language: auto (the article's language)\n\n" in shown
        assert "Auto-summary" not in shown, "nothing to summarize unasked in a private chat"
        keyboard = buttons(sent_to(bot_api, USER_ID)[-1])
        assert keyboard["st:length:medium"] == "✓ Medium"
        assert keyboard["st:length:short"] == "Short"
        assert keyboard["st:language:auto"] == "✓ Auto"
        offered = [data.removeprefix("st:language:") for data in keyboard if "language" in data]
        assert offered == ["auto", *TRANSLATION_TARGETS], "the languages Translate offers"
        assert "st:auto:off" not in keyboard
        assert "st:done" in keyboard

        for command, current in [
            ("/lang", "Summary language: auto (the article's language)."),
            ("/length", "Length: medium."),
            ("/style", "Style: bullets."),
            ("/autosummary", "Auto-summary: off."),
        ]:
            reply = await say(bot_api, command)
            assert reply.startswith(current)
            assert f"Usage: {command} " in reply
        assert "Usage: /lang CODE" in await say(bot_api, "/lang klingon")
        assert "Usage: /length short" in await say(bot_api, "/length tiny")
        assert "Usage: /style bullets" in await say(bot_api, "/style")
        assert "Usage: /autosummary on" in await say(bot_api, "/autosummary maybe")
        assert "Usage: /length short" in await say(bot_api, "/length short please")

        assert await say(bot_api, "/lang DE") == (
            "Saved: Summary language — de (Deutsch).\n\nThis bot runs without a language model, "
            "so summaries quote the article in its own language; the choice is kept for when "
            "one is set up."
        )
        assert await say(bot_api, "/length short") == "Saved: Length — short."
        assert await say(bot_api, "/style paragraph") == "Saved: Style — paragraph."
        reply = await say(bot_api, "/autosummary on")
        assert reply.startswith("Saved: Auto-summary — on.")
        assert "auto-summary matters in groups and channels" in reply
        prefs = await state.chat_prefs(USER_ID)
        assert (prefs.language, prefs.length, prefs.style, prefs.auto_summary) == (
            "de",
            "short",
            "paragraph",
            True,
        )
        assert await say(bot_api, "/lang auto") == (
            "Saved: Summary language — auto (the article's language)."
        )
        assert (await state.chat_prefs(USER_ID)).language == "auto"
        shown = await say(bot_api, "/settings")
        assert "Length: short\nStyle: paragraph\n" in shown
        assert buttons(sent_to(bot_api, USER_ID)[-1])["st:style:paragraph"] == "✓ Paragraph"


async def test_length_and_buttons_change_the_next_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(llm_settings(settings_for, llm_api)) as bot:
        assert await say(bot_api, "/length short") == "Saved: Length — short."
        bot_api.send_private_message(web.url("/story"))
        await wait_summary(bot_api)
        assert llm_api.requests[-1].max_tokens == LENGTHS["short"].max_tokens

        await say(bot_api, "/settings")
        menu = sent_to(bot_api, USER_ID)[-1]
        answered = await press(bot_api, menu, "st:length:long", DEFAULT_USER)
        assert answered.params["text"] == "Saved: Length — long."
        edit = await bot_api.wait_for(
            "editMessageText", lambda call: "Length:" in call.params.get("text", "")
        )
        assert "Length: long" in edit.params["text"]
        assert not [key for key in buttons(edit) if key.startswith("st:auto:")]
        assert buttons(edit)["st:length:long"] == "✓ Long"
        answered = await press(bot_api, menu, "st:style:paragraph", DEFAULT_USER)
        assert answered.params["text"] == "Saved: Style — paragraph."
        prefs = await bot.deps.skim.state.chat_prefs(USER_ID)
        assert (prefs.length, prefs.style) == ("long", "paragraph")

        bot_api.send_private_message(web.url("/story"))
        await wait_summary(bot_api, count=2)
        assert llm_api.requests[-1].max_tokens == LENGTHS["long"].max_tokens
        assert "paragraph" in llm_api.requests[-1].messages[0]["content"].lower()

        answered = await press(bot_api, menu, "st:length:long", DEFAULT_USER)
        assert answered.params["text"] == "Already set."
        answered = await press(bot_api, menu, "st:done", DEFAULT_USER)
        await bot_api.wait_for("editMessageReplyMarkup")
        assert "reply_markup" not in bot_api.message(USER_ID, menu.result["message_id"])


async def test_group_member_cannot_change_settings(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """Acceptance: in a group only admins change settings; others get a polite refusal."""
    bot_api.set_chat_admins(GROUP, [USER_ID])
    async with start_bot(settings_for()) as bot:
        state = bot.deps.skim.state
        for command in ("/length short", "/style paragraph", "/lang ru", "/autosummary on"):
            reply = await say_in_group(bot_api, command, MEMBER)
            assert reply == "Sorry, only this chat's admins can change its settings."
        # Reading the current value is fine for everyone.
        assert (await say_in_group(bot_api, "/length", MEMBER)).startswith("Length: medium.")

        shown = await say_in_group(bot_api, "/settings", MEMBER)
        assert shown.startswith("Settings for this chat:")
        assert shown.endswith("Only this chat's admins can change them.")
        assert "reply_markup" not in sent_to(bot_api, GROUP)[-1].params

        # The admin's keyboard, pressed by a member.
        await say_in_group(bot_api, "/settings", DEFAULT_USER)
        menu = sent_to(bot_api, GROUP)[-1]
        assert "st:length:short" in buttons(menu)
        answered = await press(bot_api, menu, "st:length:short", MEMBER)
        assert answered.params["show_alert"] is True
        assert "only this chat's admins" in answered.params["text"]
        assert await state.chat_prefs(GROUP) == Prefs()
        answered = await press(bot_api, menu, "st:done", MEMBER)
        assert answered.params["show_alert"] is True
        # A member posting as some other chat (a channel of their own) is no anonymous admin.
        other = {"id": -100555, "type": "channel", "title": "Elsewhere"}
        reply = await say_in_group(bot_api, "/length long", ANONYMOUS_ADMIN, sender_chat=other)
        assert "only this chat's admins" in reply
        assert await state.chat_prefs(GROUP) == Prefs()
    assert not bot_api.calls_to("editMessageText")
    assert not bot_api.calls_to("editMessageReplyMarkup")


async def test_group_admins_can_change_settings(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    bot_api.set_chat_admins(GROUP, [], creator_id=USER_ID)
    async with start_bot(settings_for()) as bot:
        state = bot.deps.skim.state
        assert await say_in_group(bot_api, "/length long", DEFAULT_USER) == "Saved: Length — long."
        assert (await state.chat_prefs(GROUP)).length == "long"

        await say_in_group(bot_api, "/settings@skim_test_bot", DEFAULT_USER)
        menu = sent_to(bot_api, GROUP)[-1]
        assert buttons(menu)["st:length:long"] == "✓ Long"
        answered = await press(bot_api, menu, "st:language:uk", DEFAULT_USER)
        assert answered.params["text"].startswith("Saved: Summary language — uk (Українська).")
        assert (await state.chat_prefs(GROUP)).language == "uk"

        # An anonymous admin writes as the group itself.
        group_chat = {"id": GROUP, "type": "supergroup", "title": "Skim Test Group"}
        reply = await say_in_group(
            bot_api, "/style paragraph", ANONYMOUS_ADMIN, sender_chat=group_chat
        )
        assert reply == "Saved: Style — paragraph."
        assert (await state.chat_prefs(GROUP)).style == "paragraph"


async def test_autosummary_on_with_privacy_mode_says_how_to_fix_it(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    bot_api.set_chat_admins(GROUP, [USER_ID])
    async with start_bot(settings_for()) as bot:
        reply = await say_in_group(bot_api, "/autosummary on", DEFAULT_USER)
        assert reply.startswith("Saved: Auto-summary — on.")
        assert "@BotFather" in reply
        assert "/setprivacy" in reply
        assert "Disable" in reply
        assert "make me an admin" in reply
        assert (await bot.deps.skim.state.chat_prefs(GROUP)).auto_summary is True

        # Once the bot is an admin it sees every message: no advice.
        bot_api.set_chat_admins(GROUP, [USER_ID, bot_api.bot_id])
        assert await say_in_group(bot_api, "/autosummary on", DEFAULT_USER) == (
            "Saved: Auto-summary — on."
        )
        # Nor with privacy mode disabled at @BotFather.
        bot_api.set_chat_admins(GROUP, [USER_ID])
        bot_api.bot_user["can_read_all_group_messages"] = True
        assert await say_in_group(bot_api, "/autosummary on", DEFAULT_USER) == (
            "Saved: Auto-summary — on."
        )
        assert await say_in_group(bot_api, "/autosummary off", DEFAULT_USER) == (
            "Saved: Auto-summary — off."
        )
        assert (await bot.deps.skim.state.chat_prefs(GROUP)).auto_summary is False


async def test_channel_autosummary_on_saves_and_cleans_up(
    bot_api: FakeBotAPI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings_handlers, "CHANNEL_CLEANUP_SECONDS", 0.1)
    async with start_bot(settings_for()) as bot:
        post = bot_api.send_channel_post("/autosummary on")["channel_post"]
        reply = await bot_api.wait_for(
            "sendMessage", lambda c: c.params.get("chat_id") == DEFAULT_CHANNEL_ID
        )
        assert reply.params["text"] == "Saved: Auto-summary — on."
        assert (await bot.deps.skim.state.chat_prefs(DEFAULT_CHANNEL_ID)).auto_summary is True
        cleanup = await bot_api.wait_for("deleteMessages")
        assert sorted(cleanup.params["message_ids"]) == sorted(
            [post["message_id"], reply.result["message_id"]]
        )
        assert cleanup.ok
        assert bot_api.messages_in(DEFAULT_CHANNEL_ID) == []

        bot_api.send_channel_post("/length short")
        await bot_api.wait_for("deleteMessages", count=2)
        prefs = await bot.deps.skim.state.chat_prefs(DEFAULT_CHANNEL_ID)
        assert (prefs.length, prefs.auto_summary) == ("short", True)

        # The keyboard in a channel: its admins may press it, and Done removes it.
        bot_api.set_chat_admins(DEFAULT_CHANNEL_ID, [USER_ID])
        command = bot_api.send_channel_post("/settings")["channel_post"]
        menu = await bot_api.wait_for(
            "sendMessage", lambda c: "st:done" in str(c.params.get("reply_markup")), count=1
        )
        await bot_api.wait_for(
            "deleteMessage", lambda c: c.params["message_id"] == command["message_id"]
        )  # subscribers don't keep the command post
        answered = await press(bot_api, menu, "st:auto:off", MEMBER)
        assert answered.params["show_alert"] is True
        answered = await press(bot_api, menu, "st:auto:off", DEFAULT_USER)
        assert answered.params["text"] == "Saved: Auto-summary — off."
        assert (await bot.deps.skim.state.chat_prefs(DEFAULT_CHANNEL_ID)).auto_summary is False
        await press(bot_api, menu, "st:done", DEFAULT_USER)
        await bot_api.wait_for("deleteMessage", count=2)
        assert bot_api.message(DEFAULT_CHANNEL_ID, menu.result["message_id"]) is None
        assert bot_api.message(DEFAULT_CHANNEL_ID, command["message_id"]) is None


async def test_stats_for_operators_only(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    settings = llm_settings(settings_for, llm_api, admin_user_ids=[USER_ID])
    async with start_bot(settings) as bot:
        assert "Cache hit rate: n/a (0 of 0)" in await say(bot_api, "/stats")
        bot_api.send_private_message(web.url("/story"), user=MEMBER)
        await wait_summary(bot_api, chat_id=MEMBER["id"])
        bot_api.send_private_message(web.url("/story"), user=MEMBER)
        await wait_summary(bot_api, count=2, chat_id=MEMBER["id"])

        refusal = await next_reply(
            bot_api, MEMBER["id"], lambda: bot_api.send_private_message("/stats", user=MEMBER)
        )
        assert refusal.params["text"] == "Sorry, /stats is only for the bot's operators."

        stats = await bot.deps.skim.state.stats()
        assert stats["llm_prompt_tokens"] > 0
        text = await say(bot_api, "/stats")
    assert text.startswith("Today (")
    assert "Cache hit rate: 50% (1 of 2)" in text
    assert (
        f"LLM tokens: {stats['llm_prompt_tokens']} in, {stats['llm_completion_tokens']} out" in text
    )
    assert "Summaries: 1\nUsers: 1\nErrors: 0" in text


async def test_russian_interface(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        shown = await say(bot_api, "/settings", user=RUSSIAN)
        assert shown.startswith("Ваши настройки:\nДлина: средняя\nСтиль: списком\n")
        assert "Нажмите кнопку" in shown
        menu = sent_to(bot_api, USER_ID)[-1]
        assert buttons(menu)["st:length:medium"] == "✓ Средне"
        reply = await say(bot_api, "/length", user=RUSSIAN)
        assert reply.startswith("Длина: средняя.\nИспользование: /length short")
        assert await say(bot_api, "/length short", user=RUSSIAN) == "Сохранено: Длина — короткая."
        answered = await press(bot_api, menu, "st:style:paragraph", RUSSIAN)
        assert answered.params["text"] == "Сохранено: Стиль — абзацем."
        assert "Привет! Я Skim" in await say(bot_api, "/start", user=RUSSIAN)
        assert "только операторам" in await say(bot_api, "/stats", user=RUSSIAN)


async def test_a_failed_write_says_it_was_not_saved(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """Redis down: nothing is saved, and the user is told so instead of a false "Saved"."""
    async with start_bot(settings_for(redis_url="redis://127.0.0.1:1/0")):
        reply = await say(bot_api, "/length short")
        assert reply.startswith("Sorry, I couldn't save that")
        await say(bot_api, "/settings")
        menu = sent_to(bot_api, USER_ID)[-1]
        answered = await press(bot_api, menu, "st:length:short", DEFAULT_USER)
    assert answered.params["text"].startswith("Not saved")
    assert answered.params["show_alert"] is True
    assert not bot_api.calls_to("editMessageText")


def test_every_settings_button_fits_in_callback_data() -> None:
    values = {"length": "short", "style": "bullets", "language": "auto", "auto": "on"}
    for language in ("en", "ru"):
        markup = settings_handlers.settings_keyboard(values, language)
        for row in markup.inline_keyboard:
            for button in row:
                assert isinstance(button.callback_data, str)
                assert button.callback_data.startswith("st:")
                assert len(button.callback_data.encode()) <= 64


def test_every_command_string_is_in_english_and_russian() -> None:
    for key, texts in command_strings.STRINGS.items():
        assert set(texts) == {"en", "ru"}, key
        assert all(text.strip() for text in texts.values()), key


async def test_auto_summary_turned_on_from_the_keyboard_warns_about_privacy_mode(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """Only `/autosummary on` warned; the button said "Saved" and members' links stayed unseen."""
    bot_api.set_chat_admins(GROUP, [USER_ID])
    async with start_bot(settings_for()):
        await say_in_group(bot_api, "/settings", DEFAULT_USER)
        menu = sent_to(bot_api, GROUP)[-1]
        answered = await press(bot_api, menu, "st:auto:on", DEFAULT_USER)
        assert answered.params["text"] == "Saved: Auto-summary — on."
        warning = await bot_api.wait_for(
            "sendMessage", lambda call: "privacy mode is on" in call.params.get("text", "")
        )
    assert "make me an admin" in warning.params["text"]


async def test_forget_deletes_the_texts_a_user_sent_and_their_chats_usage(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    redis_url: str,
    redis_prefix: str,
) -> None:
    """A pasted memo stayed cached for a week after /forget (its thread gone, nothing using
    it), and the private chat's usage counters for 40 days."""
    memo = "ZEBRAPASTE confidential memo about the club's finances and its new boats. " * 20
    llm_api.script("Memo\nTL;DR: The finances.\n\n- Boats")
    client = Redis.from_url(redis_url)
    try:
        async with start_bot(llm_settings(settings_for, llm_api)):
            await send_for_summary(bot_api, memo)

            async def kept(pattern: str) -> list[bytes]:
                match = f"{redis_prefix}v1:{pattern}"
                return [key async for key in client.scan_iter(match=match)]

            assert await kept("doc:hash:*"), "the paste was kept for questions"
            assert await kept(f"usage:chat:{USER_ID}:*")
            assert "are deleted" in await say(bot_api, "/forget")
            assert not await kept("doc:hash:*")
            assert not await kept(f"usage:chat:{USER_ID}:*")
    finally:
        await client.aclose()


async def test_a_summary_language_chosen_with_a_model_is_only_saved(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    async with start_bot(llm_settings(settings_for, llm_api)):
        assert await say(bot_api, "/lang de") == "Saved: Summary language — de (Deutsch)."
        await say(bot_api, "/settings")
        menu = sent_to(bot_api, USER_ID)[-1]
        answered = await press(bot_api, menu, "st:language:fr", DEFAULT_USER)
    assert answered.params["text"] == "Saved: Summary language — fr (Français)."
    assert not answered.params.get("show_alert")


async def test_a_summary_language_chosen_without_a_model_says_what_happens_meanwhile(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """Saved without a word, the choice looked broken: summaries kept the article's language."""
    async with start_bot(settings_for()):
        await say(bot_api, "/settings")
        menu = sent_to(bot_api, USER_ID)[-1]
        answered = await press(bot_api, menu, "st:language:fr", DEFAULT_USER)
        auto = await press(bot_api, menu, "st:language:auto", DEFAULT_USER)
    assert answered.params["show_alert"] is True
    assert answered.params["text"].startswith("Saved: Summary language — fr (Français). ")
    assert "runs without a language model" in answered.params["text"]
    assert len(answered.params["text"]) <= 200, "the Bot API's limit for a press's answer"
    assert "language model" not in auto.params["text"], "auto needs no model"
