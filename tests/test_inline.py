"""Inline mode and its deep links, end to end: Bot API fake, real HTTP, real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.content.document import Document
from bot.content.sites import bare_link
from bot.content.sources import UrlSource
from bot.values import Summary, SummaryOptions, SummaryResult
from handlers.inline import summary_message
from tests.conftest import eventually, llm_settings
from tests.fakes.bot_api import DEFAULT_USER, ApiCall, FakeBotAPI, parse_html, utf16_len
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture, with_canonical
from tests.tg import USER_ID, send_for_summary, wait_text

SUMMARY = "Mill turns again\nTL;DR: A <tide> mill & more.\n\n- Halloran restored it"
TITLE = "The last tide mill on the Brackwater estuary turns again"
# A query that reaches the bot must be answered well within Telegram's limit.
PROMPT = 1.0


def only_result(answer: ApiCall) -> dict[str, Any]:
    assert answer.ok, answer.summary()
    results = answer.params["results"]
    assert len(results) == 1
    result: dict[str, Any] = results[0]
    return result


async def wait_cached(bot: Any, url: str) -> None:
    async def cached() -> bool:
        return (await bot.deps.skim.peek(UrlSource(url), SummaryOptions())).result is not None

    await eventually(cached, timeout=10)


async def wait_jobs_done(bot: Any, count: int) -> None:
    """Wait until `count` background jobs were started and all of them ended."""

    async def done() -> bool:
        jobs = bot.app.bot_data.inline_jobs.jobs.values()
        return len(jobs) >= count and all(job.task.done() for job in jobs)

    await eventually(done, timeout=10)


async def test_inline_query_with_a_cached_link_is_answered_with_the_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY)
    url = web.url("/story")
    async with start_bot(llm_settings(settings_for, llm_api)) as bot:
        await bot.deps.skim.summarize(UrlSource(url))
        sent = time.monotonic()
        bot_api.send_inline_query(f"look {url}?utm_source=x")
        answer = await bot_api.wait_for("answerInlineQuery")
    assert answer.at - sent < PROMPT
    result = only_result(answer)
    assert result["type"] == "article"
    assert result["title"].startswith(TITLE)
    assert result["description"] == "TL;DR: A <tide> mill & more."
    content = result["input_message_content"]
    assert content["parse_mode"] == "HTML"
    assert content["link_preview_options"]["is_disabled"] is True
    assert "TL;DR: A &lt;tide&gt; mill &amp; more." in content["message_text"]
    assert "• Halloran restored it" in content["message_text"]
    buttons = [b for row in result["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["Open source", "Ask Skim about it"]
    assert any(b["url"].startswith("https://t.me/skim_test_bot?start=s_") for b in buttons)
    assert len(llm_api.requests) == 1
    assert web.hits("/story") == 1


async def test_a_canonical_link_with_spaces_is_encoded_in_the_results_button(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """Telegram refuses the whole answer over one bad button URL: the result never shows."""
    web.route("/story", with_canonical("/the mill"))
    llm_api.script(SUMMARY)
    url = web.url("/story")
    async with start_bot(llm_settings(settings_for, llm_api)) as bot:
        await bot.deps.skim.summarize(UrlSource(url))
        bot_api.send_inline_query(url)
        answer = await bot_api.wait_for("answerInlineQuery")
    buttons = [b for row in only_result(answer)["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0]["url"] == web.url("/the%20mill")


async def test_the_results_description_is_plain_text(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """Telegram shows a result's description as it is: no HTML tags in it."""
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script("Mill turns again\nTL;DR: A **restored** mill & `more`.\n\n- Halloran")
    url = web.url("/story")
    async with start_bot(llm_settings(settings_for, llm_api)) as bot:
        await bot.deps.skim.summarize(UrlSource(url))
        bot_api.send_inline_query(url)
        answer = await bot_api.wait_for("answerInlineQuery")
    assert only_result(answer)["description"] == "TL;DR: A restored mill & more."


