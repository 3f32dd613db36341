"""Skim's HTTP side: the webhook, `/healthz`, `/readyz` and `/metrics`, in one ASGI app.

python-telegram-bot's custom-webhook pattern: a Starlette app puts each update on
`application.update_queue`, or, with REDIS_URL, appends it to the Redis Stream of updates before
answering 200. Every check on a webhook request comes before its update is parsed
or queued: the secret (compared in constant time, else 403), the size (over 1 MB, 413), the
content type (not JSON, 415), the JSON itself (400).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.metrics import Metrics

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
AUTH_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # Telegram sends the webhook secret here
READY_TIMEOUT = 3.0

Check = Callable[[], Awaitable[bool]]
Accept = Callable[[dict[str, Any]], Awaitable[bool]]
"""Takes a checked webhook body: True once the update is safely received (queued in this
process, or appended to the Redis Stream), False when it could not be kept; raises
`NotAnUpdate` when the library cannot read it."""


class NotAnUpdate(ValueError):
    """A JSON body that python-telegram-bot cannot read as an update."""


class Readiness:
    """What `/readyz` asks: named checks (Redis, the Bot API) and whether start-up is done."""

    def __init__(self, checks: dict[str, Check]) -> None:
        self.checks = checks
        self.started = False

    async def failed(self) -> list[str]:
        """The names of the checks that fail now (each within READY_TIMEOUT)."""
        names = list(self.checks)
        results = await asyncio.gather(
            *(_within(self.checks[name]()) for name in names), return_exceptions=True
        )
        failed = [name for name, ok in zip(names, results, strict=True) if ok is not True]
        return failed if self.started else ["starting", *failed]


async def _within(check: Awaitable[bool]) -> bool:
    return await asyncio.wait_for(check, READY_TIMEOUT)


def build_web_app(
    metrics: Metrics,
    readiness: Readiness,
    *,
    webhook: tuple[str, str, Accept] | None = None,
) -> Starlette:
    """The ASGI app; `webhook` is (path, secret, what takes each checked update)."""

    async def healthz(_: Request) -> Response:
        # Answered by the event loop itself: if this runs, the loop answers.
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        failed = await readiness.failed()
        if failed:
            return JSONResponse({"ready": False, "failed": failed}, status_code=503)
        return JSONResponse({"ready": True})

    async def metrics_page(_: Request) -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]
    if webhook is not None:
        path, secret, accept = webhook
        routes.append(Route(path, _webhook_endpoint(secret, accept), methods=["POST"]))
    return Starlette(routes=routes)


def _webhook_endpoint(secret: str, accept: Accept) -> Callable[[Request], Awaitable[Response]]:
    expected = secret.encode()
    forged = _ForgedRequests()

    async def endpoint(request: Request) -> Response:
        given = request.headers.get(AUTH_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            forged.note()
            return Response(status_code=403)
        try:
            async with asyncio.timeout(BODY_SECONDS):
                body = await _body_within(request, MAX_BODY)
        except TimeoutError:
            log.info("a webhook request's body did not arrive within %.0f s", BODY_SECONDS)
            return Response(status_code=408)
        if body is None:
            return Response(status_code=413)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            return Response(status_code=415)
        try:
            data = json.loads(body)
        except ValueError:
            return Response(status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return Response(status_code=400)
        try:
            received = await accept(data)
        except NotAnUpdate:
            log.warning("refused a webhook body that is not a Telegram update")
            return Response(status_code=400)
        # 503 when the update could not be kept: Telegram sends it again later.
        return Response(status_code=200 if received else 503)

    return endpoint


# Telegram sends an update's body at once: a client that stalls mid-body held the request (and
# a SIGTERM's stop) open for ever.
BODY_SECONDS = 10.0
# Requests without the right secret: a WARNING for the first, then one a minute at most (anyone
# who finds the hook's URL could fill the log).
FORGED_WARNING_SECONDS = 60.0


class _ForgedRequests:
    """Counts refused requests between WARNING lines."""

    def __init__(self) -> None:
        self._warned = -FORGED_WARNING_SECONDS
        self._since = 0

    def note(self) -> None:
        now = time.monotonic()
        if now - self._warned < FORGED_WARNING_SECONDS:
            self._since += 1
            return
        more = f" (and {self._since} more since the last warning)" if self._since else ""
        log.warning("refused a webhook request without the right secret%s", more)
        self._warned, self._since = now, 0


async def _body_within(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is over `limit` bytes (declared or actually sent)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)
