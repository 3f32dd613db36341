"""What an OpenAI-compatible endpoint accepts, learned from its refusals.

Servers differ on the optional parameters of a chat completion: OpenAI's reasoning models
refuse `max_tokens` ("use 'max_completion_tokens'") and any temperature but the default,
Mistral's API and older Azure versions refuse `stream_options`, and the chat templates of Mistral
and Gemma models (vLLM) and some APIs refuse a conversation whose roles do not alternate (a
question's document and the question are two user messages). A 400 or 422 that names one of
these is answered by sending the request again without it (for `max_tokens`, under its new
name; for the roles, with each run of one role's messages joined) at once, and the process
remembers: the next requests go out in the endpoint's dialect. Any other refusal is left to the
caller's error handling.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

_REFUSAL_STATUSES = (400, 422)


def _refusal_text(error: Exception) -> str | None:
    """The lower-cased message and parameter of a 400/422 (its body only when it has no
    message: some servers echo the whole request in theirs), else None."""
    if getattr(error, "status_code", None) not in _REFUSAL_STATUSES:
        return None
    said = [getattr(error, "message", None), getattr(error, "param", None)]
    if not said[0]:
        said.append(getattr(error, "body", None))
    return " ".join(str(part) for part in said if part).lower()


@dataclass
class Dialect:
    """The optional parameters this endpoint takes; each starts on and is turned off once."""

    stream_usage: bool = True  # stream_options.include_usage: usage in the last chunk
    temperature: bool = True
    completion_tokens: bool = False  # `max_completion_tokens` instead of `max_tokens`
    alternating: bool = False  # user and assistant messages must take turns

    def request(
        self, model: str, messages: Any, max_tokens: int, temperature: float, *, stream: bool
    ) -> dict[str, Any]:
        """A chat completion request in this dialect."""
        if self.alternating:
            messages = alternating(messages)
        request: dict[str, Any] = {"model": model, "messages": messages}
        request["max_completion_tokens" if self.completion_tokens else "max_tokens"] = max_tokens
        if self.temperature:
            request["temperature"] = temperature
        if stream:
            request["stream"] = True
            if self.stream_usage:
                request["stream_options"] = {"include_usage": True}
        return request

    def adapt(self, error: Exception, request: dict[str, Any]) -> bool:
        """Learn from a refusal that names a parameter `request` carries; change `request` to
        match. False when the refusal is about something else."""
        text = _refusal_text(error)
        if text is None:
            return False
        if "stream_options" in request and "stream_options" in text:
            del request["stream_options"]
            self.stream_usage = False
            log.warning("The LLM endpoint refuses stream_options: usage is counted here")
            return True
        if "max_tokens" in request and "max_completion_tokens" in text:
            request["max_completion_tokens"] = request.pop("max_tokens")
            self.completion_tokens = True
            log.warning("The LLM endpoint wants max_completion_tokens: sent from now on")
            return True
        if not self.alternating and "alternat" in text:
            request["messages"] = alternating(request["messages"])
            self.alternating = True
            log.warning("The LLM endpoint wants roles to alternate: messages of one role joined")
            return True
        if "temperature" in request and "temperature" in text:
            del request["temperature"]
            self.temperature = False
            log.warning("The LLM endpoint refuses a temperature: its default is used")
            return True
        return False


def alternating(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run of consecutive messages of one role joined into one message."""
    joined: list[dict[str, Any]] = []
    for message in messages:
        if joined and joined[-1]["role"] == message["role"] and _texts(joined[-1], message):
            content = f"{joined[-1]['content']}\n\n{message['content']}"
            joined[-1] = {"role": message["role"], "content": content}
        else:
            joined.append(message)
    return joined


def _texts(*messages: dict[str, Any]) -> bool:
    return all(isinstance(message.get("content"), str) for message in messages)
