"""A fake OpenAI-compatible server (chat completions, audio transcriptions) on 127.0.0.1, speaking
real HTTP.

It follows the public OpenAI API reference rather than any one client library:

* ``POST /v1/chat/completions`` — non-streaming JSON and ``stream: true`` server-sent events,
  with request validation, ``max_tokens`` truncation, ``stop`` sequences and ``n`` choices.
* ``GET /v1/models`` and ``GET /v1/models/{id}``.
* ``POST /v1/audio/transcriptions`` — multipart/form-data with ``file`` and ``model``
  (required), ``language``, ``prompt``, ``response_format`` (``json`` by default, ``text``,
  ``srt``, ``verbose_json``, ``vtt``), ``temperature``, ``timestamp_granularities[]`` (only with
  ``verbose_json``) and ``stream`` (server-sent ``transcript.text.delta``/``.done`` events for
  the gpt-4o models; whisper-1 ignores it). See "Transcriptions" below.
* Bearer-token auth; errors are ``{"error": {"message", "type", "param", "code"}}`` bodies.
* Other servers' and models' refusals, each off unless a test turns it on (attributes of
  :class:`FakeOpenAI`): reasoning models refusing ``max_tokens`` and a temperature,
  strict chat templates refusing roles that do not alternate, pydantic servers refusing
  unknown parameters with a 422; and, per :class:`Reply`, streams numbering choices their own
  way.

Token counts are a deterministic estimate: one token per ``\\w+`` run or per single
non-space punctuation character (regex ``\\w+|[^\\w\\s]``), see :func:`count_tokens`.
``prompt_tokens`` is that count over the text of every message.

Which reply a chat request gets, in order of precedence: :meth:`FakeOpenAI.fail_always`,
then pending :meth:`FakeOpenAI.fail_next` failures, then :meth:`FakeOpenAI.script`-ed replies,
then :attr:`FakeOpenAI.responder` (default :func:`default_responder`). Requests rejected by auth
or validation are recorded in :attr:`FakeOpenAI.requests` but consume nothing.

Transcriptions. ``whisper-1`` accepts every response format; ``gpt-4o-transcribe`` and
``gpt-4o-mini-transcribe`` only ``json`` and ``text`` (else 400, ``param: "response_format"``);
another model is a 404 (:attr:`FakeOpenAI.transcription_models` is the table). The checks, in
order, once the form is read: auth (401); the upload's size (over 25 MB, 26,214,400 bytes:
413); the fields (400); the file name's extension (not one of :data:`AUDIO_EXTENSIONS`: 400
"Invalid file format. Supported formats: [...]"); the audio itself, decoded with PyAV
(undecodable, or no audio frames: 400 "Audio file might be corrupted or unsupported"). Then
:attr:`FakeOpenAI.transcription_delay` seconds pass, a pending
:meth:`FakeOpenAI.fail_next_transcription` failure answers, else what was heard: the next
:meth:`FakeOpenAI.script_transcript` item, else :attr:`FakeOpenAI.transcription_responder`
(default :func:`default_transcript`, one sentence per started 10 s of decoded audio). A text
is cut into sentences spread over the decoded duration by their length; scripted
``(start, end, text)`` segments are used as they are. Every request is recorded in
:attr:`FakeOpenAI.transcription_requests` (model, file name, size, response format, language,
decoded duration, status); :meth:`FakeOpenAI.wait_for_transcriptions` waits for them.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import itertools
import json
import math
import re
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
import av
from aiohttp import web

__all__ = [
    "AUDIO_EXTENSIONS",
    "REASONING_MODELS",
    "TRANSCRIPTION_MAX_BYTES",
    "ChatRequest",
    "FakeOpenAI",
    "Reply",
    "TranscriptionFailure",
    "TranscriptionRequest",
    "count_tokens",
    "default_responder",
    "default_transcript",
]

REASONING_MODELS = ("o4-mini", "gpt-5-mini")
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_WORD_RE = re.compile(r"\s*\S+")
_MODEL_CREATED = 1_700_000_000
_FINGERPRINT = "fp_fake0001"

_ROLES = ("system", "assistant", "user", "function", "tool", "developer")
_PART_TYPES: dict[str, tuple[str, ...]] = {
    "system": ("text",),
    "developer": ("text",),
    "user": ("text", "image_url", "input_audio", "file"),
    "assistant": ("text", "refusal"),
    "tool": ("text",),
    "function": ("text",),
}
_INT_PARAMS: dict[str, tuple[int | None, int | None]] = {
    "max_tokens": (1, None),
    "max_completion_tokens": (1, None),
    "n": (1, 128),
    "seed": (None, None),
    "top_logprobs": (0, 20),
}
_NUMBER_PARAMS: dict[str, tuple[float, float]] = {
    "temperature": (0, 2),
    "top_p": (0, 1),
    "frequency_penalty": (-2, 2),
    "presence_penalty": (-2, 2),
}
_BOOL_PARAMS = ("stream", "logprobs", "parallel_tool_calls", "store")
_STRING_PARAMS = ("user", "service_tier", "reasoning_effort", "prompt_cache_key")
_OBJECT_PARAMS = ("logit_bias", "metadata")
_RESPONSE_FORMATS = ("text", "json_object", "json_schema")

_DEFAULT_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("invalid_request_error", "Bad request.", None),
    401: ("invalid_request_error", "Incorrect API key provided.", "invalid_api_key"),
    403: ("permission_error", "You are not allowed to access this resource.", None),
    404: ("invalid_request_error", "The requested resource does not exist.", "not_found"),
    409: ("invalid_request_error", "Conflict, please retry the request.", None),
    429: (
        "rate_limit_error",
        "Rate limit reached for requests. Please try again later.",
        "rate_limit_exceeded",
    ),
    500: (
        "server_error",
        "The server had an error while processing your request. Sorry about that!",
        None,
    ),
    502: ("server_error", "Bad gateway.", None),
    503: ("server_error", "The engine is currently overloaded, please try again later.", None),
    504: ("server_error", "Gateway timeout.", None),
}


@dataclass
class Reply:
    """One scripted response to a chat completion request.

    ``status`` other than 200 produces an OpenAI-style error body (``error_message`` /
    ``error_type`` / ``error_code`` override the defaults for that status). ``delay`` is waited
    before the response headers; ``hang`` never answers. In a stream, ``cut_after_chunks`` closes
    the connection after that many content chunks (no finish chunk, no ``[DONE]``) — combined with
    ``hang`` the stream stalls there instead. ``malformed`` sends a non-JSON ``data:`` line right
    after the first content chunk (non-streaming: a truncated JSON body with status 200).
    ``usage`` is merged over the computed usage (``total_tokens`` recomputed unless given).
    """

    content: str = ""
    status: int = 200
    retry_after: float | None = None
    delay: float = 0.0
    hang: bool = False
    finish_reason: str = "stop"
    refusal: str | None = None
    cut_after_chunks: int | None = None
    malformed: bool = False
    usage: dict[str, Any] | None = None
    error_message: str | None = None
    error_type: str | None = None
    error_code: str | None = None
    headers: dict[str, str] | None = None
    ignore_max_tokens: bool = False  # send the whole content even past max_tokens
    # Servers that number choices their own way in a stream: "count" numbers each chunk's
    # choice anew (Foundry Local 0.7, older TGI), "omit" leaves the index out (some proxies).
    chunk_index: Literal["count", "omit"] | None = None


class _Headers(dict[str, str]):
    """A plain dict of request headers with lower-cased keys and case-insensitive lookup."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__((k.lower(), v) for k, v in items)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)

    def get(self, key: str, default: Any = None) -> Any:
        """Case-insensitive ``dict.get``."""
        return super().get(key.lower(), default)


