"""A second (third, ...) Skim process for the Redis tests: concurrent work, results as JSON.

Run as `python tests/helpers/skim_worker.py COMMAND ... [+ COMMAND ...]` with settings in the
environment. It builds the shared clients, prints `ready`, waits for a line on stdin (so several
workers start together), runs every command at once (each making N calls at once), prints one
JSON line (one result, or a list of them for several commands) and exits.

  summarize URL N                            N concurrent Skim.summarize(URL)
  take-token SCOPE ID CAPACITY PER_MINUTE N  N concurrent State.take_token on one bucket
  quota USER_ID LIMIT N                      N concurrent State.use_daily_quota
  first-time BOT_ID FIRST_UPDATE_ID COUNT    State.first_time for COUNT update ids at once
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable
from typing import Any

from bot.config import load_settings
from bot.content.sources import UrlSource
from bot.deps import build_deps
from bot.service import Skim


async def _summarize(skim: Skim, url: str, n: str) -> list[dict[str, Any]]:
    results = await asyncio.gather(*(skim.summarize(UrlSource(url)) for _ in range(int(n))))
    return [{"text": result.summary.text, "cached": result.cached} for result in results]


async def _take_token(
    skim: Skim, scope: str, identity: str, capacity: str, per_minute: str, n: str
) -> list[float]:
    calls = (
        skim.state.take_token(scope, int(identity), float(capacity), float(per_minute))
        for _ in range(int(n))
    )
    return list(await asyncio.gather(*calls))


async def _quota(skim: Skim, user_id: str, limit: str, n: str) -> list[int | None]:
    calls = (skim.state.use_daily_quota(int(user_id), int(limit)) for _ in range(int(n)))
    return list(await asyncio.gather(*calls))


async def _first_time(skim: Skim, bot_id: str, first: str, count: str) -> dict[str, bool]:
    ids = range(int(first), int(first) + int(count))
    fresh = await asyncio.gather(*(skim.state.first_time(int(bot_id), i) for i in ids))
    return {str(i): value for i, value in zip(ids, fresh, strict=True)}


COMMANDS = {
    "summarize": _summarize,
    "take-token": _take_token,
    "quota": _quota,
    "first-time": _first_time,
}


def split_commands(argv: list[str]) -> list[list[str]]:
    commands: list[list[str]] = [[]]
    for arg in argv:
        if arg == "+":
            commands.append([])
        else:
            commands[-1].append(arg)
    return commands


async def main(argv: list[str]) -> None:
    commands = split_commands(argv)
    deps = build_deps(load_settings())
    try:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        work: list[Awaitable[Any]] = [COMMANDS[name](deps.skim, *args) for name, *args in commands]
        results = await asyncio.gather(*work)
        print(json.dumps(results if len(results) > 1 else results[0]), flush=True)
    finally:
        await deps.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
