"""The one wrapper around AsyncOpenAI: deadlines, bounded retries, streaming, usage.

Every call streams. A call has one deadline for the whole answer (`LLM_TIMEOUT`), not the
client's ten-minute default. 429, 5xx, timeouts, connection and protocol errors are retried with
exponential backoff and jitter, honouring Retry-After, up to `LLM_MAX_RETRIES` tries in all, but
never once text has been handed to the caller (it would be shown twice). 400/401/403/404 are not
retried. Each failure ends as one of our exceptions: a short message for the user, the detail for
the log only.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import logging
import random
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from bot.errors import (
    LLMAuthError,
    LLMBusyError,
    LLMConfigError,
    LLMEmptyError,
    LLMError,
    LLMRefusalError,
    LLMStreamError,
    LLMTimeoutError,
)
from bot.llm.dialect import Dialect
from bot.llm.prompts import Message
from bot.llm.streaming import TextCallback, TextStream
from bot.llm.thoughts import ThoughtFilter, without_thoughts
from bot.llm.tokens import TokenCounter, counter_for_model
from bot.metrics import Metrics
from bot.retry_after import retry_after_seconds

if TYPE_CHECKING:  # the client library is loaded only where an LLM is configured
    import openai
    from openai import AsyncOpenAI

log = logging.getLogger(__name__)

__all__ = ["Completion", "LLMClient", "Message", "TextCallback", "Usage"]


@dataclass(frozen=True)
class Completion:
    """A finished model answer with what it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    model: str
    requests: int = 1


@dataclass
class Usage:
    """Tokens and requests of one piece of work, summed over every HTTP request it made.

    Counts come from the API's `usage`; when a server sends none (or a request broke off after
    the answer started), they are counted here with the model's tokenizer.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0

    def add(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens


class _Retry(Exception):
    """A failure worth another try (after `wait` seconds, when the server said so)."""

    def __init__(self, error: LLMError, wait: float | None = None) -> None:
        super().__init__(error.detail)
        self.error = error
        self.wait = wait


class _CallbackError(Exception):
    """The caller's own callback failed: not the model's fault, re-raised unchanged."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class _Attempt:
    """What one try got before it ended."""

    opened: bool = False
    emitted: bool = False
    pieces: list[str] = field(default_factory=list)
    thoughts: ThoughtFilter = field(default_factory=ThoughtFilter)
    refusal: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    started: float = field(default_factory=time.monotonic)
    first_text: float | None = None  # when the first piece of text arrived (time to first token)

    @property
    def text(self) -> str:
        """The text received so far (joined once, not grown piece by piece)."""
        return "".join(self.pieces)

    async def take(self, chunk: Any, on_text: TextCallback | None) -> None:
        """One streamed chunk: its usage, and the answer's text (relayed), refusal, end."""
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.prompt_tokens = usage.prompt_tokens
            self.completion_tokens = usage.completion_tokens
        # No `n` is sent, so every choice is the one answer: some servers number each chunk's
        # choice anew, or leave the index out.
        for choice in chunk.choices or []:
            delta = choice.delta
            if delta is not None and getattr(delta, "refusal", None):
                self.refusal.append(delta.refusal)
            if delta is not None and delta.content:
                if self.first_text is None:
                    self.first_text = time.monotonic()
                await self._show(self.thoughts.feed(delta.content), on_text)
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason

    async def _show(self, piece: str, on_text: TextCallback | None) -> None:
        if not piece:
            return
        self.pieces.append(piece)
        if on_text is not None:
            self.emitted = True
            await _relay(on_text, piece)

    def answer(self) -> str:
        """The whole answer without a reasoning model's thinking."""
        self.pieces.append(self.thoughts.close())
        return without_thoughts(self.text).strip()


# Whitespace, format characters (zero-width spaces and joiners, direction marks), controls.
_INVISIBLE = frozenset({"Zs", "Zl", "Zp", "Cf", "Cc"})


def _visible(text: str) -> bool:
    """Whether a reader would see anything: a reply of only zero-width characters is empty."""
    return any(unicodedata.category(char) not in _INVISIBLE for char in text)


def _http_errors(name: str) -> tuple[type[Exception], ...]:
    """`name` from whichever HTTP library the openai package runs on (httpx, or httpx2)."""
    found: list[type[Exception]] = []
    for module_name in ("httpx", "httpx2"):
        try:
            module: Any = importlib.import_module(module_name)
        except ImportError:
            continue
        found.append(getattr(module, name))
    return tuple(found)