@dataclass
class ChatRequest:
    """A chat completion request as received by the fake (recorded even if it was rejected)."""

    body: dict[str, Any]
    headers: dict[str, str]
    at: float
    status: int | None = None  # HTTP status sent; None while pending or hanging
    reply: Reply | None = None  # the reply chosen for it; None if rejected by auth/validation

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The ``messages`` array (empty if missing or malformed)."""
        messages = self.body.get("messages")
        if not isinstance(messages, list):
            return []
        return [m for m in messages if isinstance(m, dict)]

    @property
    def model(self) -> str | None:
        """The requested model."""
        model = self.body.get("model")
        return model if isinstance(model, str) else None

    @property
    def stream(self) -> bool:
        """Whether ``stream: true`` was requested."""
        return self.body.get("stream") is True

    @property
    def max_tokens(self) -> int | None:
        """``max_tokens``, else ``max_completion_tokens``, else None."""
        for key in ("max_tokens", "max_completion_tokens"):
            value = self.body.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return None

    @property
    def user_text(self) -> str:
        """Text of all system, developer and user messages, joined by newlines."""
        roles = ("system", "developer", "user")
        return "\n".join(
            message_text(m) for m in self.messages if m.get("role") in roles and message_text(m)
        )

    @property
    def last_user_text(self) -> str:
        """Text of the last user message ("" if none)."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return message_text(message)
        return ""


Responder = Callable[[ChatRequest], str | Reply | Awaitable[str | Reply]]


