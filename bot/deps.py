"""The shared clients, built once at start-up and passed to whatever needs them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from bot.config import Settings
from bot.content.fetch import WEB_PORTS, Fetcher, FetchPolicy, Resolver
from bot.content.reader import ContentReader
from bot.content.youtube import YouTube
from bot.llm.client import LLMClient
from bot.llm.engine import Summarizer
from bot.media.reading import MediaLimits, MediaReader
from bot.media.transcribe import Transcriber
from bot.metrics import Metrics
from bot.pipeline import Limits, Pipeline
from bot.service import CacheTimes, Skim
from bot.store import Keys, KeyValueStore, SingleFlight, open_store

if TYPE_CHECKING:  # the client library is loaded only where a key is set
    from openai import AsyncOpenAI


@dataclass
class Deps:
    """Everything with a connection in it; closed together on shutdown."""

    settings: Settings
    store: KeyValueStore
    http: httpx.AsyncClient
    llm: LLMClient | None
    skim: Skim
    pipeline: Pipeline
    metrics: Metrics
    transcription: AsyncOpenAI | None = None

    async def aclose(self) -> None:
        await self.http.aclose()
        if self.llm is not None:
            await self.llm.aclose()
        if self.transcription is not None:
            await self.transcription.close()
        await self.store.aclose()


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        allow_private_networks=settings.fetch_allow_private_networks,
        allowed_ports=_allowed_ports(settings),
        max_bytes=settings.fetch_max_bytes,
        deadline=settings.fetch_timeout,
        # Recordings are downloaded only where they can be transcribed.
        media_max_bytes=settings.fetch_media_max_bytes if settings.transcription_key else 0,
    )


def _allowed_ports(settings: Settings) -> frozenset[int] | None:
    """FETCH_ALLOWED_PORTS when set, in every mode; else the web's ports, or any port where
    private networks are allowed (tests and intranets serve pages on ports of their own)."""
    if settings.fetch_allowed_ports is not None:
        return frozenset(settings.fetch_allowed_ports)
    return None if settings.fetch_allow_private_networks else WEB_PORTS


def transcription_client(settings: Settings) -> AsyncOpenAI | None:
    """The speech-to-text endpoint's client: its own key and URL, else the LLM's; or none."""
    key = settings.transcription_key
    if key is None:
        return None
    from openai import AsyncOpenAI

    # Retries are the transcriber's concern (a long upload is not retried blindly).
    return AsyncOpenAI(
        api_key=key.get_secret_value(), base_url=settings.transcription_url, max_retries=1
    )


def build_deps(
    settings: Settings,
    *,
    store: KeyValueStore | None = None,
    resolver: Resolver | None = None,
    youtube: YouTube | None = None,
    telegram_base: str = "https://t.me",
) -> Deps:
    """Build every shared client from the settings; tests swap in fakes by URL."""
    policy = fetch_policy(settings)
    http = Fetcher.build_client(policy)
    metrics = Metrics()
    llm = None
    if settings.openai_api_key is not None:
        llm = LLMClient.from_settings(
            settings.openai_api_key.get_secret_value(),
            settings.openai_base_url,
            settings.llm_model,
            timeout=settings.llm_timeout,
            max_tries=settings.llm_max_retries,
            metrics=metrics,
        )
    store = store or open_store(settings.plain_redis_url, metrics, cluster=settings.uses_cluster)
    keys = Keys(settings.redis_prefix)
    speech = transcription_client(settings)
    media = MediaReader(
        Transcriber(speech, settings.transcribe_model) if speech is not None else None,
        vision=llm if settings.llm_vision else None,
        limits=MediaLimits(max_seconds=settings.max_media_minutes * 60),
        metrics=metrics,
    )
    reader = ContentReader(
        Fetcher(http, policy, resolver, metrics=metrics),
        media=media,
        youtube=youtube or YouTube(),
        telegram_base=telegram_base,
        media_max_bytes=settings.fetch_media_max_bytes,
        metrics=metrics,
    )
    skim = Skim(
        reader,
        Summarizer(
            llm,
            context_tokens=settings.llm_context_tokens,
            max_input_tokens=settings.llm_max_input_tokens,
            concurrency=settings.llm_concurrency,
            history_turns=settings.qa_history_turns,
        ),
        store,
        keys,
        CacheTimes(document=settings.document_cache_ttl, summary=settings.summary_cache_ttl),
        SingleFlight(store, keys, lock_ttl=settings.single_flight_lock_ttl, metrics=metrics),
    )
    limits = Limits.from_settings(settings, metered=llm is not None)
    pipeline = Pipeline(skim, limits, metrics=metrics)
    return Deps(
        settings=settings,
        store=store,
        http=http,
        llm=llm,
        skim=skim,
        pipeline=pipeline,
        metrics=metrics,
        transcription=speech,
    )
