"""Webhook mode: `skim run` with WEBHOOK_URL serves updates the Bot API posts, secret checked."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import run_cli
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.web import FakeWeb, read_fixture
from tests.helpers.processes import skim_run, skim_run_env
from tests.helpers.redis_server import free_port
from tests.tg import USER_ID, send_for_summary


async def test_webhook_url_without_secret_is_refused() -> None:
    code, _, err = await run_cli(
        "run", env={"TELEGRAM_BOT_TOKEN": "1:x", "WEBHOOK_URL": "https://bot.example/hook"}
    )
    assert code == 2
    assert "WEBHOOK_SECRET" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("setting", ["WEBHOOK_LISTEN", "METRICS_LISTEN"])
async def test_a_port_that_is_taken_is_one_line_naming_the_setting(
    bot_api: FakeBotAPI, setting: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        listen = f"127.0.0.1:{taken.getsockname()[1]}"
        env = {"TELEGRAM_BOT_TOKEN": bot_api.token, "TELEGRAM_API_URL": bot_api.url}
        env[setting] = listen
        if setting == "WEBHOOK_LISTEN":
            env |= {"WEBHOOK_URL": "https://bot.example/hook", "WEBHOOK_SECRET": "s3cret"}
        code, _, err = await run_cli("run", env=env)
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        f"skim: cannot listen on {listen} ({setting}): address already in use"
    )
    assert "Traceback" not in err


async def test_a_webhook_url_telegram_refuses_is_one_line_naming_it(bot_api: FakeBotAPI) -> None:
    """Telegram wants HTTPS: its refusal is about the setting, not the network."""
    env = {
        "TELEGRAM_BOT_TOKEN": bot_api.token,
        "TELEGRAM_API_URL": bot_api.url,
        "WEBHOOK_URL": "http://bot.example/hook",
        "WEBHOOK_SECRET": "s3cret",
        "WEBHOOK_LISTEN": f"127.0.0.1:{free_port()}",
    }
    code, _, err = await run_cli("run", env=env)
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("skim: Telegram refused WEBHOOK_URL: ")
    assert "Traceback" not in err


async def test_webhook_server_answers_a_link_and_refuses_forged_posts(
    bot_api: FakeBotAPI, web: FakeWeb, redis_url: str, redis_prefix: str
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    # At DEBUG the library would log setWebhook's parameters and every update.
    hook, _, env = webhook_env(bot_api, redis_url, redis_prefix, LOG_LEVEL="DEBUG")
    async with skim_run(env) as run:
        registered = await bot_api.wait_for("setWebhook", timeout=30)
        assert registered.params["url"] == hook
        assert registered.params["secret_token"] == "s3cret-token"
        async with httpx.AsyncClient() as client:
            forged = await client.post(hook, json={"update_id": 1, "message": {}})
        assert forged.status_code == 403
        await send_for_summary(bot_api, web.url("/story"), timeout=30)
    assert bot_api.token not in run.stderr
    assert "s3cret-token" not in run.stderr
    assert "Brackwater" not in run.stderr, "no message or summary text, even at DEBUG"
    assert "DEBUG" in run.stderr, "Skim's own debugging was on"
    assert not bot_api.calls_to("getUpdates")


async def test_refused_token_is_one_line_without_the_token(bot_api: FakeBotAPI) -> None:
    wrong = "999999:wrong-token-for-this-test"
    code, _, err = await run_cli(
        "run", env={"TELEGRAM_BOT_TOKEN": wrong, "TELEGRAM_API_URL": bot_api.url}
    )
    assert code == 2
    assert "Telegram refused TELEGRAM_BOT_TOKEN" in err
    assert "Traceback" not in err
    assert "wrong-token-for-this-test" not in err


async def test_unreachable_bot_api_is_one_line_without_a_traceback() -> None:
    api = f"http://127.0.0.1:{free_port()}"
    code, _, err = await run_cli(
        "run", env={"TELEGRAM_BOT_TOKEN": "123456:SECRETabc", "TELEGRAM_API_URL": api}
    )
    assert code == 1
    assert f"cannot reach the Telegram Bot API at {api}" in err
    assert "Traceback" not in err
    assert "SECRETabc" not in err


@pytest.mark.parametrize("status", [200, 501])
async def test_a_bot_api_url_that_answers_a_web_page_is_one_line(status: int, web: FakeWeb) -> None:
    """A proxy's or login page's HTML: with 200 a 75-line traceback (Invalid server response),
    with 501 the whole page in an ERROR line."""
    page = "<html><body>" + "<p>Please sign in to the corporate proxy.</p>" * 40 + "</body></html>"
    web.route("/bot123456:SECRETabc/getMe", page, status=status)
    code, _, err = await run_cli(
        "run",
        env={"TELEGRAM_BOT_TOKEN": "123456:SECRETabc", "TELEGRAM_API_URL": web.url("")},
    )
    assert code == 1
    assert "Traceback" not in err
    assert "TELEGRAM_API_URL" in err
    assert err.count("corporate proxy") < 10, "the page is not copied into the log"
    assert len(err.splitlines()) <= 3
    assert all(len(line) < 450 for line in err.splitlines())
    assert "SECRETabc" not in err


SECRET = "s3cret-token"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


def webhook_env(
    bot_api: FakeBotAPI, redis_url: str, redis_prefix: str, **extra: str
) -> tuple[str, int, dict[str, str]]:
    """The hook's URL, its port and `skim run`'s environment for webhook mode on loopback."""
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram-hook"
    env = skim_run_env(
        bot_api,
        redis_url,
        redis_prefix,
        WEBHOOK_URL=hook,
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN=f"127.0.0.1:{port}",
        **extra,
    )
    return hook, port, env


@pytest.fixture
async def webhook_bot(
    bot_api: FakeBotAPI, web: FakeWeb, redis_url: str, redis_prefix: str
) -> AsyncIterator[str]:
    """`skim run` in webhook mode on a loopback port; yields the hook's URL."""
    hook, _, env = webhook_env(bot_api, redis_url, redis_prefix)
    async with skim_run(env):
        await bot_api.wait_for("setWebhook", timeout=30)
        yield hook


