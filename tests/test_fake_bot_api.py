"""The Bot API fake, driven by plain httpx and by python-telegram-bot as independent clients."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.error import BadRequest, ChatMigrated, RetryAfter
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from tests.fakes.bot_api import (
    DEFAULT_SUPERGROUP_ID,
    DEFAULT_USER,
    FakeBotAPI,
    Upload,
    make_user,
    parse_html,
    parse_markdown_v2,
    utf16_len,
)
from tests.fakes.bot_api_text import EntityParseError

USER_ID = DEFAULT_USER["id"]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture
async def bot(bot_api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(
        bot_api.token, base_url=f"{bot_api.url}/bot", base_file_url=f"{bot_api.url}/file/bot"
    ) as client:
        yield client


async def call(
    http: httpx.AsyncClient, bot_api: FakeBotAPI, method: str, **params: Any
) -> httpx.Response:
    """POST a JSON body, the way many clients do."""
    return await http.post(f"{bot_api.url}/bot{bot_api.token}/{method}", json=params)


# ------------------------------------------------------------------------------- basics


async def test_get_me_over_get_and_post_and_with_ptb(
    bot_api: FakeBotAPI, http: httpx.AsyncClient, bot: Bot
) -> None:
    response = await http.get(f"{bot_api.url}/bot{bot_api.token}/getMe")
    assert response.status_code == 200
    me = response.json()["result"]
    assert me["id"] == bot_api.bot_id == 123456789
    assert me["is_bot"] is True
    assert me["username"] == "skim_test_bot"
    assert me["supports_inline_queries"] is True
    assert me["can_read_all_group_messages"] is False
    assert (await call(http, bot_api, "GETME")).json()["result"] == me
    assert bot.username == "skim_test_bot"
    assert (await bot.get_me()).id == bot_api.bot_id
    assert [c.method for c in bot_api.calls_to("getme")] == ["getMe", "getMe", "GETME", "getMe"]


async def test_wrong_token_and_unknown_method(bot_api: FakeBotAPI, http: httpx.AsyncClient) -> None:
    wrong = await http.get(f"{bot_api.url}/bot999:wrong-token/getMe")
    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    unknown = await http.post(f"{bot_api.url}/bot{bot_api.token}/noSuchMethod")
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    elsewhere = await http.get(f"{bot_api.url}/whatever")
    assert elsewhere.status_code == 404


async def test_every_encoding_decodes_to_the_same_params(
    bot_api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    url = f"{bot_api.url}/bot{bot_api.token}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    form = {"chat_id": str(USER_ID), "text": "hi", "reply_markup": json.dumps(markup)}
    responses = [
        await http.get(url, params=form),
        await http.post(url, data=form),
        await http.post(url, json={"chat_id": USER_ID, "text": "hi", "reply_markup": markup}),
        await http.post(url, data=form, files={"unused": ("x.bin", b"\0")}),
    ]
    assert all(r.json()["ok"] for r in responses), [r.json() for r in responses]
    calls = bot_api.calls_to("sendMessage")
    assert [c.params["chat_id"] for c in calls] == [USER_ID] * 4
    assert all(c.params["reply_markup"] == markup for c in calls)
    assert calls[3].files == {"unused": b"\0"}
    assert [m["message_id"] for m in bot_api.messages_in(USER_ID)] == [1, 2, 3, 4]
    assert responses[0].json()["result"]["reply_markup"] == markup


# ------------------------------------------------------------------------------- getUpdates


async def test_long_poll_returns_promptly_when_an_update_arrives(
    bot_api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(call(http, bot_api, "getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()
    update = bot_api.send_private_message("hello")
    result = (await poll).json()["result"]
    assert time.monotonic() - started < 1.5
    assert [u["update_id"] for u in result] == [update["update_id"]]
    message = result[0]["message"]
    assert message["text"] == "hello"
    assert message["chat"] == {
        "id": USER_ID,
        "type": "private",
        "first_name": "Alice",
        "username": "alice",
    }
    empty = await call(http, bot_api, "getUpdates", offset=update["update_id"] + 1, timeout=0)
    assert empty.json() == {"ok": True, "result": []}


async def test_offset_confirms_and_limit_caps(bot_api: FakeBotAPI, bot: Bot) -> None:
    ids = [bot_api.send_private_message(f"m{i}")["update_id"] for i in range(3)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    first = await bot.get_updates(limit=2, timeout=0)
    assert [u.update_id for u in first] == ids[:2]
    again = await bot.get_updates(timeout=0)  # nothing confirmed yet
    assert [u.update_id for u in again] == ids
    rest = await bot.get_updates(offset=ids[1] + 1, timeout=0)
    assert [u.update_id for u in rest] == ids[2:]
    assert [u["update_id"] for u in bot_api.pending_updates] == ids[2:]
    assert await bot.get_updates(offset=ids[2] + 1, timeout=0) == ()
    assert bot_api.pending_updates == []
    assert bot_api.add_update({"update_id": 5, "message": {}}) == 5  # explicit ids kept


async def test_allowed_updates_filter_and_are_remembered(
    bot_api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    sent = bot_api.send_private_message("hi")
    message = sent["message"]
    query = bot_api.send_callback_query("cb", message=message)
    member = bot_api.add_update({"chat_member": {"chat": message["chat"]}})
    only = await http.post(
        f"{bot_api.url}/bot{bot_api.token}/getUpdates",
        data={"allowed_updates": json.dumps(["callback_query"]), "timeout": "0"},
    )
    assert [u["update_id"] for u in only.json()["result"]] == [query["update_id"]]
    later = bot_api.send_private_message("later")
    remembered = await call(http, bot_api, "getUpdates")
    assert [u["update_id"] for u in remembered.json()["result"]] == [query["update_id"]]
    default = await call(http, bot_api, "getUpdates", allowed_updates=[])
    assert [u["update_id"] for u in default.json()["result"]] == [query["update_id"]]
    fresh = bot_api.add_update({"chat_member": {"chat": message["chat"]}})
    explicit = await call(http, bot_api, "getUpdates", allowed_updates=["chat_member"])
    assert [u["update_id"] for u in explicit.json()["result"]] == [fresh]
    assert member not in {later["update_id"], fresh}


async def test_client_disconnect_during_long_poll_loses_nothing(
    bot_api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(call(http, bot_api, "getUpdates", timeout=5), 0.2)
    await asyncio.sleep(0.05)
    update = bot_api.send_private_message("after the hang-up")
    result = (await call(http, bot_api, "getUpdates", timeout=5)).json()["result"]
    assert [u["update_id"] for u in result] == [update["update_id"]]
    assert bot_api.internal_errors == []


async def test_second_poller_terminates_the_first(
    bot_api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    first = asyncio.create_task(call(http, bot_api, "getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(call(http, bot_api, "getUpdates", timeout=5))
    answer = await first
    assert answer.status_code == 409
    assert answer.json()["description"].startswith("Conflict: terminated by other getUpdates")
    update = bot_api.send_private_message("x")
    assert (await second).json()["result"][0]["update_id"] == update["update_id"]


async def test_webhook_blocks_polling_and_delivers_updates(
    bot_api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    received: list[tuple[dict[str, Any], str | None]] = []
    answers = iter([503, 200])  # the first delivery fails and is retried
    delivered = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        status = next(answers)
        if status == 200:
            delivered.set()
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        hook_url = f"http://{host}:{port}/hook"
        insecure = await call(http, bot_api, "setWebhook", url="http://example.com/hook")
        assert "HTTPS URL must be provided" in insecure.json()["description"]
        ok = await call(http, bot_api, "setWebhook", url=hook_url, secret_token="s3cret")
        assert ok.json() == {"ok": True, "result": True}
        conflict = await call(http, bot_api, "getUpdates")
        assert conflict.status_code == 409
        assert "webhook is active" in conflict.json()["description"]
        bot_api.webhook_retry_delay = 0.01
        update = bot_api.send_private_message("via hook")
        await asyncio.wait_for(delivered.wait(), 5)
        assert received == [(update, "s3cret"), (update, "s3cret")]
        await bot_api.wait_idle(quiet=0.05)
        assert bot_api.pending_updates == []  # a 2xx answer confirms the update
        assert (await call(http, bot_api, "deleteWebhook")).json()["result"] is True
        assert (await call(http, bot_api, "getUpdates")).json() == {"ok": True, "result": []}
    finally:
        await runner.cleanup()


# ------------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("é <br>", 'Unsupported start tag "br" at byte offset 3'),
        ("Q&A", 'Character "&" must be escaped as "&amp;" at byte offset 1'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>s</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_html_parse_errors(
    bot_api: FakeBotAPI, http: httpx.AsyncClient, text: str, reason: str
) -> None:
    response = await call(
        http, bot_api, "sendMessage", chat_id=USER_ID, text=text, parse_mode="HTML"
    )
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": f"Bad Request: can't parse entities: {reason}",
    }
    assert bot_api.messages_in(USER_ID) == []


async def test_html_becomes_plain_text_with_utf16_entities(bot_api: FakeBotAPI, bot: Bot) -> None:
    html = (
        '😀 <b>bold</b> <a href="https://example.com">link</a> &lt;3 &amp; '
        '<pre><code class="language-python">x = 1</code></pre> see https://skim.example.org/a'
    )
    sent = await bot.send_message(USER_ID, html, parse_mode="HTML")
    assert sent.text == "😀 bold link <3 & x = 1 see https://skim.example.org/a"
    stored = bot_api.messages_in(USER_ID)[-1]
    assert stored["text"] == sent.text
    assert stored["from"]["id"] == bot_api.bot_id
    assert stored["entities"] == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "offset": 8, "length": 4, "url": "https://example.com/"},
        {"type": "pre", "offset": 18, "length": 5, "language": "python"},
        {"type": "url", "offset": 28, "length": 26},
    ]
    assert sent.parse_entity(sent.entities[0]) == "bold"
    plain, entities = parse_html("<i>a</i><s>b</s><u>c</u><tg-spoiler>d</tg-spoiler>")
    assert plain == "abcd"
    assert [e["type"] for e in entities] == ["italic", "strikethrough", "underline", "spoiler"]


async def test_markdown_v2_is_parsed_and_reserved_characters_are_enforced(bot: Bot) -> None:
    sent = await bot.send_message(USER_ID, "*bold* and `code`\\.", parse_mode="MarkdownV2")
    assert sent.text == "bold and code."
    assert [e.type for e in sent.entities] == ["bold", "code"]
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await bot.send_message(USER_ID, "Done.", parse_mode="MarkdownV2")


@pytest.mark.parametrize(
    ("markdown", "text", "entities"),
    [
        (
            "__u__ ~s~ ||p||",
            "u s p",
            [("underline", 0, 1), ("strikethrough", 2, 1), ("spoiler", 4, 1)],
        ),
        ("[a *b*](https://x\\.io/\\))", "a b", [("text_link", 0, 3), ("bold", 2, 1)]),
        ("```py\nx = 1\n```", "x = 1\n", [("pre", 0, 6)]),  # trimmed when sent
        ("😀 _i_", "😀 i", [("italic", 3, 1)]),
        (">quoted\nplain", "quoted\nplain", [("blockquote", 0, 6)]),
    ],
)
def test_markdown_v2_entities(
    markdown: str, text: str, entities: list[tuple[str, int, int]]
) -> None:
    plain, found = parse_markdown_v2(markdown)
    assert plain == text
    assert [(e["type"], e["offset"], e["length"]) for e in found] == entities


@pytest.mark.parametrize(
    ("markdown", "reason"),
    [
        ("*bold", "Can't find end of the entity starting at byte offset 0"),
        ("é [x](y", "Can't find end of a URL at byte offset 7"),
        ("a|b", "Character '|' is reserved and must be escaped with the preceding '\\'"),
        ("![x](https://x.io)", "Custom emoji entity must contain a tg://emoji URL"),
    ],
)
def test_markdown_v2_errors(markdown: str, reason: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_markdown_v2(markdown)
    assert str(caught.value) == reason


@pytest.mark.parametrize("title", ["Title", "😀 Title"])
def test_offsets_count_utf16_units_around_astral_characters(title: str) -> None:
    tail = " 🚀" if title != "Title" else ""
    html = (
        f'<b><a href="https://example.com/x">{title}</a></b>\nexample.com · 3 min read\n\n'
        f"See www.Example.org/a, mail bob@example.com{tail} #tag /start@skim_bot &amp; &lt;3.\n"
    )
    plain, entities = FakeBotAPI()._format(html, "HTML", None)
    assert plain == (
        f"{title}\nexample.com · 3 min read\n\n"
        f"See www.Example.org/a, mail bob@example.com{tail} #tag /start@skim_bot & <3."
    )

    def at(fragment: str) -> tuple[int, int]:
        return utf16_len(plain[: plain.index(fragment)]), utf16_len(fragment)

    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("text_link", *at(title)),
        ("bold", *at(title)),
        ("url", *at("example.com")),
        ("url", *at("www.Example.org/a")),
        ("email", *at("bob@example.com")),
        ("hashtag", *at("#tag")),
        ("bot_command", *at("/start@skim_bot")),
    ]


async def test_answers_are_copies_of_the_stored_state(bot_api: FakeBotAPI) -> None:
    keyboard = {"inline_keyboard": [[{"text": "Open", "url": "https://example.com/x"}]]}
    params = {"chat_id": USER_ID, "text": "<b>hi</b> 😀", "parse_mode": "HTML"}
    answer = await bot_api._api_sendMessage({**params, "reply_markup": keyboard})
    answer["entities"][0]["length"] = 99
    answer["reply_markup"]["inline_keyboard"][0][0]["text"] = "changed"
    answer["chat"]["id"] = 0
    keyboard["inline_keyboard"][0].clear()
    stored = bot_api.message(USER_ID, answer["message_id"])
    assert stored is not None
    assert stored["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
    assert stored["reply_markup"]["inline_keyboard"][0][0]["text"] == "Open"
    assert stored["chat"]["id"] == USER_ID


async def test_text_limit_counts_utf16_after_parsing(
    bot_api: FakeBotAPI, http: httpx.AsyncClient, bot: Bot
) -> None:
    emoji = "😀" * 2048  # 2048 characters, 4096 UTF-16 code units
    assert utf16_len(emoji) == 4096
    assert (await bot.send_message(USER_ID, emoji)).text == emoji
    tagged = f"<b>{'a' * 4096}</b>"  # markup does not count
    assert (await bot.send_message(USER_ID, tagged, parse_mode="HTML")).text == "a" * 4096
    too_long = await call(http, bot_api, "sendMessage", chat_id=USER_ID, text=emoji + "!")
    assert too_long.json()["description"] == "Bad Request: message is too long"
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER_ID, "<b> </b>", parse_mode="HTML")


# ------------------------------------------------------------------------------- messages


async def test_edit_and_not_modified(bot_api: FakeBotAPI, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])
    sent = await bot.send_message(USER_ID, "Working…", reply_markup=keyboard)
    edited = await bot.edit_message_text("Done", USER_ID, sent.message_id, reply_markup=keyboard)
    assert isinstance(edited, type(sent))
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Done", USER_ID, sent.message_id, reply_markup=keyboard)
    await bot.edit_message_text("Done", USER_ID, sent.message_id)  # drops the keyboard
    [stored] = bot_api.messages_in(USER_ID)
    assert stored["text"] == "Done"
    assert "reply_markup" not in stored
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER_ID, 999)
    assert await bot.delete_message(USER_ID, sent.message_id) is True
    assert bot_api.messages_in(USER_ID) == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER_ID, sent.message_id)


async def test_bad_json_and_markup_edits(
    bot_api: FakeBotAPI, http: httpx.AsyncClient, bot: Bot
) -> None:
    url = f"{bot_api.url}/bot{bot_api.token}/sendMessage"
    bad = await http.post(url, data={"chat_id": "1001", "text": "x", "reply_markup": "{oops"})
    assert bad.json()["description"] == (
        "Bad Request: can't parse reply keyboard markup JSON object"
    )
    assert bot_api.calls_to("sendMessage")[0].params["reply_markup"] == "{oops"
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Site", url="https://example.com")]])
    sent = await bot.send_message(USER_ID, "x", reply_markup=keyboard)
    await bot.edit_message_reply_markup(USER_ID, sent.message_id)
    assert "reply_markup" not in bot_api.messages_in(USER_ID)[-1]
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_reply_markup(USER_ID, sent.message_id)


async def test_reply_parameters_markup_validation_and_chat_types(
    bot_api: FakeBotAPI, http: httpx.AsyncClient, bot: Bot
) -> None:
    incoming = bot_api.send_private_message("question")["message"]
    reply = await bot.send_message(USER_ID, "answer", reply_to_message_id=incoming["message_id"])
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "question"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(USER_ID, "x", reply_to_message_id=12345)
    lenient = await bot.send_message(
        USER_ID, "x", reply_to_message_id=12345, allow_sending_without_reply=True
    )
    assert lenient.reply_to_message is None
    bad = await call(
        http,
        bot_api,
        "sendMessage",
        chat_id=USER_ID,
        text="x",
        reply_markup={"inline_keyboard": [[{"text": "b", "callback_data": "x" * 65}]]},
    )
    assert bad.json()["description"] == "Bad Request: BUTTON_DATA_INVALID"

    bot_api.send_channel_post("post")
    post = await bot.send_message(-1009876543210, "to channel")
    assert post.chat.type == "channel"
    assert post.from_user is None
    assert post.sender_chat is not None
    assert post.sender_chat.id == -1009876543210
    group = await bot.send_message(-1001111, "to group", message_thread_id=7)
    assert group.chat.type == "supergroup"
    assert group.from_user is not None
    assert group.message_thread_id == 7


async def test_privacy_mode_hides_plain_group_chatter(bot_api: FakeBotAPI) -> None:
    chatter = bot_api.send_group_message("just talking")
    command = bot_api.send_group_message("/summarize@skim_test_bot")
    other_bot = bot_api.send_group_message("/summarize@other_bot")
    mention = bot_api.send_group_message("hey @skim_test_bot what is this")
    assert "update_id" not in chatter
    assert "update_id" not in other_bot
    queued = [u["update_id"] for u in bot_api.pending_updates]
    assert queued == [command["update_id"], mention["update_id"]]
    assert command["message"]["chat"]["type"] == "supergroup"
    assert command["message"]["chat"]["id"] < 0
    assert command["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 24}]
    bot_api.set_chat_admins(command["message"]["chat"]["id"], [bot_api.bot_id])
    assert "update_id" in bot_api.send_group_message("admins see everything")


async def test_chat_members_and_admins(bot_api: FakeBotAPI, bot: Bot) -> None:
    group = bot_api.send_group_message("/start")["message"]["chat"]["id"]
    bot_api.set_chat_admins(group, [1002], creator_id=1003)
    assert (await bot.get_chat_member(group, 1002)).status == "administrator"
    assert (await bot.get_chat_member(group, 1003)).status == "creator"
    assert (await bot.get_chat_member(group, USER_ID)).status == "member"
    channel = bot_api.send_channel_post("hi")["channel_post"]["chat"]["id"]
    assert (await bot.get_chat_member(channel, bot_api.bot_id)).status == "administrator"


async def test_chat_action_callback_and_inline_answers(bot_api: FakeBotAPI, bot: Bot) -> None:
    assert await bot.send_chat_action(USER_ID, "typing") is True
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(USER_ID, "dancing")
    sent = await bot.send_message(USER_ID, "pick")
    [stored] = bot_api.messages_in(USER_ID)
    query = bot_api.send_callback_query("more", message=stored)["callback_query"]
    assert query["message"]["message_id"] == sent.message_id
    assert await bot.answer_callback_query(query["id"], text="ok") is True
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query["id"])

    inline = bot_api.send_inline_query("cats")["inline_query"]
    result = {
        "type": "article",
        "id": "1",
        "title": "Cats",
        "input_message_content": {"message_text": "cats!"},
    }
    assert await bot._post(
        "answerInlineQuery", {"inline_query_id": inline["id"], "results": [result]}
    )
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot._post("answerInlineQuery", {"inline_query_id": inline["id"], "results": []})
    bot_api.inline_query_ttl = 0
    expired = bot_api.send_inline_query("dogs")["inline_query"]
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot._post("answerInlineQuery", {"inline_query_id": expired["id"], "results": []})
    bot_api.callback_query_ttl = 0
    late = bot_api.send_callback_query("more", message=stored)["callback_query"]
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(late["id"])


async def test_inline_results_keyboards_are_checked(bot_api: FakeBotAPI, bot: Bot) -> None:
    def article(url: str) -> dict[str, object]:
        button = {"text": "Open", "url": url}
        return {
            "type": "article",
            "id": "1",
            "title": "Cats",
            "input_message_content": {"message_text": "cats!"},
            "reply_markup": {"inline_keyboard": [[button]]},
        }

    refused = bot_api.send_inline_query("cats")["inline_query"]
    with pytest.raises(BadRequest, match="Button_url_invalid"):
        await bot._post(
            "answerInlineQuery",
            {"inline_query_id": refused["id"], "results": [article("https://a.example/a b")]},
        )
    taken = bot_api.send_inline_query("cats")["inline_query"]
    assert await bot._post(
        "answerInlineQuery",
        {"inline_query_id": taken["id"], "results": [article("https://a.example/a%20b")]},
    )


async def test_commands_are_kept_per_scope_and_language(
    bot_api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    default = [{"command": "start", "description": "Start"}]
    private = [{"command": "summarize", "description": "Summarize a link"}]
    scope = {"type": "all_private_chats"}
    assert (await call(http, bot_api, "setMyCommands", commands=default)).json()["ok"]
    set_private = await call(
        http, bot_api, "setMyCommands", commands=private, scope=scope, language_code="de"
    )
    assert set_private.json()["ok"]
    assert bot_api.my_commands() == default
    assert bot_api.my_commands(scope, "de") == private
    assert bot_api.my_commands(scope) == []
    bad = await call(
        http, bot_api, "setMyCommands", commands=[{"command": "Start", "description": "x"}]
    )
    assert bad.json()["description"] == "Bad Request: BOT_COMMAND_INVALID"
    assert (await call(http, bot_api, "setMyCommands", commands=[])).json()["result"] is True
    assert bot_api.my_commands() == []


# ------------------------------------------------------------------------------- errors


async def test_fail_next_429_with_retry_after(
    bot_api: FakeBotAPI, http: httpx.AsyncClient, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # else PTB 22 warns when building RetryAfter
    bot_api.fail_next("sendMessage", status=429, retry_after=7)
    limited = await call(http, bot_api, "sendMessage", chat_id=USER_ID, text="x")
    assert limited.status_code == 429
    assert limited.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    bot_api.fail_next("SENDMESSAGE", status=429, retry_after=3, count=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(USER_ID, "x")
        assert caught.value.retry_after == dtm.timedelta(seconds=3)
    assert (await bot.send_message(USER_ID, "finally")).text == "finally"
    assert [m["text"] for m in bot_api.messages_in(USER_ID)] == ["finally"]
    bot_api.fail_next("getUpdates", status=502)
    assert (await call(http, bot_api, "getUpdates")).status_code == 502


async def test_wait_for_lists_received_calls_on_timeout(
    bot_api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    await call(http, bot_api, "sendMessage", chat_id=USER_ID, text="<b>", parse_mode="HTML")
    with pytest.raises(AssertionError) as caught:
        await bot_api.wait_for("sendMessage", lambda c: c.ok, timeout=0.1)
    assert "sendMessage(chat_id=1001" in str(caught.value)
    assert "can't parse entities" in str(caught.value)
    await call(http, bot_api, "sendMessage", chat_id=USER_ID, text="fine")
    found = await bot_api.wait_for("sendMessage", lambda c: c.ok)
    assert found.params["text"] == "fine"
    assert found.response["result"]["text"] == "fine"


# ------------------------------------------------------------------------------- files


async def test_get_file_and_download(
    bot_api: FakeBotAPI, bot: Bot, http: httpx.AsyncClient
) -> None:
    update = bot_api.send_document(
        b"%PDF-1.4 fake", file_name="paper.pdf", mime_type="application/pdf"
    )
    document = update["message"]["document"]
    assert document["file_name"] == "paper.pdf"
    assert document["file_size"] == 13
    file = await bot.get_file(document["file_id"])
    assert file.file_path is not None
    assert file.file_path.endswith(".pdf")
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 fake"
    [downloaded] = bot_api.downloads
    assert file.file_path == f"{bot_api.url}/file/bot{bot_api.token}/{downloaded}"
    huge = bot_api.add_file(b"x", file_size=21 * 1024 * 1024)
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(huge["file_id"])
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")
    missing = await http.get(f"{bot_api.url}/file/bot{bot_api.token}/documents/nope.pdf")
    assert missing.status_code == 404


async def download(bot: Bot, file_id: str) -> bytes:
    """getFile, then the file endpoint, as the bot downloads a file."""
    file = await bot.get_file(file_id)
    return bytes(await file.download_as_bytearray())


async def test_voice_in_private_and_as_a_reply_to_the_bot_in_a_group(
    bot_api: FakeBotAPI, bot: Bot
) -> None:
    update = bot_api.send_voice(b"OggS voice", duration=7, caption="see https://example.com")
    message = update["message"]
    voice = message["voice"]
    assert message["chat"]["type"] == "private"
    assert voice["duration"] == 7
    assert voice["mime_type"] == "audio/ogg"
    assert voice["file_size"] == 10
    assert voice["file_id"].startswith("AwAC")  # Telegram encodes the file type in the id
    assert message["caption"] == "see https://example.com"
    assert message["caption_entities"] == [{"type": "url", "offset": 4, "length": 19}]
    parsed = Update.de_json(update, bot)
    assert parsed.message is not None
    assert parsed.message.voice is not None
    assert parsed.message.voice.duration == dtm.timedelta(seconds=7)
    file = await bot.get_file(voice["file_id"])
    assert file.file_path is not None
    assert file.file_path.endswith(".oga")
    assert await download(bot, voice["file_id"]) == b"OggS voice"

    ours = await bot.send_message(DEFAULT_SUPERGROUP_ID, "a summary")
    reply = bot_api.send_voice(
        b"OggS reply",
        duration=2,
        chat_type="supergroup",
        reply_to_message=ours.to_dict(),
    )
    assert "update_id" in reply  # a reply to the bot passes privacy mode
    assert reply["message"]["chat"]["id"] == DEFAULT_SUPERGROUP_ID
    assert reply["message"]["reply_to_message"]["message_id"] == ours.message_id
    assert "caption" not in reply["message"]
    hidden = bot_api.send_voice(b"OggS", duration=1, chat_type="group")
    assert "update_id" not in hidden  # plain group chatter stays hidden
    assert hidden["message"]["chat"]["type"] == "group"
    with pytest.raises(ValueError, match="user="):
        bot_api.send_voice(b"x", duration=1, chat_id=42)


async def test_photo_sizes_smallest_first_all_downloadable(bot_api: FakeBotAPI, bot: Bot) -> None:
    update = bot_api.send_photo(b"\xff\xd8 jpeg", width=1600, height=1200, caption="receipt")
    photo = update["message"]["photo"]
    assert [(p["width"], p["height"]) for p in photo] == [
        (90, 68),
        (320, 240),
        (800, 600),
        (1280, 960),
        (1600, 1200),
    ]
    assert len({p["file_id"] for p in photo}) == len({p["file_unique_id"] for p in photo}) == 5
    assert all(p["file_id"].startswith("AgAC") for p in photo)
    for size in photo:
        assert await download(bot, size["file_id"]) == b"\xff\xd8 jpeg"
    parsed = Update.de_json(update, bot)
    assert parsed.message is not None
    assert parsed.message.photo[-1].width == 1600
    assert parsed.message.caption == "receipt"
    small = bot_api.send_photo(b"jpeg", width=60, height=80)["message"]["photo"]
    assert [(p["width"], p["height"]) for p in small] == [(60, 80)]
    huge = bot_api.send_photo(b"jpeg", width=2000, height=1000, file_size=21 * 1024 * 1024)
    sizes = huge["message"]["photo"]
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(sizes[-1]["file_id"])
    assert await download(bot, sizes[-2]["file_id"]) == b"jpeg"


async def test_audio_video_and_video_note_objects(bot_api: FakeBotAPI, bot: Bot) -> None:
    audio = bot_api.send_audio(
        b"ID3 mp3",
        duration=185,
        file_name="talk.mp3",
        mime_type="audio/mpeg",
        performer="Radio Club",
        title="Episode 4",
    )["message"]["audio"]
    assert audio["file_name"] == "talk.mp3"
    assert audio["mime_type"] == "audio/mpeg"
    assert (audio["performer"], audio["title"], audio["duration"]) == (
        "Radio Club",
        "Episode 4",
        185,
    )
    bare = bot_api.send_audio(b"ID3", duration=1, file_name="x.mp3", mime_type="audio/mpeg")
    assert "performer" not in bare["message"]["audio"]

    update = bot_api.send_video(
        b"\0\0\0 ftyp",
        duration=30,
        width=1280,
        height=720,
        file_name="clip.mp4",
        mime_type="video/mp4",
        caption="the clip",
        chat_type="supergroup",
        user=make_user(2002, "Bob", "bob"),
        reply_to_message={
            "message_id": 1,
            "from": bot_api.bot_user,
            "chat": {"id": DEFAULT_SUPERGROUP_ID, "type": "supergroup"},
            "date": 0,
            "text": "x",
        },
    )
    video = update["message"]["video"]
    assert (video["width"], video["height"], video["duration"]) == (1280, 720, 30)
    assert update["message"]["from"]["id"] == 2002

    note = bot_api.send_video_note(b"\0\0\0 ftyp note", duration=12)["message"]["video_note"]
    assert (note["length"], note["duration"]) == (240, 12)
    assert "mime_type" not in note
    assert "file_name" not in note

    for file_id in (audio["file_id"], video["file_id"], note["file_id"]):
        assert await download(bot, file_id) == bot_api.file_content(file_id)
    path = (await bot.get_file(note["file_id"])).file_path
    assert path is not None
    assert "/video_notes/" in path
    parsed = [Update.de_json(u, bot) for u in bot_api.pending_updates]
    assert [u.message.effective_attachment.__class__.__name__ for u in parsed if u.message] == [
        "Audio",
        "Audio",
        "Video",
        "VideoNote",
    ]


async def test_a_picture_sent_as_a_file_is_a_document(
    bot_api: FakeBotAPI, bot: Bot, http: httpx.AsyncClient
) -> None:
    update = bot_api.send_document(
        b"\x89PNG picture", file_name="screenshot.png", mime_type="image/png", caption="read me"
    )
    document = update["message"]["document"]
    assert document["mime_type"] == "image/png"
    assert update["message"]["caption"] == "read me"
    file = await bot.get_file(document["file_id"])
    assert file.file_path is not None
    assert file.file_path.endswith(".png")
    served = await http.get(file.file_path)
    assert served.headers["content-type"] == "image/png"
    assert served.content == b"\x89PNG picture"
    nameless = bot_api.send_document(b"\xff\xd8", file_name="photo", mime_type="image/jpeg")
    path = (await bot.get_file(nameless["message"]["document"]["file_id"])).file_path
    assert path is not None
    assert path.endswith(".jpg")


# ------------------------------------------------------------------------------- sendDocument


async def test_send_document_upload_with_caption_reply_and_markup(
    bot_api: FakeBotAPI, bot: Bot
) -> None:
    incoming = bot_api.send_private_message("summarize this")["message"]
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])
    sent = await bot.send_document(
        USER_ID,
        document=b"# Transcript\n\nHello.",
        filename="transcript.md",
        caption="<b>Transcript</b> of your voice message",
        parse_mode="HTML",
        reply_parameters=ReplyParameters(incoming["message_id"]),
        reply_markup=markup,
        disable_notification=True,
    )
    assert sent.document is not None
    assert sent.document.file_name == "transcript.md"
    assert sent.document.mime_type == "text/markdown"
    assert sent.document.file_size == 20
    assert sent.caption == "Transcript of your voice message"
    assert [(e.type, e.offset, e.length) for e in sent.caption_entities] == [("bold", 0, 10)]
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.text == "summarize this"
    assert sent.reply_markup == markup
    assert bot_api.file_content(sent.document.file_id) == b"# Transcript\n\nHello."
    assert await download(bot, sent.document.file_id) == b"# Transcript\n\nHello."
    [stored] = bot_api.messages_in(USER_ID)
    assert stored["document"]["file_id"] == sent.document.file_id
    assert stored["caption"] == "Transcript of your voice message"
    [call] = bot_api.calls_to("sendDocument")
    assert call.files == {"document": b"# Transcript\n\nHello."}
    assert isinstance(call.params["document"], Upload)
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await bot.edit_message_text("x", chat_id=USER_ID, message_id=sent.message_id)

    again = await bot.send_document(
        DEFAULT_SUPERGROUP_ID, document=sent.document.file_id, message_thread_id=5
    )
    assert again.document is not None
    assert again.document.file_id == sent.document.file_id
    assert again.document.file_name == "transcript.md"
    assert again.message_thread_id == 5
    assert again.caption is None
    assert [m["message_id"] for m in bot_api.messages_in(DEFAULT_SUPERGROUP_ID)] == [1]


async def test_send_document_over_raw_http(bot_api: FakeBotAPI, http: httpx.AsyncClient) -> None:
    url = f"{bot_api.url}/bot{bot_api.token}/sendDocument"
    attached = await http.post(
        url,
        data={"chat_id": str(USER_ID), "document": "attach://file0", "reply_to_message_id": "9"},
        files={"file0": ("notes.txt", b"plain notes", "application/octet-stream")},
    )
    body = attached.json()
    assert body["ok"] is False  # no message 9 to reply to
    assert body["description"] == "Bad Request: message to be replied not found"
    attached = await http.post(
        url,
        data={"chat_id": str(USER_ID), "document": "attach://file0"},
        files={"file0": ("notes.txt", b"plain notes", "application/octet-stream")},
    )
    document = attached.json()["result"]["document"]
    assert document["mime_type"] == "text/plain"  # from the name, as Telegram detects it
    assert document["file_id"].startswith("BQAC")
    assert set(document) == {"file_id", "file_unique_id", "file_size", "file_name", "mime_type"}
    assert bot_api.file_content(document["file_id"]) == b"plain notes"
    assert bot_api.messages_in(USER_ID)[-1]["document"] == document


@pytest.mark.parametrize(
    ("params", "files", "description"),
    [
        ({}, {}, "there is no document in the request"),
        ({"document": "nope"}, {}, "wrong file identifier/HTTP URL specified"),
        ({"document": "https://example.com/a.pdf"}, {}, "failed to get HTTP URL content"),
        ({"document": "http://"}, {}, "invalid file HTTP URL specified: Host is invalid"),
        (
            {"document": "file:///etc/hosts"},
            {},
            "wrong remote file identifier specified: Wrong character in the string",
        ),
        ({}, {"document": ("empty.txt", b"")}, "file must be non-empty"),
        ({"document": "attach://missing"}, {}, "there is no document in the request"),
        (
            {"caption": "<b>open", "parse_mode": "HTML"},
            {"document": ("a.txt", b"a")},
            "can't parse entities: Can't find end tag corresponding to start tag \"b\"",
        ),
        ({"caption": "x" * 1025}, {"document": ("a.txt", b"a")}, "message caption is too long"),
        ({"chat_id": "@nobody"}, {"document": ("a.txt", b"a")}, "chat not found"),
    ],
)
async def test_send_document_refusals(
    bot_api: FakeBotAPI,
    http: httpx.AsyncClient,
    params: dict[str, str],
    files: dict[str, tuple[str, bytes]],
    description: str,
) -> None:
    data = {"chat_id": str(USER_ID), **params}
    response = await http.post(
        f"{bot_api.url}/bot{bot_api.token}/sendDocument", data=data, files=files or None
    )
    assert response.status_code == 400
    assert response.json()["description"] == f"Bad Request: {description}"
    assert bot_api.messages_in(USER_ID) == []


async def test_send_document_refuses_other_file_types_and_big_uploads(
    bot_api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    photo = bot_api.send_photo(b"jpeg", width=10, height=10)["message"]["photo"][-1]
    mismatch = await call(http, bot_api, "sendDocument", chat_id=USER_ID, document=photo["file_id"])
    assert mismatch.json()["description"] == "Bad Request: type of file mismatch"
    at_limit = 50 * 1024 * 1024 - 1024  # the multipart envelope fits in what is left
    fits = await http.post(
        f"{bot_api.url}/bot{bot_api.token}/sendDocument",
        data={"chat_id": str(USER_ID)},
        files={"document": ("big.bin", b"\0" * at_limit)},
    )
    assert fits.json()["result"]["document"]["file_size"] == at_limit
    too_big = await http.post(
        f"{bot_api.url}/bot{bot_api.token}/sendDocument",
        data={"chat_id": str(USER_ID)},
        files={"document": ("huge.bin", b"\0" * (50 * 1024 * 1024 + 1))},
    )
    assert too_big.status_code == 413
    assert too_big.json() == {
        "ok": False,
        "error_code": 413,
        "description": "Request Entity Too Large",
    }
    assert len(bot_api.messages_in(USER_ID)) == 1


async def test_what_the_fake_does_not_implement_fails_loudly(
    bot_api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    photo = await call(http, bot_api, "sendPhoto", chat_id=USER_ID, photo="x")
    assert photo.status_code == 404  # as Telegram answers an unknown method
    legacy = await call(
        http, bot_api, "sendMessage", chat_id=USER_ID, text="*x*", parse_mode="Markdown"
    )
    assert legacy.status_code == 500  # valid on Telegram, so not a 400: a gap in the fake
    assert [type(e) for e in bot_api.internal_errors] == [NotImplementedError]
    bot_api.internal_errors.clear()


# ------------------------------------------------------------------------------- an Application


async def test_ptb_application_polls_and_replies(bot_api: FakeBotAPI) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        assert update.message.text is not None
        await update.message.reply_text(f"echo: {update.message.text}")

    app = (
        ApplicationBuilder()
        .token(bot_api.token)
        .base_url(f"{bot_api.url}/bot")
        .base_file_url(f"{bot_api.url}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0)
        try:
            update = bot_api.send_private_message("hello")
            reply = await bot_api.wait_for("sendMessage", lambda c: c.params["chat_id"] == USER_ID)
            await bot_api.wait_idle(quiet=0.05)
        finally:
            await app.updater.stop()
            await app.stop()
    assert reply.ok
    assert reply.params["text"] == "echo: hello"
    assert bot_api.messages_in(USER_ID)[-1]["text"] == "echo: hello"
    assert bot_api.pending_updates == []  # confirmed through offset
    assert update["update_id"] in {
        u["update_id"] for c in bot_api.calls_to("getUpdates") if c.ok for u in c.result
    }
    assert bot_api.internal_errors == []


async def test_a_chunked_upload_over_50_mb_is_cut_off_while_reading(
    bot_api: FakeBotAPI, http: httpx.AsyncClient
) -> None:
    """Without a Content-Length the fake counts the bytes as they arrive."""
    boundary = "skimboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="chat_id"\r\n\r\n{USER_ID}\r\n'
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="document"; filename="huge.bin"\r\n\r\n'
    ).encode()

    async def body() -> AsyncIterator[bytes]:
        yield head
        for _ in range(51):
            yield b"\0" * (1024 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await http.post(
        f"{bot_api.url}/bot{bot_api.token}/sendDocument",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert response.json()["description"] == "Request Entity Too Large"
    assert bot_api.messages_in(USER_ID) == []


async def test_a_migrated_group_points_to_its_supergroup(bot_api: FakeBotAPI, bot: Bot) -> None:
    bot_api.migrate_group(-42, -10042)
    went, came = (update["message"] for update in bot_api.pending_updates[-2:])
    assert (went["chat"]["id"], went["migrate_to_chat_id"]) == (-42, -10042)
    assert (came["chat"]["type"], came["migrate_from_chat_id"]) == ("supergroup", -42)
    with pytest.raises(ChatMigrated) as moved:
        await bot.send_message(-42, "hello")
    assert moved.value.new_chat_id == -10042
    assert (await bot.send_message(-10042, "hello")).chat.id == -10042
