"""Hostile and odd Telegram input, end to end: a clear message or a deliberate silence, no
internal error, nothing cached wrongly, and the next ordinary request is served as usual.

Covered elsewhere (not repeated here): a document over 20 MB with its size given
(tests/test_documents_and_links.py), four links in a message (same file), a paste split in two
(tests/test_private_experience.py), `<b>`/`&`/`*` in a summarized text (same file), a
redelivered /start (tests/test_access.py), edits, stickers and service messages in groups
(tests/test_groups.py), a group member changing settings by command and button
(tests/test_settings_commands.py), forged button data (tests/hostile/test_callback_data.py),
binary files with lying names (tests/hostile/test_pages.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.render import utf16_len
from tests.conftest import llm_settings
from tests.fakes.bot_api import DEFAULT_SUPERGROUP_ID, DEFAULT_USER, FakeBotAPI, make_user
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, make_pdf, read_fixture
from tests.tg import (
    USER_ID,
    is_summary,
    send_for_summary,
    sent_to,
    set_auto_summary,
    summaries_in,
    wait_text,
)

INTERNAL_ERROR = "something went wrong on my side"
HINT = "Send me a link or paste a longer text"
SENTENCE = "The harbour authority approved a new breakwater after a long public debate. "
LONG_TEXT = SENTENCE * 8  # comfortably over the 40 words a text needs


def assert_clean(bot_api: FakeBotAPI, caplog: pytest.LogCaptureFixture) -> None:
    """No internal-error apology, no failed Bot API call, no error logged, no fake breakage."""
    sent = bot_api.calls_to("sendMessage")
    assert all(call.ok for call in sent), bot_api.describe_calls()
    assert not [c for c in sent if INTERNAL_ERROR in str(c.params.get("text", ""))]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    assert not bot_api.internal_errors


async def next_request_works(bot_api: FakeBotAPI, web: FakeWeb) -> None:
    """An ordinary link right after the hostile input gets its summary."""
    web.route("/normal", read_fixture("article_en.html"))
    before = len(summaries_in(bot_api, USER_ID))
    await send_for_summary(bot_api, web.url("/normal"), count=before + 1)


async def settle(bot_api: FakeBotAPI, seconds: float = 0.3) -> None:
    await bot_api.wait_idle(quiet=seconds)


# Text messages


@pytest.mark.parametrize(
    "text",
    [
        "😀🎉🔥" * 20,
        "\u202e\u202d\u200f\u200e",
        "\u200b\u200c\u200d\ufeff\u2060" * 30,
        "<>&*_[]`~|#" * 30,
        "<script>alert(1)</script> &amp; [x](javascript:alert(1))",
        " \n\t ",
    ],
    ids=["emoji", "rtl-marks", "zero-width", "markup-chars", "html", "whitespace"],
)
async def test_text_with_nothing_to_read_gets_the_hint(
    text: str,
    bot_api: FakeBotAPI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_private_message(text)
        await wait_text(bot_api, HINT)
        await next_request_works(bot_api, web)
    shown = [str(m["text"]) for m in bot_api.messages_in(USER_ID)]
    assert len(shown) == 2, shown
    assert HINT in shown[0]
    assert_clean(bot_api, caplog)


@pytest.mark.parametrize(
    "text",
    ["😀" * 4000, "\u200b" * 5000, "<>&*[]`~|" * 800],
    ids=["emoji", "zero-width", "markup-chars"],
)
async def test_a_long_paste_of_nothing_readable_is_answered_clearly(
    text: str,
    bot_api: FakeBotAPI,
    web: FakeWeb,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Long enough to be collected as a paste, but without a word in it."""
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(text)
        await bot_api.wait_for("sendMessage", lambda c: not is_summary(c), timeout=10)
        await settle(bot_api)
        assert not llm_api.requests, "nothing to read reaches no model"
        texts = [str(m.get("text")) for m in bot_api.messages_in(USER_ID)]
        assert len(texts) == 1, texts
        assert texts[0].strip()
        await next_request_works(bot_api, web)
    assert_clean(bot_api, caplog)


