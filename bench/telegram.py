"""Telegram benchmark: the whole bot against the Bot API fake, beside a minimal echo bot.

Usage: .venv/bin/python bench/telegram.py [--requests N] [--capped-requests N] [--inflight N]
       [--links N] [--profile [--profile-out PREFIX]]

Everything runs in this one process and event loop: the Bot API, web and OpenAI fakes from
`tests/fakes/` on 127.0.0.1, the bots, and the driver that injects updates. The store is the real
Redis at REDIS_URL (default redis://127.0.0.1:6379/0) under a fresh `skimbench:<random>:` prefix,
deleted at the end; when Redis does not answer, the in-process store (the output says which).
Every bot polls a fake of its own with the same settings (poll_interval=0, getUpdates timeout
1 s) and processes updates concurrently.

(a) Cache-hit throughput: link messages, each from a user and private chat of its own (so the
    per-user limits and the one-request-per-user rule play no part), over links whose summaries
    one request each cached first; at most `--inflight` in flight. Latency is update queued on
    the fake -> the summary's sendMessage reaching the fake. The same driver measures a
    python-telegram-bot Application whose one MessageHandler replies with the text and has no
    rate limiter. Skim is built twice from its settings: with TELEGRAM_MAX_RATE=0 (no proactive
    overall cap; 429 answers are still waited out), measured in alternating rounds with the echo
    bot, and with the default TELEGRAM_MAX_RATE=30 (Telegram's broadcast guidance, a deliberate
    cap of about 30 summaries a second). Target: Skim >= 60 % of the echo bot's throughput,
    judged on the TELEGRAM_MAX_RATE=0 bot, the like-for-like comparison; the capped bot's ratio
    is printed beside it.
(b) Time to the first status message for an uncached link: distinct links, each a page of its
    own on the web fake, one every 200 ms while the LLM fake takes seconds to answer; update
    queued -> the first sendMessage to that chat ("Reading host..."), on the bot with the default
    TELEGRAM_MAX_RATE. Target: p50 <= 150 ms. The echo bot paced the same way shows the part any
    bot on this library pays.

--profile adds one cProfile'd round of each bot in (a) and prints CPU time per request by code
area and by step.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import logging
import os
import platform
import pstats
import random
import re
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this file's folder comes first on sys.path, and this file's name would hide
# the `telegram` package; the project root goes there instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from redis.asyncio import Redis  # noqa: E402
from telegram import Update  # noqa: E402
from telegram import __version__ as TG_VERSION  # noqa: E402
from telegram.ext import ApplicationBuilder, MessageHandler, filters  # noqa: E402

from bot.app import AnyApplication, build_application  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.deps import build_deps  # noqa: E402
from bot.store import MemoryStore  # noqa: E402
from tests.fakes.bot_api import FakeBotAPI, JSONDict, make_user  # noqa: E402
from tests.fakes.openai_api import ChatRequest, FakeOpenAI  # noqa: E402
from tests.fakes.web import FakeWeb  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
POLL_TIMEOUT = 1  # getUpdates long-poll timeout, seconds, for both bots
WARM_UP = 200  # untimed requests through each bot before its timed run
ROUNDS = 5  # alternating rounds of the echo bot and Skim with TELEGRAM_MAX_RATE=0 in (a)
CAPPED_WARM_UP = 60  # the same, for Skim with the default TELEGRAM_MAX_RATE (30 sends a second)
# The setting's own default, named here so an exported TELEGRAM_MAX_RATE cannot change the row.
DEFAULT_MAX_RATE: float = Settings.model_fields["telegram_max_rate"].default
UNCAPPED_LABEL = "Skim, TELEGRAM_MAX_RATE=0 (no proactive cap; 429s still waited out)"
CAPPED_LABEL = (
    f"Skim, default TELEGRAM_MAX_RATE={DEFAULT_MAX_RATE:g} "
    "(Telegram's broadcast guidance; a deliberate cap)"
)
STATUS_LINKS = 100
STATUS_SPACING = 0.2  # seconds between uncached links in (b)
SLOW_LLM = 3.0  # seconds the LLM fake waits before its first token in (b)
WAIT = 60.0  # give up on any one answer after this long
THROUGHPUT_TARGET = 0.60
STATUS_P50_TARGET = 0.150
VOCABULARY = str.split(
    "mill river wheel stone grain flour village council engineer winter harvest market bridge "
    "road family tide sluice miller baker visitor museum festival ledger quarry timber harbour "
    "ferry orchard lantern chimney meadow compass kettle railway station school teacher doctor "
    "budget report study survey result increase decrease year month"
)
SUMMARY = (
    "Tide mill {n} turns again\n"
    "TL;DR: A family restored the old tide mill {n}; it grinds flour for the village again.\n\n"
    "- The council paid for half of the new sluice gates and the timber wheel.\n"
    "- The miller runs it two hours either side of high water, as in 1790.\n"
    "- Visitors can buy flour at the museum shop; the first harvest sold out in a month.\n"
    "- Engineers expect the wheel to need new paddles every five winters."
)


class TimedBotAPI(FakeBotAPI):
    """The Bot API fake, noting when updates leave it and when each sendMessage arrives.

    `FakeBotAPI.wait_for` rescans every recorded call on each wake-up, which is fine for a test
    and quadratic for thousands of requests; here each chat's waiter is woken directly.
    """

    def __init__(self) -> None:
        super().__init__()
        self.delivered_at: dict[int, float] = {}  # chat id -> when getUpdates handed it out
        self.send_seconds = 0.0  # time spent building sendMessage answers (HTML, copies)
        self._waiters: dict[int, list[tuple[Callable[[JSONDict], bool], asyncio.Future[Sent]]]]
        self._waiters = {}

    async def __aenter__(self) -> TimedBotAPI:
        await self.start()
        return self

    def expect(
        self, chat_id: int, predicate: Callable[[JSONDict], bool] = lambda _: True
    ) -> asyncio.Future[Sent]:
        """A future for the next sendMessage to `chat_id` whose parameters match."""
        future: asyncio.Future[Sent] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(chat_id, []).append((predicate, future))
        return future

    async def _api_getUpdates(self, params: JSONDict, *rest: Any) -> list[JSONDict]:
        batch = await super()._api_getUpdates(params, *rest)
        now = time.perf_counter()
        for update in batch:
            message = update.get("message")
            if message is not None:
                self.delivered_at.setdefault(message["chat"]["id"], now)
        return batch

    async def _api_sendMessage(self, params: JSONDict, *rest: Any) -> JSONDict:
        at = time.perf_counter()
        result = await super()._api_sendMessage(params, *rest)
        self.send_seconds += time.perf_counter() - at
        chat_id = result["chat"]["id"]
        waiting = self._waiters.get(chat_id, [])
        for entry in list(waiting):
            predicate, future = entry
            if not future.done() and predicate(params):
                future.set_result(Sent(at, params))
                waiting.remove(entry)
        if not waiting:
            self._waiters.pop(chat_id, None)
        return result


@dataclass
class Sent:
    at: float
    params: JSONDict


@dataclass
class Run:
    """One measured run: latencies in seconds, and its rate."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    failures: int = 0
    cpu: float = 0.0  # process CPU time / wall time
    fake_send: float = 0.0  # seconds the Bot API fake spent answering sendMessage
    gc_seconds: float = 0.0  # wall time inside the cyclic garbage collector

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def p(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def is_echo(params: JSONDict) -> bool:
    return str(params.get("text", "")).startswith("echo ")


def is_summary(params: JSONDict) -> bool:
    """Skim's final summary carries the summary keyboard; status and refusals carry none."""
    return bool((params.get("reply_markup") or {}).get("inline_keyboard"))


def article(seed: int, words: int = 600) -> list[str]:
    rng = random.Random(seed)
    paragraphs = []
    for _ in range(words // 60):
        sentences = [
            " ".join(rng.choice(VOCABULARY) for _ in range(12)).capitalize() + "." for _ in range(5)
        ]
        paragraphs.append(" ".join(sentences))
    return paragraphs


def llm_reply(request: ChatRequest) -> str:
    return SUMMARY.format(n=len(request.last_user_text) % 97)


@asynccontextmanager
async def polling(app: AnyApplication, *, skim: bool) -> AsyncIterator[None]:
    """Run an Application the way `run_polling` does, with the polling settings of both bots."""
    try:
        async with app:
            if skim:
                assert app.post_init is not None
                await app.post_init(app)
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0.0, timeout=POLL_TIMEOUT)
            try:
                yield
            finally:
                await app.updater.stop()
                await app.stop()
    finally:
        if skim and app.post_shutdown is not None:
            await app.post_shutdown(app)


def echo_application(api: FakeBotAPI) -> AnyApplication:
    """A minimal echo bot on the same library: one MessageHandler that replies with the text."""

    async def echo(update: Update, context: Any) -> None:
        """Reply with the text."""
        message = update.effective_message
        assert message is not None
        assert message.text is not None
        await message.reply_text(message.text)

    app: AnyApplication = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(f"{api.url}/bot")
        .concurrent_updates(True)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


class Users:
    """Fresh user ids, so every request comes from a user and private chat of its own."""

    def __init__(self) -> None:
        self._next = 500_000_000

    def new(self) -> JSONDict:
        self._next += 1
        return make_user(self._next, f"Reader {self._next}", language_code="en")


async def closed_loop(
    api: TimedBotAPI,
    users: Users,
    texts: list[str],
    count: int,
    inflight: int,
    check: Callable[[JSONDict], bool],
) -> Run:
    """`count` requests, at most `inflight` at once; update queued -> first reply received."""
    run = Run()
    gate = asyncio.Semaphore(inflight)

    async def one(index: int) -> None:
        async with gate:
            user = users.new()
            reply = api.expect(user["id"])
            api.send_private_message(texts[index % len(texts)], user=user)
            queued = time.perf_counter()
            sent = await asyncio.wait_for(reply, WAIT)
            run.latencies.append(sent.at - queued)
            if not check(sent.params):
                run.failures += 1

    settle()
    started, cpu, fake = time.perf_counter(), time.process_time(), api.send_seconds
    with collector_time() as collecting:
        await asyncio.gather(*(one(i) for i in range(count)))
    run.seconds = time.perf_counter() - started
    run.cpu = (time.process_time() - cpu) / run.seconds
    run.fake_send = api.send_seconds - fake
    run.gc_seconds = collecting()
    return run


@contextmanager
def collector_time() -> Iterator[Callable[[], float]]:
    """Time spent in the cyclic garbage collector meanwhile (cProfile does not show it)."""
    total = 0.0
    began = 0.0

    def note(phase: str, _: dict[str, int]) -> None:
        nonlocal total, began
        if phase == "start":
            began = time.perf_counter()
        else:
            total += time.perf_counter() - began

    gc.callbacks.append(note)
    try:
        yield lambda: total
    finally:
        gc.callbacks.remove(note)


def settle() -> None:
    """Collect, then exempt everything alive from future collections, before a timed run.

    The fakes keep every call and message they have seen; without this, the cyclic collector's
    full passes over that growing history take a larger share of each later run, whichever bot
    it is measuring.
    """
    gc.collect()
    gc.freeze()


@dataclass
class Paced:
    """(b): update queued -> first sendMessage, split at the moment getUpdates handed it out."""

    total: Run
    polling: Run
    bot: Run
    finished: int = 0
    api_calls: int = 0
    methods: dict[str, int] = field(default_factory=dict)


async def paced(
    api: TimedBotAPI,
    users: Users,
    texts: list[str],
    spacing: float,
    first_check: Callable[[JSONDict], bool],
    final: Callable[[JSONDict], bool] | None = None,
) -> Paced:
    """One link every `spacing` seconds; waits for each first reply (and final, if given)."""
    result = Paced(Run(), Run(), Run())
    settle()
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one(index: int) -> None:
        await asyncio.sleep(max(0.0, start + index * spacing - loop.time()))
        user = users.new()
        first = api.expect(user["id"])
        last = api.expect(user["id"], final) if final is not None else None
        api.send_private_message(texts[index], user=user)
        queued = time.perf_counter()
        sent = await asyncio.wait_for(first, WAIT)
        delivered = api.delivered_at[user["id"]]
        result.total.latencies.append(sent.at - queued)
        result.polling.latencies.append(delivered - queued)
        result.bot.latencies.append(sent.at - delivered)
        if not first_check(sent.params):
            result.total.failures += 1
        if last is not None:
            await asyncio.wait_for(last, WAIT)
            result.finished += 1

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(len(texts))))
    result.total.seconds = time.perf_counter() - began
    return result


