"""Tests for the fake OpenAI server, driven by the real ``openai`` client and plain httpx."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import openai
import pytest
from openai import AsyncOpenAI, AsyncStream
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

from tests.fakes.openai_api import FakeOpenAI, Reply, count_tokens

SYSTEM = "You summarize articles."
ARTICLE = "The quick brown fox jumps over the lazy dog near the river bank."
MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": SYSTEM},
    {"role": "user", "content": ARTICLE},
]


async def collect_content(stream: AsyncStream[ChatCompletionChunk], into: list[str]) -> None:
    """Append every content delta of ``stream`` to ``into``."""
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            into.append(chunk.choices[0].delta.content)


@pytest.fixture
async def client(llm_api: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    """A real client without retries, pointed at the fake."""
    async with AsyncOpenAI(api_key=llm_api.api_key, base_url=llm_api.url, max_retries=0) as c:
        yield c


async def test_non_streaming_default_responder(llm_api: FakeOpenAI, client: AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, temperature=0.2, user="u1"
    )
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == "gpt-4o-mini"
    choice = completion.choices[0]
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.refusal is None
    assert (
        choice.message.content
        == "Summary: The quick brown fox jumps over the lazy dog near the river"
    )
    assert completion.usage is not None
    prompt = count_tokens(SYSTEM) + count_tokens(ARTICLE)
    assert completion.usage.prompt_tokens == prompt
    assert completion.usage.completion_tokens == count_tokens(choice.message.content)
    assert completion.usage.total_tokens == prompt + completion.usage.completion_tokens

    [request] = await llm_api.wait_for_requests(1)
    assert request.model == "gpt-4o-mini"
    assert not request.stream
    assert request.status == 200
    assert request.headers["Authorization"] == "Bearer sk-test-key"
    assert "You summarize articles." in request.user_text
    assert "lazy dog" in request.user_text


async def test_streaming_with_usage(llm_api: FakeOpenAI, client: AsyncOpenAI) -> None:
    llm_api.chunk_words = 2
    llm_api.script("one two three four five")
    stream = await client.chat.completions.create(
        model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]
    assert all(c.object == "chat.completion.chunk" and c.model == "m" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    first, *middle, final, usage_chunk = chunks
    assert first.choices[0].delta.role == "assistant"
    assert first.choices[0].delta.content == ""
    deltas = [c.choices[0].delta.content for c in middle]
    assert deltas == ["one two", " three four", " five"]
    assert final.choices[0].finish_reason == "stop"
    assert final.choices[0].delta.content is None
    assert usage_chunk.choices == []
    assert usage_chunk.usage is not None
    assert usage_chunk.usage.completion_tokens == 5
    assert all(c.usage is None for c in chunks[:-1])


async def test_streaming_paced(llm_api: FakeOpenAI, client: AsyncOpenAI) -> None:
    llm_api.first_token_delay = 0.2
    llm_api.tokens_per_second = 20
    llm_api.script("a b c d e")
    start = time.monotonic()
    times: list[float] = []
    async with await client.chat.completions.create(
        model="m", messages=MESSAGES, stream=True
    ) as stream:
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                times.append(time.monotonic() - start)
    assert len(times) == 5
    assert times[0] >= 0.2
    assert times[-1] - times[0] >= 4 / 20 - 0.02


async def test_scripted_replies_then_responder(llm_api: FakeOpenAI, client: AsyncOpenAI) -> None:
    llm_api.script("first", Reply(content="second", finish_reason="content_filter"))
    llm_api.responder = lambda req: f"echo {req.model}"
    results = [await client.chat.completions.create(model="x", messages=MESSAGES) for _ in range(3)]
    assert [r.choices[0].message.content for r in results] == ["first", "second", "echo x"]
    assert results[1].choices[0].finish_reason == "content_filter"


async def test_refusal_and_usage_override(llm_api: FakeOpenAI, client: AsyncOpenAI) -> None:
    llm_api.script(Reply(refusal="I can't help with that.", usage={"prompt_tokens": 1000}))
    completion = await client.chat.completions.create(model="m", messages=MESSAGES)
    message = completion.choices[0].message
    assert message.content is None
    assert message.refusal == "I can't help with that."
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 1000
    assert completion.usage.total_tokens == 1000 + completion.usage.completion_tokens


async def test_rate_limit_retry_after_honoured_by_client(llm_api: FakeOpenAI) -> None:
    llm_api.fail_next(429, retry_after=0.3)
    async with AsyncOpenAI(api_key=llm_api.api_key, base_url=llm_api.url, max_retries=1) as c:
        completion = await c.chat.completions.create(model="m", messages=MESSAGES)
    assert (completion.choices[0].message.content or "").startswith("Summary: ")
    failed, retried = await llm_api.wait_for_requests(2)
    assert failed.status == 429
    assert retried.status == 200
    assert retried.at - failed.at >= 0.3


async def test_rate_limit_error_body(llm_api: FakeOpenAI, client: AsyncOpenAI) -> None:
    llm_api.fail_next(429, retry_after=2, message="slow down")
    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(model="m", messages=MESSAGES)
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "2"
    assert caught.value.response.headers["retry-after-ms"] == "2000"
    assert caught.value.body == {
        "message": "slow down",
        "type": "rate_limit_error",
        "param": None,
        "code": "rate_limit_exceeded",
    }


async def test_wrong_api_key(llm_api: FakeOpenAI) -> None:
    async with AsyncOpenAI(api_key="sk-wrong-key", base_url=llm_api.url, max_retries=0) as c:
        with pytest.raises(openai.AuthenticationError) as caught:
            await c.chat.completions.create(model="m", messages=MESSAGES)
    assert caught.value.code == "invalid_api_key"
    assert caught.value.type == "invalid_request_error"
    assert "Incorrect API key provided" in caught.value.message
    assert llm_api.requests[0].status == 401


async def test_fail_always_and_recover(llm_api: FakeOpenAI, client: AsyncOpenAI) -> None:
    llm_api.fail_always(500)
    for _ in range(2):
        with pytest.raises(openai.InternalServerError) as caught:
            await client.chat.completions.create(model="m", messages=MESSAGES)
        assert caught.value.type == "server_error"
    llm_api.recover()
    completion = await client.chat.completions.create(model="m", messages=MESSAGES)
    assert completion.choices[0].finish_reason == "stop"
    assert [r.status for r in llm_api.requests] == [500, 500, 200]


async def test_hang_until_client_timeout(llm_api: FakeOpenAI) -> None:
    llm_api.script(Reply(hang=True))
    async with AsyncOpenAI(
        api_key=llm_api.api_key, base_url=llm_api.url, max_retries=0, timeout=0.3
    ) as c:
        with pytest.raises(openai.APITimeoutError):
            await c.chat.completions.create(model="m", messages=MESSAGES)
    assert llm_api.requests[0].status is None


async def test_stop_does_not_wait_for_hanging_handlers() -> None:
    server = FakeOpenAI()
    await server.start()
    http = httpx.AsyncClient(timeout=5)
    try:
        server.script(Reply(hang=True))
        pending = asyncio.create_task(
            http.post(
                f"{server.url}/chat/completions",
                headers={"Authorization": f"Bearer {server.api_key}"},
                json={"model": "m", "messages": MESSAGES},
            )
        )
        await server.wait_for_requests(1)
        start = time.monotonic()
        await server.stop()
        assert time.monotonic() - start < 1.0
        with pytest.raises(httpx.TransportError):
            await pending
    finally:
        await http.aclose()


async def test_cut_stream_raises(llm_api: FakeOpenAI, client: AsyncOpenAI) -> None:
    llm_api.script(Reply(content="one two three four", cut_after_chunks=2))
    received: list[str] = []
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    with pytest.raises(openai.APIConnectionError):
        await collect_content(stream, received)
    await stream.close()
    assert received == ["one", " two"]


async def test_malformed_stream_raises(llm_api: FakeOpenAI, client: AsyncOpenAI) -> None:
    llm_api.script(Reply(content="hello world", malformed=True))
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    with pytest.raises(json.JSONDecodeError):
        await collect_content(stream, [])
    await stream.close()


@pytest.mark.parametrize("stream", [False, True])
async def test_max_tokens_truncates(llm_api: FakeOpenAI, client: AsyncOpenAI, stream: bool) -> None:
    llm_api.script("Alpha beta, gamma delta epsilon.")
    if stream:
        parts: list[str] = []
        finish = None
        async with await client.chat.completions.create(
            model="m", messages=MESSAGES, max_completion_tokens=3, stream=True
        ) as chunks:
            async for chunk in chunks:
                parts.append(chunk.choices[0].delta.content or "")
                finish = chunk.choices[0].finish_reason or finish
        content = "".join(parts)
    else:
        completion = await client.chat.completions.create(
            model="m", messages=MESSAGES, max_tokens=3
        )
        content = completion.choices[0].message.content or ""
        finish = completion.choices[0].finish_reason
        assert completion.usage is not None
        assert completion.usage.completion_tokens == 3
    assert content == "Alpha beta,"
    assert finish == "length"
    assert llm_api.requests[0].max_tokens == 3


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"temperature": 3}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"stream_options": {"include_usage": True}}, "stream_options"),
    ],
)
async def test_validation_errors(
    llm_api: FakeOpenAI, client: AsyncOpenAI, extra: dict[str, object], param: str
) -> None:
    body = {"model": "m", "messages": MESSAGES, **extra}
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(**body)  # type: ignore[call-overload]
    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"
    assert caught.value.param == param
    assert llm_api.requests[0].reply is None


async def test_models_list(llm_api: FakeOpenAI, client: AsyncOpenAI) -> None:
    models = [m async for m in client.models.list()]
    # Chat models, then the speech-to-text ones, as OpenAI lists both.
    assert [m.id for m in models] == [*llm_api.models, *llm_api.transcription_models]
    assert (await client.models.retrieve("whisper-1")).id == "whisper-1"
    assert all(m.object == "model" and m.owned_by == "fake" for m in models)
    async with AsyncOpenAI(api_key="nope", base_url=llm_api.url, max_retries=0) as bad:
        with pytest.raises(openai.AuthenticationError):
            await bad.models.list()


async def test_raw_sse_framing(llm_api: FakeOpenAI) -> None:
    llm_api.script("Hi there")
    async with (
        httpx.AsyncClient(timeout=5) as http,
        http.stream(
            "POST",
            f"{llm_api.url}/chat/completions",
            headers={"Authorization": f"Bearer {llm_api.api_key}"},
            json={
                "model": "m",
                "messages": MESSAGES,
                "stream": True,
                "stream_options": {"include_usage": True},
            },
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = b"".join([part async for part in response.aiter_bytes()]).decode()
    assert raw.endswith("data: [DONE]\n\n")
    events = raw.split("\n\n")
    assert events.pop() == ""
    assert all(e.startswith("data: ") and "\n" not in e for e in events)
    payloads = [json.loads(e.removeprefix("data: ")) for e in events[:-1]]
    assert [p["choices"][0]["delta"] for p in payloads[:4]] == [
        {"role": "assistant", "content": "", "refusal": None},
        {"content": "Hi"},
        {"content": " there"},
        {},
    ]
    assert payloads[3]["choices"][0]["finish_reason"] == "stop"
    assert payloads[4]["choices"] == []
    assert payloads[4]["usage"]["completion_tokens"] == 2
    assert all(p["choices"][0]["index"] == 0 for p in payloads[:4])


async def post_chat(llm_api: FakeOpenAI, body: dict[str, object]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as http:
        return await http.post(
            f"{llm_api.url}/chat/completions",
            headers={"Authorization": f"Bearer {llm_api.api_key}"},
            json=body,
        )


async def test_reasoning_models_refuse_max_tokens_and_a_temperature(llm_api: FakeOpenAI) -> None:
    body: dict[str, object] = {"model": "o4-mini", "messages": MESSAGES, "max_tokens": 10}
    refused = (await post_chat(llm_api, body)).json()["error"]
    assert (refused["param"], refused["code"]) == ("max_tokens", "unsupported_parameter")
    assert "Use 'max_completion_tokens' instead" in refused["message"]
    body = {"model": "o4-mini", "messages": MESSAGES, "max_completion_tokens": 10}
    warm = await post_chat(llm_api, {**body, "temperature": 0.2})
    assert warm.status_code == 400
    assert warm.json()["error"]["code"] == "unsupported_value"
    assert (await post_chat(llm_api, {**body, "temperature": 1})).status_code == 200
    assert (await post_chat(llm_api, body)).status_code == 200
    plain = {"model": "gpt-4o-mini", "messages": MESSAGES, "max_tokens": 10, "temperature": 0.2}
    assert (await post_chat(llm_api, plain)).status_code == 200


async def test_strict_templates_want_alternating_roles(llm_api: FakeOpenAI) -> None:
    llm_api.alternating_roles = True
    twice = [*MESSAGES, {"role": "user", "content": "And then?"}]
    refused = await post_chat(llm_api, {"model": "m", "messages": twice})
    assert refused.status_code == 400
    assert "roles must alternate" in refused.json()["error"]["message"]
    turns = [*MESSAGES, {"role": "assistant", "content": "A fox."}, twice[-1]]
    assert (await post_chat(llm_api, {"model": "m", "messages": turns})).status_code == 200
    llm_api.alternating_roles = False
    assert (await post_chat(llm_api, {"model": "m", "messages": twice})).status_code == 200


async def test_unknown_parameters_are_a_422_naming_the_field(llm_api: FakeOpenAI) -> None:
    llm_api.unknown_parameters = {"stream_options"}
    body = {"model": "m", "messages": MESSAGES, "stream": True}
    refused = await post_chat(llm_api, {**body, "stream_options": {"include_usage": True}})
    assert refused.status_code == 422
    assert refused.json()["error"]["param"] == "stream_options"
    assert (await post_chat(llm_api, body)).status_code == 200


@pytest.mark.parametrize(("numbering", "indexes"), [("count", [0, 1, 2]), ("omit", [None] * 3)])
async def test_streams_can_number_choices_their_own_way(
    llm_api: FakeOpenAI, numbering: str, indexes: list[int | None]
) -> None:
    llm_api.script(Reply(content="Hi there", chunk_index=numbering))  # type: ignore[arg-type]
    raw = (await post_chat(llm_api, {"model": "m", "messages": MESSAGES, "stream": True})).text
    events = [e.removeprefix("data: ") for e in raw.split("\n\n") if e.startswith("data: {")]
    choices = [json.loads(event)["choices"][0] for event in events]
    assert [choice.get("index") for choice in choices][:3] == indexes
