"""Running the bot until a signal: polling or the webhook, the HTTP endpoints, a graceful stop.

Polling: python-telegram-bot's updater fetches updates; `/healthz`, `/readyz` and `/metrics` are
served on `METRICS_LISTEN` when it is set. Webhook: one Starlette app on `WEBHOOK_LISTEN` serves
the webhook and the same endpoints. SIGTERM or SIGINT stops taking updates and lets the work in
flight finish for up to `SHUTDOWN_GRACE` seconds; a second signal exits at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from telegram import Update

from bot.app import AnyApplication, build_application
from bot.config import Settings
from bot.deps import Deps, build_deps
from bot.warmup import warm_up
from bot.web import Readiness, build_web_app

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside our loop: the signals are ours, not the server's."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def run(settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT; exceptions from start-up (a bad token) propagate."""
    asyncio.run(serve(settings))


async def serve(settings: Settings, deps: Deps | None = None) -> None:
    shared = deps or build_deps(settings)
    webhook = bool(settings.webhook_url)
    app = build_application(settings, shared, updater=not webhook)
    readiness = Readiness({"telegram": lambda: _bot_answers(app)})
    if settings.redis_url:
        readiness.checks["redis"] = shared.store.ping
    stop = _stop_on_signals()
    await warm_up(shared)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        server = await _start_http(settings, app, shared, readiness, webhook=webhook)
        readiness.started = True
        await stop.wait()
        log.info("stopping: no new updates; finishing the work in flight")
        readiness.started = False
        await _stop(app, server, settings.shutdown_grace, shared)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


async def _bot_answers(app: AnyApplication) -> bool:
    await app.bot.get_me()
    return True


def _stop_on_signals() -> asyncio.Event:
    """An event set by the first SIGTERM or SIGINT; the second one ends the process at once."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            log.warning("second signal: exiting now, abandoning the work in flight")
            os._exit(1)
        stop.set()

    for number in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(number, on_signal)
    return stop


async def _start_http(
    settings: Settings,
    app: AnyApplication,
    deps: Deps,
    readiness: Readiness,
    *,
    webhook: bool,
) -> tuple[_EmbeddedServer, asyncio.Task[None]] | None:
    """Start taking updates, and the HTTP server when there is one to run."""
    if not webhook:
        assert app.updater is not None
        await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        if not settings.metrics_listen:
            return None
        host, port = settings.metrics_host_port
        asgi = build_web_app(deps.metrics, readiness)
    else:
        assert settings.webhook_url is not None
        assert settings.webhook_secret is not None
        host, port = settings.webhook_host_port
        path = urlsplit(settings.webhook_url).path or "/"
        secret = settings.webhook_secret.get_secret_value()

        def parse(data: dict[str, Any]) -> Update:
            update = Update.de_json(data, app.bot)
            assert update is not None
            return update

        asgi = build_web_app(
            deps.metrics, readiness, webhook=(path, secret, parse, app.update_queue)
        )
    server = _EmbeddedServer(
        uvicorn.Config(asgi, host=host, port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # up to 5 s to bind
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if task.done():
        task.result()  # the port is taken, or the like: fail loudly at start-up
    if webhook:
        assert settings.webhook_url is not None
        assert settings.webhook_secret is not None
        await app.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
    return server, task


async def _stop(
    app: AnyApplication,
    server: tuple[_EmbeddedServer, asyncio.Task[None]] | None,
    grace: float,
    deps: Deps,
) -> None:
    """Stop taking updates, let the handlers finish within `grace` seconds, then stop serving.

    Polling stops fetching and keeps `/healthz` up meanwhile; a webhook stops its server first,
    since that is where updates come in.
    """
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    elif server is not None:
        await _stop_http(server)
        server = None
    running = deps.pipeline.in_flight
    try:
        await asyncio.wait_for(app.stop(), grace)
    except TimeoutError:
        left = deps.pipeline.in_flight
        log.warning(
            "stopped; requests in flight: %d finished, %d abandoned after %gs",
            max(0, running - left),
            left,
            grace,
        )
    else:
        log.info("stopped; requests in flight: %d finished, 0 abandoned", running)
    if server is not None:
        await _stop_http(server)


async def _stop_http(server: tuple[_EmbeddedServer, asyncio.Task[None]]) -> None:
    http, task = server
    http.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await task