async def redis_answers(url: str) -> bool:
    client = Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()


async def delete_prefix(url: str, prefix: str) -> int:
    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.delete(*keys[start : start + 1000])
        return len(keys)
    finally:
        await client.aclose()


def skim_settings(
    api: FakeBotAPI,
    llm: FakeOpenAI,
    web: FakeWeb,
    redis_url: str | None,
    prefix: str,
    max_rate: float,
) -> Settings:
    """Settings from explicit values only; limits generous so nothing is refused or queued.

    `max_rate` is TELEGRAM_MAX_RATE, the only setting that differs between the two Skim bots.
    """
    return Settings(
        _env_file=None,
        telegram_bot_token=api.token,
        telegram_api_url=api.url,
        telegram_max_rate=max_rate,
        openai_api_key=llm.api_key,
        openai_base_url=llm.url,
        llm_model="fake-model",
        llm_concurrency=32,
        redis_url=redis_url,
        redis_prefix=prefix,
        fetch_allow_private_networks=True,
        fetch_allowed_ports=[web.port],
        rate_limit_user_per_minute=1_000_000.0,
        rate_limit_user_burst=1_000_000,
        rate_limit_chat_per_minute=1_000_000.0,
        rate_limit_chat_burst=1_000_000,
        daily_summary_quota=0,
        admin_user_ids=[],
        allowed_user_ids=[],
        allowed_chat_ids=[],
        webhook_url=None,
        log_level="WARNING",
    )


