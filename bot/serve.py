"""Running the bot until a signal: polling or the webhook, the HTTP endpoints, a graceful stop.

Polling: python-telegram-bot's updater fetches updates; `/healthz`, `/readyz` and `/metrics` are
served on `METRICS_LISTEN` when it is set. Webhook: one Starlette app on `WEBHOOK_LISTEN` serves
the webhook and the same endpoints. SIGTERM or SIGINT stops taking updates and lets the work in
flight finish for up to `SHUTDOWN_GRACE` seconds; a second signal exits at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import math
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from redis.exceptions import RedisError
from telegram import Update
from telegram.error import BadRequest, TelegramError

from bot.app import AnyApplication, build_application
from bot.config import Settings, masked
from bot.deps import Deps, build_deps
from bot.errors import ConfigError
from bot.i18n import t
from bot.intake import ALLOWED_UPDATES, POLL_TIMEOUT, Poller
from bot.stream import UpdateStream, open_stream
from bot.warmup import warm_up
from bot.web import Accept, NotAnUpdate, Readiness, build_web_app
from bot.worker import Worker

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside our loop: the signals are ours, not the server's."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def run(settings: Settings, role: str = "all") -> None:
    """Serve until SIGTERM or SIGINT; exceptions from start-up (a bad token) propagate."""
    asyncio.run(serve(settings, role=role))


async def serve(settings: Settings, deps: Deps | None = None, *, role: str = "all") -> None:
    """Run one process of the bot until the first SIGTERM or SIGINT."""
    service = Service(settings, deps, role=role)
    stop = _stop_on_signals()
    try:
        await service.start()
        await stop.wait()
        log.info("stopping: no new updates; finishing the work in flight")
    finally:
        await service.stop()


class Service:
    """One process of the bot: `all` receives and processes updates, `intake` only receives
    them into the Redis Stream, `worker` only processes what is in it.

    Without REDIS_URL (`all` only) updates go from the poller or the webhook straight to the
    handlers in this process, as python-telegram-bot does it. `skim run` runs one until a
    signal; the tests run one for a block.
    """

    def __init__(
        self,
        settings: Settings,
        deps: Deps | None = None,
        *,
        role: str = "all",
        poll_timeout: int = POLL_TIMEOUT,
        warm: bool = True,
    ) -> None:
        if role != "all" and settings.redis_url is None:
            raise ConfigError(f"--role {role} needs REDIS_URL")
        self.settings = settings
        self.deps = deps or build_deps(settings)
        self.role = role
        self._poll_timeout = poll_timeout
        self._warm = warm
        self._durable = settings.redis_url is not None
        self._receives = role in ("all", "intake")
        self._processes = role in ("all", "worker")
        self._webhook = bool(settings.webhook_url) and self._receives
        self.app = build_application(
            settings, self.deps, updater=not self._webhook and not self._durable
        )
        self.readiness = Readiness({"telegram": lambda: _bot_answers(self.app)})
        if self._durable:
            self.readiness.checks["redis"] = self.deps.store.ping
        self._stream: UpdateStream | None = None
        self._poller: _Running | None = None
        self._worker: _Running | None = None
        self._server: tuple[_EmbeddedServer, asyncio.Task[None]] | None = None
        self._initialized = False

    async def start(self) -> None:
        """Start taking updates; exceptions from start-up (a bad token) propagate."""
        app, deps = self.app, self.deps
        if self._warm and self._processes:  # an intake reads no page and asks no model
            await warm_up(deps)
        await app.initialize()
        self._initialized = True
        if self._durable:
            self._stream = open_stream(self.settings, app.bot.id)
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        stream = self._stream
        if stream is not None and self._processes:
            self._worker = _start_worker(self.settings, app, stream, deps)
        if stream is not None and self._receives and not self._webhook:
            fallback = _to_queue(app) if self._processes else None
            poller = Poller(
                app.bot, stream, deps.metrics, timeout=self._poll_timeout, fallback=fallback
            )
            self._poller = _Running(poller)
        self._server = await _start_http(
            self.settings,
            app,
            deps,
            self.readiness,
            webhook=self._webhook,
            stream=stream,
            role=self.role,
            poll_timeout=self._poll_timeout,
        )
        self.readiness.started = True
        # The stream's key names the prefix and the bot: an intake and its workers must agree.
        where = f"Redis Stream {self._stream.key}" if self._stream is not None else "in process"
        if not self._receives:
            taking = "updates from the stream"
        elif self._webhook:
            taking = f"updates by webhook at {masked(self.settings.webhook_url or '')}"
        else:
            taking = "updates by polling"
        log.info("serving as %s (%s), %s", self.role, where, taking)

    async def stop(self) -> None:
        """Stop taking updates, finish the work in flight within SHUTDOWN_GRACE, close all."""
        app = self.app
        if not self._initialized:
            return
        try:
            self.readiness.started = False
            if self._poller is not None:
                try:
                    await self._poller.stop()
                except Exception:  # a bug of ours must not keep the process from stopping
                    log.exception("the poller failed")
            if app.running:
                await _stop(
                    app,
                    self._server,
                    self.settings.shutdown_grace,
                    self.deps,
                    self._worker,
                    webhook=self._webhook,
                )
        finally:
            await app.shutdown()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
            if self._stream is not None:
                await self._stream.aclose()


# Seconds a poller or worker gets to end its loop once told to stop (a long poll or a blocking
# read is cancelled at once, so this is only ever reached by a bug).
STOP_PATIENCE = 10.0


class _Running:
    """A poller or worker running as a task until stopped."""

    def __init__(self, part: Poller | Worker) -> None:
        self.part = part
        self.task = asyncio.create_task(part.run())

    async def stop(self, patience: float = STOP_PATIENCE) -> None:
        """Ask the part to stop; one that has not within `patience` seconds is cancelled, with
        a log line saying where it was waiting (a stop must never hang the process)."""
        self.part.stop()
        done, _ = await asyncio.wait({self.task}, timeout=patience)
        if done:
            self.task.result()
            return
        log.warning(
            "the %s did not stop within %g s; cancelling it. It was waiting at: %s",
            type(self.part).__name__.lower(),
            patience,
            awaiting(self.task),
        )
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def awaiting(task: asyncio.Task[None]) -> str:
    """The chain of awaits a task is suspended in, innermost last (for a log line)."""
    steps: list[str] = []
    current: object = task.get_coro()
    while current is not None and len(steps) < 40:
        frame = getattr(current, "cr_frame", None) or getattr(current, "gi_frame", None)
        if frame is None:
            steps.append(repr(current)[:200])
            break
        steps.append(f"{frame.f_code.co_name} ({frame.f_code.co_filename}:{frame.f_lineno})")
        current = getattr(current, "cr_await", None) or getattr(current, "gi_yieldfrom", None)
    return " -> ".join(steps)


def _start_worker(
    settings: Settings, app: AnyApplication, stream: UpdateStream, deps: Deps
) -> _Running:
    async def process(data: dict[str, Any]) -> None:
        update = Update.de_json(data, app.bot)
        if update is not None:
            await app.process_update(update)

    return _Running(
        Worker(stream, process, claim_idle=settings.stream_claim_idle, metrics=deps.metrics)
    )


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
    stream: UpdateStream | None,
    role: str,
    poll_timeout: int = POLL_TIMEOUT,
) -> tuple[_EmbeddedServer, asyncio.Task[None]] | None:
    """Start taking updates, and the HTTP server when there is one to run."""
    if not webhook:
        if app.updater is not None:
            await app.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, timeout=poll_timeout, poll_interval=0.0
            )
        if not settings.metrics_listen:
            return None
        host, port = settings.metrics_host_port
        listen = _listening_socket(host, port, "METRICS_LISTEN")
        asgi = build_web_app(deps.metrics, readiness)
    else:
        assert settings.webhook_url is not None
        assert settings.webhook_secret is not None
        host, port = settings.webhook_host_port
        if settings.metrics_listen and settings.metrics_host_port != (host, port):
            log.warning(
                "METRICS_LISTEN is not used in webhook mode: /healthz, /readyz and /metrics are "
                "served with the webhook on WEBHOOK_LISTEN (%s:%s)",
                host,
                port,
            )
        listen = _listening_socket(host, port, "WEBHOOK_LISTEN")
        path = urlsplit(settings.webhook_url).path or "/"
        secret = settings.webhook_secret.get_secret_value()

        accept = _acceptor(app, stream, deps, alone=role == "all")
        asgi = build_web_app(deps.metrics, readiness, webhook=(path, secret, accept))
    server = _EmbeddedServer(
        # log_config=None: uvicorn's lines go through our handlers (JSON, secrets scrubbed).
        uvicorn.Config(
            asgi,
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            log_config=None,
            # A client that holds a request open does not hold the stop past the grace.
            timeout_graceful_shutdown=max(1, math.ceil(settings.shutdown_grace)),
        )
    )
    task = asyncio.create_task(server.serve(sockets=[listen]))
    for _ in range(500):  # up to 5 s to bind
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if task.done():
        task.result()  # the port is taken, or the like: fail loudly at start-up
    if webhook:
        assert settings.webhook_url is not None
        assert settings.webhook_secret is not None
        try:
            await app.bot.set_webhook(
                settings.webhook_url,
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
            )
        except BadRequest as error:  # a NetworkError to the library, but no network fault
            server.should_exit = True
            await task
            raise ConfigError(f"Telegram refused WEBHOOK_URL: {error.message}") from None
    return server, task


def _listening_socket(host: str, port: int, setting: str) -> socket.socket:
    """The server's socket, bound here: a port that is taken or a host that is not this
    machine's is one line naming the setting, not uvicorn's exit from inside a task."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listen = socket.socket(family, kind, proto)
    except OSError as error:
        raise ConfigError(f"cannot listen on {host}:{port} ({setting}): {_reason(error)}") from None
    try:
        listen.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listen.bind(address)
    except OSError as error:
        listen.close()
        raise ConfigError(f"cannot listen on {host}:{port} ({setting}): {_reason(error)}") from None
    return listen


