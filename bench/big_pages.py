"""Memory for three 4.9 MB pages of empty markup read at once, with and without the parse budget.

Each case runs in a fresh process: three such pages go through `ContentReader.read_file` at the
same time (the path a fetched page takes after the fetch), and the process's peak RSS above its
idle level is reported. The baseline lifts the budget's limits (the behaviour before issue 12).
Target: at most about 300 MB above idle with the budget.

    .venv/bin/python bench/big_pages.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 300
CHILD = """
import asyncio, json, resource, sys, time
from bot.content.budget import MarkupBudget
from bot.content.fetch import Fetcher, FetchPolicy
from bot.content.reader import ContentReader
from bot.content.sources import FileSource
from bot.errors import SkimError

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

unit = '<div class="a"><span class="b"><a href="/x">.</a></span><i></i></div>'
page = ("<html><body>" + unit * (4_900_000 // len(unit)) + "</body></html>").encode()
budget = MarkupBudget() if sys.argv[1] == "budget" else MarkupBudget(10**9, 10**9)

async def main():
    reader = ContentReader(Fetcher(None, FetchPolicy()), budget)  # files only: no HTTP client
    idle = peak_mb()
    started = time.monotonic()
    outcomes = await asyncio.gather(
        *(reader.read_file(FileSource(data=page, filename=f"p{n}.html")) for n in range(3)),
        return_exceptions=True,
    )
    kinds = sorted({getattr(o, "key", type(o).__name__) for o in outcomes})
    print(json.dumps({"above_idle": peak_mb() - idle, "seconds": time.monotonic() - started,
                      "outcomes": kinds}))

asyncio.run(main())
"""


def run(case: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, case], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    figures: dict[str, object] = json.loads(out)
    return figures


def main() -> int:
    print("three 4.9 MB markup pages read at once (fresh process each):")
    results = {case: run(case) for case in ("no budget", "budget")}
    for case, figures in results.items():
        print(
            f"  {case:9}  peak {figures['above_idle']:7.0f} MB above idle  "
            f"{figures['seconds']:6.1f} s  outcomes {figures['outcomes']}"
        )
    base = float(str(results["no budget"]["above_idle"]))
    with_budget = float(str(results["budget"]["above_idle"]))
    print(
        f"  budget / no budget: {with_budget / base:.3f}; target <= {TARGET_MB} MB:",
        "met" if with_budget <= TARGET_MB else "NOT met",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