def code_area(filename: str, function: str) -> str:
    """Where a profiled function lives: a project folder, a package, or the standard library."""
    if filename == "~":
        if "poll" in function:
            return "waiting in epoll"
        owner = re.search(r"of '([\w.]+)' objects|built-in method ([\w]+)\.", function)
        module = next((name for name in owner.groups() if name), "") if owner else ""
        return f"C: {module.split('.')[0].lstrip('_') or 'builtins'}"
    path = Path(filename)
    if "site-packages" in path.parts:
        return path.parts[path.parts.index("site-packages") + 1].removesuffix(".py")
    if path.is_relative_to(ROOT):
        relative = path.relative_to(ROOT).parts
        return "/".join(relative[:2]) if relative[0] in ("tests", "bot") else relative[0]
    folder = path.parent.name
    return "stdlib " + (path.stem if folder.startswith("python3") else folder)


# Inclusive time of these (file suffix, function) pairs tells which step costs what.
STEPS = (
    ("telegram/ext/_application.py", "process_update", "PTB dispatch of one update, all in"),
    ("telegram/ext/_extbot.py", "_do_post", "in it: Bot API calls (rate limiter, HTTP)"),
    ("bot/store/batching.py", "_flush", "Redis batches, client side (their own tasks)"),
    ("handlers/guards.py", "skip_duplicates", "in it: duplicate-update check"),
    ("handlers/addressing.py", "delivery_for", "in it: delivery with the chat settings"),
    ("bot/service.py", "peek", "in it: cache peek (document, summary)"),
    ("handlers/summaries.py", "remember_thread", "in it: remember the thread, after the send"),
    ("telegram/_bot.py", "get_updates", "getUpdates: request and decoding the batch"),
)


