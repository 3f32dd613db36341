"""Voice messages: the engine's own time, and what a long transcript costs in tokens.

Two figures, each against a baseline measured in the same run:

1. **Latency.** A voice message goes through the real bot (python-telegram-bot polling the Bot
   API fake, the in-process store) to a summary, with the OpenAI fake's speech-to-text and chat
   endpoints answering after a fixed service time. For each of N distinct recordings: the time
   to the first status message and to the final summary, beside the bare cost of the same two
   calls made with a plain `AsyncOpenAI` client (the same bytes, the same fake). The engine's
   overhead is summary time − (bare transcription + bare completion).
2. **Tokens.** A 60-minute transcript (about 9,000 words, segments every few seconds) is
   summarized by the real engine (`LLM_CONTEXT_TOKENS` 16,000: parts, then combined); the input
   tokens of every request it sends are added up and divided by the transcript's own tokens.

Run: `.venv/bin/python bench/media.py [--voices 10] [--delay 0.3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import statistics
import sys
import time
from pathlib import Path

from openai import AsyncOpenAI

ROOT = Path(__file__).resolve().parent.parent
# This folder holds telegram.py (a bench): it must not shadow the library of that name.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p).resolve() != ROOT / "bench")]

from bot.config import Settings  # noqa: E402
from bot.deps import build_deps  # noqa: E402
from bot.media.reading import transcript_document  # noqa: E402
from bot.media.transcript import Segment, Transcript  # noqa: E402
from bot.serve import Service  # noqa: E402
from bot.values import SummaryOptions  # noqa: E402
from tests.fakes.bot_api import FakeBotAPI  # noqa: E402
from tests.fakes.openai_api import FakeOpenAI, count_tokens  # noqa: E402
from tests.helpers.media import ogg_opus  # noqa: E402

SUMMARY = (
    "A talk\nTL;DR: A talk about the harbour.\n\n- The ferry moves\n- The pier is rebuilt\n\n"
    "Key moments:\n- [0:00] Start"
)
SENTENCE = (
    "the harbour ferry moves to the north pier while the south pier is rebuilt and the town "
    "council meets on Monday to decide the timetable for the summer months and the fishing "
    "boats keep their old berths near the lighthouse"
)
WORDS = SENTENCE.split(" ")


def settings_for(api: FakeBotAPI, llm: FakeOpenAI) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=api.token,
        telegram_api_url=api.url,
        openai_api_key=llm.api_key,
        openai_base_url=llm.url,
        llm_model="fake-model",
        telegram_max_rate=0,
        rate_limit_user_burst=1000,
        daily_media_minutes=0,
    )


async def bare_costs(llm: FakeOpenAI, audio: bytes) -> tuple[float, float]:
    """The same two calls made directly: the floor any bot must pay."""
    client = AsyncOpenAI(api_key=llm.api_key, base_url=llm.url, max_retries=0)
    try:
        llm.script_transcript("The ferry moves to the north pier.")
        started = time.monotonic()
        await client.audio.transcriptions.create(
            model="whisper-1",
            file=("voice.ogg", audio),
            response_format="verbose_json",
            timestamp_granularities=["segment"],
        )
        transcribed = time.monotonic() - started
        llm.script(SUMMARY)
        started = time.monotonic()
        stream = await client.chat.completions.create(
            model="fake-model",
            messages=[{"role": "user", "content": "Summarize: the ferry moves."}],
            stream=True,
        )
        async for _ in stream:
            pass
        completed = time.monotonic() - started
    finally:
        await client.close()
    return transcribed, completed


async def latency(voices: int, delay: float) -> dict[str, float]:
    status_ms: list[float] = []
    summary_ms: list[float] = []
    bare_ms: list[float] = []
    async with FakeBotAPI() as api, FakeOpenAI() as llm:
        llm.transcription_delay = delay
        service = Service(settings_for(api, llm), None, poll_timeout=1, warm=False)
        await service.start()
        try:
            for index in range(voices):
                audio = ogg_opus(65, frequency=300 + 20 * index)
                transcribed, completed = await bare_costs(llm, audio)
                bare_ms.append((transcribed + completed) * 1000)
                llm.script_transcript("The ferry moves to the north pier. " * 8)
                llm.script(SUMMARY)
                before = len(api.calls_to("sendMessage"))
                sent = time.monotonic()
                api.send_voice(audio, duration=65)
                status = await api.wait_for("sendMessage", count=before + 1, timeout=30)
                summary = await api.wait_for(
                    "sendMessage",
                    lambda call: "Key moments" in str(call.params.get("text", "")),
                    count=index + 1,
                    timeout=60,
                )
                status_ms.append((status.at - sent) * 1000)
                summary_ms.append((summary.at - sent) * 1000)
        finally:
            await service.stop()
    status = statistics.median(status_ms)
    total = statistics.median(summary_ms)
    bare = statistics.median(bare_ms)
    return {"status": status, "summary": total, "bare": bare, "overhead": total - bare}


async def tokens(minutes: int = 60) -> dict[str, float]:
    segments: list[Segment] = []
    at, word = 0.0, 0
    while at < minutes * 60:
        text = " ".join(WORDS[(word + k) % len(WORDS)] for k in range(12)) + "."
        segments.append(Segment(at, at + 4.8, text.capitalize()))
        at += 4.8
        word += 12
    transcript = Transcript(tuple(segments), "en", float(minutes * 60))
    document = transcript_document(transcript, kind="audio", title="A long talk")
    async with FakeBotAPI() as api, FakeOpenAI() as llm:
        llm.responder = lambda request: "- [0:00] The ferry moves to the north pier."
        deps = build_deps(settings_for(api, llm))
        try:
            summary = await deps.skim.summarizer.summarize(document, SummaryOptions())
        finally:
            await deps.aclose()
    own = count_tokens(document.text)
    return {
        "words": len(transcript.text.split()),
        "transcript_tokens": own,
        "input_tokens": summary.prompt_tokens,
        "requests": len(llm.requests),
        "ratio": summary.prompt_tokens / max(1, own),
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", type=int, default=10)
    parser.add_argument("--delay", type=float, default=0.3, help="the fake's transcription time")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    timed = await latency(args.voices, args.delay)
    cost = await tokens()
    print(f"# bench/media.py — {platform.python_version()}, {args.voices} voice messages of 65 s")
    print(f"speech-to-text service time (the fake's delay): {args.delay * 1000:.0f} ms")
    print("| figure | median |")
    print("|---|---|")
    print(f"| voice → first status message | {timed['status']:.1f} ms |")
    print(f"| voice → summary | {timed['summary']:.1f} ms |")
    print(f"| bare transcription + completion (AsyncOpenAI, same fake) | {timed['bare']:.1f} ms |")
    print(
        f"| engine overhead | {timed['overhead']:.1f} ms "
        f"({timed['summary'] / timed['bare']:.2f}x the bare calls) |"
    )
    print()
    print(
        f"60-minute transcript: {cost['words']:.0f} words, {cost['transcript_tokens']:.0f} tokens"
    )
    print(
        f"summary input tokens: {cost['input_tokens']:.0f} in {cost['requests']:.0f} requests "
        f"= {cost['ratio']:.3f} per transcript token"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
