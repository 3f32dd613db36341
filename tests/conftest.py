"""Shared fixtures: the three HTTP fakes on 127.0.0.1, real Redis with a per-test prefix (or a
private redis-server), LLM clients on the OpenAI fake, and a running bot polling the Bot API
fake."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from openai import AsyncOpenAI
from redis.asyncio import Redis

from bot.app import AnyApplication
from bot.config import Settings
from bot.deps import Deps
from bot.llm.client import LLMClient
from bot.serve import Service
from bot.store.state import seconds_until_midnight
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb
from tests.helpers.redis_server import PrivateRedis

if TYPE_CHECKING:
    from tests.fakes.bot_api import FakeBotAPI

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"

# Settings the tests control; anything the machine exports under these names is ignored.
_CONTROLLED = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "LLM_MODEL",
    "REDIS_URL",
    "REDIS_PREFIX",
    "FETCH_ALLOW_PRIVATE_NETWORKS",
    "FETCH_ALLOWED_PORTS",
    "ADMIN_USER_IDS",
    "ALLOWED_USER_IDS",
    "ALLOWED_CHAT_IDS",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WEBHOOK_LISTEN",
    "LOG_LEVEL",
    "LOG_FORMAT",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Each test starts from no Skim settings and no `.env` in its working directory."""
    for name in _CONTROLLED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotAPI]:
    """A Telegram Bot API server speaking real HTTP."""
    from tests.fakes.bot_api import FakeBotAPI

    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def llm_api() -> AsyncIterator[FakeOpenAI]:
    """An OpenAI-compatible chat completions server."""
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def web() -> AsyncIterator[FakeWeb]:
    """A web server for article pages and misbehaving hosts."""
    async with FakeWeb() as server:
        yield server


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own on the real Redis; every key under it is deleted after."""
    prefix = f"skimtest:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    """A redis-server of this test's own, which the test may stop and start again."""
    server = PrivateRedis(tmp_path / "redis")
    await server.start()
    yield server
    await server.stop()


def make_settings(**values: Any) -> Settings:
    """Settings from explicit values only (no `.env`)."""
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings_for(bot_api: FakeBotAPI, web: FakeWeb, redis_prefix: str) -> Callable[..., Settings]:
    """Settings pointing at the Bot API fake and real Redis; keyword arguments override.

    Private networks are allowed (every fake is on loopback), with an explicit port list that
    holds the web fake's: a list that is set holds in every mode, which the hostile-input tests
    check. Skim processes under test use the unset default instead (any port with private
    networks allowed: tests/helpers/processes.py), as a rig that knows only shared/DESIGN.md would.
    """

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "telegram_bot_token": bot_api.token,
            "telegram_api_url": bot_api.url,
            "redis_url": REDIS_URL,
            "redis_prefix": redis_prefix,
            "fetch_allow_private_networks": True,
            "fetch_allowed_ports": [80, 443, 8080, 8443, web.port],
        }
        values.update(overrides)
        return make_settings(**values)

    return build


def llm_settings(
    settings_for: Callable[..., Settings], llm_api: FakeOpenAI, **overrides: Any
) -> Settings:
    """`settings_for` with the LLM pointed at the OpenAI fake; keyword arguments override."""
    values: dict[str, Any] = {
        "openai_api_key": llm_api.api_key,
        "openai_base_url": llm_api.url,
        "llm_model": "fake-model",
    }
    values.update(overrides)
    return settings_for(**values)


MakeClient = Callable[..., LLMClient]


@pytest.fixture
async def make_client(llm_api: FakeOpenAI) -> AsyncIterator[MakeClient]:
    """LLMClients on the fake with test-sized deadlines and backoffs; closed afterwards."""
    made: list[LLMClient] = []

    def make(**options: object) -> LLMClient:
        settings: dict[str, object] = {
            "timeout": 2.0,
            "max_tries": 3,
            "backoff": 0.01,
            "max_backoff": 0.05,
            "max_wait": 5.0,
        }
        settings.update(options)
        api_key = str(settings.pop("api_key", llm_api.api_key))
        base_url = str(settings.pop("base_url", llm_api.url))
        model = str(settings.pop("model", "gpt-4o-mini"))
        raw = AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0)
        client = LLMClient(raw, model, **settings)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@dataclass
class RunningBot:
    app: AnyApplication
    deps: Deps


@asynccontextmanager
async def running(settings: Settings, deps: Deps | None = None) -> AsyncIterator[RunningBot]:
    """The real bot as `skim run` runs it (`bot.serve.Service`), polling the Bot API fake in
    this event loop: with Redis (as `settings_for` sets it) every update goes through the
    Redis Stream to the worker in this process."""
    service = Service(settings, deps, poll_timeout=1, warm=False)
    try:
        await service.start()
        yield RunningBot(service.app, service.deps)
    finally:
        await service.stop()


@pytest.fixture
def start_bot() -> Callable[..., Any]:
    """`async with start_bot(settings) as bot:` runs the bot for the block."""
    return running


async def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None, timeout: float = 60
) -> tuple[int, str, str]:
    """Run `python -m bot ARGS` as a real process; returns (exit code, stdout, stderr)."""
    full_env = {key: value for key, value in os.environ.items() if key not in _CONTROLLED}
    full_env.update(env or {})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=full_env,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture(autouse=True)
def _clear_of_midnight() -> None:
    """Start no test in the UTC day's last minute: daily counters, quotas and stats are keyed by
    the day, and a test that counts and then reads them across midnight reads the new day's (a
    CI run at 00:00 failed so)."""
    left = seconds_until_midnight()
    if left < MIDNIGHT_MARGIN:
        time.sleep(left + 1)


MIDNIGHT_MARGIN = 60


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Poll an async condition until it holds or the time is up."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