async def test_uncached_link_answers_summarizing_then_the_next_query_gets_the_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY)
    url = web.url("/story")
    async with start_bot(llm_settings(settings_for, llm_api)) as bot:
        bot_api.send_inline_query(url)
        first = await bot_api.wait_for("answerInlineQuery")
        await wait_cached(bot, url)
        bot_api.send_inline_query(url)
        second = await bot_api.wait_for("answerInlineQuery", count=2)
    pending = only_result(first)
    assert pending["title"] == "Summarizing…"
    assert pending["description"].startswith("Open the bot")
    payload = first.params["button"]["start_parameter"]
    assert payload.startswith("s_")
    assert 1 <= len(payload) <= 64
    assert first.params["cache_time"] <= 5
    [[read]] = pending["reply_markup"]["inline_keyboard"]
    assert read["url"] == f"https://t.me/skim_test_bot?start={payload}"
    ready = only_result(second)
    assert (
        "TL;DR: A &lt;tide&gt; mill &amp; more." in ready["input_message_content"]["message_text"]
    )
    assert len(llm_api.requests) == 1
    assert web.hits("/story") == 1


async def test_answer_does_not_wait_for_a_slow_llm(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.first_token_delay = 3
    url = web.url("/story")
    async with start_bot(llm_settings(settings_for, llm_api)) as bot:
        sent = time.monotonic()
        update = bot_api.send_inline_query(url)
        answer = await bot_api.wait_for("answerInlineQuery")
        await llm_api.wait_for_requests(1)
        still_working = (await bot.deps.skim.peek(UrlSource(url), SummaryOptions())).result is None
    taken = next(
        call
        for call in bot_api.calls_to("getUpdates")
        if any(u["update_id"] == update["update_id"] for u in call.result or [])
    )
    assert answer.at - max(taken.at, sent) < PROMPT
    assert only_result(answer)["title"] == "Summarizing…"
    assert still_working


async def test_start_with_the_deep_link_delivers_the_summary_in_private(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_inline_query(web.url("/story"))
        answer = await bot_api.wait_for("answerInlineQuery")
        payload = answer.params["button"]["start_parameter"]
        await send_for_summary(bot_api, f"/start {payload}")
        await bot_api.wait_idle()
    texts = [str(m.get("text", "")) for m in bot_api.messages_in(USER_ID)]
    assert "TL;DR: A <tide> mill & more." in texts[-1]
    assert not any("I read so you don't have to" in text for text in texts)
    # The background job and the private chat share one summary.
    assert len(llm_api.requests) == 1


async def test_an_expired_summary_payload_gets_a_note_and_anothers_payload_the_welcome(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """A payload that is none of ours (a referral or campaign tag) is no expired summary."""
    async with start_bot(settings_for()):
        bot_api.send_private_message("/start s_0123456789abcdef0123456789abcdef")
        await wait_text(bot_api, "I read so you don't have to")
        bot_api.send_private_message("/start ref_campaign42")
        await bot_api.wait_for("sendMessage", count=3)
        await bot_api.wait_idle(quiet=0.3)
    texts = [str(m.get("text", "")) for m in bot_api.messages_in(USER_ID)]
    assert len(texts) == 3
    assert "expired or isn't valid" in texts[0]
    assert "I read so you don't have to" in texts[1]
    assert "I read so you don't have to" in texts[2]


async def test_empty_query_and_query_without_a_link_get_a_how_to_button(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_inline_query("")
        empty = await bot_api.wait_for("answerInlineQuery")
        bot_api.send_inline_query("what is this")
        words = await bot_api.wait_for("answerInlineQuery", count=2)
        bot_api.send_private_message(f"/start {empty.params['button']['start_parameter']}")
        await wait_text(bot_api, "@skim_test_bot")
    for answer in (empty, words):
        assert answer.ok, answer.summary()
        assert answer.params["results"] == []
    assert empty.params["button"]["text"] == "How to use Skim inline"
    assert words.params["button"]["text"].startswith("No link here")
    assert "paste a link" in bot_api.messages_in(USER_ID)[-1]["text"]


async def test_russian_user_gets_russian_inline_texts(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    user = {**DEFAULT_USER, "language_code": "ru"}
    async with start_bot(settings_for()):
        bot_api.send_inline_query("", user=user)
        empty = await bot_api.wait_for("answerInlineQuery")
        bot_api.send_inline_query(web.url("/story"), user=user)
        pending = await bot_api.wait_for("answerInlineQuery", count=2)
    assert empty.params["button"]["text"] == "Как пользоваться Skim в чатах"
    assert only_result(pending)["title"] == "Пересказываю…"


async def test_dead_link_fails_quietly_and_the_next_query_explains(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/gone", "nothing", status=404)
    url = web.url("/gone")
    async with start_bot(settings_for()) as bot:
        bot_api.send_inline_query(url)
        first = await bot_api.wait_for("answerInlineQuery")

        async def failed() -> bool:
            return await bot.deps.skim.recent_failure(UrlSource(url)) is not None

        await eventually(failed, timeout=10)
        bot_api.send_inline_query(url)
        second = await bot_api.wait_for("answerInlineQuery", count=2)
    assert only_result(first)["title"] == "Summarizing…"
    failure = only_result(second)
    assert failure["title"] == "Couldn't summarize this link"
    assert "doesn't exist" in failure["description"]
    assert failure["input_message_content"]["message_text"] == url
    assert not bot_api.messages_in(USER_ID)  # nothing is sent to the user's private chat


async def test_typing_a_link_starts_one_job_for_the_last_query(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    url = web.url("/story")
    async with start_bot(settings_for()) as bot:
        for cut in (len(url) - 4, len(url) - 2, len(url)):
            bot_api.send_inline_query(url[:cut])
        await bot_api.wait_for("answerInlineQuery", count=3)
        await wait_cached(bot, url)
        await bot_api.wait_idle()
    assert web.hits("/story") == 1
    assert web.hits("/st") == 0
    assert web.hits("/sto") == 0


async def test_chosen_summarizing_message_is_filled_in_with_the_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY)
    url = web.url("/story")
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_inline_query(url)
        answer = await bot_api.wait_for("answerInlineQuery")
        chosen = {
            "result_id": only_result(answer)["id"],
            "from": DEFAULT_USER,
            "query": url,
            "inline_message_id": "AAAAAinline1",
        }
        bot_api.add_update({"chosen_inline_result": chosen})
        edit = await bot_api.wait_for(
            "editMessageText", lambda c: c.params["inline_message_id"] == "AAAAAinline1"
        )
    assert edit.ok, edit.summary()
    assert "TL;DR: A &lt;tide&gt; mill &amp; more." in edit.params["text"]
    assert len(llm_api.requests) == 1


async def test_a_chosen_message_is_filled_in_when_the_user_goes_on_typing(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """The user picks "Summarizing…" for one link and at once starts a query for the next:
    the sent message still gets its summary (the newer typing only supersedes queries)."""
    web.route("/story", read_fixture("article_en.html"))
    web.route("/next", read_fixture("article_ru.html"))
    url = web.url("/story")
    async with start_bot(settings_for()):
        bot_api.send_inline_query(url)
        answer = await bot_api.wait_for("answerInlineQuery")
        chosen = {
            "result_id": only_result(answer)["id"],
            "from": DEFAULT_USER,
            "query": url,
            "inline_message_id": "AAAAAinline2",
        }
        bot_api.add_update({"chosen_inline_result": chosen})
        bot_api.send_inline_query(web.url("/next"))
        edit = await bot_api.wait_for(
            "editMessageText", lambda c: c.params["inline_message_id"] == "AAAAAinline2"
        )
    assert edit.ok, edit.summary()
    assert web.hits("/story") == 1


def test_long_summary_is_cut_to_one_inline_message() -> None:
    bullets = "\n".join(
        f"- Point {n}: " + "the mill grinds flour 🌾 again. " * 6 for n in range(40)
    )
    document = Document(text="The mill.", source_kind="html", title=TITLE, url="https://x.test/a")
    summary = Summary(text="Mill turns again\n" + bullets, extractive=False, model="m")
    text = summary_message(SummaryResult(document, summary, cached=True), "en")
    plain, _ = parse_html(text)
    assert 3500 < utf16_len(plain) <= 4096
    assert "Point 0:" in plain
    assert plain.endswith("open it in the bot to read the rest.")


async def test_inline_work_counts_against_the_users_rate_limit(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/one", read_fixture("article_en.html"))
    web.route("/two", read_fixture("article_ru.html"))
    settings = settings_for(rate_limit_user_burst=1, rate_limit_user_per_minute=0.5)
    async with start_bot(settings) as bot:
        bot_api.send_inline_query(web.url("/one"))
        await bot_api.wait_for("answerInlineQuery")
        await wait_cached(bot, web.url("/one"))
        bot_api.send_inline_query(web.url("/two"))
        await bot_api.wait_for("answerInlineQuery", count=2)
        await wait_jobs_done(bot, 2)
        bot_api.send_inline_query(web.url("/two"))
        third = await bot_api.wait_for("answerInlineQuery", count=3)
    refusal = only_result(third)
    assert refusal["title"] == "Couldn't summarize this link"
    assert "too fast" in refusal["description"]
    assert web.hits("/two") == 0


async def test_a_rate_limit_refusal_is_shown_only_until_the_limit_lets_the_user_in(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """The refusal ("Try again in 2 s") was replayed for 30 s whatever its wait, and no work
    started in that time."""
    web.route("/one", read_fixture("article_en.html"))
    web.route("/two", read_fixture("article_ru.html"))
    settings = settings_for(rate_limit_user_burst=1, rate_limit_user_per_minute=30)
    async with start_bot(settings) as bot:
        bot_api.send_inline_query(web.url("/one"))
        await bot_api.wait_for("answerInlineQuery")
        await wait_cached(bot, web.url("/one"))
        bot_api.send_inline_query(web.url("/two"))
        await bot_api.wait_for("answerInlineQuery", count=2)
        await wait_jobs_done(bot, 2)
        bot_api.send_inline_query(web.url("/two"))
        refused = only_result(await bot_api.wait_for("answerInlineQuery", count=3))
        await asyncio.sleep(2.5)  # a token every 2 s
        bot_api.send_inline_query(web.url("/two"))
        again = only_result(await bot_api.wait_for("answerInlineQuery", count=4))
        await wait_cached(bot, web.url("/two"))
    assert "too fast" in refused["description"]
    assert again["title"] == "Summarizing…", "the work starts once the limit allows it"
    assert web.hits("/two") == 1


async def test_a_link_typed_without_its_scheme_is_a_link(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """In a message Telegram marks "example.com/story" as a link; an inline query has no
    entities, and it was "No link here"."""
    async with start_bot(settings_for()):
        bot_api.send_inline_query("example.com/story")
        typed = await bot_api.wait_for("answerInlineQuery")
        bot_api.send_inline_query("notes.txt")
        words = await bot_api.wait_for("answerInlineQuery", count=2)
    assert only_result(typed)["title"] == "Summarizing…"
    assert words.params["results"] == []


@pytest.mark.parametrize(
    ("typed", "link"),
    [
        ("example.com/story", "https://example.com/story"),
        (" bbc.co.uk ", "https://bbc.co.uk"),
        ("x.io:8080/a?b=1", "https://x.io:8080/a?b=1"),
        ("notes.txt", None),
        ("co.uk", None),
        ("two words.com", None),
        ("1.2.3.4", None),
    ],
)
def test_bare_links_need_a_known_public_suffix(typed: str, link: str | None) -> None:
    assert bare_link(typed) == link
