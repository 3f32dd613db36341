"""LLM engine benchmark against the OpenAI-compatible fake (no network, no API key).

Usage: .venv/bin/python bench/llm.py [--runs N]

Measures, in one run:

(a) latency overhead of the engine (`Summarizer.summarize`: token counting, planning, prompt
    building, our retry/stream wrapper) over a bare `AsyncOpenAI` streaming call sending the
    same messages, with the fake answering at a fixed time-to-first-token and token rate.
    Median of N alternating runs after a warm-up. Target: engine <= bare x 1.05 + 20 ms.
(b) input tokens sent per document token for 2k, 20k and 200k-token documents: the sum of the
    fake's `usage.prompt_tokens` over every request (map and reduce) divided by the document's
    tokens, both counted by the fake's tokenizer. The fake answers every request with as many
    tokens as `max_tokens` allows, so the reduce step gets the largest possible notes.
    Targets: <= 1.15, <= 1.3, <= 1.3.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from openai import AsyncOpenAI  # noqa: E402

from bot.content.document import Document  # noqa: E402
from bot.llm.client import LLMClient  # noqa: E402
from bot.llm.engine import Summarizer  # noqa: E402
from bot.llm.prompts import LENGTHS, summary_messages  # noqa: E402
from bot.values import SummaryOptions  # noqa: E402
from tests.fakes.openai_api import ChatRequest, FakeOpenAI, count_tokens  # noqa: E402

MODEL = "gpt-4o-mini"
FIRST_TOKEN = 0.25  # seconds before the first content piece
TOKENS_PER_SECOND = 200.0
REPLY_WORDS = 60
VOCABULARY = str.split(
    "mill river wheel stone grain flour village council engineer winter harvest market "
    "bridge road family tide sluice miller baker visitor museum festival ledger quarry timber "
    "harbour ferry orchard lantern chimney meadow compass kettle railway station school "
    "teacher doctor budget million euros percent report study survey result increase "
    "decrease year month"
)


def article(tokens: int, seed: int = 7) -> str:
    """A deterministic article of about `tokens` tokens (the fake's count) in paragraphs."""
    rng = random.Random(seed)
    paragraphs: list[str] = []
    count = 0
    while count < tokens:
        sentences = []
        for _ in range(rng.randint(3, 6)):
            words = [rng.choice(VOCABULARY) for _ in range(rng.randint(8, 22))]
            if rng.random() < 0.3:
                words.insert(rng.randint(0, len(words)), str(rng.randint(2, 2026)))
            sentences.append(" ".join(words).capitalize() + ".")
        paragraph = " ".join(sentences)
        if count + count_tokens(paragraph) > tokens:
            break
        paragraphs.append(paragraph)
        count += count_tokens(paragraph)
    return "\n\n".join(paragraphs)


def document(tokens: int) -> Document:
    return Document(text=article(tokens), source_kind="text", title="Benchmark article")


async def bare_call(raw: AsyncOpenAI, messages: list[dict[str, str]], max_tokens: int) -> float:
    """One streaming call with the plain client, read to the end; seconds."""
    started = time.perf_counter()
    stream = await raw.chat.completions.create(
        model=MODEL,
        messages=messages,  # type: ignore[arg-type]
        max_tokens=max_tokens,
        temperature=0.2,
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces: list[str] = []
    async with stream:
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    pieces.append(choice.delta.content)
    assert pieces
    return time.perf_counter() - started


async def engine_call(summarizer: Summarizer, doc: Document, options: SummaryOptions) -> float:
    """One summary through the engine, streamed to a callback; seconds."""
    pieces: list[str] = []

    async def collect(piece: str) -> None:
        pieces.append(piece)

    started = time.perf_counter()
    summary = await summarizer.summarize(doc, options, on_text=collect)
    elapsed = time.perf_counter() - started
    assert not summary.extractive
    assert pieces
    return elapsed


async def overhead(runs: int) -> tuple[float, float]:
    """Median seconds of (bare, engine) for the same summary request."""
    reply = " ".join(VOCABULARY[k % len(VOCABULARY)] for k in range(REPLY_WORDS)) + "."
    async with FakeOpenAI(
        first_token_delay=FIRST_TOKEN, tokens_per_second=TOKENS_PER_SECOND
    ) as fake:
        fake.responder = lambda request: reply
        raw = AsyncOpenAI(api_key=fake.api_key, base_url=fake.url, max_retries=0)
        summarizer = Summarizer(LLMClient(raw, MODEL))
        doc = document(1_500)
        options = SummaryOptions()
        messages = summary_messages(doc, length="medium", style="bullets", language="auto")
        max_tokens = LENGTHS["medium"].max_tokens
        await bare_call(raw, messages, max_tokens)  # warm-up: connection pool
        await engine_call(summarizer, doc, options)  # warm-up: tokenizer load
        bare: list[float] = []
        engine: list[float] = []
        for _ in range(runs):
            bare.append(await bare_call(raw, messages, max_tokens))
            engine.append(await engine_call(summarizer, doc, options))
        await raw.close()
    return statistics.median(bare), statistics.median(engine)


def notes_worst_case(request: ChatRequest) -> str:
    return " ".join(["- note"] * 3000)  # cut by the fake at the request's max_tokens


async def input_ratio(tokens: int) -> tuple[int, int, int, float, float]:
    """(document tokens, requests, input tokens, ratio, seconds) for one summary."""
    doc = document(tokens)
    async with FakeOpenAI(first_token_delay=0.05, tokens_per_second=5_000, chunk_words=20) as fake:
        fake.responder = notes_worst_case
        raw = AsyncOpenAI(api_key=fake.api_key, base_url=fake.url, max_retries=0)
        summarizer = Summarizer(LLMClient(raw, MODEL))
        started = time.perf_counter()
        summary = await summarizer.summarize(doc, SummaryOptions(length="long"))
        elapsed = time.perf_counter() - started
        await raw.close()
        assert not summary.extractive
        sent = sum(request.reply is not None for request in fake.requests)
        assert sent == summary.requests
    doc_tokens = count_tokens(doc.text)
    return (
        doc_tokens,
        summary.requests,
        summary.prompt_tokens,
        summary.prompt_tokens / doc_tokens,
        elapsed,
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs per variant (median)")
    args = parser.parse_args()

    print(f"fake: first token after {FIRST_TOKEN * 1000:.0f} ms, {TOKENS_PER_SECOND:.0f} tokens/s")
    bare, engine = await overhead(args.runs)
    budget = bare * 1.05 + 0.020
    ok_latency = engine <= budget
    print()
    print(f"(a) latency of one streamed summary (1.5k-token document, median of {args.runs})")
    print(f"  {'bare AsyncOpenAI stream':28} {bare * 1000:8.1f} ms")
    print(f"  {'Summarizer.summarize':28} {engine * 1000:8.1f} ms")
    print(
        f"  {'overhead':28} {(engine - bare) * 1000:+8.1f} ms  ratio {engine / bare:.3f}  "
        f"(target <= {budget * 1000:.1f} ms: {'ok' if ok_latency else 'MISSED'})"
    )

    print()
    print("(b) input tokens sent per document token (length=long, default settings)")
    columns = ("document", 9), ("tokens", 8), ("requests", 8), ("input", 8), ("ratio", 6)
    print("  " + " ".join(f"{name:>{width}}" for name, width in columns) + "  target    time")
    ok_ratio = True
    for size, target in ((2_000, 1.15), (20_000, 1.3), (200_000, 1.3)):
        doc_tokens, requests, sent, ratio, seconds = await input_ratio(size)
        ok_ratio &= ratio <= target
        print(
            f"  {size // 1000:>8}k {doc_tokens:>8} {requests:>8} {sent:>8} {ratio:>6.3f} "
            f"{'<= ' + str(target):>6} {seconds:>6.2f}s  {'ok' if ratio <= target else 'MISSED'}"
        )
    return 0 if ok_latency and ok_ratio else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
