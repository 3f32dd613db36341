"""Load benchmark: simulated users against one intake and N workers meeting in a Redis Stream.

Usage: .venv/bin/python bench/load.py [--quick] [--redis single|cluster|both] [--no-capped]
       [--mix realistic|cached|both] [--users N] [--cached-users N] [--profile DIR]

The Skim processes are real: `skim run --role intake` (long polling) and N `skim run --role
worker`, each a `python -m bot run` of its own. This process runs the Bot API, OpenAI and web fakes
from `tests/fakes/` on 127.0.0.1 and the driver: simulated users, each in a closed loop (send an
update, wait for its final message, send the next). The LLM fake answers with its first token
after 0.3 s and then 200 tokens a second. Redis is a private `redis-server` on a free port
(`tests/helpers/redis_server.py`), or a private Redis Cluster of 3 masters and 3 replicas
(`tests/helpers/redis_cluster.py`); both are stopped at the end.

Mixes (each user draws every update at random):
- realistic: 70 % links already cached, 20 % new links (a page of their own on the web fake),
  10 % questions (a reply to one of that user's earlier summaries). Most users are in private
  chats; a few post `/summary <link>` (and their questions) in a group of their own, pausing
  between updates so that the group's 20 messages a minute are not what they measure.
- cached: 100 % cached links, private chats; run for 1 and 2 workers in alternating rounds, and
  the ratio throughput(2 workers)/throughput(1 worker) is the scaling figure (target >= 1.7x).

Each Redis gets one session: an empty key prefix, the fakes, one intake and a first worker. The
pool of cached links is summarized first, then every user sends one cached link (warm-up,
untimed); then come the measured windows, each a fixed time of the users' closed loops, with
workers started (and waited for until /readyz answers) or stopped (SIGTERM) between windows:
realistic with 1, 2 and 3 workers, then the cached mix with 1 and 2 workers in the order
1, 2 | 2, 1 | 1, 2 (so a drift of the machine's speed favours neither), then, on the single
Redis, the cached mix with TELEGRAM_MAX_RATE=30 on 1 and 2 workers. Before each window the bench
waits (up to --quiet-wait seconds, --quiet-budget in all) for other jobs to leave the cores.
Reported per window:
- throughput: updates whose final message (the summary, or the answer) arrived, per second;
- p50/p99 latency: update queued on the Bot API fake -> its final message at the fake, over the
  updates sent in the window (those finishing after it are waited for);
- errors: error or refusal messages users got, updates never answered, Bot API or LLM calls
  that failed, ERROR lines in the Skim processes' logs;
- duplicates: summaries (or answers) beyond the number of times the user asked, counted at the
  end of the session after a quiet second and a half, charged to the window that last asked;
- CPU ms per update: utime+stime of the Skim processes (/proc/PID/stat) over the window, divided
  by the updates finished; the CPU of Redis, of this process (fakes and driver) and of the rest
  of the machine is shown beside it;
- Redis commands per update: `INFO commandstats` calls over the window (all nodes for the
  cluster; commands run inside Lua scripts count too, as Redis counts them);
- peak RSS: VmHWM of each Skim process at the end of the window (the first worker and the
  intake live through the whole session);
- Bot API calls per summary: each update's calls (tests/helpers/api_calls.py kinds) from the fake's
  log, split per chat at the moment the next update was queued.

Settings of the Skim processes: TELEGRAM_MAX_RATE=0 (the bot-wide 30 messages a second would
bind first; a capped run is shown separately), per-user and per-chat rate limits and the daily
quota lifted, LLM_CONCURRENCY=32 (the highest allowed; the default 4 would make the LLM slots
the bottleneck of the realistic mix), the extractive fallback unused (the LLM fake is up).

`--profile DIR` runs every Skim process under cProfile (`python -m cProfile -o`), writing one pstats
file per process into DIR; profiled figures are slower, and cProfile sees only
the main thread (page extraction runs in worker threads).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import gc
import logging
import os
import platform
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this file's folder comes first on sys.path, and bench/telegram.py would hide
# the `telegram` package; the project root goes there instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import redis  # noqa: E402

from bot.i18n import CATALOGUE  # noqa: E402
from bot.store.keys import Keys  # noqa: E402
from tests.fakes.bot_api import FakeBotAPI, JSONDict, detect_entities, make_user  # noqa: E402
from tests.fakes.openai_api import ChatRequest, FakeOpenAI  # noqa: E402
from tests.fakes.web import FakeWeb  # noqa: E402
from tests.helpers.api_calls import Kind, Tally, kind  # noqa: E402
from tests.helpers.processes import skim_run_env  # noqa: E402
from tests.helpers.redis_cluster import RedisCluster  # noqa: E402
from tests.helpers.redis_server import PrivateRedis, free_port  # noqa: E402

FIRST_TOKEN = 0.3  # seconds before the LLM fake's first token
TOKENS_PER_SECOND = 200.0
MIX = {"cached": 0.7, "new": 0.2, "question": 0.1}
CACHED_ONLY = {"cached": 1.0}
TARGET = 1.7  # throughput(2 workers) / throughput(1 worker) on the cache-hit mix
CACHED_POOL = 60  # distinct cached links
GROUPS = 24  # users posting in a group of their own (realistic mix)
GROUP_PAUSE = 6.0  # seconds a group user waits between updates: 20 group messages a minute
WAIT = 60.0  # give up on one update after this long
QUIET = 1.5  # seconds of quiet at the end of a session, for late duplicates
RAMP = 3.0  # seconds of load before a window's counters start
NOISY = 0.3  # cores other jobs may take during a window before it is measured again
CAPPED_RATE = 30.0  # the default TELEGRAM_MAX_RATE, for the capped rows
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
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
QUESTION = re.compile(r"Question (q\d+)")
ANSWER = re.compile(r"Answer (q\d+)")
# What a user sees when a request fails or is refused (English: every simulated user is "en").
_REFUSALS = ("busy", "rate_limited", "chat_rate_limited", "quota_reached", "cancelled")
_FAILURE_KEYS = [
    key
    for key in CATALOGUE
    if key.startswith("err_") or key in (*_REFUSALS, "internal_error", "thread_forgotten")
]
FAILURES = re.compile(
    "|".join(
        re.sub(r"\\\{\w+\\\}", ".+?", re.escape(CATALOGUE[key]["en"])) for key in _FAILURE_KEYS
    )
)


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
    """An answer naming the question it answers; otherwise a summary."""
    asked = QUESTION.search(request.last_user_text)
    if asked:
        return (
            f"Answer {asked.group(1)}: the council agreed to restore the mill by spring, "
            "with volunteers from the villages carrying the stones by hand."
        )
    return SUMMARY.format(n=len(request.last_user_text) % 97)


def source_url(params: JSONDict) -> str | None:
    """The link of a summary message: its "Open source" button (None for other messages)."""
    markup = params.get("reply_markup") or {}
    buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
    if not any(b.get("callback_data") == "sk:short" for b in buttons):
        return None
    return next((b["url"] for b in buttons if "url" in b), None)


# --------------------------------------------------------------------------------------------
# The Bot API fake, watched


@dataclass
class Request:
    """One update a simulated user sent, and what became of it."""

    kind: str  # cached | new | question
    chat_id: int
    group: bool
    url: str | None = None
    qid: str | None = None
    injected: float = 0.0
    finished: float | None = None
    outcome: str = "pending"  # ok | error | timeout
    detail: str = ""
    timed: bool = False  # sent within the timed window
    calls: Tally = field(default_factory=Tally)


class LoadBotAPI(FakeBotAPI):
    """The Bot API fake, resolving each chat's pending update when its final message arrives.

    `FakeBotAPI.wait_for` rescans every call on each wake-up; with thousands of updates the
    driver would cost more than the bot, so each chat's waiter is resolved here directly.
    """

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[int, tuple[Request, asyncio.Future[None]]] = {}
        self.summaries: Counter[tuple[int, str]] = Counter()  # (chat, link) -> summaries sent
        self.answers: Counter[tuple[int, str]] = Counter()  # (chat, question id) -> answers
        self.summary_ids: dict[int, list[int]] = {}  # chat -> message ids of its summaries

    def expect(self, request: Request) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending[request.chat_id] = (request, future)
        return future

    def _resolve(self, chat_id: int, outcome: str, detail: str = "") -> None:
        waiting = self.pending.pop(chat_id, None)
        if waiting is None:
            return
        request, future = waiting
        request.finished, request.outcome, request.detail = time.monotonic(), outcome, detail
        if not future.done():
            future.set_result(None)

    async def _api_sendMessage(self, params: JSONDict, *rest: Any) -> JSONDict:
        result = await super()._api_sendMessage(params, *rest)
        chat_id = result["chat"]["id"]
        if params.get("disable_notification"):
            return result  # a status message
        text = str(params.get("text", ""))
        pending = self.pending.get(chat_id)
        request = pending[0] if pending else None
        url = source_url(params)
        answered = ANSWER.search(text)
        if url is not None:
            self.summaries[(chat_id, url)] += 1
            self.summary_ids.setdefault(chat_id, []).append(result["message_id"])
            if request is not None and request.url == url:
                self._resolve(chat_id, "ok")
        elif answered is not None:
            self.answers[(chat_id, answered.group(1))] += 1
            if request is not None and request.qid == answered.group(1):
                self._resolve(chat_id, "ok")
        elif request is not None:
            self._resolve(chat_id, "error", text[:120])
        return result

    async def _api_editMessageText(self, params: JSONDict, *rest: Any) -> JSONDict | bool:
        result = await super()._api_editMessageText(params, *rest)
        text = str(params.get("text", ""))
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and FAILURES.search(text):
            self._resolve(chat_id, "error", text[:120])  # a status replaced by the failure
        return result


# --------------------------------------------------------------------------------------------
# Processes and their counters


def proc_cpu(pid: int) -> float:
    """utime + stime of a process, seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def proc_peak_rss(pid: int) -> int:
    """VmHWM of a process, bytes."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def machine_busy() -> float:
    """Seconds of CPU the whole machine spent busy since boot (all cores)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


