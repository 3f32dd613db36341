"""`/healthz`, `/readyz` and `/metrics` of a polling `skim run` (METRICS_LISTEN), from outside."""

from __future__ import annotations

import asyncio
import json
import re

import httpx

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.helpers.processes import skim_run, skim_run_env
from tests.helpers.redis_server import PrivateRedis, free_port
from tests.tg import send_for_summary


def _sample(metrics: str, name: str, **labels: str) -> float:
    """One sample's value from the text format (0 when it is not there yet)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in metrics.splitlines():
        match = re.fullmatch(rf"{name}(?:{{(.*)}})? (\S+)", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))) == wanted:
            return float(match.group(2))
    return 0.0


async def _until(client: httpx.AsyncClient, url: str, status: int, timeout: float = 15) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (await client.get(url)).status_code != status:
        assert loop.time() < deadline, f"{url} never answered {status}"
        await asyncio.sleep(0.2)


async def test_readiness_follows_redis_and_metrics_move_on_a_cache_hit(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    private_redis: PrivateRedis,
    redis_prefix: str,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = skim_run_env(
        bot_api,
        private_redis.url,
        redis_prefix,
        OPENAI_API_KEY=llm_api.api_key,
        OPENAI_BASE_URL=llm_api.url,
        METRICS_LISTEN=f"127.0.0.1:{port}",
    )
    async with skim_run(env) as run, httpx.AsyncClient(timeout=10) as client:
        await bot_api.wait_for("getUpdates", timeout=30)
        await _until(client, f"{base}/readyz", 200)
        assert (await client.get(f"{base}/healthz")).status_code == 200

        await send_for_summary(bot_api, web.url("/story"), timeout=30)
        before = (await client.get(f"{base}/metrics")).text
        await send_for_summary(bot_api, web.url("/story"), count=2, timeout=30)
        after = (await client.get(f"{base}/metrics")).text
        cached = _sample(after, "skim_summaries_total", outcome="cached", reason="")
        assert cached == _sample(before, "skim_summaries_total", outcome="cached", reason="") + 1
        assert _sample(after, "skim_summaries_total", outcome="llm", reason="") == 1
        assert _sample(after, "skim_updates_total", kind="message") >= 2
        assert _sample(after, "skim_llm_requests_total", result="ok") == 1
        assert _sample(after, "skim_llm_tokens_total", direction="out") > 0
        assert _sample(after, "skim_fetches_total", result="ok") == 1
        assert _sample(after, "skim_llm_first_token_seconds_count") == 1

        await private_redis.stop()
        await _until(client, f"{base}/readyz", 503)
        failed = (await client.get(f"{base}/readyz")).json()
        assert failed == {"ready": False, "failed": ["redis"]}
        assert (await client.get(f"{base}/healthz")).status_code == 200, "alive all along"
        await private_redis.start()
        await _until(client, f"{base}/readyz", 200)
    assert bot_api.token not in run.stderr


async def test_json_logs_stay_json_when_the_port_gets_garbage(
    bot_api: FakeBotAPI, redis_url: str, redis_prefix: str
) -> None:
    """The web server's own complaints ("Invalid HTTP request received") go through Skim's log
    handler: one JSON object a line, secrets scrubbed, like every other line."""
    port = free_port()
    env = skim_run_env(
        bot_api, redis_url, redis_prefix, METRICS_LISTEN=f"127.0.0.1:{port}", LOG_FORMAT="json"
    )
    async with skim_run(env) as run:
        await bot_api.wait_for("getUpdates", timeout=30)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GARBAGE / HTTP/1.1\r\n\r\n")
        await writer.drain()
        await asyncio.wait_for(reader.read(), 5)  # answered 400 and closed
        writer.close()
        await asyncio.sleep(0.3)
    lines = run.stderr.strip().splitlines()
    assert any("Invalid HTTP request" in line for line in lines)
    for line in lines:
        assert isinstance(json.loads(line), dict), line
