"""The first request after a start against a warm one, with and without Skim's warm-up.

Each case runs in a fresh Python process, as after a restart: it reads one article (the
extraction the first link pays for) and the same article again (warm), and, when it is
"warmed", runs `bot.warmup.warm_extraction` first, as `skim run` does before taking updates.
Prints the seconds and the first/warm ratio per case.

    .venv/bin/python bench/warm_start.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import json, sys, time
from pathlib import Path
from bot.content.extract import extract_bytes
from bot.warmup import warm_extraction
page = Path("tests/fixtures/article_en.html").read_bytes()
if sys.argv[1] == "warmed":
    warm_extraction()
def timed():
    started = time.perf_counter()
    extract_bytes(page, "text/html", url="https://example.com/story")
    return time.perf_counter() - started
first = timed()
warm = min(timed() for _ in range(5))
print(json.dumps({"first": first, "warm": warm}))
"""


def measure(case: str, runs: int) -> tuple[float, float]:
    firsts, warms = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, case],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        figures = json.loads(out)
        firsts.append(figures["first"])
        warms.append(figures["warm"])
    return statistics.median(firsts), statistics.median(warms)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print(f"first article extraction after a fresh start vs a warm one (median of {runs}):")
    for case in ("cold", "warmed"):
        first, warm = measure(case, runs)
        print(
            f"  {case:7} first {first * 1000:7.1f} ms   warm {warm * 1000:6.1f} ms   "
            f"first/warm {first / warm:5.1f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
