"""Webhook mode: `skim run` with WEBHOOK_URL serves updates the Bot API posts, secret checked."""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import httpx

from tests.conftest import run_cli
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import wait_summary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_url_without_secret_is_refused() -> None:
    code, _, err = await run_cli(
        "run", env={"TELEGRAM_BOT_TOKEN": "1:x", "WEBHOOK_URL": "https://bot.example/hook"}
    )
    assert code == 2
    assert "WEBHOOK_SECRET" in err
    assert len(err.strip().splitlines()) == 1


async def test_webhook_server_answers_a_link_and_refuses_forged_posts(
    bot_api: FakeBotAPI, web: FakeWeb, redis_url: str, redis_prefix: str
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram-hook"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "TELEGRAM"))},
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_URL": bot_api.url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": redis_prefix,
        "FETCH_ALLOW_PRIVATE_NETWORKS": "true",
        "WEBHOOK_URL": hook,
        "WEBHOOK_SECRET": "s3cret-token",
        "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        registered = await bot_api.wait_for("setWebhook", timeout=30)
        assert registered.params["url"] == hook
        assert registered.params["secret_token"] == "s3cret-token"
        async with httpx.AsyncClient() as client:
            forged = await client.post(hook, json={"update_id": 1, "message": {}})
        assert forged.status_code == 403
        bot_api.send_private_message(web.url("/story"))
        await wait_summary(bot_api, timeout=30)
    finally:
        process.terminate()
        _, err = await asyncio.wait_for(process.communicate(), 20)
    assert bot_api.token not in err.decode()
    assert not bot_api.calls_to("getUpdates")
