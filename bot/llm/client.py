"""The one wrapper around AsyncOpenAI: deadlines, bounded retries, streaming, usage."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import openai
from openai import AsyncOpenAI

from bot.errors import LLMAuthError, LLMBusyError, LLMError

log = logging.getLogger(__name__)

TextCallback = Callable[[str], Awaitable[None]]
Message = dict[str, str]


@dataclass(frozen=True)
class Completion:
    """A finished model answer with what it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    model: str


class _Retryable(Exception):
    def __init__(self, error: LLMError, wait: float | None) -> None:
        super().__init__(error.detail)
        self.error = error
        self.wait = wait


def _retry_after(error: openai.APIStatusError) -> float | None:
    headers = error.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return None


def _classify(error: Exception) -> LLMError | _Retryable:
    """Map the client's exceptions to ours; retryable ones are wrapped."""
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMAuthError(detail=f"LLM endpoint refused the key: HTTP {error.status_code}")
    if isinstance(error, openai.RateLimitError):
        wait = _retry_after(error)
        return _Retryable(LLMBusyError(wait, detail="LLM rate limit (HTTP 429)"), wait)
    if isinstance(error, openai.APITimeoutError):
        return _Retryable(LLMError(detail="LLM request timed out"), None)
    if isinstance(error, openai.APIConnectionError):
        return _Retryable(LLMError(detail="LLM endpoint unreachable"), None)
    if isinstance(error, openai.APIStatusError):
        if error.status_code >= 500 or error.status_code == 408:
            return _Retryable(
                LLMError(detail=f"LLM server error HTTP {error.status_code}"),
                _retry_after(error),
            )
        if error.status_code == 404:
            return LLMError(
                "The bot's language model is misconfigured: the operator has been told.",
                detail=f"LLM model or endpoint not found (HTTP 404): {error.message}",
            )
        return LLMError(detail=f"LLM rejected the request: HTTP {error.status_code}")
    if isinstance(error, openai.APIError):
        return _Retryable(LLMError(detail=f"LLM protocol error: {type(error).__name__}"), None)
    return LLMError(detail=f"LLM call failed: {type(error).__name__}")


class LLMClient:
    """Streams chat completions from any OpenAI-compatible endpoint."""

    def __init__(
        self,
        client: AsyncOpenAI,
        model: str,
        *,
        timeout: float = 60.0,
        max_tries: int = 3,
        backoff: float = 0.5,
        max_wait: float = 30.0,
    ) -> None:
        self._client = client
        self.model = model
        self._timeout = timeout
        self._max_tries = max_tries
        self._backoff = backoff
        self._max_wait = max_wait

    @classmethod
    def from_settings(
        cls, api_key: str, base_url: str | None, model: str, *, timeout: float, max_tries: int
    ) -> LLMClient:
        client = AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout)
        return cls(client, model, timeout=timeout, max_tries=max_tries)

    async def aclose(self) -> None:
        await self._client.close()

    async def check(self) -> tuple[bool, str]:
        """A one-token request: proves the endpoint, the key and the model all work."""
        try:
            await self.complete(
                [{"role": "user", "content": "Reply with the word ok."}], max_tokens=5
            )
        except LLMError as error:
            return False, f"{self.model}: {error.detail}"
        return True, f"{self.model} answers"

    async def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        temperature: float = 0.2,
        on_text: TextCallback | None = None,
    ) -> Completion:
        """Stream one completion, retrying transient failures before any text was shown."""
        last: LLMError = LLMError(detail="no attempt made")
        for attempt in range(1, self._max_tries + 1):
            emitted = False

            async def relay(piece: str) -> None:
                nonlocal emitted
                emitted = True
                if on_text is not None:
                    await on_text(piece)

            try:
                async with asyncio.timeout(self._timeout):
                    return await self._stream(messages, max_tokens, temperature, relay)
            except TimeoutError:
                outcome: LLMError | _Retryable = _Retryable(
                    LLMError(detail=f"LLM call exceeded {self._timeout:g} s"), None
                )
            except LLMError as error:
                outcome = error
            except Exception as error:
                outcome = _classify(error)
            if isinstance(outcome, LLMError):
                raise outcome
            last = outcome.error
            if emitted or attempt == self._max_tries:
                break
            wait = outcome.wait
            if wait is None:
                wait = self._backoff * 2 ** (attempt - 1) * (1 + random.random())  # noqa: S311
            if wait > self._max_wait:
                break
            log.warning(
                "LLM attempt %d/%d failed (%s); retrying in %.1f s",
                attempt,
                self._max_tries,
                last.detail,
                wait,
            )
            await asyncio.sleep(wait)
        raise last

    async def _stream(
        self,
        messages: list[Message],
        max_tokens: int,
        temperature: float,
        relay: TextCallback,
    ) -> Completion:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        stream: Any = await self._client.chat.completions.create(**request)
        pieces: list[str] = []
        finish_reason: str | None = None
        prompt_tokens = completion_tokens = 0
        refusal: list[str] = []
        async with stream:
            async for chunk in stream:
                if getattr(chunk, "usage", None):
                    prompt_tokens = chunk.usage.prompt_tokens or 0
                    completion_tokens = chunk.usage.completion_tokens or 0
                for choice in chunk.choices or []:
                    delta = choice.delta
                    if delta is not None and getattr(delta, "refusal", None):
                        refusal.append(delta.refusal)
                    if delta is not None and delta.content:
                        pieces.append(delta.content)
                        await relay(delta.content)
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
        text = "".join(pieces).strip()
        if refusal and not text:
            raise LLMError(
                "The model declined to summarize this.", detail="LLM refusal: " + "".join(refusal)
            )
        if finish_reason is None:
            raise _Retryable(LLMError(detail="LLM stream ended before it finished"), None)
        if finish_reason == "content_filter":
            raise LLMError("The model's content filter blocked this text.", detail="content_filter")
        if not text:
            raise _Retryable(LLMError(detail="LLM returned an empty completion"), None)
        return Completion(text, prompt_tokens, completion_tokens, finish_reason, self.model)
