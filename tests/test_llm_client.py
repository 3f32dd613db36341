"""The LLM client against the OpenAI-compatible fake: retries, deadlines, streaming, errors."""

from __future__ import annotations

import asyncio
import time

import pytest

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
from bot.llm.client import Usage
from bot.llm.tokens import load_counter
from tests.conftest import MakeClient
from tests.fakes.openai_api import FakeOpenAI, Reply, count_tokens

MESSAGES = [
    {"role": "system", "content": "You summarize."},
    {"role": "user", "content": "The mill on the Brackwater turns again after 60 years."},
]
ANSWER = "The mill turns again, the village says, after sixty quiet years."


async def test_request_shape_streams_with_max_tokens(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.script(ANSWER)
    completion = await make_client().complete(MESSAGES, max_tokens=123)
    [request] = llm_api.requests
    assert request.model == "gpt-4o-mini"
    assert request.stream
    assert request.body["max_tokens"] == 123
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.messages == MESSAGES
    assert completion.text == ANSWER
    assert completion.finish_reason == "stop"
    assert completion.requests == 1


async def test_pieces_arrive_in_order_through_callback_and_iterator(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.chunk_words = 2
    llm_api.script(ANSWER, ANSWER)
    client = make_client()
    pieces: list[str] = []

    async def collect(piece: str) -> None:
        pieces.append(piece)

    completion = await client.complete(MESSAGES, max_tokens=100, on_text=collect)
    assert len(pieces) > 3
    assert "".join(pieces) == ANSWER == completion.text

    async with client.stream(MESSAGES, max_tokens=100) as stream:
        streamed = [piece async for piece in stream]
        result = await stream.result()
    assert streamed == pieces
    assert result.text == ANSWER


async def test_first_piece_arrives_before_the_answer_ends(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.tokens_per_second = 40
    llm_api.script(ANSWER)
    client = make_client()
    # The tokenizer loads on first use (0.3 s): already loaded or not depends on which tests
    # ran before in this process, so it is loaded before the clock starts.
    await client.counter()
    started = time.monotonic()
    first: list[float] = []

    async def mark(_: str) -> None:
        first.append(time.monotonic() - started)

    await client.complete(MESSAGES, max_tokens=100, on_text=mark)
    total = time.monotonic() - started
    assert first[0] < total / 2


async def test_usage_comes_from_the_server(llm_api: FakeOpenAI, make_client: MakeClient) -> None:
    llm_api.script(ANSWER)
    usage = Usage()
    completion = await make_client().complete(MESSAGES, max_tokens=100, usage=usage)
    expected_prompt = sum(count_tokens(m["content"]) for m in MESSAGES)
    assert completion.prompt_tokens == expected_prompt == usage.prompt_tokens
    assert completion.completion_tokens == count_tokens(ANSWER) == usage.completion_tokens
    assert usage.requests == 1


async def test_usage_is_counted_when_the_server_sends_none(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.script(
        Reply(
            ANSWER,
            usage={"prompt_tokens": None, "completion_tokens": None, "total_tokens": None},
        )
    )
    completion = await make_client().complete(MESSAGES, max_tokens=100)
    counter = load_counter()
    assert completion.prompt_tokens == counter.count_messages(MESSAGES)
    assert completion.completion_tokens == counter.count(ANSWER)


async def test_429_honours_retry_after(llm_api: FakeOpenAI, make_client: MakeClient) -> None:
    llm_api.fail_next(429, retry_after=0.4)
    llm_api.script(ANSWER)
    usage = Usage()
    completion = await make_client().complete(MESSAGES, max_tokens=50, usage=usage)
    first, second = llm_api.requests
    waited = second.at - first.at
    assert 0.4 <= waited < 0.4 + 0.3
    assert completion.text == ANSWER
    assert completion.requests == usage.requests == 2


async def test_retry_after_beyond_patience_gives_up_with_busy_message(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.fail_next(429, retry_after=90)
    with pytest.raises(LLMBusyError) as caught:
        await make_client(max_wait=5.0).complete(MESSAGES, max_tokens=50)
    assert len(llm_api.requests) == 1
    assert caught.value.user_message == "The model is busy, try again in 90 s."
    assert "429" in caught.value.detail


async def test_5xx_backs_off_exponentially_then_fails(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.fail_always(500)
    usage = Usage()
    with pytest.raises(LLMError) as caught:
        await make_client(backoff=0.1, max_backoff=1.0).complete(
            MESSAGES, max_tokens=50, usage=usage
        )
    assert len(llm_api.requests) == 3 == usage.requests
    gaps = [b.at - a.at for a, b in zip(llm_api.requests, llm_api.requests[1:], strict=False)]
    # 0.1 s then 0.2 s, ± 50 % jitter: the lower bounds prove the waits; the upper ones allow
    # for a loaded machine (the suite runs in parallel) without accepting a missing cap.
    assert 0.05 <= gaps[0] <= 0.15 + 0.5
    assert 0.1 <= gaps[1] <= 0.3 + 0.5
    assert "500" in caught.value.detail
    assert "500" not in caught.value.user_message
    assert usage.prompt_tokens == 0  # nothing was billed


async def test_503_then_success(llm_api: FakeOpenAI, make_client: MakeClient) -> None:
    llm_api.fail_next(503, count=2)
    llm_api.script(ANSWER)
    completion = await make_client().complete(MESSAGES, max_tokens=50)
    assert completion.text == ANSWER
    assert len(llm_api.requests) == 3


async def test_max_tries_is_respected(llm_api: FakeOpenAI, make_client: MakeClient) -> None:
    llm_api.fail_always(502)
    with pytest.raises(LLMError):
        await make_client(max_tries=2).complete(MESSAGES, max_tokens=50)
    assert len(llm_api.requests) == 2


@pytest.mark.parametrize("status", [401, 403])
async def test_refused_key_is_not_retried(
    llm_api: FakeOpenAI, make_client: MakeClient, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    llm_api.fail_next(status)
    with pytest.raises(LLMAuthError) as caught:
        await make_client().complete(MESSAGES, max_tokens=50)
    assert len(llm_api.requests) == 1
    assert caught.value.user_message == "The bot's LLM key was refused: the operator has been told."
    assert str(status) in caught.value.detail
    assert any(record.levelname == "ERROR" for record in caplog.records)


async def test_wrong_key_is_refused(make_client: MakeClient, llm_api: FakeOpenAI) -> None:
    with pytest.raises(LLMAuthError) as caught:
        await make_client(api_key="sk-wrong").complete(MESSAGES, max_tokens=50)
    assert len(llm_api.requests) == 1
    assert "sk-wrong" not in caught.value.user_message


@pytest.mark.parametrize("status", [400, 404])
async def test_bad_request_and_unknown_model_are_not_retried(
    llm_api: FakeOpenAI, make_client: MakeClient, status: int
) -> None:
    llm_api.fail_next(status)
    with pytest.raises(LLMConfigError) as caught:
        await make_client().complete(MESSAGES, max_tokens=50)
    assert len(llm_api.requests) == 1
    assert str(status) in caught.value.detail


async def test_hang_past_the_deadline_times_out(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.script(Reply(hang=True), ANSWER)
    client = make_client(timeout=1.0, max_tries=1)
    started = time.monotonic()
    with pytest.raises(LLMTimeoutError) as caught:
        await client.complete(MESSAGES, max_tokens=50)
    assert time.monotonic() - started < 3.0, "the deadline, not the client's ten minutes"
    assert "in 1 s" in caught.value.detail
    # The next try on a fresh request works.
    assert (await client.complete(MESSAGES, max_tokens=50)).text == ANSWER


async def test_hang_is_retried_within_tries(llm_api: FakeOpenAI, make_client: MakeClient) -> None:
    llm_api.script(Reply(hang=True), ANSWER)
    # The deadline holds the whole second answer too: 0.3 s was missed once on a loaded CI.
    completion = await make_client(timeout=1.5, max_tries=2).complete(MESSAGES, max_tokens=50)
    assert completion.text == ANSWER
    assert len(llm_api.requests) == 2


async def test_stall_mid_stream_after_text_is_a_timeout_without_retry(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.script(Reply(ANSWER, cut_after_chunks=2, hang=True), ANSWER)
    shown: list[str] = []

    async def show(piece: str) -> None:
        shown.append(piece)

    with pytest.raises(LLMTimeoutError):
        await make_client(timeout=1.0).complete(MESSAGES, max_tokens=50, on_text=show)
    assert len(shown) == 2
    assert len(llm_api.requests) == 1


async def test_stream_cut_mid_way_after_text_is_an_error(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.script(Reply(ANSWER, cut_after_chunks=3), ANSWER)
    shown: list[str] = []

    async def show(piece: str) -> None:
        shown.append(piece)

    usage = Usage()
    with pytest.raises(LLMStreamError) as caught:
        await make_client().complete(MESSAGES, max_tokens=50, on_text=show, usage=usage)
    assert caught.value.user_message == "The model's answer was cut off. Please try again."
    assert len(shown) == 3
    assert len(llm_api.requests) == 1
    # The broken request is still accounted for, by our own count.
    assert usage.prompt_tokens > 0
    assert usage.completion_tokens == load_counter().count("".join(shown))


async def test_stream_cut_before_anything_was_shown_is_retried(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.script(Reply(ANSWER, cut_after_chunks=3), ANSWER)
    completion = await make_client().complete(MESSAGES, max_tokens=50)
    assert completion.text == ANSWER
    assert len(llm_api.requests) == 2


async def test_malformed_event_stream(llm_api: FakeOpenAI, make_client: MakeClient) -> None:
    llm_api.script(Reply(ANSWER, malformed=True), Reply(ANSWER, malformed=True), ANSWER)
    client = make_client()
    # Nothing shown yet: retried, and the third answer is clean.
    assert (await client.complete(MESSAGES, max_tokens=50)).text == ANSWER
    assert len(llm_api.requests) == 3

    llm_api.script(Reply(ANSWER, malformed=True))

    async def show(_: str) -> None:
        return None

    with pytest.raises(LLMStreamError) as caught:
        await client.complete(MESSAGES, max_tokens=50, on_text=show)
    assert "broke off" in caught.value.detail


async def test_empty_completion_is_retried_then_an_error(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.script(Reply(""), Reply("   "), Reply(""))
    with pytest.raises(LLMEmptyError) as caught:
        await make_client().complete(MESSAGES, max_tokens=50)
    assert len(llm_api.requests) == 3
    assert "empty" in caught.value.user_message


async def test_refusal_is_a_clear_error_without_retry(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.script(Reply(refusal="I can't help with that."))
    with pytest.raises(LLMRefusalError) as caught:
        await make_client().complete(MESSAGES, max_tokens=50)
    assert len(llm_api.requests) == 1
    assert "declined" in caught.value.user_message
    assert "I can't help" in caught.value.detail


async def test_content_filter_is_a_refusal(llm_api: FakeOpenAI, make_client: MakeClient) -> None:
    llm_api.script(Reply("", finish_reason="content_filter"))
    with pytest.raises(LLMRefusalError):
        await make_client().complete(MESSAGES, max_tokens=50)
    assert len(llm_api.requests) == 1


async def test_unreachable_endpoint_is_retried_then_reported(make_client: MakeClient) -> None:
    with pytest.raises(LLMError) as caught:
        await make_client(base_url="http://127.0.0.1:9/v1").complete(MESSAGES, max_tokens=50)
    assert "can't be reached" in caught.value.user_message
    assert "unreachable" in caught.value.detail


async def test_callers_own_callback_error_is_not_an_llm_error(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.script(ANSWER)

    async def broken(_: str) -> None:
        raise RuntimeError("telegram edit failed")

    with pytest.raises(RuntimeError, match="telegram edit failed"):
        await make_client().complete(MESSAGES, max_tokens=50, on_text=broken)
    assert len(llm_api.requests) == 1


async def test_check_makes_one_small_request(llm_api: FakeOpenAI, make_client: MakeClient) -> None:
    ok, detail = await make_client().check()
    assert ok, detail
    assert llm_api.requests[0].max_tokens == 5
    llm_api.fail_always(500)
    ok, detail = await make_client().check()
    assert not ok
    assert len(llm_api.requests) == 2  # one try only


async def test_leaving_a_stream_early_cancels_the_request(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.tokens_per_second = 20
    llm_api.script(ANSWER)
    async with make_client().stream(MESSAGES, max_tokens=50) as stream:
        async for _ in stream:
            break
    await asyncio.sleep(0.05)
    assert len(llm_api.requests) == 1


# Other servers' dialects (bot/llm/dialect.py): refused optional parameters are dropped once.


async def test_a_reasoning_model_is_asked_in_its_own_dialect_from_then_on(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.script(ANSWER, ANSWER)
    client = make_client(model="o4-mini")
    first = await client.complete(MESSAGES, max_tokens=50)
    assert first.text == ANSWER
    refused_tokens, refused_temperature, taken = llm_api.requests
    assert refused_tokens.status == refused_temperature.status == 400
    assert "max_tokens" not in taken.body
    assert taken.body["max_completion_tokens"] == 50
    assert "temperature" not in taken.body
    await client.complete(MESSAGES, max_tokens=60)
    assert len(llm_api.requests) == 4, "the next request goes out in the learned dialect"
    assert llm_api.requests[-1].body["max_completion_tokens"] == 60


async def test_stream_options_refused_is_left_out_and_usage_counted_here(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.unknown_parameters = {"stream_options"}
    llm_api.script(ANSWER)
    usage = Usage()
    completion = await make_client().complete(MESSAGES, max_tokens=100, usage=usage)
    refused, taken = llm_api.requests
    assert refused.status == 422
    assert "stream_options" not in taken.body
    assert completion.text == ANSWER
    assert usage.completion_tokens > 0


async def test_roles_are_joined_for_a_server_that_wants_them_to_alternate(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.alternating_roles = True
    llm_api.script(ANSWER, ANSWER)
    client = make_client()
    question = [*MESSAGES, {"role": "user", "content": "Who restored it?"}]
    assert (await client.complete(question, max_tokens=100)).text == ANSWER
    refused, taken = llm_api.requests
    assert refused.status == 400
    assert [m["role"] for m in taken.messages] == ["system", "user"]
    assert taken.messages[1]["content"] == f"{MESSAGES[1]['content']}\n\nWho restored it?"
    await client.complete(question, max_tokens=100)
    assert len(llm_api.requests) == 3, "joined from then on"


async def test_an_account_out_of_credit_is_not_retried_and_tells_the_operator(
    llm_api: FakeOpenAI, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    llm_api.fail_next(
        429,
        message="You exceeded your current quota, please check your plan and billing details.",
        error_type="insufficient_quota",
        error_code="insufficient_quota",
    )
    with pytest.raises(LLMAuthError) as raised:
        await make_client().complete(MESSAGES, max_tokens=100)
    assert raised.value.key == "err_llm_account"
    assert "run out of credit" in raised.value.message_for("en")
    assert len(llm_api.requests) == 1
    assert any(r.levelname == "ERROR" and "out of credit" in r.message for r in caplog.records)


@pytest.mark.parametrize("numbering", ["count", "omit"])
async def test_choices_numbered_their_own_way_are_still_the_answer(
    llm_api: FakeOpenAI, make_client: MakeClient, numbering: str
) -> None:
    llm_api.script(Reply(content=ANSWER, chunk_index=numbering))  # type: ignore[arg-type]
    completion = await make_client().complete(MESSAGES, max_tokens=100)
    assert completion.text == ANSWER
    assert len(llm_api.requests) == 1


async def test_a_picture_the_model_refuses_is_a_refusal(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.script(Reply(refusal="I can't help with that picture."))
    with pytest.raises(LLMRefusalError):
        await make_client().look(b"\x89PNG", "image/png", "Read the text.")


async def test_a_picture_without_an_answer_in_time_is_a_timeout(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.script(Reply(hang=True), Reply(hang=True))
    with pytest.raises(LLMTimeoutError):
        await make_client(timeout=0.3, max_tries=2).look(b"\x89PNG", "image/png", "Read it.")
    assert len(llm_api.requests) == 2


# Open reasoning models (DeepSeek-R1, Qwen3, QwQ) served by Ollama, LM Studio, llama.cpp or vLLM
# without a reasoning parser write their thinking into the answer's content.
THINKING = "<think>\nThe reader wants the gist: a mill, sixty years. Keep it to one line.\n</think>"


async def test_a_reasoning_models_thinking_is_neither_streamed_nor_kept(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    """The reader saw the model think aloud, streamed and then in the summary itself."""
    llm_api.chunk_words = 1
    llm_api.script(f"{THINKING}\n\n{ANSWER}")
    pieces: list[str] = []

    async def collect(piece: str) -> None:
        pieces.append(piece)

    completion = await make_client().complete(MESSAGES, max_tokens=200, on_text=collect)
    assert completion.text == ANSWER
    assert "".join(pieces).strip() == ANSWER


async def test_thinking_whose_opening_tag_the_chat_template_wrote_is_dropped(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    """DeepSeek-R1's and Qwen3's templates open the block in the prompt: only its end comes back."""
    llm_api.script(f"{THINKING.removeprefix('<think>')}\n\n{ANSWER}")
    completion = await make_client().complete(MESSAGES, max_tokens=200)
    assert completion.text == ANSWER


async def test_an_answer_that_quotes_the_tags_is_kept_whole(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    answer = "R1 reasons between <think> and </think> tags, then answers after a blank line."
    llm_api.script(answer, f"Tags such as </think> close a block. {answer}")
    client = make_client()
    assert (await client.complete(MESSAGES, max_tokens=200)).text == answer
    quoted = await client.complete(MESSAGES, max_tokens=200)
    assert quoted.text == f"Tags such as </think> close a block. {answer}"


async def test_a_model_that_only_thought_gave_an_empty_answer(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    """Its thinking used up every token: retried like an empty answer, and nothing was shown."""
    thinking_only = Reply(THINKING.removesuffix("</think>"), finish_reason="length")
    llm_api.script(thinking_only, thinking_only, thinking_only)
    shown: list[str] = []

    async def collect(piece: str) -> None:
        shown.append(piece)

    with pytest.raises(LLMEmptyError) as caught:
        await make_client().complete(MESSAGES, max_tokens=200, on_text=collect)
    assert len(llm_api.requests) == 3
    assert not shown
    assert "only thought" in caught.value.detail


async def test_a_picture_read_by_a_reasoning_model_comes_without_its_thinking(
    llm_api: FakeOpenAI, make_client: MakeClient
) -> None:
    llm_api.script(f"{THINKING}\n\nTIDE MILL OPEN SATURDAYS")
    read = await make_client().look(b"\x89PNG", "image/png", "Read the text.")
    assert read == "TIDE MILL OPEN SATURDAYS"
