"""Start Skim processes for the Redis tests: `skim` itself and the `skim_worker.py` script."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name("skim_worker.py")


def skim_env(redis_url: str, redis_prefix: str, **extra: str) -> dict[str, str]:
    """The environment of a Skim process sharing this test's Redis and prefix."""
    return {
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": redis_prefix,
        "FETCH_ALLOW_PRIVATE_NETWORKS": "true",
        "LLM_MODEL": "fake-model",
        **extra,
    }


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