@dataclass
class SkimProcess:
    role: str
    process: asyncio.subprocess.Process
    metrics_port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


async def start_skim(
    role: str, env: dict[str, str], log: Path, profile: Path | None = None
) -> SkimProcess:
    port = free_port()
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "cProfile", "-o", str(profile)]
    command += ["-m", "bot", "run", "--role", role]
    with log.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            *command,
            env={**env, "METRICS_LISTEN": f"127.0.0.1:{port}"},
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=errors,
        )
    return SkimProcess(role, process, port, log)


async def wait_ready(skims: list[SkimProcess], within: float = 60.0) -> None:
    """Every process answers 200 on /readyz (started, Redis and the Bot API reachable)."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=1.0) as client:
        for skim in skims:
            while True:
                if skim.process.returncode is not None:
                    raise RuntimeError(f"{skim.role} exited: {skim.log.read_text()[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    answer = await client.get(f"http://127.0.0.1:{skim.metrics_port}/readyz")
                    if answer.status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{skim.role} not ready: {skim.log.read_text()[-2000:]}")
                await asyncio.sleep(0.1)


async def stop_skims(skims: list[SkimProcess]) -> None:
    for skim in skims:
        if skim.process.returncode is None:
            skim.process.send_signal(signal.SIGTERM)
    for skim in skims:
        try:
            await asyncio.wait_for(skim.process.wait(), 20)
        except TimeoutError:
            skim.process.kill()
            await skim.process.wait()


# --------------------------------------------------------------------------------------------
# Redis: a private server or a private cluster


class Store:
    """The Redis the processes share: its URL, its server PIDs, its command counters."""

    def __init__(self, name: str, url: str, ports: list[int], pids: list[int]) -> None:
        self.name = name
        self.url = url
        self.ports = ports
        self.pids = pids

    def commands(self) -> tuple[int, Counter[str]]:
        """Commands executed so far (INFO itself left out): the sum over every node, and the
        masters' by command name.

        A replica executes again what its master replicates to it, so the cluster's sum over
        all nodes counts every write twice; the masters' sum compares with a single server.
        """
        every = 0
        masters = Counter[str]()
        for port in self.ports:
            client = redis.Redis(port=port, socket_timeout=5)
            try:
                stats = client.info("commandstats")
                master = client.info("replication").get("role") == "master"
            finally:
                client.close()
            for name, value in stats.items():
                if name != "cmdstat_info":
                    every += int(value["calls"])
                    if master:
                        masters[name.removeprefix("cmdstat_")] += int(value["calls"])
        return every, masters

    def cpu(self) -> float:
        return sum(proc_cpu(pid) for pid in self.pids)

    def backlog(self, prefix: str, bot_id: int) -> int:
        """Entries still in the update stream (not yet acknowledged)."""
        key = Keys(prefix).update_stream(bot_id)
        client: Any
        if self.name == "cluster":
            client = redis.RedisCluster(host="127.0.0.1", port=self.ports[0])
        else:
            client = redis.Redis(port=self.ports[0])
        try:
            return int(client.xlen(key))
        finally:
            client.close()


@asynccontextmanager
async def single_redis(directory: Path) -> AsyncIterator[Store]:
    server = PrivateRedis(directory / "redis")
    await server.start()
    try:
        assert server._process is not None  # the helper keeps its process to itself
        yield Store("single", server.url, [server.port], [server._process.pid])
    finally:
        await server.stop()


@asynccontextmanager
async def redis_cluster(directory: Path) -> AsyncIterator[Store]:
    cluster = RedisCluster(directory / "cluster")
    await asyncio.to_thread(cluster.start)
    try:
        ports = [node.port for node in cluster.nodes]
        pids = [node.process.pid for node in cluster.nodes]
        yield Store("cluster", cluster.url, ports, pids)
    finally:
        await asyncio.to_thread(cluster.stop)


# --------------------------------------------------------------------------------------------
# Windows: one intake, the workers of the moment, simulated users for a fixed time


@dataclass
class Config:
    """One measured window."""

    store: str  # single | cluster
    mix: str  # realistic | cached
    workers: int
    seconds: float
    users: int  # private users taking part
    groups: int
    max_rate: float = 0.0  # TELEGRAM_MAX_RATE of the workers (0: no cap)

    @property
    def label(self) -> str:
        capped = f", TELEGRAM_MAX_RATE={self.max_rate:g}" if self.max_rate else ""
        return f"{self.store}, {self.mix}, {self.workers} worker(s){capped}"


@dataclass
class Result:
    config: Config
    requests: list[Request] = field(default_factory=list)
    finished: int = 0  # answered within the window
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    timeouts: int = 0
    failed_calls: int = 0
    dropped_calls: Counter[str] = field(default_factory=Counter)
    quiet_wait: float = 0.0  # seconds spent waiting for the machine to calm down
    log_errors: list[str] = field(default_factory=list)
    log_warnings: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    skim_cpu: float = 0.0
    redis_cpu: float = 0.0
    bench_cpu: float = 0.0
    machine_cpu: float = 0.0
    commands: int = 0  # every node
    master_commands: int = 0
    by_command: Counter[str] = field(default_factory=Counter)  # on the masters
    batch: float = 0.0  # updates per getUpdates answer
    intake_rss: int = 0
    worker_rss: list[int] = field(default_factory=list)
    per_worker_cpu: list[float] = field(default_factory=list)
    intake_cpu: float = 0.0
    backlog: int = 0
    seconds: float = 0.0  # the window measured
    span: tuple[float, float] = (0.0, 0.0)  # window start, and the end of its last update
    calls: dict[str, list[Tally]] = field(default_factory=dict)  # kind of update -> tallies

    @property
    def rate(self) -> float:
        return self.finished / self.seconds if self.seconds else 0.0

    def p(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    def per_update_ms(self, seconds: float) -> float:
        return seconds * 1000 / self.finished if self.finished else 0.0


class Driver:
    """Sends the users' updates and waits for their final messages."""

    def __init__(self, api: LoadBotAPI, web: FakeWeb, cached: list[str], tag: str) -> None:
        self.api = api
        self.web = web
        self.cached = cached
        self.tag = tag
        self.result: Result | None = None  # the window being measured
        self.requests: list[Request] = []
        self.asked: Counter[tuple[int, str]] = Counter()  # (chat, link or question) -> times
        self.last_asked_in: dict[tuple[int, str], Result | None] = {}
        self.used_in_group: dict[int, set[str]] = {}
        self._pages = 0
        self._questions = 0
        self.rng = random.Random(tag)

    def new_link(self) -> str:
        self._pages += 1
        path = f"/new/{self.tag}/{self._pages}"
        self.web.page(path, title=f"New story {self._pages}", paragraphs=article(self._pages))
        return self.web.url(path)

    def cached_link(self, chat_id: int, group: bool) -> str:
        if not group:
            return self.rng.choice(self.cached)
        # A link summarized in a group within the day gets a pointer there, not a summary.
        used = self.used_in_group.setdefault(chat_id, set())
        fresh = [url for url in self.cached if url not in used] or self.cached
        url = self.rng.choice(fresh)
        used.add(url)
        return url

    async def send(self, request: Request, user: JSONDict) -> Request:
        """Queue the update for `request` and wait for its final message."""
        api = self.api
        reply_to: JSONDict | None = None
        if request.kind == "question":
            self._questions += 1
            request.qid = f"q{self._questions}"
            reply_to = api.message(
                request.chat_id, self.rng.choice(api.summary_ids[request.chat_id])
            )
            text = f"Question {request.qid}: what did the council decide about the mill?"
            key = (request.chat_id, request.qid)
        else:
            assert request.url is not None
            text = f"/summary {request.url}" if request.group else request.url
            key = (request.chat_id, request.url)
        self.asked[key] += 1
        self.last_asked_in[key] = self.result if request.timed else None
        done = api.expect(request)
        if request.group:
            entities = sorted(detect_entities(text), key=lambda entity: entity["offset"])
            api.send_group_message(
                text,
                chat_id=request.chat_id,
                user=user,
                entities=None if reply_to else entities,
                reply_to_message=reply_to,
            )
        else:
            api.send_private_message(text, user=user, reply_to_message=reply_to)
        request.injected = time.monotonic()
        self.requests.append(request)
        if request.timed and self.result is not None:
            self.result.requests.append(request)
        try:
            await asyncio.wait_for(done, WAIT)
        except TimeoutError:
            api.pending.pop(request.chat_id, None)
            request.outcome = "timeout"
        return request

    def draw(self, mix: dict[str, float], chat_id: int, group: bool) -> Request:
        name = self.rng.choices(list(mix), weights=list(mix.values()))[0]
        request = Request(name, chat_id, group, timed=True)
        if name == "cached":
            request.url = self.cached_link(chat_id, group)
        elif name == "new":
            request.url = self.new_link()
        return request

    async def user_loop(
        self, user: JSONDict, chat_id: int, group: bool, mix: dict[str, float], until: float
    ) -> None:
        while time.monotonic() < until:
            await self.send(self.draw(mix, chat_id, group), user)
            if group:
                await asyncio.sleep(min(GROUP_PAUSE, max(0.0, until - time.monotonic())))


