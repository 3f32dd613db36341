"""Cache-hit benchmark: a cached link's summary through `Skim.summarize`, against a raw GET.

Usage: REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/cache.py [--requests N]
       [--profile]

Needs a running Redis at REDIS_URL (it starts none, and says so when the variable is unset).
Everything it writes lives under a fresh `skimbench:<random>:` prefix, deleted at the end.

1. A local HTTP server serves tests/fixtures/article_en.html; one real `Skim.summarize` (the
   built-in extractive summarizer, no LLM) fetches, extracts, summarizes and caches it.
2. Latency: N sequential requests (request in, summary out; no Telegram) on that cached URL,
   and N sequential `redis.asyncio` GETs of the cached document's key, interleaved in rounds so
   both see the same machine; p50/p99 and the ratio. Throughput: 32 concurrent callers.
3. Where the time goes: one `RedisStore.get` (Skim's own client), and the same cache hit on
   the in-process store (Skim's CPU alone); `--profile` adds a cProfile of 2,000 cache hits.
4. Memory: 10,000 distinct URLs are cached (each its own document text and summary, stored
   the way the first real request stored its own), then requested twice over; the process's
   RSS after a warm-up, after the first 10,000 and after the second 10,000.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bot.config import Settings
from bot.content.sources import UrlSource
from bot.content.urls import normalize_url
from bot.deps import Deps, build_deps
from bot.service import Skim
from bot.store import Keys, decode_value, encode_value
from bot.values import Summary, SummaryOptions

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = (ROOT / "tests" / "fixtures" / "article_en.html").read_bytes()
DISTINCT = 10_000
CONCURRENCY = 32


class _Article(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(ARTICLE)))
        self.end_headers()
        self.wfile.write(ARTICLE)

    def log_message(self, format: str, *args: Any) -> None:
        return None


def serve_article() -> tuple[ThreadingHTTPServer, int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Article)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


def rss_mib() -> float:
    """Resident set size now (not the peak), from /proc/self/statm."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def timed(call: Callable[[], Awaitable[object]], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


async def throughput(call: Callable[[], Awaitable[object]], count: int) -> float:
    """Calls per second with CONCURRENCY callers sharing `count` calls."""
    left = count

    async def caller() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(CONCURRENCY)))
    return count / (time.perf_counter() - started)


async def cache_distinct(skim: Skim, raw: Redis, keys: Keys, base: str) -> list[str]:
    """DISTINCT URLs whose documents (distinct texts) and summaries are in the cache."""
    first = await skim.summarize(UrlSource(base))
    doc_value = decode_value(await raw.get(keys.document_by_url(normalize_url(base))) or b"")
    options = SummaryOptions()
    model = skim.summarizer.model_identity
    sum_value = decode_value(await raw.get(skim.summary_key(first.document, options, model)) or b"")
    if doc_value is None or sum_value is None:
        raise RuntimeError("the first request was not cached")
    urls = []
    async with raw.pipeline(transaction=False) as pipe:
        for index in range(DISTINCT):
            url = f"{base}?page={index}"
            document = replace(first.document, text=f"{first.document.text}\n\nPart {index}.")
            summary = Summary.from_dict({**first.summary.to_dict(), "text": f"Summary {index}"})
            doc_entry = {**doc_value, "document": document.to_dict()}
            sum_entry = {**sum_value, "summary": summary.to_dict()}
            doc_entry.pop("schema")
            sum_entry.pop("schema")
            pipe.set(keys.document_by_url(normalize_url(url)), encode_value(doc_entry), ex=3600)
            pipe.set(skim.summary_key(document, options, model), encode_value(sum_entry), ex=3600)
            urls.append(url)
        await pipe.execute()
    return urls


async def delete_prefix(raw: Redis, prefix: str) -> None:
    batch = [key async for key in raw.scan_iter(match=f"{prefix}*", count=1000)]
    for start in range(0, len(batch), 1000):
        await raw.delete(*batch[start : start + 1000])


def row(name: str, samples: list[float], rate: float | None = None) -> str:
    p50, p99 = percentile(samples, 0.50) * 1e6, percentile(samples, 0.99) * 1e6
    mean = statistics.fmean(samples) * 1e6
    shown = f" {rate:,.0f} |" if rate is not None else ""
    return f"| {name} | {p50:,.0f} | {p99:,.0f} | {mean:,.0f} |{shown}"


async def in_process_hit(port: int, count: int) -> list[float]:
    """The same cache hit on the in-process store: Skim's own CPU time, without Redis."""
    settings = Settings(
        _env_file=None,
        redis_url=None,  # REDIS_URL is set in this environment: ignore it here
        fetch_allow_private_networks=True,
        fetch_allowed_ports=[port],
    )
    deps = build_deps(settings)
    source = UrlSource(f"http://127.0.0.1:{port}/article")
    try:
        await deps.skim.summarize(source)

        async def hit() -> object:
            return await deps.skim.summarize(source)

        await timed(hit, 500)
        return await timed(hit, count)
    finally:
        await deps.aclose()