def _update(text: str) -> dict[str, Any]:
    return {
        "update_id": 424242,
        "message": {
            "message_id": 7,
            "date": 1_700_000_000,
            "chat": {"id": USER_ID, "type": "private", "first_name": "Ada"},
            "from": {"id": USER_ID, "is_bot": False, "first_name": "Ada"},
            "text": text,
        },
    }


BAD_POSTS = [
    ("no secret", {}, json.dumps(_update("/help")), 403),
    (
        "wrong secret",
        {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
        json.dumps(_update("/help")),
        403,
    ),
    ("too big", {**HEADERS, "Content-Type": "application/json"}, "x" * (1024 * 1024 + 1), 413),
    ("not JSON", {**HEADERS, "Content-Type": "text/plain"}, json.dumps(_update("/help")), 415),
    ("bad JSON", {**HEADERS, "Content-Type": "application/json"}, "{not json", 400),
    ("not an update", {**HEADERS, "Content-Type": "application/json"}, '["a list"]', 400),
]


async def test_webhook_refuses_bad_posts_before_parsing_them(
    webhook_bot: str, bot_api: FakeBotAPI
) -> None:
    """Each bad post is refused with its status, and none of them is processed."""
    async with httpx.AsyncClient() as client:
        for case, headers, content, status in BAD_POSTS:
            answer = await client.post(webhook_bot, content=content, headers=headers)
            assert answer.status_code == status, case
        good = await client.post(
            webhook_bot,
            content=json.dumps(_update("/help")),
            headers={**HEADERS, "Content-Type": "application/json"},
        )
    assert good.status_code == 200
    await bot_api.wait_for("sendMessage", timeout=15)
    assert len(bot_api.calls_to("sendMessage")) == 1, "only the good post was processed"


async def test_health_readiness_and_metrics_are_served_with_the_webhook(
    webhook_bot: str, bot_api: FakeBotAPI
) -> None:
    base = webhook_bot.rsplit("/", 1)[0]
    async with httpx.AsyncClient() as client:
        health = await client.get(f"{base}/healthz")
        ready = await client.get(f"{base}/readyz")
        metrics = await client.get(f"{base}/metrics")
    assert health.status_code == 200
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"ready": True}
    assert metrics.status_code == 200
    assert "skim_updates_total" in metrics.text
    assert bot_api.token not in metrics.text


async def test_a_telegram_api_url_that_is_no_bot_api_is_named(web: FakeWeb) -> None:
    """Any web server answers 404 for a path it does not know, as the Bot API does for a
    token it does not know: both are named, without the library's traceback."""
    env = {"TELEGRAM_BOT_TOKEN": "123456:abc", "TELEGRAM_API_URL": web.url("/api")}
    code, _, err = await run_cli("run", env=env)
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        "skim: Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather, "
        f"and that TELEGRAM_API_URL ({web.url('/api')}) is a Bot API"
    )
    assert "Traceback" not in err


async def test_a_client_that_stalls_mid_body_holds_neither_the_request_nor_the_stop(
    bot_api: FakeBotAPI, redis_url: str, redis_prefix: str
) -> None:
    """A POST that sent 1 byte of its 1,000 kept SIGTERM's stop waiting for ever (until a
    second signal); forged posts each wrote a WARNING (500 posts, 500 lines)."""
    hook, port, env = webhook_env(bot_api, redis_url, redis_prefix, SHUTDOWN_GRACE="3")
    async with skim_run(env) as run:
        await bot_api.wait_for("setWebhook", timeout=30)
        async with httpx.AsyncClient() as client:
            for _ in range(20):
                assert (await client.post(hook, json=_update("/help"))).status_code == 403
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            (
                f"POST /telegram-hook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
                "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
            ).encode()
        )
        await writer.drain()
        await asyncio.sleep(0.5)
        started = time.monotonic()
        run.process.terminate()
        await asyncio.wait_for(run.process.wait(), 15)
        stopped_in = time.monotonic() - started
        writer.close()
    assert stopped_in < 3 + 5, f"stopped in {stopped_in:.1f} s"
    assert run.process.returncode == 0
    assert run.stderr.count("refused a webhook request without the right secret") == 1
