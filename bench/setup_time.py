"""Set-up time of a fresh clone: `make run` until the log says "Skim is up".

Each COMMIT (default: HEAD) is cloned from this repository into a temporary folder and started
with `make run`, with only `TELEGRAM_BOT_TOKEN` set and `TELEGRAM_API_URL` pointing at the Bot
API fake; the time to the "Skim is up" line is printed, and the bot is stopped. Several commits
in one run compare installs under the same conditions (network, pip's cache).

Run: `.venv/bin/python bench/setup_time.py [COMMIT ...]` (slow: a full install per commit).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This folder holds telegram.py (a bench): it must not shadow the library of that name.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

from tests.fakes.bot_api import FakeBotAPI  # noqa: E402

UP = b"Skim is up"
PATIENCE = 900.0


def fresh_clone(commit: str) -> Path:
    clone = Path(tempfile.mkdtemp(prefix="skim-setup.")) / "main"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", commit], check=True)
    return clone


async def time_to_up(commit: str) -> float:
    clone = await asyncio.to_thread(fresh_clone, commit)
    async with FakeBotAPI() as api:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("REDIS_", "OPENAI_", "TELEGRAM_", "TRANSCRIBE_"))
        }
        env.update(TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_URL=api.url)
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            "make",
            "run",
            cwd=clone,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        assert process.stdout is not None
        try:
            while True:
                line = await asyncio.wait_for(process.stdout.readline(), PATIENCE)
                if not line:
                    raise SystemExit(f"{commit}: the bot exited before it was up")
                if UP in line:
                    return time.monotonic() - started
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            await process.wait()


async def main() -> int:
    for commit in sys.argv[1:] or ["HEAD"]:
        print(f"{commit}: {await time_to_up(commit):.1f} s to 'Skim is up'", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
