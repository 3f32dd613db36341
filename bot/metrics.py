"""What an operator watches, in Prometheus's terms (prometheus-client).

One `Metrics` is built at start-up with its own registry and passed to whatever records. Label
values are bounded sets (update kinds, outcomes, error classes, cache layers), never user ids,
chat ids or URLs.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80)


class Metrics:
    """Every counter, gauge and histogram Skim exports."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter(
            "skim_updates", "Telegram updates received, by kind", ["kind"], registry=r
        )
        self.summaries = Counter(
            "skim_summaries",
            "Requests finished, by outcome (llm, extractive, cached, refused, cancelled, "
            "failed) and, for failures and refusals, the reason",
            ["outcome", "reason"],
            registry=r,
        )
        self.cache = Counter(
            "skim_cache", "Cache lookups by layer and result", ["layer", "result"], registry=r
        )
        self.single_flight_waits = Counter(
            "skim_single_flight_waits",
            "Requests that waited for identical work another request was doing",
            registry=r,
        )
        self.refusals = Counter(
            "skim_refusals",
            "Requests refused by a limit (rate, busy, quota)",
            ["reason"],
            registry=r,
        )
        self.in_flight = Gauge("skim_requests_in_flight", "Requests being worked on", registry=r)
        self.request_seconds = Histogram(
            "skim_request_seconds",
            "Time from admission to the result of requests that did work",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.transcriptions = Counter(
            "skim_transcriptions",
            "Recordings sent to the transcription endpoint, by result (ok, or the error class)",
            ["result"],
            registry=r,
        )
        self.transcribed_seconds = Counter(
            "skim_transcribed_seconds", "Seconds of audio transcribed", registry=r
        )
        self.pictures = Counter(
            "skim_pictures", "Pictures read by the vision model, by result", ["result"], registry=r
        )
        self.videos = Counter(
            "skim_youtube",
            "YouTube videos read, by path (captions, audio) or failure (the error key)",
            ["result"],
            registry=r,
        )
        self.bot_api_calls = Counter(
            "skim_bot_api_calls",
            "Bot API calls, by result (ok, flood, error)",
            ["result"],
            registry=r,
        )
        self.bot_api_retries = Counter(
            "skim_bot_api_retries", "Bot API calls retried after a flood wait", registry=r
        )
        self.llm_requests = Counter(
            "skim_llm_requests",
            "LLM HTTP requests, by result (ok, or the error class)",
            ["result"],
            registry=r,
        )
        self.llm_tokens = Counter(
            "skim_llm_tokens", "LLM tokens, by direction (in, out)", ["direction"], registry=r
        )
        self.llm_first_token_seconds = Histogram(
            "skim_llm_first_token_seconds",
            "Time from an LLM request to its first streamed text",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.llm_seconds = Histogram(
            "skim_llm_seconds",
            "Time of a successful LLM request, to its last token",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.fetches = Counter(
            "skim_fetches",
            "Page fetches, by result (ok, or the failure's key)",
            ["result"],
            registry=r,
        )
        self.fetch_seconds = Histogram(
            "skim_fetch_seconds", "Time to fetch a page", buckets=LATENCY_BUCKETS, registry=r
        )
        self.redis_outages = Counter(
            "skim_redis_outages", "Times Redis stopped answering (each outage once)", registry=r
        )
        self.redis_timeouts = Counter(
            "skim_redis_circuit_opened", "Times the Redis circuit breaker opened", registry=r
        )
        self.intake_appended = Counter(
            "skim_intake_appended",
            "Updates appended to the Redis Stream by the intake (repeats included)",
            registry=r,
        )
        self.intake_failures = Counter(
            "skim_intake_failures",
            "Appends to the Redis Stream that failed (Telegram keeps or resends the updates)",
            registry=r,
        )
        self.stream_entries = Counter(
            "skim_stream_entries",
            "Stream entries a worker finished, by how it got them (read, or claimed)",
            ["source"],
            registry=r,
        )
        self.stream_backlog = Gauge(
            "skim_stream_backlog",
            "Updates in the Redis Stream not yet finished (read by a worker or waiting)",
            registry=r,
        )

    def render(self) -> bytes:
        """The text exposition format, for `/metrics`."""
        return generate_latest(self.registry)