async def run(redis_url: str, requests: int, profile: bool) -> None:
    server, port = serve_article()
    prefix = f"skimbench:{uuid.uuid4().hex[:12]}:"
    settings = Settings(
        _env_file=None,
        redis_url=redis_url,
        redis_prefix=prefix,
        fetch_allow_private_networks=True,
        fetch_allowed_ports=[port],
    )
    deps: Deps = build_deps(settings)
    skim = deps.skim
    keys = Keys(prefix)
    raw = Redis.from_url(redis_url)
    base = f"http://127.0.0.1:{port}/article"
    try:
        urls = await cache_distinct(skim, raw, keys, base)
        source = UrlSource(base)
        doc_key = keys.document_by_url(normalize_url(base))
        doc_bytes = len(await raw.get(doc_key) or b"")
        hit = await skim.summarize(source)
        assert hit.cached, "the benchmark URL is answered from the cache"

        async def cache_hit() -> object:
            return await skim.summarize(source)

        async def raw_get() -> object:
            return await raw.get(doc_key)

        async def store_get() -> object:
            return await deps.store.get(doc_key)

        await timed(cache_hit, 500)  # warm-up: connections, imports, branch caches
        await timed(raw_get, 500)
        await timed(store_get, 500)
        hit_samples: list[float] = []
        get_samples: list[float] = []
        store_samples: list[float] = []
        rounds = 10
        for _ in range(rounds):  # interleaved, so both see the same machine
            hit_samples += await timed(cache_hit, requests // rounds)
            get_samples += await timed(raw_get, requests // rounds)
            store_samples += await timed(store_get, requests // rounds)
        hit_rate = await throughput(cache_hit, requests)
        get_rate = await throughput(raw_get, requests)
        cpu_samples = await in_process_hit(port, requests)

        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            await timed(cache_hit, 2000)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
            print(out.getvalue())

        for url in urls[:1000]:  # warm-up for the memory figure
            await skim.summarize(UrlSource(url))
        before = rss_mib()
        started = time.perf_counter()
        for url in urls:
            result = await skim.summarize(UrlSource(url))
            assert result.cached
        distinct_rate = DISTINCT / (time.perf_counter() - started)
        after_first = rss_mib()
        for url in urls:
            await skim.summarize(UrlSource(url))
        after_second = rss_mib()
    finally:
        await delete_prefix(raw, prefix)
        await raw.aclose()
        await deps.aclose()
        server.shutdown()

    p50_ratio = percentile(hit_samples, 0.5) / percentile(get_samples, 0.5)
    p99_ratio = percentile(hit_samples, 0.99) / percentile(get_samples, 0.99)
    mean_ratio = statistics.fmean(hit_samples) / statistics.fmean(get_samples)
    print(
        f"Redis at {redis_url.rpartition('@')[2]}; {requests:,} sequential calls of each kind "
        f"(interleaved), then {requests:,} with {CONCURRENCY} concurrent callers for req/s. "
        f"Page {len(ARTICLE):,} B of HTML; its cached document value {doc_bytes:,} B.\n"
    )
    print(f"| path | p50 µs | p99 µs | mean µs | req/s ({CONCURRENCY} concurrent) |")
    print("|---|---:|---:|---:|---:|")
    print(row("raw `redis.asyncio` GET of the cached document", get_samples, get_rate))
    print(row("cache hit: `Skim.summarize(url)` → summary", hit_samples, hit_rate))
    print(
        f"| ratio cache hit / raw GET | {p50_ratio:.2f}x | {p99_ratio:.2f}x | {mean_ratio:.2f}x "
        f"| {get_rate / hit_rate:.2f}x fewer |"
    )
    print(
        "\nWhere the cache hit's time goes "
        "(one Redis round trip, the link shortcut, plus Skim's own work):\n"
    )
    print("| part | p50 µs | p99 µs | mean µs |")
    print("|---|---:|---:|---:|")
    print(
        row(
            "one `RedisStore.get` (Skim's client: blocking pool, retry, outage guard)",
            store_samples,
        )
    )
    print(row("the same cache hit on the in-process store (Skim's CPU only)", cpu_samples))
    print()
    print(f"Memory over {DISTINCT:,} distinct cached URLs ({distinct_rate:,.0f} req/s sequential):")
    print(f"- RSS after a 1,000-request warm-up: {before:.1f} MiB")
    first, second = after_first - before, after_second - before
    print(f"- after {DISTINCT:,} distinct requests: {after_first:.1f} MiB ({first:+.1f})")
    print(f"- after {DISTINCT:,} more: {after_second:.1f} MiB ({second:+.1f})")
    target = "met" if p50_ratio <= 3 else "NOT met"
    print(f"\nTarget (cache-hit p50 within 3x a raw GET's): {target}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--profile", action="store_true", help="cProfile 2,000 cache hits")
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        print(
            "REDIS_URL is not set: this benchmark measures Redis and starts none. "
            "Run Redis and set REDIS_URL=redis://127.0.0.1:6379/0.",
            file=sys.stderr,
        )
        return 2
    asyncio.run(run(redis_url, args.requests, args.profile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
