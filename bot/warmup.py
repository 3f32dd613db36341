"""Warming up before the first update: the first user should wait no longer than the hundredth.

The first article extraction of a process pays for imports, compiled patterns and parser set-up
(about 0.4 s), and the first LLM request for loading the tokenizer (about 0.2 s). Both are done
once at start-up, before the bot takes updates and before `/readyz` says ready.
"""

from __future__ import annotations

import asyncio
import logging
import time

from bot.content.extract import extract_bytes
from bot.deps import Deps

log = logging.getLogger(__name__)

_PARAGRAPH = (
    "The harbour wall at Brackwater was rebuilt this spring after a winter storm broke it, and "
    "the fishing boats came back to the quay within a week of the last stone being set. "
)
PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Warm-up</title>"
    "<meta property='article:published_time' content='2026-03-14T09:00:00Z'>"
    "<link rel='canonical' href='https://warm-up.invalid/article'>"
    "<meta property='og:site_name' content='Skim'></head><body><nav><a href='/'>Home</a></nav>"
    "<article><h1>The harbour wall</h1><p class='byline'>By A. Writer</p>"
    + "".join(f"<p>{_PARAGRAPH * 3}</p>" for _ in range(6))
    + "</article><footer>About us</footer></body></html>"
).encode()


def warm_extraction() -> None:
    """One extraction of a small article: every extractor and parser loads and compiles."""
    extract_bytes(PAGE, "text/html", url="https://warm-up.invalid/article")


async def warm_up(deps: Deps) -> float:
    """Warm what the first request would otherwise pay for; returns the seconds it took."""
    started = time.monotonic()
    await asyncio.to_thread(warm_extraction)
    if deps.llm is not None:
        await deps.llm.counter()
    elapsed = time.monotonic() - started
    log.info("warmed up in %.2f s", elapsed)
    return elapsed