@pytest.mark.parametrize(
    "noise",
    ["\u202e", "\u200b", "\u200d\u2060", "<>&*_[]"],
    ids=["rtl-override", "zero-width-space", "joiners", "markup-chars"],
)
async def test_readable_text_laced_with_tricky_characters_is_summarized(
    noise: str,
    bot_api: FakeBotAPI,
    web: FakeWeb,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = noise.join(SENTENCE.split(" ")) * 6
    async with start_bot(llm_settings(settings_for, llm_api)):
        await send_for_summary(bot_api, text)
        await next_request_works(bot_api, web)
    assert "breakwater" in llm_api.requests[0].user_text
    assert_clean(bot_api, caplog)


async def test_fifty_links_summarize_the_first_few_and_say_so(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for index in range(50):
        web.page(
            f"/p{index}",
            title=f"Story number {index}",
            paragraphs=[f"Story {index} is about harbour cranes, tides and port workers. " * 4],
        )
    text = "\n".join(web.url(f"/p{index}") for index in range(50))
    settings = settings_for()
    limit = settings.max_links_per_message
    async with start_bot(settings):
        await send_for_summary(bot_api, text, count=limit)
        await wait_text(bot_api, f"Your message has 50 links; I summarized the first {limit}.")
        await settle(bot_api)
    assert [web.hits(f"/p{index}") for index in range(50)] == [1] * limit + [0] * (50 - limit)
    assert len(summaries_in(bot_api, USER_ID)) == limit
    assert_clean(bot_api, caplog)


async def test_a_100000_character_paste_split_by_telegram_is_one_summary(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    paragraphs = [
        f"Paragraph {n}: the harbour authority debated breakwater plan number {n} at length. " * 3
        for n in range(500)
    ]
    paste = "\n".join(paragraphs)[:100_000] + " Final sentence about gulls."
    # Telegram cuts a long paste into messages of at most 4,096 characters.
    parts = [paste[i : i + 4096] for i in range(0, len(paste), 4096)]
    assert len(parts) == 25
    async with start_bot(llm_settings(settings_for, llm_api)):
        for part in parts:
            bot_api.send_private_message(part)
        await bot_api.wait_for("sendMessage", is_summary, timeout=60)
        await asyncio.sleep(2)  # longer than the paste window: no second summary follows
        await settle(bot_api)
        assert len(summaries_in(bot_api, USER_ID)) == 1
        sent = " ".join(r.user_text for r in llm_api.requests)
        assert "Paragraph 0:" in sent
        await next_request_works(bot_api, web)
    assert not [m for m in bot_api.messages_in(USER_ID) if "Still working" in str(m["text"])]
    assert_clean(bot_api, caplog)


# Message shapes


PHOTO = [{"file_id": "photo-1", "file_unique_id": "p1", "width": 90, "height": 90}]


@pytest.mark.parametrize(
    "fields",
    [
        {
            "sticker": {
                "file_id": "sticker-1",
                "file_unique_id": "s1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"location": {"latitude": 52.1, "longitude": 4.3}},
    ],
    ids=["sticker", "location"],
)
async def test_media_without_text_in_private_gets_one_hint_and_nothing_downloaded(
    fields: dict[str, Any],
    bot_api: FakeBotAPI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Silence was a dead end for a new user: one line says what Skim reads."""
    async with start_bot(settings_for()):
        bot_api.send_private_message(**fields)
        await wait_text(bot_api, "Send me a link")
        await settle(bot_api)
        assert len(bot_api.calls_to("sendMessage")) == 1
        assert not bot_api.calls_to("getFile")
        await next_request_works(bot_api, web)
    assert_clean(bot_api, caplog)


@pytest.mark.parametrize(
    "fields", [{"photo": PHOTO}, {"photo": PHOTO, "caption": ""}], ids=["photo", "empty-caption"]
)
async def test_a_photo_without_a_vision_model_is_answered_at_once_without_downloading(
    fields: dict[str, Any],
    bot_api: FakeBotAPI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A picture is read only by a vision model (LLM_VISION); without one, one clear line."""
    async with start_bot(settings_for()):
        bot_api.send_private_message(**fields)
        await wait_text(bot_api, "LLM_VISION")
        assert not bot_api.calls_to("getFile")
        assert len(bot_api.calls_to("sendMessage")) == 1, "no status message first"
        await next_request_works(bot_api, web)
    assert_clean(bot_api, caplog)


async def test_a_photo_caption_with_a_link_is_summarized(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(settings_for()):
        bot_api.send_private_message(photo=PHOTO, caption=f"look {web.url('/story')}")
        await bot_api.wait_for("sendMessage", is_summary)
    assert web.hits("/story") == 1
    assert_clean(bot_api, caplog)


@pytest.mark.parametrize(
    ("origin", "text"),
    [
        ({"type": "hidden_user", "sender_user_name": "Anonymous Fox", "date": 1}, LONG_TEXT),
        ({"type": "hidden_user", "sender_user_name": "\u202eevil\u200b", "date": 1}, LONG_TEXT),
        ({"type": "hidden_user", "sender_user_name": "x", "date": 1}, "short"),
    ],
    ids=["hidden-user", "hidden-user-rtl-name", "hidden-user-short"],
)
async def test_a_forward_from_a_hidden_user_is_read_like_any_text(
    origin: dict[str, Any],
    text: str,
    bot_api: FakeBotAPI,
    web: FakeWeb,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(text, forward_origin=origin, forward_date=1)
        if text == LONG_TEXT:
            await bot_api.wait_for("sendMessage", is_summary)
            assert "breakwater" in llm_api.requests[0].user_text
            assert "Fox" not in llm_api.requests[0].user_text
        else:
            await wait_text(bot_api, HINT)
        await next_request_works(bot_api, web)
    assert_clean(bot_api, caplog)


async def test_an_edited_private_message_is_not_summarized_again(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(llm_settings(settings_for, llm_api)):
        sent = bot_api.send_private_message(LONG_TEXT)
        await bot_api.wait_for("sendMessage", is_summary)
        edited = {**sent["message"], "text": LONG_TEXT + " An edit.", "edit_date": int(time.time())}
        edited.pop("entities", None)
        bot_api.add_update({"edited_message": edited})
        await settle(bot_api, 0.5)
        assert len(summaries_in(bot_api, USER_ID)) == 1
        assert len(llm_api.requests) == 1
        await next_request_works(bot_api, web)
    assert_clean(bot_api, caplog)


# Updates the bot has no use for


def _member_update(chat: dict[str, Any], old: str, new: str, who: dict[str, Any]) -> dict[str, Any]:
    return {
        "chat": chat,
        "from": DEFAULT_USER,
        "date": int(time.time()),
        "old_chat_member": {"user": who, "status": old},
        "new_chat_member": {"user": who, "status": new, "until_date": 0}
        if new == "kicked"
        else {"user": who, "status": new},
    }


def _odd_updates(bot_api: FakeBotAPI) -> dict[str, dict[str, Any]]:
    itself = make_user(bot_api.bot_id, "Skim", "skim_test_bot", is_bot=True)
    group = {"id": DEFAULT_SUPERGROUP_ID, "type": "supergroup", "title": "Skim Test Group"}
    private = {"id": USER_ID, "type": "private", "first_name": "Alice"}
    bob = make_user(2002, "Bob")
    return {
        "unknown-field": {"future_update_kind": {"id": 7, "text": "hello", "chat": private}},
        "unknown-field-and-message": {
            "future_update_kind": {"x": [1, 2, 3]},
            "message_reaction_count": {"chat": group, "message_id": 1, "date": 1, "reactions": []},
        },
        "bot-kicked-from-group": {
            "my_chat_member": _member_update(group, "member", "kicked", itself)
        },
        "user-blocked-bot": {"my_chat_member": _member_update(private, "member", "kicked", itself)},
        "member-joined": {"chat_member": _member_update(group, "left", "member", bob)},
        "member-banned": {"chat_member": _member_update(group, "member", "kicked", bob)},
        "join-request": {
            "chat_join_request": {
                "chat": group,
                "from": bob,
                "user_chat_id": 2002,
                "date": int(time.time()),
            }
        },
        "poll": {
            "poll": {
                "id": "poll-1",
                "question": "?",
                "options": [{"persistent_id": "o1", "text": "a", "voter_count": 1}],
                "total_voter_count": 1,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            }
        },
    }


@pytest.mark.parametrize(
    "kind",
    [
        "unknown-field",
        "unknown-field-and-message",
        # (The bot added to a group introduces itself there: tests/test_membership.py.)
        "bot-kicked-from-group",
        "user-blocked-bot",
        "member-joined",
        "member-banned",
        "join-request",
        "poll",
    ],
)
async def test_updates_the_bot_has_no_use_for_are_ignored_quietly(
    kind: str,
    bot_api: FakeBotAPI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with start_bot(settings_for()):
        bot_api.add_update(_odd_updates(bot_api)[kind])
        await settle(bot_api)
        assert not bot_api.calls_to("sendMessage")
        await next_request_works(bot_api, web)
    assert_clean(bot_api, caplog)


async def test_the_same_link_update_delivered_twice_is_answered_once(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(llm_settings(settings_for, llm_api)):
        update = bot_api.send_private_message(web.url("/story"))
        bot_api.add_update(update)  # the same update id at once, as a second worker would see it
        await bot_api.wait_for("sendMessage", is_summary)
        await settle(bot_api, 0.5)
        bot_api.add_update(update)  # and again later, after a crash before the offset was saved
        await settle(bot_api, 0.5)
    shown = [str(m["text"]) for m in bot_api.messages_in(USER_ID)]
    assert len(shown) == 1, shown
    assert len(llm_api.requests) == 1
    assert web.hits("/story") == 1
    assert_clean(bot_api, caplog)


# Documents


async def test_a_document_too_big_for_getfile_without_a_size_says_so(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Telegram may leave out file_size: getFile's own refusal gets the same clear message."""
    stored = bot_api.add_file(b"%PDF-1.4 tiny")
    document = {
        "file_id": stored["file_id"],
        "file_unique_id": stored["file_unique_id"],
        "file_name": "huge.pdf",
        "mime_type": "application/pdf",
    }
    bot_api.fail_next("getFile", description="Bad Request: file is too big")
    async with start_bot(settings_for()):
        bot_api.send_private_message(document=document)
        await wait_text(bot_api, "20 MB")
        await next_request_works(bot_api, web)
    assert not bot_api.downloads
    assert_clean(bot_api, caplog)


async def test_a_pdf_that_is_really_text_gets_a_clear_answer(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_document(
            LONG_TEXT.encode(), file_name="report.pdf", mime_type="application/pdf"
        )
        await bot_api.wait_for("sendMessage", timeout=15)
        await settle(bot_api)
        texts = [str(m["text"]) for m in bot_api.messages_in(USER_ID)]
        assert len(texts) == 1, texts
        assert texts[0].strip()
        await next_request_works(bot_api, web)
    assert_clean(bot_api, caplog)


async def test_a_txt_that_is_really_a_pdf_is_never_read_as_raw_bytes(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    pdf = make_pdf(["The rowing club grew to 412 members this year. " * 8])
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_document(pdf, file_name="notes.txt", mime_type="text/plain")
        await bot_api.wait_for("sendMessage", timeout=15)
        await settle(bot_api)
        texts = [str(m["text"]) for m in bot_api.messages_in(USER_ID)]
        assert len(texts) == 1, texts
        assert texts[0].strip()
        sent = " ".join(r.user_text for r in llm_api.requests)
        assert "%PDF" not in sent, "no PDF syntax reaches the model"
        assert "endobj" not in sent
        await next_request_works(bot_api, web)
    assert_clean(bot_api, caplog)


# Inline queries


@pytest.mark.parametrize(
    "query",
    [
        "x" * 10_000,
        "\x00\x01\x02\x1b\x7f",
        " " * 200,
        "\u202e\u200b\ufeff",
        "<b>&amp;</b>" * 20,
        "https://",
        "http://[::1",
        "see http://[::1 and http://[::2",
    ],
    ids=[
        "very-long",
        "control",
        "spaces",
        "invisible",
        "markup",
        "bare-scheme",
        "unclosed-ipv6",
        "two-unclosed-ipv6",
    ],
)
async def test_garbage_inline_queries_get_the_how_to_answer(
    query: str,
    bot_api: FakeBotAPI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_inline_query(query)
        answer = await bot_api.wait_for("answerInlineQuery")
        await settle(bot_api)
        assert answer.ok, answer.summary()
        assert len(bot_api.calls_to("answerInlineQuery")) == 1
        assert not web.requests
        await next_request_works(bot_api, web)
    assert_clean(bot_api, caplog)


# Floods


async def test_thirty_links_in_ten_seconds_are_rate_limited_and_bounded(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = llm_settings(settings_for, llm_api)
    burst = settings.rate_limit_user_burst
    for index in range(30):
        web.page(
            f"/p{index}",
            title=f"Story number {index}",
            paragraphs=[f"Story {index} is about harbour cranes, tides and port workers. " * 4],
        )
    loop = asyncio.get_running_loop()
    async with start_bot(settings):
        started = loop.time()
        for index in range(30):
            bot_api.send_private_message(web.url(f"/p{index}"))
            await bot_api.wait_for("sendMessage", sent_in_user, count=index + 1, timeout=10)
        elapsed = loop.time() - started
        await settle(bot_api)
    assert elapsed < 10, "the flood really came within ten seconds"
    finals = [m for m in bot_api.messages_in(USER_ID)]
    summaries = [m for m in finals if "reply_markup" in m]
    refusals = [m for m in finals if "too fast" in str(m["text"])]
    assert len(summaries) + len(refusals) == 30, [m["text"] for m in finals]
    # The bucket refills at rate_limit_user_per_minute: at most one more within ten seconds.
    assert burst <= len(summaries) <= burst + 2
    assert len(llm_api.requests) == len(summaries)
    assert_clean(bot_api, caplog)


def sent_in_user(call: Any) -> bool:
    return call.params.get("chat_id") == USER_ID and (
        is_summary(call) or "too fast" in str(call.params.get("text", ""))
    )


async def test_thirty_links_at_once_never_crash_and_ask_the_model_at_most_burst_times(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = llm_settings(settings_for, llm_api)
    for index in range(30):
        web.page(
            f"/p{index}",
            title=f"Story number {index}",
            paragraphs=[f"Story {index} is about harbour cranes, tides and port workers. " * 4],
        )
    async with start_bot(settings):
        for index in range(30):
            bot_api.send_private_message(web.url(f"/p{index}"))
        await bot_api.wait_for("sendMessage", is_summary)
        await settle(bot_api, 0.5)
    finals = bot_api.messages_in(USER_ID)
    assert len(finals) == 30, [m["text"] for m in finals]
    assert all(str(m["text"]).strip() for m in finals)
    assert 1 <= len(llm_api.requests) <= settings.rate_limit_user_burst
    assert all(utf16_len(str(m["text"])) <= 4096 for m in finals)
    assert_clean(bot_api, caplog)


# A link urlsplit refuses ("Invalid IPv6 URL") once failed the whole message.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://[::1", HINT),
        ("read http://[::1 and {good}", "summary"),
        ("/summary http://[::1", "/summary"),
        ("/summary http://[::1 {good}", "summary"),
    ],
    ids=["alone", "beside-a-good-link", "summary-command", "summary-command-with-good-link"],
)
async def test_a_link_with_an_unclosed_ipv6_bracket_is_skipped_not_fatal(
    text: str,
    expected: str,
    bot_api: FakeBotAPI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(settings_for()):
        bot_api.send_private_message(text.format(good=web.url("/story")))
        if expected == "summary":
            await bot_api.wait_for("sendMessage", is_summary)
        else:
            await wait_text(bot_api, expected)
        await settle(bot_api)
        await next_request_works(bot_api, web)
    assert_clean(bot_api, caplog)


async def test_an_unclosed_ipv6_link_in_an_auto_summary_group_is_not_fatal(
    bot_api: FakeBotAPI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot_api.bot_user["can_read_all_group_messages"] = True
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(settings_for()) as bot:
        await set_auto_summary(bot, DEFAULT_SUPERGROUP_ID)
        bot_api.send_group_message("look http://[::1 here")
        bot_api.send_group_message(f"and {web.url('/story')}")
        await bot_api.wait_for("sendMessage", is_summary)
        await settle(bot_api)
    assert len(sent_to(bot_api, DEFAULT_SUPERGROUP_ID)) >= 1
    assert not [
        m for m in bot_api.messages_in(DEFAULT_SUPERGROUP_ID) if INTERNAL_ERROR in str(m["text"])
    ]
    assert_clean(bot_api, caplog)
