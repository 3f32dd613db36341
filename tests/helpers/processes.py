"""Start Skim processes for the tests: `skim` itself and the `skim_worker.py` script."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.bot_api import FakeBotAPI
    from tests.fakes.openai_api import FakeOpenAI

WORKER = Path(__file__).with_name("skim_worker.py")
# The fakes listen on loopback at ports the OS picks: a Skim process under test reaches them
# with the one setting shared/DESIGN.md names for tests (any port then, unless
# FETCH_ALLOWED_PORTS says otherwise; the port list is tested in tests/test_fetch.py and
# tests/test_settings.py).
LOOPBACK_FAKES = {"FETCH_ALLOW_PRIVATE_NETWORKS": "true"}


def skim_env(redis_url: str, redis_prefix: str, **extra: str) -> dict[str, str]:
    """The environment of a Skim process sharing this test's Redis and prefix."""
    return {
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": redis_prefix,
        **LOOPBACK_FAKES,
        "LLM_MODEL": "fake-model",
        **extra,
    }


def skim_llm_env(
    llm_api: FakeOpenAI, redis_url: str, redis_prefix: str, **extra: str
) -> dict[str, str]:
    """`skim_env` with the LLM pointed at the OpenAI fake."""
    return skim_env(
        redis_url,
        redis_prefix,
        OPENAI_API_KEY=llm_api.api_key,
        OPENAI_BASE_URL=llm_api.url,
        **extra,
    )


def skim_run_env(
    bot_api: FakeBotAPI, redis_url: str, redis_prefix: str, **extra: str
) -> dict[str, str]:
    """A `skim run` environment on the Bot API fake: the machine's, less OpenAI/Telegram."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "TELEGRAM"))},
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_URL": bot_api.url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": redis_prefix,
        **LOOPBACK_FAKES,
        **extra,
    }


@dataclass
class SkimRun:
    """A running `skim run` process; `stderr` is filled in once it has stopped."""

    process: asyncio.subprocess.Process
    stderr: str = ""


@asynccontextmanager
async def skim_run(env: dict[str, str], *args: str) -> AsyncIterator[SkimRun]:
    """`python -m bot run ARGS` with exactly `env` for the block, then terminated."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", *args, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    run = SkimRun(process)
    try:
        yield run
    finally:
        if process.returncode is None:  # a test may have killed it already
            process.terminate()
        _, err = await asyncio.wait_for(process.communicate(), 20)
        run.stderr = err.decode()


async def spawn(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    """A Python process (`-m bot ...` or a script) with the test's environment on top."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env},
    )


async def run_workers(env: dict[str, str], *commands: list[str], timeout: float = 60) -> list[Any]:
    """Run one worker per command, released together once all are ready; their JSON results."""
    workers = [await spawn(str(WORKER), *command, env=env) for command in commands]
    try:
        for worker in workers:
            assert worker.stdout is not None
            line = await asyncio.wait_for(worker.stdout.readline(), timeout)
            if line.strip() != b"ready":
                _, err = await worker.communicate()
                raise AssertionError(f"worker did not start: {line!r} {err.decode()}")
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(b"go\n")
            await worker.stdin.drain()
        results = []
        for worker in workers:
            out, err = await asyncio.wait_for(worker.communicate(), timeout)
            assert worker.returncode == 0, err.decode()
            results.append(json.loads(out))
        return results
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
