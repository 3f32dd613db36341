"""Pages made of megabytes of markup: refused quickly, memory bounded, the bot goes on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.content.budget import MarkupBudget
from bot.errors import ExtractionError
from tests.conftest import llm_settings
from tests.fakes.bot_api import FakeBotAPI, make_user
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import send_for_summary, wait_text

UNIT = '<div class="a"><span class="b"><a href="/x">.</a></span><i></i></div>'
MARKUP_BOMB = ("<html><body>" + UNIT * (4_900_000 // len(UNIT)) + "</body></html>").encode()
TOO_COMPLEX = "too big and complex for me to read"
USERS = [make_user(5000 + n, f"User{n}") for n in range(3)]


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


async def test_three_markup_bombs_at_once_are_refused_within_a_memory_bound(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    for n in range(3):
        web.route(f"/bomb{n}", MARKUP_BOMB)
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(llm_settings(settings_for, llm_api)):
        before = _rss_mb()
        # CPU time of this thread, the event loop's (work sent to threads is not counted), so
        # that other processes taking the cores do not count as the loop being blocked.
        loop_cpu = time.thread_time()
        for n, user in enumerate(USERS):
            bot_api.send_private_message(web.url(f"/bomb{n}"), user=user)
        for user in USERS:
            await wait_text(bot_api, TOO_COMPLEX, chat_id=user["id"], timeout=30)
        loop_cpu = time.thread_time() - loop_cpu
        grown = _rss_mb() - before
        assert not llm_api.requests
        await send_for_summary(bot_api, web.url("/story"))
    assert grown < 300, f"memory grew {grown:.0f} MB for three markup bombs"
    # Nothing parses a refused page on the event loop (an episode page's audio lookup once
    # did: half a second of every user's time per bomb). The loop's CPU for the three pages,
    # the fakes serving them included: 0.14-0.18 s now, 1.4-1.6 s before.
    assert loop_cpu < 0.7, f"the event loop spent {loop_cpu:.2f} s of CPU on refused pages"


async def test_pages_share_the_parse_budget_and_wait_their_turn() -> None:
    budget = MarkupBudget(max_tags=100, total_tags=150)
    page = b"<p>" * 90
    order: list[str] = []

    async def parse(name: str, hold: float) -> None:
        async with budget.parsing(page, "text/html"):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    await asyncio.gather(parse("first", 0.2), parse("second", 0))
    assert order == ["first in", "first out", "second in", "second out"]


def test_only_markup_is_weighed() -> None:
    budget = MarkupBudget(max_tags=10)
    assert budget.weigh(b"%PDF-1.7 <<" * 50, "application/pdf") == 0
    with pytest.raises(ExtractionError):
        budget.weigh(b"<p>" * 11, "text/html")
    with pytest.raises(ExtractionError):
        budget.weigh(b"<html>" + b"<p>" * 11, "text/plain")  # sniffed as HTML