def step_times(stats: pstats.Stats) -> dict[str, float]:
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    found: dict[str, float] = {}
    for (filename, _, function), (_, _, _, inclusive, _) in raw.items():
        for suffix, name, label in STEPS:
            if function == name and filename.endswith(suffix):
                found[label] = found.get(label, 0.0) + inclusive
    return found


def areas_of(stats: pstats.Stats) -> dict[str, float]:
    areas: dict[str, float] = {}
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, function), (_, _, own, _, _) in raw.items():
        area = code_area(filename, function)
        areas[area] = areas.get(area, 0.0) + own
    return areas


def profile_report(
    echo: tuple[Run, pstats.Stats], skim: tuple[Run, pstats.Stats], lines: int = 20
) -> str:
    """Own CPU time per request by code area for both bots, then Skim's costliest functions."""
    (echo_run, echo_stats), (skim_run, skim_stats) = echo, skim
    echo_areas, skim_areas = areas_of(echo_stats), areas_of(skim_stats)
    per_echo = 1000 / len(echo_run.latencies)
    per_skim = 1000 / len(skim_run.latencies)
    rows = sorted(
        set(echo_areas) | set(skim_areas),
        key=lambda area: -(skim_areas.get(area, 0.0) * per_skim),
    )
    out = io.StringIO()
    out.write(
        f"cProfile of one more round each ({len(echo_run.latencies):,} requests; profiling "
        f"slows both, so compare the columns, not the totals with the table above).\n"
        "Own time per request, ms, by where the code lives:\n\n"
        "| code area | echo bot | Skim cache hit | Skim - echo |\n|---|---:|---:|---:|\n"
    )
    for area in rows[:lines]:
        echo_ms = echo_areas.get(area, 0.0) * per_echo
        skim_ms = skim_areas.get(area, 0.0) * per_skim
        out.write(f"| {area} | {echo_ms:.3f} | {skim_ms:.3f} | {skim_ms - echo_ms:+.3f} |\n")
    echo_total = sum(echo_areas.values()) * per_echo
    skim_total = sum(skim_areas.values()) * per_skim
    out.write(f"| all | {echo_total:.3f} | {skim_total:.3f} | {skim_total - echo_total:+.3f} |\n\n")
    echo_steps, skim_steps = step_times(echo_stats), step_times(skim_stats)
    out.write(
        "Inclusive time per request, ms, of the steps:\n\n"
        "| step | echo bot | Skim cache hit |\n|---|---:|---:|\n"
    )
    for _, _, label in STEPS:
        echo_ms = echo_steps.get(label, 0.0) * per_echo
        skim_ms = skim_steps.get(label, 0.0) * per_skim
        out.write(f"| {label} | {echo_ms:.3f} | {skim_ms:.3f} |\n")
    out.write("\n")
    out.write("Skim's functions with the most own time:\n")
    skim_stats.stream = out  # type: ignore[attr-defined]
    skim_stats.sort_stats("tottime").print_stats(lines)
    return out.getvalue()