def message_text(message: Mapping[str, Any]) -> str:
    """The text of one message: a string content, or its text parts joined by newlines."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def count_tokens(text: str) -> int:
    """Deterministic token estimate: the number of ``\\w+|[^\\w\\s]`` matches in ``text``."""
    return len(_TOKEN_RE.findall(text))


def default_responder(request: ChatRequest) -> str:
    """``"Summary: "`` followed by the first 12 words of the last user message."""
    words = request.last_user_text.split()
    return "Summary: " + (" ".join(words[:12]) if words else "(nothing to summarize)")


def _truncate_tokens(text: str, limit: int) -> str:
    """The prefix of ``text`` holding its first ``limit`` tokens."""
    for i, match in enumerate(_TOKEN_RE.finditer(text)):
        if i == limit - 1:
            return text[: match.end()]
    return text


def _split_chunks(text: str, words: int) -> list[str]:
    """Split ``text`` into pieces of ``words`` words (leading whitespace kept) that join to it."""
    pieces = _WORD_RE.findall(text)
    if not pieces:
        return [text] if text else []
    pieces[-1] += text[sum(map(len, pieces)) :]
    size = max(1, words)
    return ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Invalid(Exception):
    """A 400 invalid_request_error about one parameter."""

    def __init__(
        self, message: str, param: str | None, code: str | None = None, *, status: int = 400
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.status = status


def _invalid_type(param: str, expected: str, value: Any) -> _Invalid:
    return _Invalid(
        f"Invalid type for '{param}': expected {expected}, but got {_json_type(value)} instead.",
        param,
        "invalid_type",
    )


def _missing(param: str) -> _Invalid:
    return _Invalid(f"Missing required parameter: '{param}'.", param, "missing_required_parameter")


def _invalid_value(param: str, value: Any, allowed: Iterable[str]) -> _Invalid:
    options = [f"'{a}'" for a in allowed]
    listed = ", ".join(options[:-1]) + f", and {options[-1]}" if len(options) > 1 else options[0]
    return _Invalid(
        f"Invalid value: '{value}'. Supported values are: {listed}.", param, "invalid_value"
    )


def _check_range(
    param: str, value: float, low: float | None, high: float | None, kind: str
) -> None:
    if low is not None and value < low:
        raise _Invalid(
            f"Invalid '{param}': {kind} below minimum value. "
            f"Expected a value >= {low}, but got {value} instead.",
            param,
            f"{kind}_below_min_value",
        )
    if high is not None and value > high:
        raise _Invalid(
            f"Invalid '{param}': {kind} above maximum value. "
            f"Expected a value <= {high}, but got {value} instead.",
            param,
            f"{kind}_above_max_value",
        )


def _validate_content(path: str, role: str, message: dict[str, Any]) -> None:
    content = message.get("content")
    if content is None:
        # An assistant message may carry tool calls or a refusal instead of content.
        calls = any(message.get(k) for k in ("tool_calls", "function_call"))
        if role == "assistant" and (calls or isinstance(message.get("refusal"), str)):
            return
        raise _missing(f"{path}.content")
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise _invalid_type(f"{path}.content", "one of a string or array of objects", content)
    for j, part in enumerate(content):
        _validate_part(f"{path}.content[{j}]", part, _PART_TYPES[role])


def _validate_part(path: str, part: Any, allowed: tuple[str, ...]) -> None:
    """One content part: a known type for the role; text and refusal parts carry a string."""
    if not isinstance(part, dict):
        raise _invalid_type(path, "an object", part)
    if "type" not in part:
        raise _missing(f"{path}.type")
    key = part["type"]
    if key not in allowed:
        raise _invalid_value(f"{path}.type", key, allowed)
    if key in ("text", "refusal") and key not in part:
        raise _missing(f"{path}.{key}")
    if key in ("text", "refusal") and not isinstance(part[key], str):
        raise _invalid_type(f"{path}.{key}", "a string", part[key])


def _validate_messages(messages: Any) -> None:
    if messages is None:
        raise _missing("messages")
    if not isinstance(messages, list):
        raise _invalid_type("messages", "an array", messages)
    if not messages:
        raise _Invalid(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, "
            "but got an empty array instead.",
            "messages",
            "empty_array",
        )
    tool_calls_seen = False
    for i, message in enumerate(messages):
        path = f"messages[{i}]"
        role = _validate_message(path, message)
        if role == "tool" and not tool_calls_seen:
            raise _Invalid(
                "Invalid parameter: messages with role 'tool' must be a response to a "
                "preceding message with 'tool_calls'.",
                f"{path}.role",
            )
        tool_calls_seen = tool_calls_seen or (
            role == "assistant" and bool(message.get("tool_calls"))
        )


def _validate_message(path: str, message: Any) -> str:
    """One message on its own; returns its role."""
    if not isinstance(message, dict):
        raise _invalid_type(path, "an object", message)
    role = message.get("role")
    if role is None:
        raise _missing(f"{path}.role")
    if role not in _ROLES:
        raise _invalid_value(f"{path}.role", role, _ROLES)
    _validate_content(path, role, message)
    name = message.get("name")
    if name is not None and not isinstance(name, str):
        raise _invalid_type(f"{path}.name", "a string", name)
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        raise _missing(f"{path}.tool_call_id")
    return str(role)


def _validate(body: dict[str, Any]) -> None:
    """Raise :class:`_Invalid` for the first parameter the real API would reject."""
    model = body.get("model")
    if model is None:
        raise _missing("model")
    if not isinstance(model, str):
        raise _invalid_type("model", "a string", model)
    _validate_messages(body.get("messages"))
    _validate_numbers(body)
    typed: tuple[tuple[tuple[str, ...], type, str], ...] = (
        (_BOOL_PARAMS, bool, "a boolean"),
        (_STRING_PARAMS, str, "a string"),
        (_OBJECT_PARAMS, dict, "an object"),
    )
    for params, kind, expected in typed:
        for param in params:
            if (value := body.get(param)) is not None and not isinstance(value, kind):
                raise _invalid_type(param, expected, value)
    _validate_stop(body.get("stop"))
    _validate_stream_options(body)
    _validate_response_format(body)
    _validate_tools(body.get("tools"))


def _validate_numbers(body: dict[str, Any]) -> None:
    """Integer and decimal parameters: their type, then their range."""
    for param, (low, high) in _INT_PARAMS.items():
        if (value := body.get(param)) is not None:
            if not _is_int(value):
                raise _invalid_type(param, "an integer", value)
            _check_range(param, value, low, high, "integer")
    for param, (flow, fhigh) in _NUMBER_PARAMS.items():
        if (value := body.get(param)) is not None:
            if not _is_number(value):
                raise _invalid_type(param, "a decimal", value)
            _check_range(param, value, flow, fhigh, "decimal")


def _validate_stop(stop: Any) -> None:
    if stop is None or isinstance(stop, str):
        return
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise _invalid_type("stop", "one of a string or array of strings", stop)
    if len(stop) > 4:
        raise _Invalid(
            f"Invalid 'stop': array too long. Expected an array with maximum length 4, "
            f"but got an array with length {len(stop)} instead.",
            "stop",
            "array_above_max_length",
        )


def _validate_stream_options(body: dict[str, Any]) -> None:
    options = body.get("stream_options")
    if options is None:
        return
    if not isinstance(options, dict):
        raise _invalid_type("stream_options", "an object", options)
    if body.get("stream") is not True:
        raise _Invalid(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
        )
    include_usage = options.get("include_usage")
    if include_usage is not None and not isinstance(include_usage, bool):
        raise _invalid_type("stream_options.include_usage", "a boolean", include_usage)


def _validate_response_format(body: dict[str, Any]) -> None:
    fmt = body.get("response_format")
    if fmt is None:
        return
    if not isinstance(fmt, dict):
        raise _invalid_type("response_format", "an object", fmt)
    kind = fmt.get("type")
    if kind is None:
        raise _missing("response_format.type")
    if kind not in _RESPONSE_FORMATS:
        raise _invalid_value("response_format.type", kind, _RESPONSE_FORMATS)
    if kind == "json_schema":
        schema = fmt.get("json_schema")
        if not isinstance(schema, dict):
            raise _missing("response_format.json_schema")
        if not isinstance(schema.get("name"), str):
            raise _missing("response_format.json_schema.name")
    if kind == "json_object":
        texts = (message_text(m) for m in body["messages"])
        if not any("json" in t.lower() for t in texts):
            raise _Invalid(
                "'messages' must contain the word 'json' in some form, to use 'response_format' "
                "of type 'json_object'.",
                "messages",
            )


def _validate_tools(tools: Any) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        raise _invalid_type("tools", "an array", tools)
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise _invalid_type(f"tools[{i}]", "an object", tool)
        if tool.get("type") != "function":
            raise _invalid_value(f"tools[{i}].type", tool.get("type"), ("function",))
        function = tool.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise _missing(f"tools[{i}].function.name")


@dataclass
class _Completion:
    """The text a reply produces for one request, after ``stop`` and ``max_tokens``."""

    content: str
    refusal: str | None
    finish_reason: str
    usage: dict[str, Any] = field(default_factory=dict)


def _complete(request: ChatRequest, reply: Reply) -> _Completion:
    content = reply.content
    finish_reason = reply.finish_reason
    stop = request.body.get("stop")
    stops = [stop] if isinstance(stop, str) else stop or []
    cuts = [content.find(s) for s in stops if s and s in content]
    if cuts:
        content = content[: min(cuts)]
        finish_reason = "stop"
    limit = request.max_tokens
    if limit is not None and not reply.ignore_max_tokens and count_tokens(content) > limit:
        content = _truncate_tokens(content, limit)
        finish_reason = "length"
    n = request.body.get("n") or 1
    prompt = sum(count_tokens(message_text(m)) for m in request.messages)
    completion = (count_tokens(content) + count_tokens(reply.refusal or "")) * n
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    if reply.usage:
        usage.update(reply.usage)
        if "total_tokens" not in reply.usage:
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return _Completion(content, reply.refusal, finish_reason, usage)


def _error_body(
    message: str, type_: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _sse(data: Any) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return f"data: {payload}\n\n".encode()


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


# -- audio transcriptions ----------------------------------------------------------------------

TRANSCRIPTION_MAX_BYTES = 26_214_400  # 25 MB, the reference's upload limit
AUDIO_EXTENSIONS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
TRANSCRIPTION_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
# Which response formats each transcription model accepts.
TRANSCRIPTION_MODELS: dict[str, tuple[str, ...]] = {
    "whisper-1": TRANSCRIPTION_FORMATS,
    "gpt-4o-transcribe": ("json", "text"),
    "gpt-4o-mini-transcribe": ("json", "text"),
}
_LANGUAGE_NAMES = {
    "en": "english",
    "ru": "russian",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "uk": "ukrainian",
}
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")

# Scripted segments: (start, end, text) in seconds, used as they are.
ScriptedSegments = Sequence[tuple[float, float, str]]
TranscriptionResponder = Callable[["TranscriptionRequest"], str | ScriptedSegments]


@dataclass
class TranscriptionFailure:
    """A scripted failure of one transcription request (see ``fail_next_transcription``)."""

    status: int
    message: str | None = None
    retry_after: float | None = None
    error_type: str | None = None
    error_code: str | None = None
    param: str | None = None


@dataclass
class TranscriptionRequest:
    """A ``POST /v1/audio/transcriptions`` as received (recorded even if it was rejected)."""

    headers: dict[str, str]
    at: float
    fields: dict[str, str | list[str]] = field(default_factory=dict)
    filename: str | None = None
    size: int = 0
    duration: float | None = None  # decoded with PyAV; None if not decoded
    status: int | None = None

    @property
    def model(self) -> str | None:
        """The ``model`` field."""
        return self._text("model")

    @property
    def response_format(self) -> str:
        """The ``response_format`` field (``json`` when absent)."""
        return self._text("response_format") or "json"

    @property
    def language(self) -> str | None:
        """The ``language`` field."""
        return self._text("language")

    @property
    def prompt(self) -> str | None:
        """The ``prompt`` field."""
        return self._text("prompt")

    @property
    def timestamp_granularities(self) -> list[str]:
        """The ``timestamp_granularities[]`` values."""
        values = self.fields.get("timestamp_granularities[]", [])
        return [values] if isinstance(values, str) else list(values)

    @property
    def stream(self) -> bool:
        """Whether ``stream`` is true."""
        return (self._text("stream") or "").lower() == "true"

    def _text(self, name: str) -> str | None:
        value = self.fields.get(name)
        return value if isinstance(value, str) else None


def default_transcript(request: TranscriptionRequest) -> str:
    """One sentence per started 10 s: ``"Transcribed N seconds of audio, sentence k."``."""
    seconds = request.duration or 0.0
    total = round(seconds)
    count = max(1, math.ceil(seconds / 10))
    return " ".join(
        f"Transcribed {total} seconds of audio, sentence {k}." for k in range(1, count + 1)
    )


def _decoded_seconds(data: bytes) -> float:
    """Seconds of the first audio stream, by decoding every frame; ValueError if it cannot."""
    try:
        with av.open(io.BytesIO(data)) as container:
            if not container.streams.audio:
                raise ValueError("no audio stream")
            samples = 0.0
            for frame in container.decode(audio=0):
                samples += frame.samples / (frame.sample_rate or 1)
            return samples
    except Exception as exc:  # FFmpegError, and whatever else a broken file provokes
        raise ValueError(str(exc)) from exc


def _spread(text: str, duration: float) -> list[tuple[float, float, str]]:
    """Split ``text`` into sentences over ``duration`` seconds, by their share of characters."""
    sentences = [s for s in _SENTENCE_RE.split(text.strip()) if s]
    if not sentences:
        return []
    total = sum(len(s) for s in sentences)
    spans: list[tuple[float, float, str]] = []
    start = 0.0
    for sentence in sentences:
        end = min(duration, start + duration * len(sentence) / total)
        spans.append((round(start, 2), round(end, 2), sentence))
        start = end
    return spans


def _segment_objects(spans: Sequence[tuple[float, float, str]]) -> list[dict[str, Any]]:
    return [
        {
            "id": index,
            "seek": int(start * 100),
            "start": start,
            "end": end,
            "text": f" {text.strip()}",
            "tokens": [50364 + n for n in range(count_tokens(text))],
            "temperature": 0.0,
            "avg_logprob": -0.25,
            "compression_ratio": 1.2,
            "no_speech_prob": 0.01,
        }
        for index, (start, end, text) in enumerate(spans)
    ]


def _word_objects(spans: Sequence[tuple[float, float, str]]) -> list[dict[str, Any]]:
    words: list[dict[str, Any]] = []
    for start, end, text in spans:
        pieces = text.split()
        step = (end - start) / max(1, len(pieces))
        for n, word in enumerate(pieces):
            words.append(
                {
                    "word": word,
                    "start": round(start + n * step, 2),
                    "end": round(start + (n + 1) * step, 2),
                }
            )
    return words


def _subtitle_time(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _subtitles(spans: Sequence[tuple[float, float, str]], kind: str) -> str:
    separator = "," if kind == "srt" else "."
    cues = []
    for index, (start, end, text) in enumerate(spans, start=1):
        timing = f"{_subtitle_time(start, separator)} --> {_subtitle_time(end, separator)}"
        cue = f"{timing}\n{text.strip()}\n"
        cues.append(f"{index}\n{cue}" if kind == "srt" else cue)
    if kind == "srt":
        return "\n".join(cues)
    return "WEBVTT\n\n" + "\n".join(cues)


def _validate_transcription(
    request: TranscriptionRequest, models: Mapping[str, Sequence[str]]
) -> None:
    """The reference's checks on the fields (the file is checked afterwards)."""
    model = request.model
    if request.filename is None:
        raise _missing("file")
    if not model:
        raise _missing("model")
    response_format = request.response_format
    if response_format not in TRANSCRIPTION_FORMATS:
        raise _invalid_value("response_format", response_format, TRANSCRIPTION_FORMATS)
    if model in models and response_format not in models[model]:
        raise _Invalid(
            f"response_format '{response_format}' is not compatible with model '{model}'. "
            f"Use {' or '.join(repr(f) for f in models[model])}.",
            "response_format",
            "unsupported_value",
        )
    granularities = request.timestamp_granularities
    if granularities and response_format != "verbose_json":
        raise _Invalid(
            "timestamp_granularities is only supported with response_format 'verbose_json'.",
            "timestamp_granularities",
            "unsupported_value",
        )
    for value in granularities:
        if value not in ("word", "segment"):
            raise _invalid_value("timestamp_granularities", value, ("word", "segment"))
    _validate_transcription_values(request)


