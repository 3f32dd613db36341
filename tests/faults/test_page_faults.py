"""A page server misbehaving, end to end through the running bot: connections reset (TCP RST),
closed without an answer, or left hanging. The user gets a clear fetch-failure message, the bot
keeps running, and the next page works at once.

A failure that may pass (a reset, a timeout, a 5xx) is remembered for the link only for
`PASSING_FAILURE_TTL` seconds, long enough for requests already waiting on the same fetch to
share it; the same link works again as soon as the site does.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.store.keys import PASSING_FAILURE_TTL
from tests.conftest import llm_settings
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import USER_ID, message_of, send_for_summary, summaries_in, wait_text

SUMMARY = "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it"
OTHER = "Harbour wall\nTL;DR: The wall holds.\n\n- Rebuilt in stone"
CONNECTION_FAILED = "I couldn't talk to 127.0.0.1: the connection failed."


class ResettingServer:
    """An HTTP server that answers each request with a TCP RST while `resetting`, else with
    the article page."""

    def __init__(self) -> None:
        self.resetting = True
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._page = read_fixture("article_en.html")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            if self.resetting:
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                return
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(self._page)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode("ascii") + self._page)
            await writer.drain()
        writer.close()

    async def __aenter__(self) -> ResettingServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
async def resetting() -> AsyncIterator[ResettingServer]:
    async with ResettingServer() as server:
        yield server


def _settings(
    settings_for: Callable[..., Settings],
    llm_api: FakeOpenAI,
    web: FakeWeb,
    resetting: ResettingServer,
) -> Settings:
    return llm_settings(
        settings_for,
        llm_api,
        fetch_timeout=1.5,
        fetch_allowed_ports=[web.port, resetting.port],
    )


async def _next_page_works(bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb) -> None:
    llm_api.script(OTHER)
    count = len(summaries_in(bot_api, USER_ID)) + 1
    loop = asyncio.get_running_loop()
    started = loop.time()
    other = await send_for_summary(bot_api, web.url("/other"), count=count, timeout=10)
    assert loop.time() - started < 10
    assert "The wall holds" in str(message_of(bot_api, other).get("text"))


async def test_a_reset_connection_is_a_clear_failure_and_the_next_page_works(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    resetting: ResettingServer,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/other", read_fixture("article_ru.html"))
    async with start_bot(_settings(settings_for, llm_api, web, resetting)):
        bot_api.send_private_message(resetting.url("/story"))
        said = await wait_text(bot_api, CONNECTION_FAILED, timeout=10)
        assert "Reading" not in str(said["text"]), "the status message became the failure"
        assert resetting.connections >= 1
        assert llm_api.requests == [], "nothing to summarize, nothing asked of the model"
        await _next_page_works(bot_api, llm_api, web)


async def test_a_connection_closed_without_an_answer_is_a_clear_failure(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    resetting: ResettingServer,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.raw("/story", b"")
    web.route("/other", read_fixture("article_ru.html"))
    async with start_bot(_settings(settings_for, llm_api, web, resetting)):
        bot_api.send_private_message(web.url("/story"))
        await wait_text(bot_api, CONNECTION_FAILED, timeout=10)
        await _next_page_works(bot_api, llm_api, web)


async def test_a_hanging_page_is_a_clear_failure_within_the_fetch_timeout(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    resetting: ResettingServer,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.hang("/story")
    web.route("/other", read_fixture("article_ru.html"))
    async with start_bot(_settings(settings_for, llm_api, web, resetting)):
        loop = asyncio.get_running_loop()
        started = loop.time()
        bot_api.send_private_message(web.url("/story"))
        said = await wait_text(bot_api, "127.0.0.1 took too long to answer", timeout=10)
        assert loop.time() - started < 5, "FETCH_TIMEOUT=1.5 s"
        assert "Reading" not in str(said["text"]), "the status message became the failure"
        await _next_page_works(bot_api, llm_api, web)


async def test_the_same_link_works_once_the_site_stops_resetting(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    resetting: ResettingServer,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    async with start_bot(_settings(settings_for, llm_api, web, resetting)):
        bot_api.send_private_message(resetting.url("/story"))
        await wait_text(bot_api, CONNECTION_FAILED, timeout=10)
        resetting.resetting = False
        # A passing failure is shared only with requests already waiting on the same fetch.
        await asyncio.sleep(PASSING_FAILURE_TTL)
        llm_api.script(SUMMARY)
        summary = await send_for_summary(bot_api, resetting.url("/story"), timeout=10)
        assert "Halloran restored it" in str(message_of(bot_api, summary).get("text"))