def _reason(error: OSError) -> str:
    return (error.strerror or str(error)).lower()


def _to_queue(app: AnyApplication) -> Callable[[Sequence[Update]], Awaitable[None]]:
    async def put(updates: Sequence[Update]) -> None:
        for update in updates:
            await app.update_queue.put(update)

    return put


def _acceptor(
    app: AnyApplication, stream: UpdateStream | None, deps: Deps, *, alone: bool
) -> Accept:
    """What the webhook does with a checked update: the stream, or this process's queue."""

    def parse(data: dict[str, Any]) -> Update:
        try:
            update = Update.de_json(data, app.bot)
        except Exception as error:  # the library could not read it: not an update
            raise NotAnUpdate(str(error)) from None
        if update is None:
            raise NotAnUpdate("empty")
        return update

    async def to_queue(data: dict[str, Any]) -> bool:
        await app.update_queue.put(parse(data))
        return True

    async def to_stream(data: dict[str, Any]) -> bool:
        assert stream is not None
        update = parse(data)
        try:
            await stream.append([data])
        except (RedisError, OSError) as error:
            log.warning("could not append a webhook update to Redis: %s", type(error).__name__)
            deps.metrics.intake_failures.inc()
            if not alone:
                return False
            await app.update_queue.put(update)  # this process works too: handle it here
        else:
            deps.metrics.intake_appended.inc()
        return True

    return to_queue if stream is None else to_stream