def _validate_transcription_values(request: TranscriptionRequest) -> None:
    language = request.language
    if language is not None and not re.fullmatch(r"[a-z]{2,3}", language):
        raise _Invalid(
            f"Invalid language '{language}'. Language parameter must be specified in "
            "ISO-639-1 format.",
            "language",
            "invalid_value",
        )
    temperature = request._text("temperature")
    if temperature is not None:
        try:
            value = float(temperature)
        except ValueError:
            raise _invalid_type("temperature", "a decimal", temperature) from None
        _check_range("temperature", value, 0, 1, "decimal")
    stream = request._text("stream")
    if stream is not None and stream.lower() not in ("true", "false"):
        raise _invalid_type("stream", "a boolean", stream)


class FakeOpenAI:
    """An OpenAI-compatible Chat Completions server on a random port of 127.0.0.1.

    Use as ``async with FakeOpenAI() as server`` and point the client at :attr:`url`
    (which already ends in ``/v1``). ``first_token_delay``, ``tokens_per_second`` and
    ``chunk_words`` may be changed at any time and apply to requests arriving afterwards.
    A non-streaming reply waits ``delay + first_token_delay + completion_tokens / tps``. A stream
    sends headers and the role chunk after ``delay``, the first content chunk
    ``first_token_delay`` later, and each further chunk after its own token count / tps.
    """

    def __init__(
        self,
        api_key: str = "sk-test-key",
        *,
        first_token_delay: float = 0.0,
        tokens_per_second: float | None = None,
        chunk_words: int = 1,
    ) -> None:
        self.api_key = api_key
        self.first_token_delay = first_token_delay
        self.tokens_per_second = tokens_per_second
        self.chunk_words = chunk_words
        self.requests: list[ChatRequest] = []
        self.responder: Responder | None = default_responder
        self.models: list[str] = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", *REASONING_MODELS]
        #: Models that, as OpenAI's reasoning models do, refuse ``max_tokens`` (they take
        #: ``max_completion_tokens``) and any temperature but the default, 1.
        self.reasoning_models: set[str] = set(REASONING_MODELS)
        #: As a vLLM server whose model's chat template demands it (Mistral, Gemma): a 400
        #: unless user and assistant messages take turns after the system message(s).
        self.alternating_roles = False
        #: Parameters refused as an OpenAI-compatible server built on pydantic refuses unknown
        #: fields (Mistral's API on ``stream_options``): a 422 naming the field.
        self.unknown_parameters: set[str] = set()
        self._scripted: deque[Reply] = deque()
        self._failures: deque[Reply] = deque()
        self._fail_always: Reply | None = None
        self._arrived = asyncio.Event()
        self.transcription_requests: list[TranscriptionRequest] = []
        self.transcription_responder: TranscriptionResponder = default_transcript
        self.transcription_models: dict[str, tuple[str, ...]] = dict(TRANSCRIPTION_MODELS)
        #: Longest audio each model takes, in seconds (OpenAI's gpt-4o models: 1,400).
        self.transcription_max_seconds: dict[str, float] = {
            "gpt-4o-transcribe": 1400.0,
            "gpt-4o-mini-transcribe": 1400.0,
        }
        self.transcription_delay = 0.0
        self._scripted_transcripts: deque[str | ScriptedSegments] = deque()
        self._transcription_failures: deque[TranscriptionFailure] = deque()
        self._transcription_arrived = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> FakeOpenAI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind a free port on 127.0.0.1 and start serving."""
        app = web.Application(middlewares=[self._errors_as_json])
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/v1/models/{model}", self._get_model)
        app.router.add_post("/v1/audio/transcriptions", self._transcriptions)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Cancel in-flight (hanging, delayed, streaming) handlers and shut the server down."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=0.5)
        await runner.cleanup()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._port is None:
            raise RuntimeError("FakeOpenAI is not started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL including ``/v1``, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting ---------------------------------------------------------------------------

    def script(self, *replies: str | Reply) -> None:
        """Queue replies for the next requests, in order; afterwards the responder answers."""
        self._scripted.extend(r if isinstance(r, Reply) else Reply(content=r) for r in replies)

    def fail_next(
        self,
        status: int,
        *,
        count: int = 1,
        retry_after: float | None = None,
        message: str | None = None,
        error_type: str | None = None,
        error_code: str | None = None,
    ) -> None:
        """Make the next ``count`` requests fail with ``status`` (before any scripted reply)."""
        for _ in range(count):
            self._failures.append(
                Reply(
                    status=status,
                    retry_after=retry_after,
                    error_message=message,
                    error_type=error_type,
                    error_code=error_code,
                )
            )

    def fail_always(self, status: int) -> None:
        """Make every request fail with ``status`` until :meth:`recover`."""
        self._fail_always = Reply(status=status)

    def recover(self) -> None:
        """Undo :meth:`fail_always` and drop pending :meth:`fail_next` failures."""
        self._fail_always = None
        self._failures.clear()

    async def wait_for_requests(self, n: int, timeout: float = 10.0) -> list[ChatRequest]:
        """Wait until ``n`` chat requests arrived and return the first ``n``."""
        try:
            async with asyncio.timeout(timeout):
                while len(self.requests) < n:
                    await self._arrived.wait()
        except TimeoutError:
            raise TimeoutError(
                f"expected {n} chat completion requests within {timeout}s, got {len(self.requests)}"
            ) from None
        return self.requests[:n]

    # -- HTTP --------------------------------------------------------------------------------

    @web.middleware
    async def _errors_as_json(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Track handler tasks (for shutdown) and turn routing errors into OpenAI errors."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status not in (404, 405):
                raise
            return self._error(
                exc.status,
                f"Invalid URL ({request.method} {request.path})",
                "invalid_request_error",
            )
        finally:
            if task is not None:
                self._tasks.discard(task)

    def _error(
        self,
        status: int,
        message: str,
        type_: str,
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        all_headers = {"x-request-id": f"req_{uuid.uuid4().hex}"}
        all_headers.update(headers or {})
        return web.json_response(
            _error_body(message, type_, param, code), status=status, headers=all_headers
        )

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token and token == self.api_key:
            return None
        if not token or scheme.lower() != "bearer":
            message = (
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
        else:
            shown = f"{token[:3]}*****{token[-4:]}" if len(token) > 8 else "*****"
            message = (
                f"Incorrect API key provided: {shown}. You can find your API key at "
                "https://platform.openai.com/account/api-keys."
            )
        return self._error(401, message, "invalid_request_error", None, "invalid_api_key")

    async def _list_models(self, request: web.Request) -> web.Response:
        if (denied := self._unauthorized(request)) is not None:
            return denied
        return web.json_response(
            {"object": "list", "data": [self._model_object(m) for m in self._all_models()]}
        )

    def _all_models(self) -> list[str]:
        """Chat and speech-to-text models, as OpenAI lists both."""
        return [*self.models, *(m for m in self.transcription_models if m not in self.models)]

    async def _get_model(self, request: web.Request) -> web.Response:
        if (denied := self._unauthorized(request)) is not None:
            return denied
        model = request.match_info["model"]
        if model not in self._all_models():
            return self._error(
                404,
                f"The model '{model}' does not exist",
                "invalid_request_error",
                "model",
                "model_not_found",
            )
        return web.json_response(self._model_object(model))

    @staticmethod
    def _model_object(model: str) -> dict[str, Any]:
        return {"id": model, "object": "model", "created": _MODEL_CREATED, "owned_by": "fake"}

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        at = time.monotonic()
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        chat = ChatRequest(
            body=body if isinstance(body, dict) else {},
            headers=_Headers(request.headers.items()),
            at=at,
        )
        self.requests.append(chat)
        self._arrived.set()
        self._arrived = asyncio.Event()
        response = await self._answer(request, chat, body)
        if chat.status is None:
            chat.status = response.status
        return response

    async def _answer(
        self, request: web.Request, chat: ChatRequest, body: Any
    ) -> web.StreamResponse:
        if (denied := self._unauthorized(request)) is not None:
            return denied
        if not isinstance(body, dict):
            return self._error(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means you "
                "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, "
                "but what was sent was not valid JSON.)",
                "invalid_request_error",
            )
        try:
            _validate(body)
            self._validate_dialect(body)
        except _Invalid as exc:
            return self._error(
                exc.status, exc.message, "invalid_request_error", exc.param, exc.code
            )
        reply = await self._next_reply(chat)
        chat.reply = reply
        if reply.delay > 0:
            await asyncio.sleep(reply.delay)
        if reply.hang and not (chat.stream and reply.cut_after_chunks is not None):
            await asyncio.Future()  # never resolves; cancelled on disconnect or stop()
        if reply.status != 200:
            return self._reply_error(chat, reply)
        completion = _complete(chat, reply)
        if chat.stream:
            return await self._stream(request, chat, reply, completion)
        return await self._respond_json(chat, reply, completion)

    async def _next_reply(self, chat: ChatRequest) -> Reply:
        if self._fail_always is not None:
            return self._fail_always
        if self._failures:
            return self._failures.popleft()
        if self._scripted:
            return self._scripted.popleft()
        result: Any = (self.responder or default_responder)(chat)
        if inspect.isawaitable(result):
            result = await result
        return result if isinstance(result, Reply) else Reply(content=str(result))

    def _validate_dialect(self, body: dict[str, Any]) -> None:
        """The refusals of servers and models other than the reference's default (see the
        attributes set in ``__init__``)."""
        for name in sorted(self.unknown_parameters & body.keys()):
            raise _Invalid(f"Extra inputs are not permitted: body.{name}", name, status=422)
        if body["model"] in self.reasoning_models:
            if "max_tokens" in body:
                raise _Invalid(
                    "Unsupported parameter: 'max_tokens' is not supported with this model. "
                    "Use 'max_completion_tokens' instead.",
                    "max_tokens",
                    "unsupported_parameter",
                )
            temperature = body.get("temperature")
            if temperature is not None and temperature != 1:
                raise _Invalid(
                    f"Unsupported value: 'temperature' does not support {temperature} with this "
                    "model. Only the default (1) value is supported.",
                    "temperature",
                    "unsupported_value",
                )
        if self.alternating_roles:
            roles = [
                m["role"] for m in body["messages"] if m["role"] not in ("system", "developer")
            ]
            if any(role != ("user", "assistant")[i % 2] for i, role in enumerate(roles)):
                raise _Invalid(
                    "Conversation roles must alternate user/assistant/user/assistant/...", None
                )

    def _reply_error(self, chat: ChatRequest, reply: Reply) -> web.Response:
        fallback = ("server_error", "Server error.", None)
        if 400 <= reply.status < 500:
            fallback = ("invalid_request_error", "Request failed.", None)
        type_, message, code = _DEFAULT_ERRORS.get(reply.status, fallback)
        if reply.status == 404:
            message = f"The model '{chat.model}' does not exist or you do not have access to it."
            code = "model_not_found"
        headers = dict(reply.headers or {})
        if reply.retry_after is not None:
            headers["Retry-After"] = _format_seconds(reply.retry_after)
            headers["retry-after-ms"] = str(round(reply.retry_after * 1000))
        return self._error(
            reply.status,
            reply.error_message or message,
            reply.error_type or type_,
            None,
            reply.error_code or code,
            headers,
        )

    def _base(self, chat: ChatRequest, obj: str) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": obj,
            "created": int(time.time()),
            "model": chat.model,
            "service_tier": "default",
            "system_fingerprint": _FINGERPRINT,
        }

    async def _respond_json(
        self, chat: ChatRequest, reply: Reply, completion: _Completion
    ) -> web.Response:
        generated = completion.usage["completion_tokens"]
        wait = self.first_token_delay
        if self.tokens_per_second:
            wait += generated / self.tokens_per_second
        if wait > 0:
            await asyncio.sleep(wait)
        headers = {"x-request-id": f"req_{uuid.uuid4().hex}", **(reply.headers or {})}
        if reply.malformed:
            return web.Response(
                body=b'{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"ind',
                content_type="application/json",
                headers=headers,
            )
        content: str | None = completion.content
        if completion.refusal is not None and not content:
            content = None
        message = {"role": "assistant", "content": content, "refusal": completion.refusal}
        n = chat.body.get("n") or 1
        payload = self._base(chat, "chat.completion")
        payload["choices"] = [
            {
                "index": i,
                "message": dict(message),
                "logprobs": None,
                "finish_reason": completion.finish_reason,
            }
            for i in range(n)
        ]
        payload["usage"] = completion.usage
        return web.json_response(payload, headers=headers)

    async def _stream(
        self, request: web.Request, chat: ChatRequest, reply: Reply, completion: _Completion
    ) -> web.StreamResponse:
        options = chat.body.get("stream_options") or {}
        include_usage = options.get("include_usage") is True
        n = chat.body.get("n") or 1
        base = self._base(chat, "chat.completion.chunk")
        if include_usage:
            base["usage"] = None

        numbers = itertools.count()

        def choice(i: int, delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
            made = {"index": i, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            if reply.chunk_index == "count":
                made["index"] = next(numbers)
            elif reply.chunk_index == "omit":
                del made["index"]
            return made

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
            return b"".join(
                _sse({**base, "choices": [choice(i, delta, finish_reason)]}) for i in range(n)
            )

        response = web.StreamResponse(
            status=200,
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "x-request-id": f"req_{uuid.uuid4().hex}",
                **(reply.headers or {}),
            },
        )
        response.enable_chunked_encoding()
        await response.prepare(request)
        chat.status = 200
        await response.write(chunk({"role": "assistant", "content": "", "refusal": None}))

        pieces = [("content", p) for p in _split_chunks(completion.content, self.chunk_words)]
        pieces += [
            ("refusal", p) for p in _split_chunks(completion.refusal or "", self.chunk_words)
        ]
        if not await self._write_pieces(response, reply, pieces, chunk):
            return await self._cut(request, response, reply)
        if reply.malformed and not pieces:
            await response.write(b"data: {this is not json\n\n")
        if reply.cut_after_chunks is not None:
            return await self._cut(request, response, reply)

        await response.write(chunk({}, completion.finish_reason))
        if include_usage:
            await response.write(_sse({**base, "choices": [], "usage": completion.usage}))
        await response.write(_sse("[DONE]"))
        await response.write_eof()
        return response

    async def _write_pieces(
        self,
        response: web.StreamResponse,
        reply: Reply,
        pieces: list[tuple[str, str]],
        chunk: Callable[[dict[str, Any]], bytes],
    ) -> bool:
        """Write the pieces at the configured pace; ``False`` where ``cut_after_chunks`` cuts."""
        loop = asyncio.get_running_loop()
        start = loop.time() + self.first_token_delay
        elapsed_tokens = 0
        for k, (key, text) in enumerate(pieces):
            if reply.cut_after_chunks is not None and k >= reply.cut_after_chunks:
                return False
            if k > 0 and self.tokens_per_second:
                elapsed_tokens += count_tokens(text)
            due = start + (elapsed_tokens / self.tokens_per_second if self.tokens_per_second else 0)
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            await response.write(chunk({key: text}))
            if reply.malformed and k == 0:
                await response.write(b"data: {this is not json\n\n")
        return True

    @staticmethod
    async def _cut(
        request: web.Request, response: web.StreamResponse, reply: Reply
    ) -> web.StreamResponse:
        """End a stream abruptly: stall forever if ``hang``, else close the connection."""
        if reply.hang:
            await asyncio.Future()
        if request.transport is not None:
            request.transport.close()
        return response

    # -- audio transcriptions ----------------------------------------------------------------

    def script_transcript(self, *items: str | ScriptedSegments) -> None:
        """Queue what the next transcription requests hear: a text (spread over the decoded
        duration) or ``(start, end, text)`` segments, used as they are."""
        self._scripted_transcripts.extend(items)

    def fail_next_transcription(
        self,
        status: int,
        *,
        count: int = 1,
        message: str | None = None,
        retry_after: float | None = None,
        error_type: str | None = None,
        error_code: str | None = None,
        param: str | None = None,
    ) -> None:
        """Make the next ``count`` valid transcription requests fail with ``status``."""
        failure = TranscriptionFailure(status, message, retry_after, error_type, error_code, param)
        self._transcription_failures.extend([failure] * count)

    async def wait_for_transcriptions(
        self, n: int, timeout: float = 10.0
    ) -> list[TranscriptionRequest]:
        """Wait until ``n`` transcription requests arrived and return the first ``n``."""
        try:
            async with asyncio.timeout(timeout):
                while len(self.transcription_requests) < n:
                    await self._transcription_arrived.wait()
        except TimeoutError:
            raise TimeoutError(
                f"expected {n} transcription requests within {timeout}s, "
                f"got {len(self.transcription_requests)}"
            ) from None
        return self.transcription_requests[:n]

    async def _transcriptions(self, request: web.Request) -> web.StreamResponse:
        record = TranscriptionRequest(
            headers=_Headers(request.headers.items()), at=time.monotonic()
        )
        # Recorded once its fields are read, so a waiting test sees them.
        form = await self._read_transcription_form(request, record)
        self.transcription_requests.append(record)
        self._transcription_arrived.set()
        self._transcription_arrived = asyncio.Event()
        response = await self._transcribe(request, record, form)
        if record.status is None:
            record.status = response.status
        return response

    async def _transcribe(
        self, request: web.Request, record: TranscriptionRequest, form: bytes | web.Response
    ) -> web.StreamResponse:
        if (denied := self._unauthorized(request)) is not None:
            return denied
        if isinstance(form, web.Response):
            return form
        try:
            _validate_transcription(record, self.transcription_models)
        except _Invalid as exc:
            return self._error(400, exc.message, "invalid_request_error", exc.param, exc.code)
        if record.model not in self.transcription_models:
            return self._error(
                404,
                f"The model '{record.model}' does not exist or you do not have access to it.",
                "invalid_request_error",
                None,
                "model_not_found",
            )
        if (problem := await self._check_audio(record, form)) is not None:
            return problem
        if self.transcription_delay > 0:
            await asyncio.sleep(self.transcription_delay)
        if self._transcription_failures:
            return self._transcription_failure(self._transcription_failures.popleft())
        spans = self._heard(record)
        if record.stream and record.model != "whisper-1":  # whisper-1 ignores `stream`
            return await self._stream_transcript(request, spans)
        return self._transcription_body(record, spans)

    async def _read_transcription_form(
        self, request: web.Request, record: TranscriptionRequest
    ) -> bytes | web.Response:
        """Fields into ``record``, the file's bytes returned; 400 or 413 as a response."""
        if not request.content_type.startswith("multipart/form-data"):
            return self._error(
                400,
                f"Invalid Content-Type header ({request.content_type}), expected "
                "multipart/form-data. (HINT: If you're using curl, you can pass -H "
                "'Content-Type: multipart/form-data')",
                "invalid_request_error",
            )
        content = bytearray()
        try:
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if isinstance(part, aiohttp.BodyPartReader) and part.name:
                    await self._read_part(part, record, content)
        except (ValueError, aiohttp.ClientPayloadError):
            return self._error(400, "Could not parse multipart form", "invalid_request_error")
        if record.size > TRANSCRIPTION_MAX_BYTES:
            return self._error(
                413,
                f"Maximum content size limit ({TRANSCRIPTION_MAX_BYTES}) exceeded "
                f"({record.size} bytes read)",
                "server_error",
            )
        return bytes(content)

    @staticmethod
    async def _read_part(
        part: aiohttp.BodyPartReader, record: TranscriptionRequest, content: bytearray
    ) -> None:
        name = part.name or ""
        if name == "file" and part.filename is not None:
            record.filename = part.filename
            # Past the limit the rest is read and dropped: answering mid-upload would
            # reset the connection instead of showing the client the 413.
            while chunk := await part.read_chunk(1024 * 1024):
                record.size += len(chunk)
                if record.size <= TRANSCRIPTION_MAX_BYTES:
                    content += chunk
            return
        value = await part.text()
        if name.endswith("[]"):
            values = record.fields.setdefault(name, [])
            if isinstance(values, list):
                values.append(value)
        else:
            record.fields[name] = value

    async def _check_audio(self, record: TranscriptionRequest, data: bytes) -> web.Response | None:
        extension = (record.filename or "").rpartition(".")[2].lower()
        if "." not in (record.filename or "") or extension not in AUDIO_EXTENSIONS:
            return self._error(
                400,
                f"Invalid file format. Supported formats: {list(AUDIO_EXTENSIONS)}",
                "invalid_request_error",
                None,
                "invalid_value",
            )
        try:
            record.duration = await asyncio.to_thread(_decoded_seconds, data)
        except ValueError:
            record.duration = None
        if not record.duration:
            return self._error(
                400,
                "Audio file might be corrupted or unsupported",
                "invalid_request_error",
                "file",
                "invalid_value",
            )
        longest = self.transcription_max_seconds.get(record.model or "")
        if longest is not None and record.duration > longest:
            return self._error(
                400,
                f"audio duration {record.duration:.0f} seconds is longer than {longest:.0f} "
                "seconds which is the maximum for this model",
                "invalid_request_error",
                None,
                "invalid_value",
            )
        return None

    def _transcription_failure(self, failure: TranscriptionFailure) -> web.Response:
        fallback = ("server_error", "Server error.", None)
        if 400 <= failure.status < 500:
            fallback = ("invalid_request_error", "Request failed.", None)
        type_, message, code = _DEFAULT_ERRORS.get(failure.status, fallback)
        headers: dict[str, str] = {}
        if failure.retry_after is not None:
            headers["Retry-After"] = _format_seconds(failure.retry_after)
        return self._error(
            failure.status,
            failure.message or message,
            failure.error_type or type_,
            failure.param,
            failure.error_code or code,
            headers,
        )

    def _heard(self, record: TranscriptionRequest) -> list[tuple[float, float, str]]:
        duration = record.duration or 0.0
        heard = (
            self._scripted_transcripts.popleft()
            if self._scripted_transcripts
            else self.transcription_responder(record)
        )
        if isinstance(heard, str):
            return _spread(heard, duration)
        return [(float(start), float(end), str(text)) for start, end, text in heard]

    def _transcription_body(
        self, record: TranscriptionRequest, spans: list[tuple[float, float, str]]
    ) -> web.Response:
        text = " ".join(t.strip() for _, _, t in spans)
        duration = record.duration or 0.0
        kind = record.response_format
        if kind in ("srt", "vtt"):
            return web.Response(text=_subtitles(spans, kind), content_type="text/plain")
        if kind == "text":
            return web.Response(text=text + "\n", content_type="text/plain")
        usage: dict[str, Any] = {"type": "duration", "seconds": math.ceil(duration)}
        if record.model != "whisper-1":
            tokens = count_tokens(text)
            audio = math.ceil(duration * 10)
            usage = {
                "type": "tokens",
                "input_tokens": audio,
                "input_token_details": {"text_tokens": 0, "audio_tokens": audio},
                "output_tokens": tokens,
                "total_tokens": audio + tokens,
            }
        if kind == "json":
            return web.json_response({"text": text, "usage": usage})
        language = record.language or "en"
        body: dict[str, Any] = {
            "task": "transcribe",
            "language": _LANGUAGE_NAMES.get(language, language),
            "duration": duration,
            "text": text,
            "segments": _segment_objects(spans),
            "usage": usage,
        }
        if "word" in record.timestamp_granularities:
            body["words"] = _word_objects(spans)
        return web.json_response(body)

    async def _stream_transcript(
        self, request: web.Request, spans: list[tuple[float, float, str]]
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        text = " ".join(t.strip() for _, _, t in spans)
        for piece in _split_chunks(text, self.chunk_words):
            await response.write(_sse({"type": "transcript.text.delta", "delta": piece}))
        tokens = count_tokens(text)
        usage = {
            "type": "tokens",
            "input_tokens": 0,
            "output_tokens": tokens,
            "total_tokens": tokens,
        }
        await response.write(_sse({"type": "transcript.text.done", "text": text, "usage": usage}))
        await response.write_eof()
        return response