_HTTP_ERRORS = _http_errors("HTTPError")
_HTTP_TIMEOUTS = _http_errors("TimeoutException")
_HTTP_TRANSPORT = _http_errors("TransportError")


def _out_of_credit(error: openai.APIStatusError) -> bool:
    named = (error.code, error.type)
    return "insufficient_quota" in named or "exceeded your current quota" in error.message.lower()


def _status_error(error: openai.APIStatusError) -> LLMError | _Retry:
    status = error.status_code
    detail = f"HTTP {status}: {error.message}"
    wait = retry_after_seconds(getattr(error.response, "headers", None))
    if status in (401, 403):
        return LLMAuthError(detail=f"LLM endpoint refused the key ({detail})")
    if status == 429 and _out_of_credit(error):
        # OpenAI's 429 for an account without credit: no retry helps until the operator pays.
        return LLMAuthError(key="err_llm_account", detail=f"LLM account out of credit ({detail})")
    if status == 429 or status == 503:
        return _Retry(LLMBusyError(wait, detail=f"LLM busy ({detail})"), wait)
    if status >= 500 or status in (408, 409):
        return _Retry(LLMError(detail=f"LLM server error ({detail})"), wait)
    if status == 404:
        return LLMConfigError(detail=f"LLM model or endpoint not found ({detail})")
    return LLMConfigError(
        "The model could not take this request.", detail=f"LLM rejected the request ({detail})"
    )