async def wait_for_quiet(pids: list[int], limit: float, threshold: float = 0.25) -> float:
    """Wait (up to `limit` seconds) until the rest of the machine uses under `threshold` of a
    core over a second: other jobs on a shared machine take the cores being measured."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        busy, own, bench = machine_busy(), sum(proc_cpu(p) for p in pids), time.process_time()
        await asyncio.sleep(1.0)
        own_used = sum(proc_cpu(p) for p in pids) - own + time.process_time() - bench
        if machine_busy() - busy - own_used < threshold:
            break
    return time.monotonic() - began


def settle() -> None:
    """Collect, then keep what is alive out of later collections (the fakes' growing logs)."""
    gc.collect()
    gc.freeze()


def attribute(calls: list[Any], requests: list[Request]) -> None:
    """Each Bot API call naming a chat to the update it served: the chat's latest update sent
    before the call, or the update whose message the call edits or deletes."""
    by_chat: dict[int, list[Request]] = {}
    for request in sorted(requests, key=lambda r: r.injected):
        by_chat.setdefault(request.chat_id, []).append(request)
    starts = {chat: [r.injected for r in rs] for chat, rs in by_chat.items()}
    owner: dict[tuple[int, int], Request] = {}
    for call in calls:
        if kind(call) is Kind.HOUSEKEEPING or not isinstance(call.params.get("chat_id"), int):
            continue
        chat = call.params["chat_id"]
        if chat not in by_chat:
            continue
        target = owner.get((chat, call.params.get("message_id", -1)))
        if target is None:
            index = bisect.bisect_right(starts[chat], call.at) - 1
            if index < 0:
                continue
            target = by_chat[chat][index]
        target.calls.add(call)
        if call.method.lower() == "sendmessage" and isinstance(call.result, dict):
            owner[(chat, call.result["message_id"])] = target


class Session:
    """One Redis prefix with its fakes and users: an intake, and the workers of the moment.

    Windows follow one another in a session: the cache stays warm, and between two windows
    workers are started (and waited for) or stopped (SIGTERM, their work done).
    """

    def __init__(self, store: Store, args: argparse.Namespace, workdir: Path) -> None:
        self.store = store
        self.args = args
        self.workdir = workdir
        self.prefix = f"skimload:{uuid.uuid4().hex[:10]}:"
        self.tag = uuid.uuid4().hex[:6]
        self.api = LoadBotAPI()
        self.llm = FakeOpenAI(first_token_delay=FIRST_TOKEN, tokens_per_second=TOKENS_PER_SECOND)
        self.llm.responder = llm_reply
        self.web = FakeWeb()
        self.intake: SkimProcess | None = None
        self.workers: list[tuple[SkimProcess, float]] = []  # and its TELEGRAM_MAX_RATE
        self.results: list[Result] = []
        self.repeated: list[Result] = []  # windows measured again: other jobs took the cores
        self.other_duplicates = 0  # duplicates of updates sent outside the windows kept
        self.started = 0
        users = max(args.users, args.cached_users)
        self.private = [make_user(700_000_000 + i, f"Reader {i}") for i in range(users)]
        self.groups = [
            (-1_005_000_000_000 - i, make_user(710_000_000 + i, f"Member {i}"))
            for i in range(GROUPS)
        ]
        self.driver: Driver

    async def __aenter__(self) -> Session:
        await self.api.start()
        await self.llm.start()
        await self.web.start()
        cached = []
        for i in range(CACHED_POOL):
            path = f"/cached/{self.tag}/{i}"
            self.web.page(path, title=f"Cached story {i}", paragraphs=article(100_000 + i))
            cached.append(self.web.url(path))
        self.driver = Driver(self.api, self.web, cached, self.tag)
        self.intake = await self._start("intake", 0.0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await stop_skims([skim for skim, _ in self.workers] + [self.intake] if self.intake else [])
        await self.api.stop()
        await self.llm.stop()
        await self.web.stop()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(delete_prefix, self.store, self.prefix)

    def env(self, max_rate: float) -> dict[str, str]:
        return skim_run_env(
            self.api,
            self.store.url,
            self.prefix,
            OPENAI_API_KEY=self.llm.api_key,
            OPENAI_BASE_URL=self.llm.url,
            LLM_MODEL="fake-model",
            LLM_CONCURRENCY="32",
            TELEGRAM_MAX_RATE=f"{max_rate:g}",
            RATE_LIMIT_USER_PER_MINUTE="1000000",
            RATE_LIMIT_USER_BURST="1000000",
            RATE_LIMIT_CHAT_PER_MINUTE="1000000",
            RATE_LIMIT_CHAT_BURST="1000000",
            DAILY_SUMMARY_QUOTA="0",
            SHUTDOWN_GRACE="5",
            LOG_LEVEL="WARNING",
        )

    async def _start(self, role: str, max_rate: float) -> SkimProcess:
        self.started += 1
        label = f"{self.store.name}-{self.tag}-{role}{self.started}"
        profile = Path(self.args.profile, f"{label}.prof") if self.args.profile else None
        skim = await start_skim(role, self.env(max_rate), self.workdir / f"{label}.log", profile)
        await wait_ready([skim])
        return skim

    async def set_workers(self, count: int, max_rate: float = 0.0) -> None:
        """Stop the workers with another cap and the newest ones beyond `count`; start more."""
        stop = [skim for skim, rate in self.workers if rate != max_rate]
        kept = [(skim, rate) for skim, rate in self.workers if rate == max_rate]
        stop += [skim for skim, _ in kept[count:]]
        self.workers = kept[:count]
        await stop_skims(stop)
        started = await asyncio.gather(
            *(self._start("worker", max_rate) for _ in range(count - len(self.workers)))
        )
        self.workers += [(skim, max_rate) for skim in started]

    async def prepare(self) -> None:
        """The pool of links cached (each by a user of its own), then one cached link for
        every user, so each has a summary to ask about and every process is warm."""
        driver = self.driver
        fillers = [make_user(720_000_000 + i, f"Filler {i}") for i in range(CACHED_POOL)]
        await asyncio.gather(
            *(
                driver.send(Request("new", user["id"], False, url=url), user)
                for user, url in zip(fillers, driver.cached, strict=True)
            )
        )
        warm = [
            driver.send(Request("cached", u["id"], False, url=driver.cached_link(0, False)), u)
            for u in self.private
        ]
        warm += [
            driver.send(Request("cached", chat, True, url=driver.cached_link(chat, True)), u)
            for chat, u in self.groups
        ]
        await asyncio.gather(*warm)

    def skims(self) -> list[SkimProcess]:
        assert self.intake is not None
        return [self.intake] + [skim for skim, _ in self.workers]

    async def window(self, config: Config, quiet: float) -> Result:
        """The users of `config` for `config.seconds`; the processes' counters around it."""
        result = Result(config)
        self.driver.result = result
        skims = self.skims()
        result.quiet_wait = await wait_for_quiet([s.pid for s in skims] + self.store.pids, quiet)
        logs = {s.pid: s.log.stat().st_size for s in skims}
        settle()
        mix = MIX if config.mix == "realistic" else CACHED_ONLY
        until = time.monotonic() + RAMP + config.seconds
        loops = [
            self.driver.user_loop(u, u["id"], False, mix, until)
            for u in self.private[: config.users]
        ]
        loops += [
            self.driver.user_loop(u, chat, True, mix, until)
            for chat, u in self.groups[: config.groups]
        ]
        running = asyncio.gather(*loops)
        # Counted from a steady state: as many updates in flight at the start as at the end.
        await asyncio.sleep(RAMP)
        skim_before = {s.pid: proc_cpu(s.pid) for s in skims}
        redis_before, commands_before = self.store.cpu(), self.store.commands()
        bench_before, machine_before = time.process_time(), machine_busy()
        started = time.monotonic()
        await asyncio.sleep(max(0.0, until - time.monotonic()))
        skim_after = {s.pid: proc_cpu(s.pid) for s in skims}
        redis_after, commands_after = self.store.cpu(), self.store.commands()
        bench_after, machine_after = time.process_time(), machine_busy()
        seconds = result.seconds = time.monotonic() - started
        await running
        result.span = (started, time.monotonic())
        result.skim_cpu = sum(skim_after[p] - skim_before[p] for p in skim_after)
        result.intake_cpu = skim_after[skims[0].pid] - skim_before[skims[0].pid]
        result.per_worker_cpu = [
            (skim_after[s.pid] - skim_before[s.pid]) / seconds for s in skims[1:]
        ]
        result.redis_cpu = redis_after - redis_before
        result.bench_cpu = bench_after - bench_before
        result.machine_cpu = machine_after - machine_before
        result.commands = commands_after[0] - commands_before[0]
        result.by_command = commands_after[1] - commands_before[1]
        result.master_commands = sum(result.by_command.values())
        polls = [c for c in self.api.calls if started <= c.at <= until and c.method == "getUpdates"]
        result.batch = sum(len(c.result or []) for c in polls) / max(1, len(polls))
        result.intake_rss = proc_peak_rss(skims[0].pid)
        result.worker_rss = [proc_peak_rss(s.pid) for s in skims[1:]]
        for skim in skims:
            with skim.log.open("rb") as log:
                log.seek(logs[skim.pid])
                read_log(result, skim.role, log.read().decode(errors="replace"))
        summarize_window(result, started, until)
        self.driver.result = None
        self.results.append(result)
        print(
            f"  {config.label}: {result.rate:,.1f} upd/s, p50 {ms(result.p(0.5))} ms, "
            f"{result.error_count + result.timeouts} errors, other jobs "
            f"{other_cpu(result) / seconds:.2f} cores",
            file=sys.stderr,
            flush=True,
        )
        return result

    async def finish(self) -> None:
        """After a quiet moment: duplicates, failed calls and Bot API calls per window."""
        await asyncio.sleep(QUIET)
        api, driver = self.api, self.driver
        got = Counter({**api.summaries, **api.answers})
        for key, count in got.items():
            extra = count - driver.asked[key]
            window = driver.last_asked_in.get(key)
            if extra > 0 and window in self.results:
                window.duplicates += extra
            elif extra > 0:  # asked in the warm-up, or in a window measured again
                self.other_duplicates += extra
        attribute(api.calls, driver.requests)
        if self.results:
            self.results[-1].backlog = self.store.backlog(self.prefix, api.bot_id)
        for result in self.results:
            begin, end = result.span
            calls = [c for c in api.calls if begin <= c.at <= end and c.done and not c.ok]
            llm = [c for c in self.llm.requests if begin <= c.at <= end]
            count_failures(result, calls, llm)
            for request in result.requests:
                if request.outcome == "ok":
                    name = {"cached": "cached", "new": "uncached", "question": "question"}
                    where = "group" if request.group else "private"
                    key = f"{name[request.kind]} ({where})"
                    result.calls.setdefault(key, []).append(request.calls)


def read_log(result: Result, role: str, text: str) -> None:
    """ERROR lines one by one; WARNING lines counted by kind (numbers and ids vary)."""
    for line in text.splitlines():
        if " ERROR " in line or line.startswith(("ERROR", "Traceback")):
            result.log_errors.append(f"{role}: {line}")
        elif "WARNING" in line:
            text = line.split("WARNING", 1)[1]
            result.log_warnings[f"{role}:{re.sub(r'[0-9]+', 'N', text)}"] += 1


def summarize_window(result: Result, started: float, until: float) -> None:
    """Throughput from the updates answered within the window; latency and errors from those
    sent within it (answered in it or after)."""
    result.finished = sum(
        1
        for r in result.requests
        if r.outcome == "ok" and r.finished is not None and started <= r.finished <= until
    )
    result.requests = [r for r in result.requests if r.injected >= started]
    timed = result.requests
    result.latencies = [r.finished - r.injected for r in timed if r.finished and r.outcome == "ok"]
    result.error_count = sum(1 for r in timed if r.outcome == "error")
    result.timeouts = sum(1 for r in timed if r.outcome == "timeout")
    result.errors = [f"{r.kind}: {r.detail}" for r in timed if r.outcome in ("error", "timeout")]


def count_failures(result: Result, calls: list[Any], llm: list[ChatRequest]) -> None:
    """Failed Bot API calls and LLM requests in the window, and the calls the bot abandoned."""
    # 499: the bot itself dropped the request (a status edit cancelled when the result was
    # ready): counted apart, not as failures. getUpdates 499s are the intake's long poll.
    failed = [c for c in calls if c.status != 499]
    result.dropped_calls = Counter(
        c.method for c in calls if c.status == 499 and c.method.lower() != "getupdates"
    )
    failed_llm = [c for c in llm if c.status not in (200, None)]
    result.failed_calls = len(failed) + len(failed_llm)
    result.errors += [f"Bot API call failed: {c.summary(120)}" for c in failed[:3]]
    result.errors += [f"LLM request answered {c.status}" for c in failed_llm[:3]]


def delete_prefix(store: Store, prefix: str) -> None:
    """Leave the servers as found; they are private and stopped at the end anyway."""
    for port in store.ports:
        client = redis.Redis(port=port, socket_timeout=5)
        try:
            if client.info("replication").get("role") != "master":
                continue
            for key in list(client.scan_iter(match=f"{prefix}*", count=1000)):
                client.delete(key)
        finally:
            client.close()


# --------------------------------------------------------------------------------------------
# Report


def mb(size: int) -> str:
    return f"{size / 1e6:.0f}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def other_cpu(result: Result) -> float:
    """CPU seconds the rest of the machine used in the window (other jobs)."""
    ours = result.skim_cpu + result.redis_cpu + result.bench_cpu
    return max(0.0, result.machine_cpu - ours)


def row(result: Result, baseline: Result | None) -> str:
    c = result.config
    ratio = f"{result.rate / baseline.rate:.2f}x" if baseline and baseline.rate else "1.00x"
    errors = (
        f"{result.error_count + result.timeouts} / {result.failed_calls} / {len(result.log_errors)}"
    )
    workers_cpu = result.skim_cpu - result.intake_cpu
    per = result.finished or 1
    rss = "/".join(mb(size) for size in result.worker_rss)
    capped = f" (cap {c.max_rate:g}/s)" if c.max_rate else ""
    return (
        f"| {c.store} | {c.mix}{capped} | {c.workers} | {result.finished:,} | "
        f"{result.rate:,.1f} | {ratio} | {ms(result.p(0.5))} | {ms(result.p(0.99))} | "
        f"{errors} | {result.duplicates} | "
        f"{result.per_update_ms(result.intake_cpu):.2f} + "
        f"{result.per_update_ms(workers_cpu):.2f} | "
        f"{result.master_commands / per:.1f}"
        f"{f' ({result.commands / per:.1f})' if result.commands != result.master_commands else ''}"
        f" | {mb(result.intake_rss)} / {rss} | {cores_line(result)} |"
    )


def cores_line(result: Result) -> str:
    """Cores busy over the window: workers (each), intake, Redis, this process, other jobs."""
    seconds = result.seconds
    workers = "+".join(f"{cpu:.2f}" for cpu in result.per_worker_cpu)
    return (
        f"{workers} / {result.intake_cpu / seconds:.2f} / {result.redis_cpu / seconds:.2f} / "
        f"{result.bench_cpu / seconds:.2f} / {other_cpu(result) / seconds:.2f}"
    )


HEADER = (
    "| Redis | mix | workers | updates | upd/s | vs 1 worker | p50 ms | p99 ms | errors: "
    "to users / failed calls / log | "
    "dupes | Skim CPU ms/upd: intake + workers | Redis cmds/upd | peak RSS MB: intake / "
    "workers | cores busy: workers / intake / Redis / bench / other jobs |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|"
)


def budget(result: Result, cores: int) -> tuple[float, float]:
    """The CPU an update cost in a window, all in (Skim, Redis, the fakes and the driver; ms),
    and the most updates a second `cores` cores could carry at that cost."""
    if not result.finished:
        return 0.0, 0.0
    each = (result.skim_cpu + result.redis_cpu + result.bench_cpu) / result.finished
    return each * 1000, cores / each


def calls_table(results: list[Result]) -> list[str]:
    lines = [
        "| Redis | update | updates | Bot API calls each | sendMessage | edits | deletes | "
        "chat actions |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    stores = sorted({r.config.store for r in results}, key=["single", "cluster"].index)
    for store in stores:
        merged: dict[str, list[Tally]] = {}
        for result in results:
            if result.config.store == store and not result.config.max_rate:
                for name, tallies in result.calls.items():
                    merged.setdefault(name, []).extend(tallies)
        for name in sorted(merged):
            tallies = merged[name]
            n = len(tallies)

            def mean(count: Callable[[Tally], int], tallies: list[Tally] = tallies) -> str:
                return f"{sum(count(t) for t in tallies) / len(tallies):.2f}"

            lines.append(
                f"| {store} | {name} | {n:,} | {mean(lambda t: t.total)} | "
                f"{mean(lambda t: t.count(Kind.SUMMARY, Kind.MESSAGE))} | "
                f"{mean(lambda t: t.edits)} | {mean(lambda t: t.count(Kind.DELETE))} | "
                f"{mean(lambda t: t.count(Kind.CHAT_ACTION))} |"
            )
    return lines


def scaling(results: list[Result], store: str) -> tuple[float, list[float]] | None:
    """throughput(2 workers)/throughput(1 worker) on the cached mix: over all rounds, and each."""
    one = [r for r in results if r.config.store == store and r.config.mix == "cached"]
    ones = [r for r in one if r.config.workers == 1 and not r.config.max_rate]
    twos = [r for r in one if r.config.workers == 2 and not r.config.max_rate]
    if not ones or not twos:
        return None
    total = sum(r.finished for r in twos) / sum(r.seconds for r in twos)
    base = sum(r.finished for r in ones) / sum(r.seconds for r in ones)
    rounds = [b.rate / a.rate for a, b in zip(ones, twos, strict=False) if a.rate]
    return (total / base if base else 0.0), rounds


def details(results: list[Result]) -> list[str]:
    """Redis commands per cached update by name, and the intake's getUpdates batches."""
    lines = []
    for store in ("single", "cluster"):
        ones = [
            r
            for r in results
            if r.config.store == store and r.config.mix == "cached" and not r.config.max_rate
        ]
        if not ones:
            continue
        first = ones[0]
        per = max(1, first.finished)
        top = ", ".join(
            f"{name} {count / per:.2f}" for name, count in first.by_command.most_common(12)
        )
        lines.append(
            f"Redis commands per cached update ({store}, {first.config.workers} worker(s), "
            f"masters; commands inside Lua scripts included): {top}."
        )
    batches = ", ".join(
        f"{r.config.store}/{r.config.mix}/{r.config.workers}: {r.batch:.1f}"
        for r in results
        if not r.config.max_rate
    )
    lines.append(f"Updates per getUpdates answer (the intake's batches): {batches}.")
    return lines


def verdicts(results: list[Result], cores: int) -> list[str]:
    """The scaling verdict for each Redis, with the CPU budget that bounds it."""
    lines = []
    for store in ("single", "cluster"):
        found = scaling(results, store)
        if found is None:
            continue
        ratio, rounds = found
        met = "met" if ratio >= TARGET else "NOT met"
        lines.append(
            f"Verdict ({store} Redis): cache-hit throughput with 2 workers / 1 worker = "
            f"{ratio:.2f}x (rounds: {', '.join(f'{x:.2f}x' for x in rounds)}); target >= "
            f"{TARGET}x on {cores} cores: {met}."
        )
        cached = [
            r
            for r in results
            if r.config.store == store and r.config.mix == "cached" and not r.config.max_rate
        ]
        ones = [r for r in cached if r.config.workers == 1]
        twos = [r for r in cached if r.config.workers == 2]
        one = sum(r.rate for r in ones) / len(ones)
        for runs in (ones, twos):
            each = sum(budget(r, cores)[0] for r in runs) / len(runs)
            busy = sum(r.machine_cpu / r.seconds for r in runs) / len(runs)
            lines.append(
                f"  {runs[0].config.workers} worker(s): {each:.1f} ms of CPU per update all in "
                f"(Skim, Redis, fakes and driver), the machine {busy:.2f} of {cores} cores busy; "
                f"{cores} cores at that cost carry at most {cores / each * 1000:,.0f} updates/s, "
                f"{cores / each * 1000 / one:.2f}x the 1-worker mean ({one:,.1f}/s)."
            )
    return lines


def remarks(results: list[Result]) -> list[str]:
    """Errors, abandoned requests, waits for a quiet machine, entries left in the stream."""
    lines = []
    problems = [(r.config.label, e) for r in results for e in r.errors[:3] + r.log_errors[:3] if e]
    if problems:
        lines += ["", "First errors seen:"]
        lines += [f"- {label}: {text[:200]}" for label, text in problems[:12]]
    warnings = Counter[str]()
    for result in results:
        warnings.update(result.log_warnings)
    if warnings:
        lines += ["", "Warnings in the Skim processes' logs (all runs):"]
        lines += [f"- {count} x {text[:200]}" for text, count in warnings.most_common(8)]
    dropped = Counter[str]()
    for result in results:
        dropped.update(result.dropped_calls)
    if dropped:
        lines.append(
            "Bot API requests the bot itself abandoned mid-flight (the fake saw the client "
            "disconnect; not counted as errors): "
            + ", ".join(f"{method} {count}" for method, count in dropped.most_common())
        )
    waited = [r for r in results if r.quiet_wait > 1.5]
    if waited:
        lines.append(
            "Waited for other jobs to leave the cores before: "
            + ", ".join(f"{r.config.label} {r.quiet_wait:.0f} s" for r in waited)
        )
    backlog = [r for r in results if r.backlog]
    if backlog:
        lines.append(
            "Entries left in the stream at the end of the session (lost or stuck updates): "
            + ", ".join(f"{r.config.label}: {r.backlog}" for r in backlog)
        )
    return lines


def report(
    results: list[Result], args: argparse.Namespace, elapsed: float, notes: list[str]
) -> str:
    cores = os.cpu_count()
    lines = [
        f"Load benchmark, {date.today().isoformat()}, {cores} cores (os.cpu_count()), "
        f"Python {platform.python_version()}, redis-server {redis_version()}, code "
        f"{code_version()}.",
        f"One `skim run --role intake` (long polling) and N `--role worker` processes; fakes and "
        f"driver in this process. LLM fake: first token {FIRST_TOKEN} s, {TOKENS_PER_SECOND:g} "
        "tokens/s. Skim: TELEGRAM_MAX_RATE=0 unless marked, user/chat rate limits and the daily "
        "quota lifted, LLM_CONCURRENCY=32.",
        f"Realistic mix: {args.users} users in private chats and {GROUPS} in groups of their own "
        f"(a {GROUP_PAUSE:g} s pause between updates), 70 % cached / 20 % new links / 10 % "
        f"questions, {args.seconds:g} s a window. Cached mix: the first {args.cached_users} of "
        f"those users, 100 % cached links ({CACHED_POOL} of them), {args.cached_seconds:g} s a "
        f"window, {args.rounds} rounds of 1 and 2 workers in the order 1,2 | 2,1 | ... "
        "Workers are started or stopped between windows; the intake and the first worker stay.",
        "Redis cmds/upd: on the masters (in brackets: every node, replicas included). Cores "
        "busy: CPU seconds per second over the window; 'other jobs' is the rest of the machine.",
        "",
        HEADER,
    ]
    baselines: dict[tuple[str, str, float], Result] = {}
    for result in results:
        c = result.config
        if c.workers == 1:
            baselines.setdefault((c.store, c.mix, c.max_rate), result)
    for result in results:
        c = result.config
        lines.append(row(result, baselines.get((c.store, c.mix, c.max_rate))))
    lines += [
        "",
        "Bot API calls per update, realistic mix, 1 worker (with more workers, the failed "
        "calls of the table above come on top):",
        "",
    ]
    lines += calls_table(
        [r for r in results if r.config.mix == "realistic" and r.config.workers == 1]
    )
    lines.append("")
    lines += details(results)
    lines.append("")
    lines += verdicts(results, cores or 1)
    lines += remarks(results)
    lines += notes
    lines.append(f"Total time {elapsed:.0f} s.")
    return "\n".join(lines)


def redis_version() -> str:
    out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
    found = re.search(r"v=(\S+)", out)
    return found.group(1) if found else "?"


def code_version() -> str:
    """The commit the Skim processes run, and whether bot/ or handlers/ differ from it."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "bot", "handlers"], capture_output=True, text=True
    )
    changed = " with uncommitted changes in bot/ or handlers/" if dirty.stdout.strip() else ""
    return f"{head.stdout.strip() or '?'}{changed}"


# --------------------------------------------------------------------------------------------


@dataclass
class Allowance:
    """What the whole run may still spend on a shared machine: waiting, and repeated windows."""

    quiet: float
    retries: int


async def run_store(session: Session, args: argparse.Namespace, allowance: Allowance) -> None:
    """Every window on one Redis, in an order that starts few processes."""
    store = session.store.name

    async def window(config: Config) -> None:
        await session.set_workers(config.workers, config.max_rate)
        while True:
            result = await session.window(config, min(args.quiet_wait, allowance.quiet))
            allowance.quiet = max(0.0, allowance.quiet - result.quiet_wait)
            if other_cpu(result) / result.seconds <= NOISY or allowance.retries <= 0:
                return
            # Other jobs took the cores being measured: measure the window again.
            allowance.retries -= 1
            session.results.remove(result)
            session.repeated.append(result)

    await session.set_workers(1)
    await session.prepare()
    if args.mix in ("realistic", "both"):
        for workers in (1, 2, 3):
            await window(Config(store, "realistic", workers, args.seconds, args.users, GROUPS))
    if args.mix in ("cached", "both"):
        # 1, 2 | 2, 1 | 1, 2 ...: alternating rounds, each worker count before and after the
        # other as often, with a worker started or stopped only every other window.
        order = [(1, 2), (2, 1)] * args.rounds
        for workers in [n for pair in order[: args.rounds] for n in pair]:
            await window(
                Config(store, "cached", workers, args.cached_seconds, args.cached_users, 0)
            )
        if args.capped and store == "single":  # one pace key: the same on a cluster
            for workers in (1, 2):
                config = Config(store, "cached", workers, args.cached_seconds, args.cached_users, 0)
                config.max_rate = CAPPED_RATE
                await window(config)
    await session.finish()


async def measure(args: argparse.Namespace, notes: list[str]) -> list[Result]:
    results: list[Result] = []
    repeated: list[Result] = []
    stores = ["single", "cluster"] if args.redis == "both" else [args.redis]
    allowance = Allowance(args.quiet_budget, args.retries)
    with tempfile.TemporaryDirectory(prefix="skim-load-") as tmp:
        workdir = Path(tmp)
        for name in stores:
            opener = single_redis if name == "single" else redis_cluster
            async with opener(workdir) as store, Session(store, args, workdir) as session:
                await run_store(session, args, allowance)
                results += session.results
                repeated += session.repeated
                if session.other_duplicates:
                    notes.append(
                        f"Duplicates outside the windows shown ({name}): "
                        f"{session.other_duplicates}."
                    )
    if repeated:
        notes.append(
            f"Windows measured again because other jobs took over {NOISY} cores during them: "
            + ", ".join(
                f"{r.config.label} ({other_cpu(r) / r.seconds:.2f} cores, {r.rate:,.1f} upd/s)"
                for r in repeated
            )
            + "."
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="short windows, one cached round, no waiting"
    )
    parser.add_argument("--redis", choices=("single", "cluster", "both"), default="both")
    parser.add_argument("--mix", choices=("realistic", "cached", "both"), default="both")
    parser.add_argument("--users", type=int, default=200, help="realistic mix: private users")
    parser.add_argument("--cached-users", type=int, default=160, help="cached mix: users")
    parser.add_argument("--seconds", type=float, default=15.0, help="realistic mix: window")
    parser.add_argument("--cached-seconds", type=float, default=10.0, help="cached mix: window")
    parser.add_argument("--rounds", type=int, default=3, help="cached mix: rounds of 1 and 2")
    parser.add_argument(
        "--no-capped",
        dest="capped",
        action="store_false",
        help=f"skip the cached-mix runs with TELEGRAM_MAX_RATE={CAPPED_RATE:g}",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=20.0,
        help="seconds to wait, before each window, for other jobs to leave the cores (0: none)",
    )
    parser.add_argument(
        "--quiet-budget", type=float, default=45.0, help="at most this much waiting in all"
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help=f"windows measured again, in all, when other jobs took over {NOISY} cores",
    )
    parser.add_argument(
        "--profile", metavar="DIR", help="run every Skim process under cProfile, files into DIR"
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.cached_seconds, args.rounds, args.capped = 6.0, 5.0, 1, False
        args.quiet_wait, args.retries = 0.0, 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    started = time.perf_counter()
    code = code_version()
    results = asyncio.run(measure(args, notes))
    if code_version() != code:
        notes.append(f"The code changed during the run: {code} at the start, {code_version()} now.")
    print(report(results, args, time.perf_counter() - started, notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
