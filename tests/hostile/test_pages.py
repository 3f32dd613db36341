"""Hostile and odd pages and files: a clear message, no LLM request, and the next link works."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from bot.config import Settings
from tests.conftest import llm_settings
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import send_for_summary, wait_text

SUMMARY = "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it"
BINARY = "That's a binary file"
# A Windows executable's first bytes, then the kind of noise that follows them.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + os.urandom(4000)
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8
PARAGRAPH = "The harbour wall was rebuilt this spring after a winter storm broke it. " * 6


async def _normal_link_still_works(bot_api: FakeBotAPI, web: FakeWeb) -> None:
    web.route("/story", read_fixture("article_en.html"))
    await send_for_summary(bot_api, web.url("/story"))


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(EXE, "text/html; charset=utf-8"), (ELF, "text/plain"), (EXE, None)],
    ids=["exe-as-html", "elf-as-text", "exe-untyped"],
)
async def test_binary_served_as_text_is_refused_clearly(
    body: bytes,
    content_type: str | None,
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/setup", body, content_type=content_type)
    llm_api.script(SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(web.url("/setup"))
        await wait_text(bot_api, BINARY)
        assert not llm_api.requests, "nothing binary reaches the model"
        await _normal_link_still_works(bot_api, web)


@pytest.mark.parametrize(
    ("content", "file_name", "mime_type"),
    [(EXE, "notes.txt", "text/plain"), (ELF, "page.html", "text/html")],
)
async def test_binary_files_with_lying_names_are_refused_clearly(
    content: bytes,
    file_name: str,
    mime_type: str,
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.script(SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_document(content, file_name=file_name, mime_type=mime_type)
        await wait_text(bot_api, BINARY)
        assert not llm_api.requests
        await _normal_link_still_works(bot_api, web)


async def test_control_characters_in_a_normal_article_are_cleaned_not_fatal(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    page = (
        "<html><head><title>The harbour wall</title></head><body><article>"
        "<h1>The harbour wall</h1><div hidden>menu</div>\x0b"
        f"<p>{PARAGRAPH}\x0b</p><p>\x0c{PARAGRAPH}\x1b</p><p>{PARAGRAPH}</p>"
        "</article></body></html>"
    )
    web.route("/wall", page)
    llm_api.script(SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        await send_for_summary(bot_api, web.url("/wall"))
    sent = llm_api.requests[0].user_text
    assert "harbour wall was rebuilt" in sent
    assert not any(ch in sent for ch in "\x0b\x0c\x1b"), "control characters are cleaned"