@dataclass
class Results:
    store: str
    echo: Run = field(default_factory=Run)
    uncapped: Run = field(default_factory=Run)  # TELEGRAM_MAX_RATE=0
    skim: Run = field(default_factory=Run)  # the default TELEGRAM_MAX_RATE
    echo_paced: Paced = field(default_factory=lambda: Paced(Run(), Run(), Run()))
    skim_paced: Paced = field(default_factory=lambda: Paced(Run(), Run(), Run()))
    profile: str = ""
    rounds: list[tuple[Run, Run]] = field(default_factory=list)  # (a) echo and Skim, by round


def merge(runs: list[Run]) -> Run:
    total = Run()
    for run in runs:
        total.latencies += run.latencies
        total.seconds += run.seconds
        total.failures += run.failures
        total.cpu += run.cpu * run.seconds
        total.fake_send += run.fake_send
        total.gc_seconds += run.gc_seconds
    total.cpu /= total.seconds or 1.0
    return total


async def fill_cache(api: TimedBotAPI, users: Users, links: list[str]) -> None:
    """One request per link, one at a time, so each link's summary is cached."""
    for link in links:
        user = users.new()
        done = api.expect(user["id"], is_summary)
        api.send_private_message(link, user=user)
        await asyncio.wait_for(done, WAIT)


def store_for(settings: Settings) -> MemoryStore | None:
    """None lets build_deps open Redis; without Redis, one in-process store per bot."""
    return None if settings.redis_url else MemoryStore()


async def profiled(run: Callable[[], Awaitable[Run]]) -> tuple[Run, pstats.Stats]:
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        result = await run()
    finally:
        profiler.disable()
    return result, pstats.Stats(profiler)


