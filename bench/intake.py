"""Intake benchmark: the poller's CPU per update as Telegram's batches grow.

Usage: .venv/bin/python bench/intake.py [--updates N]

One process runs the Bot API fake of `tests/fakes/` and `bot.intake.Poller`, which appends each
getUpdates batch to a Redis Stream (the real Redis at REDIS_URL, default
redis://127.0.0.1:6379/0, under a fresh `skimbench:<random>:` prefix, deleted at the end).
The driver queues `batch` updates on the fake, waits until the poller has appended them, and
repeats, for batches of 1 (what the load benchmark's intake saw: it keeps up, so each long poll
returns one or two updates), 5, 20 and 100. It prints CPU milliseconds per update (the process's:
the fake's share included, so the intake alone costs less) and updates a second, each against
the batch of 1 measured in the same run.

The point: a getUpdates round trip and an append cost the same for one update as for a
hundred, so an intake that falls behind reads bigger batches and catches up; its capacity is
the per-update cost at large batches, not the cost seen under light load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ would come first on the path and its telegram.py shadow the library.
sys.path[:] = [str(ROOT), *(entry for entry in sys.path[1:] if entry != str(ROOT))]

from redis.asyncio import Redis  # noqa: E402
from telegram import Bot  # noqa: E402

from bench.cache import delete_prefix  # noqa: E402
from bot.intake import Poller  # noqa: E402
from bot.metrics import Metrics  # noqa: E402
from bot.store.keys import Keys  # noqa: E402
from bot.stream import UpdateStream  # noqa: E402
from tests.fakes.bot_api import FakeBotAPI  # noqa: E402

BATCHES = (1, 5, 20, 100)


async def measure(
    api: FakeBotAPI, bot: Bot, stream: UpdateStream, batch: int, total: int
) -> tuple[float, float]:
    """(CPU ms per update, updates a second) for `total` updates queued `batch` at a time."""
    poller = Poller(bot, stream, Metrics(), timeout=1)
    running = asyncio.create_task(poller.run())
    await asyncio.sleep(0.3)  # the first long poll is waiting
    start_cpu, start = time.process_time(), time.perf_counter()
    queued = 0
    while queued < total:
        for _ in range(batch):
            api.send_private_message(f"https://example.com/{queued}")
            queued += 1
        # The poller signals no event per append; a zero sleep hands it the loop.
        while poller.appended < queued:  # noqa: ASYNC110
            await asyncio.sleep(0)
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start
    poller.stop()
    await running
    return cpu / total * 1000, total / wall


async def main(total: int) -> None:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    prefix = f"skimbench:{secrets.token_hex(4)}:"
    client = Redis.from_url(url)
    try:
        async with FakeBotAPI() as api:
            bot = Bot(api.token, base_url=f"{api.url}/bot")
            await bot.initialize()
            try:
                stream = UpdateStream(client, Keys(prefix), bot.id, max_len=100_000)
                results = {
                    batch: await measure(api, bot, stream, batch, total) for batch in BATCHES
                }
            finally:
                await bot.shutdown()
        base_cpu, base_rate = results[1]
        print(
            f"{total} updates per row, CPU of this process (fake included), {os.cpu_count()} cores"
        )
        print(
            "| updates queued at once | CPU ms per update | × batch of 1 "
            "| updates a second | × batch of 1 |"
        )
        print("|---:|---:|---:|---:|---:|")
        for batch, (cpu, rate) in results.items():
            cpu_ratio, rate_ratio = cpu / base_cpu, rate / base_rate
            print(f"| {batch} | {cpu:.2f} | {cpu_ratio:.2f} | {rate:,.0f} | {rate_ratio:.2f} |")
    finally:
        await delete_prefix(client, prefix)
        await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--updates", type=int, default=2000, help="updates per batch size")
    asyncio.run(main(parser.parse_args().updates))