def _classify(error: Exception, attempt: _Attempt) -> LLMError | _Retry:
    """Map what the client library raised to our exceptions; retryable ones are wrapped."""
    import openai  # loaded already: an error came from it

    name = type(error).__name__
    if isinstance(error, openai.APIStatusError):
        return _status_error(error)
    if isinstance(error, (openai.APITimeoutError, *_HTTP_TIMEOUTS)):
        return _Retry(LLMTimeoutError(detail=f"LLM request timed out ({name})"))
    if attempt.opened and isinstance(error, (openai.APIError, ValueError, *_HTTP_ERRORS)):
        # Broke off after the response started: a cut connection or a malformed event.
        return _Retry(LLMStreamError(detail=f"LLM stream broke off ({name}: {error})"))
    if isinstance(error, (openai.APIConnectionError, *_HTTP_TRANSPORT)):
        return _Retry(
            LLMError(key="err_llm_unreachable", detail=f"LLM endpoint unreachable ({name})")
        )
    if isinstance(error, openai.APIError | ValueError):
        return _Retry(LLMStreamError(detail=f"LLM protocol error ({name}: {error})"))
    return LLMError(detail=f"LLM call failed ({name}: {error})")


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
        max_backoff: float = 8.0,
        max_wait: float = 30.0,
        temperature: float = 0.2,
        counter: TokenCounter | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        if max_tries < 1:
            raise ValueError("max_tries must be at least 1")
        self._client = client
        self.model = model
        self.timeout = timeout
        self.max_tries = max_tries
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_wait = max_wait
        self._temperature = temperature
        self._counter = counter
        self._metrics = metrics or Metrics()
        self._dialect = Dialect()

    @classmethod
    def from_settings(
        cls,
        api_key: str,
        base_url: str | None,
        model: str,
        *,
        timeout: float,
        max_tries: int,
        **options: Any,
    ) -> LLMClient:
        """The one AsyncOpenAI of the process: our retries only, our deadline."""
        from openai import AsyncOpenAI

        client = AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout)
        # `options` may carry `metrics`, built once at start-up (bot.deps).
        return cls(client, model, timeout=timeout, max_tries=max_tries, **options)

    async def aclose(self) -> None:
        await self._client.close()

    async def counter(self) -> TokenCounter:
        """The model's token counter, loaded off the event loop on first use."""
        if self._counter is None:
            self._counter = await asyncio.to_thread(counter_for_model, self.model)
        return self._counter

    async def check(self) -> tuple[bool, str]:
        """A one-try, few-token request: proves the endpoint, the key and the model all work."""
        try:
            await self.complete(
                [{"role": "user", "content": "Reply with the word ok."}], max_tokens=5, max_tries=1
            )
        except LLMError as error:
            return False, f"{self.model}: {error.detail}"
        return True, f"{self.model} answers"

    async def look(
        self, image: bytes, media_type: str, instruction: str, *, max_tokens: int = 4000
    ) -> str:
        """What the model reads in a picture (its image input, as a data URL), in one call.

        Retried like `complete` on busy or failing servers; the text is returned whole.
        """
        url = f"data:{media_type};base64,{base64.b64encode(image).decode('ascii')}"
        content = [
            {"type": "text", "text": instruction},
            {"type": "image_url", "image_url": {"url": url}},
        ]
        messages = [{"role": "user", "content": content}]
        for attempt_number in range(1, self.max_tries + 1):
            attempt = _Attempt()
            request = self._dialect.request(
                self.model, messages, max_tokens, self._temperature, stream=False
            )
            try:
                async with asyncio.timeout(self.timeout):
                    response = await self._create(request)
            except TimeoutError:
                outcome: LLMError | _Retry = _Retry(
                    LLMTimeoutError(detail=f"LLM read no picture in {self.timeout:g} s")
                )
            except Exception as error:  # classified below, as in `complete`
                outcome = _classify(error, attempt)
            else:
                return _picture_text(response)
            if isinstance(outcome, LLMError):
                raise outcome from None
            if attempt_number == self.max_tries:
                raise outcome.error from None
            await asyncio.sleep(self._next_wait(outcome, attempt, attempt_number, self.max_tries))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _create(self, request: dict[str, Any]) -> Any:
        """The chat completion call, sent again in the endpoint's dialect when it refuses an
        optional parameter (bot/llm/dialect.py)."""
        while True:
            try:
                return await self._client.chat.completions.create(**request)
            except Exception as error:
                if not self._dialect.adapt(error, request):
                    raise

    def stream(
        self, messages: list[Message], *, max_tokens: int, usage: Usage | None = None
    ) -> TextStream[Completion]:
        """The same call as `complete`, as an async iterator of text pieces."""
        return TextStream(
            lambda push: self.complete(messages, max_tokens=max_tokens, on_text=push, usage=usage)
        )

    async def complete(
        self,
        messages: list[Message],
        *,
        max_tokens: int,
        temperature: float | None = None,
        on_text: TextCallback | None = None,
        usage: Usage | None = None,
        max_tries: int | None = None,
    ) -> Completion:
        """Stream one completion, retrying transient failures before any text was shown."""
        tries = max_tries or self.max_tries
        usage = usage if usage is not None else Usage()
        for attempt_number in range(1, tries + 1):
            attempt = _Attempt()
            usage.requests += 1
            try:
                outcome = await self._try(messages, max_tokens, temperature, on_text, attempt)
            except _CallbackError as error:
                await self._account(usage, messages, attempt)
                raise error.error from None
            await self._account(usage, messages, attempt)
            self._measure(attempt, outcome)
            if isinstance(outcome, Completion):
                return replace(outcome, requests=attempt_number)
            if isinstance(outcome, LLMError):
                self._log_final(outcome)
                raise outcome
            wait = self._next_wait(outcome, attempt, attempt_number, tries)
            log.warning(
                "LLM attempt %d/%d failed (%s); retrying in %.2f s",
                attempt_number,
                tries,
                outcome.error.detail,
                wait,
            )
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _try(
        self,
        messages: list[Message],
        max_tokens: int,
        temperature: float | None,
        on_text: TextCallback | None,
        attempt: _Attempt,
    ) -> Completion | LLMError | _Retry:
        """One try under the deadline: its completion, or the failure it ended with.

        A failure of the caller's own callback is raised (as `_CallbackError`), not returned.
        """
        try:
            async with asyncio.timeout(self.timeout):
                return await self._once(messages, max_tokens, temperature, on_text, attempt)
        except _CallbackError:
            raise
        except TimeoutError:
            return _Retry(
                LLMTimeoutError(detail=f"LLM gave no complete answer in {self.timeout:g} s")
            )
        except (_Retry, LLMError) as failure:
            return failure
        except Exception as error:  # whatever the client library raised
            return _classify(error, attempt)

    def _measure(self, attempt: _Attempt, outcome: Completion | LLMError | _Retry) -> None:
        """One HTTP request in the metrics: its result, tokens and timings."""
        metrics = self._metrics
        failure = outcome.error if isinstance(outcome, _Retry) else outcome
        result = "ok" if isinstance(outcome, Completion) else type(failure).__name__
        metrics.llm_requests.labels(result).inc()
        if attempt.first_text is not None:
            metrics.llm_first_token_seconds.observe(attempt.first_text - attempt.started)
        if isinstance(outcome, Completion):
            metrics.llm_seconds.observe(time.monotonic() - attempt.started)
            metrics.llm_tokens.labels("in").inc(outcome.prompt_tokens)
            metrics.llm_tokens.labels("out").inc(outcome.completion_tokens)

    def _next_wait(
        self, retry: _Retry, attempt: _Attempt, attempt_number: int, tries: int
    ) -> float:
        """Seconds to wait before trying again; raises the failure when there is to be no retry."""
        failure = retry.error
        if attempt.emitted:
            # Text already reached the reader; a second answer would be appended to it.
            if not isinstance(failure, LLMStreamError | LLMTimeoutError):
                failure = LLMStreamError(detail=failure.detail)
            self._log_final(failure)
            raise failure
        if attempt_number == tries:
            self._log_final(failure)
            raise failure
        wait = retry.wait
        if wait is None:
            wait = self._jittered(attempt_number)
        if wait > self._max_wait:
            log.warning("LLM asks to wait %.1f s, more than we will; giving up", wait)
            raise failure
        return wait

    def _jittered(self, attempt_number: int) -> float:
        """Exponential backoff with ±50 % jitter, so that many clients don't retry in step."""
        base = min(self._max_backoff, self._backoff * float(2 ** (attempt_number - 1)))
        return base * random.uniform(0.5, 1.5)  # noqa: S311 - jitter, not a secret

    @staticmethod
    def _log_final(error: LLMError) -> None:
        if isinstance(error, LLMAuthError | LLMConfigError):
            # The operator must act: logged as an error so the error channel reaches them.
            log.error("LLM unusable: %s", error.detail)
        else:
            log.warning("LLM call failed: %s", error.detail)

    async def _account(self, usage: Usage, messages: list[Message], attempt: _Attempt) -> None:
        """Add one try's tokens: the server's figures, else ours when an answer had started."""
        if attempt.prompt_tokens is not None and attempt.completion_tokens is not None:
            usage.add(attempt.prompt_tokens, attempt.completion_tokens)
            return
        if not attempt.opened:
            return  # refused before any work was done: nothing billed
        counter = await self.counter()
        prompt = attempt.prompt_tokens
        if prompt is None:
            prompt = counter.count_messages(messages)
        completion = attempt.completion_tokens
        if completion is None:
            completion = counter.count(attempt.text)
        usage.add(prompt, completion)

    async def _once(
        self,
        messages: list[Message],
        max_tokens: int,
        temperature: float | None,
        on_text: TextCallback | None,
        attempt: _Attempt,
    ) -> Completion:
        chosen = self._temperature if temperature is None else temperature
        request = self._dialect.request(self.model, messages, max_tokens, chosen, stream=True)
        stream: Any = await self._create(request)
        attempt.opened = True
        async with stream:
            async for chunk in stream:
                await attempt.take(chunk, on_text)
        return await self._finish(messages, attempt)

    async def _finish(self, messages: list[Message], attempt: _Attempt) -> Completion:
        """The completion a finished stream gave, or the failure it amounts to."""
        text = attempt.answer()
        if attempt.refusal and not text:
            raise LLMRefusalError(detail="LLM refused: " + "".join(attempt.refusal)[:300])
        if attempt.finish_reason == "content_filter":
            raise LLMRefusalError(
                "The model's content filter blocked this text.", detail="LLM content_filter"
            )
        if attempt.finish_reason is None:
            raise _Retry(LLMStreamError(detail="LLM stream ended without a finish reason"))
        if not _visible(text):
            if attempt.thoughts.thinking:
                detail = f"LLM only thought, and gave no answer (finish {attempt.finish_reason})"
                raise _Retry(LLMEmptyError(detail=detail))
            raise _Retry(LLMEmptyError(detail="LLM returned an empty completion"))
        if attempt.prompt_tokens is None or attempt.completion_tokens is None:
            counter = await self.counter()
            attempt.prompt_tokens = counter.count_messages(messages)
            attempt.completion_tokens = counter.count(text)
        return Completion(
            text,
            attempt.prompt_tokens,
            attempt.completion_tokens,
            attempt.finish_reason,
            self.model,
        )


def _picture_text(response: Any) -> str:
    """The text of a non-streamed completion about a picture, or the failure it amounts to."""
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list):  # a web page or other JSON where an answer should be
        raise LLMConfigError(detail="the LLM endpoint did not answer with a chat completion")
    message = getattr(choices[0], "message", None) if choices else None
    text = (getattr(message, "content", None) or "") if message is not None else ""
    text = without_thoughts(text)
    if not _visible(text):
        refusal = getattr(message, "refusal", None)
        if refusal:
            raise LLMRefusalError(detail=f"LLM refused: {str(refusal)[:300]}")
        raise LLMEmptyError(detail="the model read nothing in the picture")
    return text.strip()


async def _relay(on_text: Callable[[str], Awaitable[None]], piece: str) -> None:
    try:
        await on_text(piece)
    except Exception as error:
        raise _CallbackError(error) from error