async def measure(args: argparse.Namespace) -> Results:
    users = Users()
    redis_url = REDIS_URL if await redis_answers(REDIS_URL) else None
    prefix = f"skimbench:{uuid.uuid4().hex[:12]}:"
    if redis_url is not None:
        results = Results(f"Redis at {redis_url} (prefix {prefix}, deleted after)")
    else:
        results = Results(f"the in-process store (Redis at {REDIS_URL} did not answer)")
    echo_texts = [f"echo {i} https://example.org/story/{i}" for i in range(args.links)]
    try:
        async with FakeOpenAI() as llm, FakeWeb() as web:
            llm.responder = llm_reply
            links = []
            for i in range(args.links):
                web.page(f"/cached/{i}", title=f"Cached story {i}", paragraphs=article(i))
                links.append(web.url(f"/cached/{i}"))
            slow = []
            for i in range(STATUS_LINKS):
                web.page(f"/slow/{i}", title=f"Slow story {i}", paragraphs=article(10_000 + i))
                slow.append(web.url(f"/slow/{i}"))

            # The echo bot and Skim with TELEGRAM_MAX_RATE=0 run side by side, each on a fake of
            # its own, and are measured in alternating rounds so both see the same machine.
            async with AsyncExitStack() as stack:
                echo_api = await stack.enter_async_context(TimedBotAPI())
                skim_api = await stack.enter_async_context(TimedBotAPI())
                # A Redis prefix per Skim bot: each fake numbers its updates from the same first
                # id, which the duplicate-update check would otherwise drop as already seen.
                settings = skim_settings(
                    skim_api, llm, web, redis_url, f"{prefix}uncapped:", max_rate=0
                )
                uncapped_app = build_application(
                    settings, build_deps(settings, store=store_for(settings))
                )
                await stack.enter_async_context(polling(echo_application(echo_api), skim=False))
                await stack.enter_async_context(polling(uncapped_app, skim=True))
                await fill_cache(skim_api, users, links)

                def echo_run(count: int) -> Awaitable[Run]:
                    return closed_loop(echo_api, users, echo_texts, count, args.inflight, is_echo)

                def skim_run(count: int) -> Awaitable[Run]:
                    return closed_loop(skim_api, users, links, count, args.inflight, is_summary)

                await echo_run(WARM_UP)
                await skim_run(WARM_UP)
                echo_runs: list[Run] = []
                skim_runs: list[Run] = []
                for _ in range(ROUNDS):
                    echo_runs.append(await echo_run(args.requests // ROUNDS))
                    skim_runs.append(await skim_run(args.requests // ROUNDS))
                results.echo, results.uncapped = merge(echo_runs), merge(skim_runs)
                results.rounds = list(zip(echo_runs, skim_runs, strict=True))
                if args.profile:
                    count = args.requests // ROUNDS
                    echo_profile = await profiled(lambda: echo_run(count))
                    skim_profile = await profiled(lambda: skim_run(count))
                    results.profile = profile_report(echo_profile, skim_profile)
                    if args.profile_out:
                        echo_profile[1].dump_stats(f"{args.profile_out}.echo.prof")
                        skim_profile[1].dump_stats(f"{args.profile_out}.skim.prof")
                echo_slow = [f"echo https://example.org/slow/{i}" for i in range(STATUS_LINKS)]
                results.echo_paced = await paced(
                    echo_api, users, echo_slow, STATUS_SPACING, is_echo
                )

            # The bot with the default TELEGRAM_MAX_RATE, for (a) and (b).
            async with TimedBotAPI() as api:
                settings = skim_settings(
                    api, llm, web, redis_url, f"{prefix}built:", max_rate=DEFAULT_MAX_RATE
                )
                app = build_application(settings, build_deps(settings, store=store_for(settings)))
                async with polling(app, skim=True):
                    await fill_cache(api, users, links)
                    await closed_loop(api, users, links, CAPPED_WARM_UP, args.inflight, is_summary)
                    results.skim = await closed_loop(
                        api, users, links, args.capped_requests, args.inflight, is_summary
                    )
                    llm.first_token_delay = SLOW_LLM
                    calls_before = len(api.calls)
                    results.skim_paced = await paced(
                        api,
                        users,
                        slow,
                        STATUS_SPACING,
                        lambda params: "Reading" in params["text"] and not is_summary(params),
                        is_summary,
                    )
                    # getUpdates names no chat, so the rate limiter does not count it.
                    methods = Counter(
                        call.method
                        for call in api.calls[calls_before:]
                        if call.method.lower() != "getupdates"
                    )
                    results.skim_paced.api_calls = sum(methods.values())
                    results.skim_paced.methods = dict(methods.most_common())
    finally:
        if redis_url is not None:
            await delete_prefix(redis_url, prefix)
    return results


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def per_request_ms(seconds: float, run: Run) -> str:
    return f"{seconds * 1000 / max(1, len(run.latencies)):.2f} ms"


def verdict(met: bool) -> str:
    return "yes" if met else "**NO**"


def closed_row(name: str, run: Run, target: str = "", met: str = "") -> str:
    return (
        f"| {name} | {ms(run.p(0.5))} | {ms(run.p(0.99))} | {run.rate:,.0f} req/s | "
        f"{run.cpu:.0%} | {target} | {met} |"
    )


def paced_row(name: str, run: Run, target: str = "", met: str = "") -> str:
    return f"| {name} | {ms(run.p(0.5))} | {ms(run.p(0.99))} | | | {target} | {met} |"


def report(results: Results, args: argparse.Namespace, elapsed: float) -> str:
    echo, capped, uncapped = results.echo, results.skim, results.uncapped
    capped_ratio = capped.rate / echo.rate if echo.rate else 0.0
    uncapped_ratio = uncapped.rate / echo.rate if echo.rate else 0.0
    round_ratios = [skim.rate / echo.rate for echo, skim in results.rounds if echo.rate]
    throughput_met = uncapped_ratio >= THROUGHPUT_TARGET
    status = results.skim_paced
    status_met = status.total.p(0.5) <= STATUS_P50_TARGET
    wrong = echo.failures + capped.failures + uncapped.failures + results.echo_paced.total.failures
    call_rate = status.api_calls / status.total.seconds if status.total.seconds else 0.0
    cap = f"{DEFAULT_MAX_RATE:g}"
    lines = [
        f"Telegram benchmark, {date.today().isoformat()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, python-telegram-bot {TG_VERSION}; "
        f"store: {results.store}.",
        "Fakes, bots and driver share one process and event loop; CPU is this process's CPU "
        "time over wall time (100 % = one core).",
        f"(a) Cache-hit link requests over {args.links} cached links, each from a user and chat "
        f"of its own, {args.inflight} in flight; echo bot and Skim with TELEGRAM_MAX_RATE=0: "
        f"{args.requests:,} requests each in {ROUNDS} alternating rounds after {WARM_UP} "
        f"warm-up; Skim with the default TELEGRAM_MAX_RATE={cap}: "
        f"{args.capped_requests:,} after {CAPPED_WARM_UP} (it runs at its cap by design).",
        f"(b) {STATUS_LINKS} uncached links, one every {STATUS_SPACING * 1000:.0f} ms, the LLM "
        f"fake's first token after {SLOW_LLM:.0f} s, on Skim with the default "
        f"TELEGRAM_MAX_RATE={cap}; echo bot paced the same way.",
        "",
        "| measure | p50 | p99 | throughput | CPU | target | met |",
        "|---|---:|---:|---:|---:|---|---|",
        closed_row("(a) echo bot (no rate limiter): update -> reply", echo),
        closed_row(
            f"(a) {UNCAPPED_LABEL}: update -> cached summary",
            uncapped,
            ">= 60 % of echo",
            verdict(throughput_met),
        ),
        f"| (a) TELEGRAM_MAX_RATE=0 / echo bot (like for like) | | | {uncapped_ratio:.1%} | | "
        f">= 60 % | {verdict(throughput_met)} |",
        closed_row(f"(a) {CAPPED_LABEL}: update -> cached summary", capped),
        f"| (a) TELEGRAM_MAX_RATE={cap} / echo bot | | | {capped_ratio:.1%} | | "
        f"(none: ~{cap} summaries/s by design) | |",
        paced_row(
            "(b) Skim uncached link: update -> first status",
            status.total,
            "p50 <= 150 ms",
            verdict(status_met),
        ),
        paced_row("(b)  of which: queued -> getUpdates answers", status.polling),
        paced_row("(b)  of which: getUpdates answered -> status at the fake", status.bot),
        paced_row("(b) echo bot, same pacing: update -> reply", results.echo_paced.total),
        "",
        f"Throughput target (judged on TELEGRAM_MAX_RATE=0, like the echo bot without a rate "
        f"limiter): {'met' if throughput_met else 'NOT met'}, {uncapped_ratio:.1%} of the echo "
        f"bot's. With the default TELEGRAM_MAX_RATE={cap} the bot is limited to ~{cap} "
        f"summaries a second by design ({capped.rate:.1f} req/s measured, {capped_ratio:.1%} of "
        "the echo bot's): the cap follows Telegram's guidance for messages across all chats.",
        "What (b) measures: from the moment the update is queued on the Bot API fake (which "
        "answers the bot's pending long poll at once) to the moment the fake receives the status "
        "sendMessage. It includes the getUpdates answer crossing HTTP, decoding the update, "
        "dispatch through the handler groups (duplicate check, access lists), Skim's work before "
        "the status (chat settings, cache peek, rate-limit token, one-request lock: Redis round "
        "trips), the rate limiter, and the sendMessage request. The echo row is the part any bot "
        "on this library pays with this polling (poll_interval=0, getUpdates timeout "
        f"{POLL_TIMEOUT} s); an update arriving while the bot is between two polls waits for the "
        "next one, which here starts as soon as the previous batch is handed over.",
        f"During (b) Skim made {status.api_calls:,} Bot API calls ({call_rate:.1f}/s: "
        + ", ".join(f"{name} {count}" for name, count in status.methods.items())
        + f"), each through the rate limiter's {cap}/s.",
        "(a) TELEGRAM_MAX_RATE=0 / echo bot, round by round (echo, Skim req/s): "
        + ", ".join(
            f"{skim.rate / echo.rate:.1%} ({echo.rate:.0f}, {skim.rate:.0f})"
            for echo, skim in results.rounds
        )
        + f"; median {statistics.median(round_ratios or [0.0]):.1%}.",
        "Time in the cyclic garbage collector during (a): echo "
        f"{per_request_ms(echo.gc_seconds, echo)} and Skim "
        f"{per_request_ms(uncapped.gc_seconds, uncapped)} per request.",
        f"The Bot API fake's own work answering sendMessage (HTML parsing, copies) is in both "
        f"(a) figures: echo {per_request_ms(echo.fake_send, echo)} and Skim "
        f"{per_request_ms(uncapped.fake_send, uncapped)} per request; the real Bot API does "
        "that on Telegram's side.",
        "Before each timed run the bench collects garbage and freezes what is alive (gc.freeze), "
        "so the fakes' growing history of calls does not slow later runs.",
        f"Checks: {wrong} wrong echo or summary replies; {status.total.failures} first messages "
        f"in (b) that were not a status; {status.finished}/{STATUS_LINKS} uncached links "
        f"summarized in the end. Total time {elapsed:.0f} s.",
    ]
    if not throughput_met:
        lines.append(
            "Throughput target missed even without the cap: Skim does more work per update "
            "than the echo bot (run with --profile to see where)."
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2500, help="timed requests per bot")
    parser.add_argument("--inflight", type=int, default=64, help="requests in flight at once")
    parser.add_argument(
        "--capped-requests",
        type=int,
        default=360,
        help="timed requests for Skim with the default TELEGRAM_MAX_RATE (about 30 a second)",
    )
    parser.add_argument("--links", type=int, default=20, help="distinct cached links")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one more round of each bot in (a)"
    )
    parser.add_argument(
        "--profile-out",
        metavar="PREFIX",
        help="with --profile, also write PREFIX.echo.prof and PREFIX.skim.prof (pstats files)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # httpx logs every Bot API URL at INFO, and those URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    started = time.perf_counter()
    results = asyncio.run(measure(args))
    print(report(results, args, time.perf_counter() - started))
    if results.profile:
        print()
        print(results.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
