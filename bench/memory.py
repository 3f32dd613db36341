"""Memory of one `skim run` under cache hits: RSS after 1,000 and after 10,000 requests.

`skim run` is a real process (polling the Bot API fake that this script runs, the extractive
summarizer, the real Redis at REDIS_URL under a fresh prefix, deleted at the end). One link is
summarized once; then link messages for it come from a new user each (so no per-user limit
plays a part), at most `--inflight` at a time, and every one is answered from the cache. The
process's resident memory (VmRSS) is read after the warm-up, after 1,000 and after 10,000
requests. Targets: under 200 MB, and growth between 1,000 and 10,000 under 10 %. With `--llm`
the process summarizes with an LLM (the OpenAI fake) instead, so it also holds the tokenizer
that the warm-up loads for an LLM deployment; cache hits never reach the model either way.

    .venv/bin/python bench/memory.py [--requests N] [--inflight N] [--llm]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from redis.asyncio import Redis  # noqa: E402

from tests.fakes.bot_api import FakeBotAPI, make_user  # noqa: E402
from tests.fakes.openai_api import FakeOpenAI  # noqa: E402
from tests.fakes.web import FakeWeb, read_fixture  # noqa: E402
from tests.helpers.processes import LOOPBACK_FAKES  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
TARGET_MB = 200
TARGET_GROWTH = 0.10
CHECKPOINTS = (1_000, 10_000)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def summaries(api: FakeBotAPI) -> int:
    return sum(1 for call in api.calls_to("sendMessage") if call.ok and "<b>" in str(call.params))


async def until(api: FakeBotAPI, count: int, patience: float = 120) -> None:
    for _ in range(int(patience / 0.05)):
        if summaries(api) >= count:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{summaries(api)} of {count} summaries")


async def drive(api: FakeBotAPI, link: str, total: int, inflight: int, done: int) -> None:
    """Send `total` link messages from new users, keeping at most `inflight` unanswered."""
    for n in range(total):
        user = make_user(700_000_000 + done + n, f"Reader {n}", language_code="en")
        api.send_private_message(link, user=user)
        await until(api, done + n + 1 - inflight)
    await until(api, done + total)


async def measure(requests: int, inflight: int, llm: bool = False) -> dict[str, float]:
    prefix = f"skimbench:{uuid.uuid4().hex[:8]}:"
    async with FakeBotAPI() as api, FakeWeb() as web, FakeOpenAI() as model:
        web.route("/story", read_fixture("article_en.html"))
        link = web.url("/story")
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": api.url,
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": prefix,
            "TELEGRAM_MAX_RATE": "0",
            "LOG_LEVEL": "WARNING",
            **LOOPBACK_FAKES,
        }
        env.pop("OPENAI_API_KEY", None)
        if llm:
            env |= {"OPENAI_API_KEY": model.api_key, "OPENAI_BASE_URL": model.url}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=ROOT, stderr=asyncio.subprocess.DEVNULL
        )
        figures: dict[str, float] = {}
        try:
            api.send_private_message(link, user=make_user(699_999_999, "First"))
            await until(api, 1, patience=60)
            await drive(api, link, 200, inflight, 1)  # warm-up
            figures["after warm-up"] = rss_mb(process.pid)
            done = 201
            for checkpoint in CHECKPOINTS:
                if checkpoint > requests:
                    break
                started = time.monotonic()
                await drive(api, link, checkpoint - (done - 201), inflight, done)
                done = 201 + checkpoint
                figures[f"after {checkpoint:,}"] = rss_mb(process.pid)
                figures[f"seconds to {checkpoint:,}"] = time.monotonic() - started
        finally:
            process.terminate()
            await process.wait()
            redis = Redis.from_url(REDIS_URL)
            keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=1000)]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=CHECKPOINTS[-1])
    parser.add_argument("--inflight", type=int, default=50)
    parser.add_argument("--llm", action="store_true", help="summarize with the OpenAI fake")
    args = parser.parse_args()
    figures = asyncio.run(measure(args.requests, args.inflight, args.llm))
    summarizer = "LLM (fake)" if args.llm else "extractive"
    print(f"skim run, RSS under cache hits (one process, {summarizer}, real Redis):")
    for name, value in figures.items():
        unit = "s" if name.startswith("seconds") else "MB"
        print(f"  {name:>22}: {value:8.1f} {unit}")
    first, last = (f"after {n:,}" for n in CHECKPOINTS)
    if first in figures and last in figures:
        growth = figures[last] / figures[first] - 1
        peak = max(figures[first], figures[last])
        print(
            f"  growth 1,000 -> 10,000: {growth:+.1%} (target < {TARGET_GROWTH:.0%}); "
            f"peak {peak:.0f} MB (target < {TARGET_MB} MB)"
        )
        met = growth < TARGET_GROWTH and peak < TARGET_MB
        print("  verdict:", "met" if met else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
