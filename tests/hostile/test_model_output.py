"""What a model writes reaches users as clean Telegram text: no raw Markdown, no foreign links."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.config import Settings
from tests.conftest import llm_settings
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import USER_ID, message_of, send_for_summary

MARKDOWN_SUMMARY = (
    "**Mill turns again**\n"
    "TL;DR: The *tide* mill _works_ again.\n\n"
    "- Halloran restored it with `1.2 million` euros\n"
    "- See [the council](javascript:alert(1)) and [Telegram](tg://resolve?domain=x)\n"
    "- ~~Closed~~ open since March"
)
MARKDOWN_ANSWER = "It grinds *flour* and _rye_, says the `miller`.\n\n1. **Monday**: open"


def _entities(message: dict[str, Any]) -> dict[str, list[str]]:
    text = message["text"]
    found: dict[str, list[str]] = {}
    for entity in message.get("entities", []):
        # ASCII test text: UTF-16 offsets are character offsets here.
        piece = text[entity["offset"] : entity["offset"] + entity["length"]]
        found.setdefault(entity["type"], []).append(piece)
    return found


async def test_model_markdown_becomes_formatting_in_summaries_and_answers(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(MARKDOWN_SUMMARY, MARKDOWN_ANSWER)
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = message_of(bot_api, await send_for_summary(bot_api, web.url("/story")))
        bot_api.send_private_message("What does it grind?", reply_to_message=summary)
        answer_call = await bot_api.wait_for(
            "sendMessage", lambda c: "flour" in c.params.get("text", "")
        )
    answer = message_of(bot_api, answer_call, USER_ID)
    for message in (summary, answer):
        assert not any(mark in message["text"] for mark in ("*", "`", "~~", "](", "__")), message
    assert summary["text"].startswith("Mill turns again")
    entities = _entities(summary)
    assert "tide" in entities["italic"]
    assert "works" in entities["italic"]
    assert "1.2 million" in entities["code"]
    assert "Closed" in entities["strikethrough"]
    assert "See the council and Telegram" in summary["text"]
    links = [e.get("url", "") for e in summary.get("entities", []) if e["type"] == "text_link"]
    assert all(link.startswith("http") for link in links), "no javascript: or tg:// link"
    answer_entities = _entities(answer)
    assert answer_entities["italic"] == ["flour", "rye"]
    assert "miller" in answer_entities["code"]


async def test_a_cross_site_canonical_does_not_replace_the_users_link(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    page = read_fixture("article_en.html").replace(
        b"<head>", b'<head><link rel="canonical" href="https://evil.example/phish">', 1
    )
    web.route("/story", page)
    llm_api.script("Mill turns again\nTL;DR: The tide mill works.\n\n- Restored")
    async with start_bot(llm_settings(settings_for, llm_api)):
        call = await send_for_summary(bot_api, web.url("/story"))
    summary = message_of(bot_api, call)
    links = [e["url"] for e in summary.get("entities", []) if e["type"] == "text_link"]
    buttons = [b for row in summary["reply_markup"]["inline_keyboard"] for b in row]
    source = [b["url"] for b in buttons if "url" in b]
    assert links == [web.url("/story")]
    assert source == [web.url("/story")]
    assert "evil.example" not in str(summary)