# Seconds the last words to abandoned requests may take, so a dead Bot API can't hold the stop.
LAST_WORDS_SECONDS = 5.0


async def _say_abandoned(app: AnyApplication, deps: Deps) -> None:
    """Without a stream nothing will redo the requests the grace cut off (Telegram was told
    their updates arrived): their status messages say to send again, not "Summarizing…"
    forever."""

    async def tell() -> None:
        for status in await deps.pipeline.own_statuses():
            text = html.escape(t("abandoned_at_stop", status.language), quote=False)
            try:
                await app.bot.edit_message_text(text, status.chat_id, status.message_id)
            except TelegramError as error:
                log.info("could not finish an abandoned status message: %s", error)
            await deps.pipeline.untrack_status(status.chat_id, status.message_id)

    try:
        await asyncio.wait_for(tell(), LAST_WORDS_SECONDS)
    except (TimeoutError, RedisError, OSError) as error:
        log.warning("could not tell every abandoned request: %s", type(error).__name__)


async def _stop(
    app: AnyApplication,
    server: tuple[_EmbeddedServer, asyncio.Task[None]] | None,
    grace: float,
    deps: Deps,
    worker: _Running | None = None,
    *,
    webhook: bool = False,
) -> None:
    """Stop taking updates, let the handlers finish within `grace` seconds, then stop serving.

    Polling stops fetching and keeps `/healthz` up meanwhile; a webhook stops its server first,
    since that is where updates come in.
    """
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    elif server is not None and webhook:
        await _stop_http(server)
        server = None
    running = deps.pipeline.in_flight
    left = 0
    machinery = grace
    if worker is not None:
        # Entries not finished within the grace stay in the stream, marked for other workers.
        await worker.stop()
        assert isinstance(worker.part, Worker)
        started = time.monotonic()
        _, left = await worker.part.drain(grace)
        # What is left: work the handlers handed to `application.create_task` (a paste being
        # joined, an inline job), which python-telegram-bot's stop waits for, within the grace.
        machinery = max(1.0, grace - (time.monotonic() - started))
    try:
        await asyncio.wait_for(app.stop(), machinery)
    except TimeoutError:
        left = max(left, deps.pipeline.in_flight)
        if worker is None:
            await _say_abandoned(app, deps)
    if left:
        log.warning(
            "stopped; requests in flight: %d finished, %d abandoned after %gs%s",
            max(0, running - left),
            left,
            grace,
            " (their updates stay in the stream for other workers)" if worker else "",
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
