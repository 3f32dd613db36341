"""The private-chat experience: streaming, buttons, questions, limits, long texts, concurrency."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.llm.prompts import LENGTHS
from bot.render import utf16_len
from handlers.sources import asks, only_acknowledges
from handlers.status import PRIVATE_EDIT_INTERVAL
from tests.conftest import eventually, llm_settings
from tests.fakes.bot_api import ApiCall, FakeBotAPI, make_user
from tests.fakes.openai_api import FakeOpenAI, Reply
from tests.fakes.web import FakeWeb, read_fixture, with_canonical
from tests.helpers.api_calls import assert_paced
from tests.tg import (
    USER_ID,
    is_summary,
    message_of,
    send_for_summary,
    wait_summary,
    wait_text,
)

SUMMARY = (
    "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it\n- It grinds flour"
)


def edits_in(bot_api: FakeBotAPI, chat_id: int) -> list[ApiCall]:
    return [c for c in bot_api.calls_to("editMessageText") if c.params.get("chat_id") == chat_id]


async def test_summary_streams_into_the_status_with_throttled_edits(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.tokens_per_second = 40
    llm_api.script(" ".join(["word"] * 120))
    async with start_bot(llm_settings(settings_for, llm_api)):
        final = await send_for_summary(bot_api, web.url("/story"), timeout=20)
    edits = edits_in(bot_api, USER_ID)
    assert len(edits) >= 2, "the text was shown while it streamed"
    assert all("parse_mode" not in edit.params for edit in edits), "plain text while streaming"
    assert_paced([edit.at for edit in edits], PRIVATE_EDIT_INTERVAL)
    assert final.params["parse_mode"] == "HTML"
    assert final.params["link_preview_options"] == {"is_disabled": True}
    status_id = bot_api.calls_to("sendMessage")[0].result["message_id"]
    assert bot_api.message(USER_ID, status_id) is None, "the status message was removed"


async def test_final_message_has_the_keyboard_and_linked_title(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        final = await send_for_summary(bot_api, web.url("/story"))
    buttons = [b for row in final.params["reply_markup"]["inline_keyboard"] for b in row]
    texts = [b["text"] for b in buttons]
    assert texts == ["Shorter", "Longer", "Translate", "Ask a question", "Open source"]
    assert buttons[-1]["url"].startswith("http")
    message = bot_api.messages_in(USER_ID)[-1]
    assert any(e["type"] == "text_link" for e in message["entities"])
    assert "min read" in message["text"]


async def _summary_message(bot_api: FakeBotAPI, web: FakeWeb) -> dict[str, Any]:
    return message_of(bot_api, await send_for_summary(bot_api, web.url("/story")))


async def test_shorter_longer_translate_buttons(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await _summary_message(bot_api, web)
        bot_api.send_callback_query("sk:short", message=summary)
        await bot_api.wait_for("editMessageText", lambda c: c.params.get("parse_mode") == "HTML")
        assert llm_api.requests[-1].max_tokens == LENGTHS["short"].max_tokens
        bot_api.send_callback_query("sk:short", message=summary)
        refused = await bot_api.wait_for("answerCallbackQuery", count=2)
        assert "shortest" in refused.params.get("text", "")
        bot_api.send_callback_query("sk:long", message=summary)
        await bot_api.wait_for(
            "editMessageText", lambda c: c.params.get("parse_mode") == "HTML", count=2
        )
        assert len(llm_api.requests) == 2, "back to medium comes from the cache"
        bot_api.send_callback_query("sk:tr", message=summary)
        picker = await bot_api.wait_for("editMessageReplyMarkup")
        codes = [
            b["callback_data"]
            for row in picker.params["reply_markup"]["inline_keyboard"]
            for b in row
        ]
        assert "sk:tr:ru" in codes
        assert "sk:tr:en" not in codes, "the summary is in English already"
        bot_api.send_callback_query("sk:tr:ru", message=summary)
        await bot_api.wait_for(
            "editMessageText", lambda c: c.params.get("parse_mode") == "HTML", count=3
        )
        # A picker left from before offers Russian still: nothing to translate.
        bot_api.send_callback_query("sk:tr:ru", message=summary)
        same = await bot_api.wait_for(
            "answerCallbackQuery", lambda c: "already in" in c.params.get("text", "")
        )
    assert same.params["text"] == "This summary is already in ru (Русский)."
    assert "Russian" in llm_api.requests[-1].user_text
    assert len(llm_api.requests) == 3  # medium, short, Russian: one call per variant


async def test_a_press_answered_too_late_still_gets_its_shorter_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """A press processed late (after a restart, or from the stream after a worker died):
    Telegram refuses the answer ("query is too old"), the work is done all the same."""
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY, "Mill turns again\nTL;DR: A tide mill.")
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await _summary_message(bot_api, web)
        bot_api.callback_query_ttl = 0
        bot_api.send_callback_query("sk:short", message=summary)
        late = await bot_api.wait_for("answerCallbackQuery")
        await bot_api.wait_for("editMessageText", lambda c: c.params.get("parse_mode") == "HTML")
    assert not late.ok
    assert "TL;DR: A tide mill." in bot_api.message(USER_ID, summary["message_id"])["text"]
    assert not any("went wrong" in m.get("text", "") for m in bot_api.messages_in(USER_ID))


async def test_a_longer_version_too_long_for_one_message_goes_on_below_it(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """The edit takes the first part; the rest follows in replies, the keyboard under the last
    (before, everything past the first 4,096 characters was lost)."""
    web.route("/story", read_fixture("article_en.html"))
    points = [
        f"- Point {n}: the mill's {n}th restoration detail, told at length." for n in range(90)
    ]
    long = "Mill turns again\nTL;DR: A long story.\n\n" + "\n".join(points)
    llm_api.script(SUMMARY, Reply(content=long, ignore_max_tokens=True))
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await _summary_message(bot_api, web)
        bot_api.send_callback_query("sk:long", message=summary)
        rest = await bot_api.wait_for("sendMessage", lambda c: "Point 89" in c.params["text"])
        edited = bot_api.message(USER_ID, summary["message_id"])
        shown = edited["text"] + "\n" + message_of(bot_api, rest)["text"]
        assert all(f"Point {n}:" in shown for n in range(90))
        assert "reply_markup" not in edited, "the keyboard moved to the last part"
        assert rest.params["reply_markup"]["inline_keyboard"]
        assert rest.params["reply_parameters"]["message_id"] == summary["message_id"]
        bot_api.send_callback_query("sk:short", message=message_of(bot_api, rest))
        pressed = await bot_api.wait_for("answerCallbackQuery", count=2)
    assert "no longer have that article" not in str(pressed.params), "its thread is kept"


async def test_questions_in_reply_continue_the_thread(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY, "It was built in 1790.", "By the Halloran family.")
    settings = llm_settings(settings_for, llm_api)
    async with start_bot(settings):
        summary = await _summary_message(bot_api, web)
        bot_api.send_private_message("When was it built?", reply_to_message=summary)
        answer_call = await bot_api.wait_for(
            "sendMessage", lambda c: "1790" in c.params.get("text", "")
        )
    question = llm_api.requests[1]
    assert "When was it built?" in question.user_text
    assert "Brackwater" in question.user_text, "answered from the article"
    answer = message_of(bot_api, answer_call)
    # After a restart, a follow-up in reply to the answer still has the thread and its history.
    async with start_bot(settings):
        bot_api.send_private_message("And who restored it?", reply_to_message=answer)
        await wait_text(bot_api, "Halloran family")
    follow_up = llm_api.requests[2]
    contents = [m["content"] for m in follow_up.messages]
    assert "When was it built?" in contents
    assert "It was built in 1790." in contents
    assert contents[-1] == "And who restored it?"


async def test_a_question_about_the_summary_sees_the_version_replied_to(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """ "The second point" is the second point of the summary the reader was shown: after
    Shorter, the shorter one."""
    web.route("/story", read_fixture("article_en.html"))
    shorter = "Mill turns again\nTL;DR: The mill works.\n\n- It grinds flour"
    llm_api.script(SUMMARY, shorter, "It grinds rye flour, the article says.")
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await _summary_message(bot_api, web)
        bot_api.send_callback_query("sk:short", message=summary)
        await wait_text(bot_api, "The mill works.")
        bot_api.send_private_message("What does the first point mean?", reply_to_message=summary)
        await wait_text(bot_api, "rye flour")
    question = llm_api.requests[2]
    roles = [(m["role"], m["content"]) for m in question.messages]
    assert roles[2] == ("assistant", shorter), "the summary shown, as our first reply"
    assert roles[-1] == ("user", "What does the first point mean?")
    assert "Brackwater" in roles[1][1], "the article comes before it"
    assert "summary of the document the reader saw" in roles[0][1]


async def test_ask_button_prompts_for_a_reply(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(settings_for()):
        summary = await _summary_message(bot_api, web)
        bot_api.send_callback_query("sk:ask", message=summary)
        prompt = await bot_api.wait_for("sendMessage", lambda c: "force_reply" in str(c.params))
        assert "question" in prompt.params["text"]
        prompt_message = message_of(bot_api, prompt)
        bot_api.send_private_message("Where is the mill?", reply_to_message=prompt_message)
        await wait_text(bot_api, "Most relevant passages")


async def test_long_answer_arrives_as_several_valid_messages(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    sentence = "Ölçü <tag> & *bold* _under_ 😀 日本語のテキスト. "
    long_answer = "\n".join(sentence * 8 for _ in range(40))
    assert len(long_answer) > 12_000
    llm_api.script(SUMMARY, Reply(content=long_answer, ignore_max_tokens=True))
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await _summary_message(bot_api, web)
        bot_api.send_private_message("Tell me everything", reply_to_message=summary)
        await asyncio.sleep(0)
        await bot_api.wait_for(
            "sendMessage", lambda c: c.ok and "日本語" in c.params.get("text", ""), count=3
        )
        await bot_api.wait_idle()
    parts = [
        c for c in bot_api.calls_to("sendMessage") if "日本語" in c.params.get("text", "") and c.ok
    ]
    assert len(parts) >= 3
    assert all(c.ok for c in bot_api.calls_to("sendMessage"))
    shown = [message_of(bot_api, c) for c in parts]
    assert all(utf16_len(str(m["text"])) <= 4096 for m in shown)
    # The model's Markdown is rendered (issue 12): the words stay, the asterisks don't.
    assert "<tag> & bold under 😀" in str(shown[0]["text"])
    assert {e["type"] for e in shown[0].get("entities", [])} == {"italic"}


async def test_a_later_part_refused_as_html_is_sent_plain_without_repeating_the_start(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """Telegram refusing the second part's HTML costs that part its formatting, nothing more:
    the first part is not sent again and the third still follows."""
    web.route("/story", read_fixture("article_en.html"))
    sentence = "The *harbour* board met again 😀 & voted. "
    long_answer = "\n".join(f"Line {n}: " + sentence * 8 for n in range(40))
    llm_api.script(SUMMARY, Reply(content=long_answer, ignore_max_tokens=True))

    def answer_part(call: ApiCall) -> bool:
        return "harbour" in call.params.get("text", "")

    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await _summary_message(bot_api, web)
        # Answers come back late, so the refusal below meets the second part, not the first.
        bot_api.delay_responses("sendMessage", 0.5)
        bot_api.send_private_message("Tell me everything", reply_to_message=summary)
        await bot_api.wait_for("sendMessage", answer_part)
        bot_api.fail_next(
            "sendMessage", status=400, description="Bad Request: can't parse entities: oops"
        )
        await bot_api.wait_for("sendMessage", lambda c: c.ok and answer_part(c), count=3)
        await bot_api.wait_idle()
    sent = [c for c in bot_api.calls_to("sendMessage") if answer_part(c)]
    assert len(sent) >= 4
    assert [c.ok for c in sent] == [True, False] + [True] * (len(sent) - 2), "one refusal"
    refused = sent[1]
    first, resent, *rest = (message_of(bot_api, c) for c in sent if c.ok)
    assert "entities" not in resent, "the part as plain text"
    assert (
        str(resent["text"]).split()
        == html.unescape(re.sub("<[^>]*>", "", str(refused.params["text"]))).split()
    ), "the refused part's words, once"
    texts = [str(m["text"]) for m in (first, resent, *rest)]
    assert len(set(texts)) == len(texts), "no part twice"
    assert {e["type"] for e in first.get("entities", [])} == {"italic"}


async def test_hostile_characters_never_cause_a_parse_error(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    text = " ".join(
        ["<b>fake</b> & &amp; *star* _under_ `tick` 😀 <a href='x'>y</a> 1 < 2 > 0"] * 12
    )
    async with start_bot(settings_for()):
        await send_for_summary(bot_api, text)
    assert all(call.ok for call in bot_api.calls_to("sendMessage"))


@pytest.mark.parametrize("cited", [False, True])
async def test_a_split_long_paste_is_answered_once(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    cited: bool,
) -> None:
    """Answered once, from all of it, also when its first part cites a link (the paste is what
    is read, not the page it cites)."""
    web.route("/source", read_fixture("article_ru.html"))
    paragraph = "The harbour authority approved a new breakwater after a long debate. " * 12
    if cited:
        paragraph = f"As first reported at {web.url('/source')}, " + paragraph
    first, second = (paragraph * 5)[:4096], paragraph[:1500] + " Final sentence about gulls."
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(first)
        bot_api.send_private_message(second)
        await wait_summary(bot_api, timeout=20)
        await asyncio.sleep(2)
    assert len([c for c in bot_api.calls_to("sendMessage") if is_summary(c)]) == 1
    assert len(llm_api.requests) == 1
    assert "Final sentence about gulls." in llm_api.requests[0].user_text
    assert "breakwater" in llm_api.requests[0].user_text
    assert web.hits("/source") == 0


async def test_one_request_in_flight_per_user_and_cancel(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    web.route("/other", read_fixture("article_ru.html"))
    llm_api.script(Reply(content=SUMMARY, delay=5))
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(web.url("/story"))
        await llm_api.wait_for_requests(1)
        bot_api.send_private_message(web.url("/other"))
        await wait_text(bot_api, "Still working on your last link")
        bot_api.send_private_message("/cancel")
        await wait_text(bot_api, "Stopped.")
    assert not [c for c in bot_api.calls_to("sendMessage") if is_summary(c)]


async def test_two_chats_are_served_while_one_summary_is_slow(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/slow", read_fixture("article_en.html"))
    web.route("/fast", read_fixture("article_ru.html"))

    def respond(request: Any) -> Reply:
        slow = "Brackwater" in request.user_text
        return Reply(content=SUMMARY, delay=4 if slow else 0)

    llm_api.responder = respond
    other = {"id": 2002, "is_bot": False, "first_name": "Bob", "language_code": "en"}
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(web.url("/slow"))
        await llm_api.wait_for_requests(1)
        bot_api.send_private_message(web.url("/fast"), user=other)
        fast = await wait_summary(bot_api, chat_id=2002, timeout=3)
        slow = await wait_summary(bot_api, chat_id=USER_ID, timeout=10)
    assert fast.at < slow.at


async def test_a_reply_and_a_button_right_after_the_summary_find_its_thread(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY, "It was built in 1790.", SUMMARY)
    # Telegram's answer reaches the bot late: the user already sees the summary and replies to
    # it before the bot knows the message id and has written the thread.
    bot_api.delay_responses("sendMessage", 0.4)
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = message_of(bot_api, await send_for_summary(bot_api, web.url("/story")))
        bot_api.send_private_message("When was it built?", reply_to_message=summary)
        await wait_text(bot_api, "1790")
        bot_api.send_callback_query("sk:short", message=summary)
        answered = await bot_api.wait_for("answerCallbackQuery")
    assert "no longer have" not in str(answered.params.get("text", ""))
    texts = [str(m.get("text", "")) for m in bot_api.messages_in(USER_ID)]
    assert not any("no longer have" in text for text in texts), texts


async def test_a_new_link_right_after_the_summary_is_not_refused_as_busy(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    web.page(
        "/second", title="Harbour wall", paragraphs=[f"The harbour wall {n}." * 8 for n in range(6)]
    )
    llm_api.script(SUMMARY, "Harbour wall\nTL;DR: The wall holds.\n\n- Rebuilt in stone")
    # The summary is on the user's screen while Telegram's answer is still on its way to the bot.
    bot_api.delay_responses("sendMessage", 0.4)
    async with start_bot(llm_settings(settings_for, llm_api)):
        await send_for_summary(bot_api, web.url("/story"))
        second = await send_for_summary(bot_api, web.url("/second"), count=2)
    assert "The wall holds." in second.params["text"]
    texts = [str(call.params.get("text", "")) for call in bot_api.calls_to("sendMessage")]
    assert not any("Still working" in text for text in texts), texts


async def test_replies_to_our_messages_read_links_and_say_when_an_article_is_gone(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """A question under a summary whose article expired is told so; a link shared in reply to
    a summary, or to the help line, is read (it was asked about the old article, or lost)."""
    web.route("/story", read_fixture("article_en.html"))
    web.route("/other", read_fixture("article_ru.html"))
    web.route("/third", read_fixture("article_en.html").replace(b"mill", b"ferry"))
    async with start_bot(settings_for()):
        summary = await _summary_message(bot_api, web)
        expired = {**summary, "message_id": summary["message_id"] + 1000}
        expired["date"] = summary["date"] - 3600
        bot_api.send_private_message("Who runs the mill?", reply_to_message=expired)
        await wait_text(bot_api, "no longer have that article")
        bot_api.send_private_message(web.url("/other"), reply_to_message=summary)
        await wait_summary(bot_api, count=2)
        bot_api.send_private_message("/help")
        help_line = await wait_text(bot_api, "How to use Skim")
        bot_api.send_private_message(f"this one: {web.url('/third')}", reply_to_message=help_line)
        await wait_summary(bot_api, count=3)
    assert (web.hits("/other"), web.hits("/third")) == (1, 1)


async def test_without_an_llm_translate_says_why_and_answers_are_in_the_users_language(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """Nothing can translate without a model (the press said "Summarizing…" and changed
    nothing); the quoted answer is introduced in the reader's language and says why nothing
    matched."""
    web.route("/story", read_fixture("article_en.html"))
    russian = make_user(USER_ID, "Ivan", language_code="ru")
    async with start_bot(settings_for()):
        bot_api.send_private_message(web.url("/story"), user=russian)
        summary = message_of(bot_api, await wait_summary(bot_api))
        bot_api.send_callback_query("sk:tr", message=summary, user=russian)
        pressed = await bot_api.wait_for("answerCallbackQuery")
        assert "языковая модель" in pressed.params["text"]
        bot_api.send_private_message(
            "Who restored the mill?", reply_to_message=summary, user=russian
        )
        quoted = await wait_text(bot_api, "Самые подходящие места статьи")
        assert "“" in str(quoted["text"])
        bot_api.send_private_message("Кто построил?", reply_to_message=summary, user=russian)
        nothing = await wait_text(bot_api, "Ни одно место статьи")
    assert "языковая модель не ответила" in str(nothing["text"])
    assert not bot_api.calls_to("editMessageReplyMarkup"), "no language picker"


async def test_a_question_beside_a_link_is_answered_after_its_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY, "Halloran restored the mill in 2019.")
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(f"{web.url('/story')} who restored it?")
        await wait_summary(bot_api)
        answer = await wait_text(bot_api, "Halloran restored the mill in 2019.")
    assert len(llm_api.requests) == 2
    assert "who restored it?" in llm_api.requests[1].user_text
    assert answer["reply_to_message"]["text"].endswith("who restored it?")


@pytest.mark.parametrize(
    "reply",
    [
        "谢谢",
        "ありがとうございます！",
        "شكرا جزيلا",
        "धन्यवाद",
        "Teşekkür ederim",
        "дякую",
        "ขอบคุณครับ",
        "cảm ơn 🙏",
        "Vielen Dank!",
    ],
)
def test_a_thank_you_in_any_of_many_languages_is_no_question(reply: str) -> None:
    """Each got "No passage of the article shares words with your question" (or, with a model,
    an LLM call) and counted against the rate limit."""
    assert only_acknowledges(reply)


@pytest.mark.parametrize(
    "text",
    ["谢谢？", "去年有多少游客来访？", "كم شخصاً زار الطاحونة؟", "¿Quién la restauró", "why?"],
)
def test_questions_are_known_by_the_question_marks_of_their_scripts(text: str) -> None:
    assert asks(text)
    assert not only_acknowledges(text)


async def test_a_question_beside_a_link_asked_with_a_full_width_mark_is_answered(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY, "哈洛兰家族。")
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(f"{web.url('/story')} 是谁修复的？")
        await wait_summary(bot_api)
        await wait_text(bot_api, "哈洛兰家族。")
    assert "是谁修复的？" in llm_api.requests[1].user_text


async def test_a_question_under_a_summary_still_being_written_is_told_to_wait(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(Reply(content=SUMMARY, delay=4))
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(web.url("/story"))
        status = await wait_text(bot_api, "Summarizing")
        bot_api.send_private_message("Who restored it?", reply_to_message=status)
        told = await wait_text(bot_api, "still writing")
        await wait_summary(bot_api)
    assert "no longer have" not in str(told["text"])


async def test_a_chinese_paste_is_long_enough_to_summarize(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """Chinese has no spaces: 16 sentences were "24 words" and refused as too short."""
    sentence = "潮汐磨坊在周四早上重新转动了起来，志愿者们花了六年时间修复它。"
    async with start_bot(settings_for()):
        bot_api.send_private_message(sentence * 12)
        summary = await wait_summary(bot_api)
        bot_api.send_private_message("/summary " + sentence * 3)
        await wait_summary(bot_api, count=2)
    assert "潮汐磨坊" in summary.params["text"]


async def test_back_from_the_language_picker_restores_the_summarys_keyboard(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """Also when the page's link needs encoding for Telegram (it was refused, and the message
    stayed on the picker without Shorter, Longer, Ask or Open source)."""
    web.route("/story", with_canonical("/the mill/«tide» 1?q=a b"))
    llm_api.script(SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await _summary_message(bot_api, web)
        before = summary["reply_markup"]["inline_keyboard"]
        bot_api.send_callback_query("sk:tr", message=summary)
        await bot_api.wait_for("editMessageReplyMarkup")
        bot_api.send_callback_query("sk:back", message=summary)
        back = await bot_api.wait_for("editMessageReplyMarkup", count=2)
        now = bot_api.message(USER_ID, summary["message_id"])
    assert back.ok, back.summary()
    assert now is not None
    assert now["reply_markup"]["inline_keyboard"] == before


async def test_a_reasoning_models_thinking_never_reaches_the_chat(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """An operator's self-hosted reasoning model (Ollama, LM Studio, vLLM without a reasoning
    parser) writes ``<think>…</think>`` before the summary: it was streamed into the status and
    kept at the top of the summary."""
    web.route("/story", read_fixture("article_en.html"))
    llm_api.tokens_per_second = 40
    thinking = " ".join(["Hmm, the reader wants the gist of the mill story."] * 8)
    llm_api.script(f"<think>\n{thinking}\n</think>\n\n{SUMMARY}")
    async with start_bot(llm_settings(settings_for, llm_api)):
        final = await send_for_summary(bot_api, web.url("/story"), timeout=30)
    shown = [edit.params["text"] for edit in edits_in(bot_api, USER_ID)]
    shown += [call.params["text"] for call in bot_api.calls_to("sendMessage")]
    assert not [text for text in shown if "reader wants" in text or "think>" in text]
    assert "Halloran" in final.params["text"]


@pytest.mark.parametrize(
    "reply", ["thanks!", "Thank you so much", "👍", "спасибо большое", "谢谢！", "धन्यवाद"]
)
async def test_thanks_under_a_summary_is_no_question(
    reply: str,
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """ "thanks!" got "Looking for the answer…", a model call and an answer to no question."""
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await _summary_message(bot_api, web)
        bot_api.send_private_message(reply, reply_to_message=summary)
        await wait_text(bot_api, "Glad it helped")
    assert len(llm_api.requests) == 1, "no model call for a thank-you"


async def test_a_thread_keeps_only_the_turns_a_next_question_can_use(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """Each answer stored the whole thread again: twelve follow-ups, twelve growing copies."""
    web.route("/story", read_fixture("article_en.html"))

    def is_answer(call: ApiCall) -> bool:
        text = str(call.params.get("text", ""))
        return "Most relevant passages" in text or "No passage of the article" in text

    questions = ("Who restored the mill?", "When did the mill open?", "What does the mill grind?")
    async with start_bot(settings_for(qa_history_turns=2)) as bot:
        shown = await _summary_message(bot_api, web)
        for number, question in enumerate(questions, 1):
            bot_api.send_private_message(question, reply_to_message=shown)
            answer = await bot_api.wait_for("sendMessage", is_answer, count=number)
            shown = message_of(bot_api, answer)
        state = bot.deps.skim.state

        async def saved() -> bool:
            return await state.thread(USER_ID, shown["message_id"]) is not None

        await eventually(saved)
        thread = await state.thread(USER_ID, shown["message_id"])
    assert thread is not None
    assert [turn[0] for turn in thread.turns] == list(questions[1:])
