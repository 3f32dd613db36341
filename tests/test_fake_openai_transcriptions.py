"""The fake's ``POST /v1/audio/transcriptions``, driven by plain httpx as the reference shows it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.fakes.openai_api import TRANSCRIPTION_MAX_BYTES, FakeOpenAI
from tests.helpers import media


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def http(server: FakeOpenAI) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
        yield client


async def transcribe(
    http: httpx.AsyncClient,
    data: bytes,
    filename: str = "voice.ogg",
    **fields: Any,
) -> httpx.Response:
    form: dict[str, Any] = {"model": "whisper-1"}
    form.update(fields)
    return await http.post("/audio/transcriptions", files={"file": (filename, data)}, data=form)


async def test_json_is_the_default(server: FakeOpenAI, http: httpx.AsyncClient) -> None:
    response = await transcribe(http, media.ogg_opus(12))
    assert response.status_code == 200
    body = response.json()
    assert body["text"] == (
        "Transcribed 12 seconds of audio, sentence 1. Transcribed 12 seconds of audio, sentence 2."
    )
    assert body["usage"] == {"type": "duration", "seconds": 12}
    [request] = server.transcription_requests
    assert request.model == "whisper-1"
    assert request.filename == "voice.ogg"
    assert request.response_format == "json"
    assert request.status == 200
    assert request.duration == pytest.approx(12, abs=0.05)
    assert request.size > 1000


async def test_verbose_json_spreads_sentences_over_the_decoded_duration(
    server: FakeOpenAI, http: httpx.AsyncClient
) -> None:
    server.script_transcript("Hello there. This is a longer second sentence!")
    response = await transcribe(
        http,
        media.mp3(20),
        "talk.mp3",
        response_format="verbose_json",
        language="en",
        **{"timestamp_granularities[]": ["segment", "word"]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["task"] == "transcribe"
    assert body["language"] == "english"
    assert body["duration"] == pytest.approx(20, abs=0.1)
    assert body["text"] == "Hello there. This is a longer second sentence!"
    first, second = body["segments"]
    assert set(first) == {
        "id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob",
        "compression_ratio", "no_speech_prob",
    }  # fmt: skip
    assert (first["id"], first["start"], first["text"]) == (0, 0.0, " Hello there.")
    assert first["end"] == second["start"]
    assert second["end"] == pytest.approx(body["duration"], abs=0.01)
    assert second["start"] < body["duration"] / 2  # the longer sentence takes longer
    assert [w["word"] for w in body["words"]][:2] == ["Hello", "there."]
    assert server.transcription_requests[0].timestamp_granularities == ["segment", "word"]


async def test_scripted_segments_are_used_as_they_are(
    server: FakeOpenAI, http: httpx.AsyncClient
) -> None:
    server.script_transcript([(0.0, 2.5, "One."), (2.5, 4.0, "Two.")], "Next request.")
    body = (await transcribe(http, media.wav(5), "a.wav", response_format="verbose_json")).json()
    assert [(s["start"], s["end"], s["text"]) for s in body["segments"]] == [
        (0.0, 2.5, " One."),
        (2.5, 4.0, " Two."),
    ]
    assert (await transcribe(http, media.wav(5), "a.wav")).json()["text"] == "Next request."


async def test_text_srt_and_vtt(server: FakeOpenAI, http: httpx.AsyncClient) -> None:
    server.script_transcript(*[[(0.0, 1.5, "Hi."), (61.0, 62.25, "Bye.")]] * 3)
    data = media.wav(3)
    text = await transcribe(http, data, "a.wav", response_format="text")
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text == "Hi. Bye.\n"
    srt = await transcribe(http, data, "a.wav", response_format="srt")
    assert srt.text.startswith("1\n00:00:00,000 --> 00:00:01,500\nHi.\n\n2\n00:01:01,000")
    vtt = await transcribe(http, data, "a.wav", response_format="vtt")
    assert vtt.text.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHi.\n")


@pytest.mark.parametrize("model", ["gpt-4o-transcribe", "gpt-4o-mini-transcribe"])
async def test_gpt_4o_models_take_json_and_text_only(http: httpx.AsyncClient, model: str) -> None:
    data = media.ogg_opus(2)
    ok = await transcribe(http, data, model=model)
    assert ok.status_code == 200
    assert ok.json()["usage"]["type"] == "tokens"
    assert (await transcribe(http, data, model=model, response_format="text")).status_code == 200
    for kind in ("verbose_json", "srt", "vtt"):
        refused = await transcribe(http, data, model=model, response_format=kind)
        assert refused.status_code == 400
        error = refused.json()["error"]
        assert error["param"] == "response_format"
        assert error["type"] == "invalid_request_error"
        assert f"'{kind}'" in error["message"]
        assert model in error["message"]


async def test_gpt_4o_streams_events(http: httpx.AsyncClient) -> None:
    response = await transcribe(
        http, media.ogg_opus(2), model="gpt-4o-mini-transcribe", stream="true"
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [
        json.loads(line.removeprefix("data: "))
        for line in response.text.splitlines()
        if line.startswith("data: ")
    ]
    assert {e["type"] for e in events[:-1]} == {"transcript.text.delta"}
    assert events[-1]["type"] == "transcript.text.done"
    assert "".join(e["delta"] for e in events[:-1]) == events[-1]["text"]


async def test_whisper_ignores_stream(http: httpx.AsyncClient) -> None:
    response = await transcribe(http, media.ogg_opus(2), stream="true")
    assert response.json()["text"].startswith("Transcribed 2 seconds")


async def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


async def test_granularities_need_verbose_json(http: httpx.AsyncClient) -> None:
    response = await transcribe(http, media.ogg_opus(1), **{"timestamp_granularities[]": "segment"})
    assert (await error_of(response, 400))["param"] == "timestamp_granularities"


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"response_format": "xml"}, "response_format"),
        ({"language": "English"}, "language"),
        ({"temperature": "2"}, "temperature"),
        ({"temperature": "warm"}, "temperature"),
        ({"stream": "maybe"}, "stream"),
    ],
)
async def test_bad_fields(http: httpx.AsyncClient, fields: dict[str, str], param: str) -> None:
    error = await error_of(await transcribe(http, media.ogg_opus(1), **fields), 400)
    assert error["param"] == param


async def test_missing_file_and_model(server: FakeOpenAI, http: httpx.AsyncClient) -> None:
    no_file = await http.post("/audio/transcriptions", data={"model": "whisper-1"}, files={})
    # httpx sends a urlencoded body without files: not multipart at all.
    assert "multipart/form-data" in (await error_of(no_file, 400))["message"]
    only_model = await http.post(
        "/audio/transcriptions",
        data={"model": "whisper-1"},
        files={"prompt": (None, "context")},
    )
    assert (await error_of(only_model, 400))["param"] == "file"
    no_model = await http.post(
        "/audio/transcriptions", files={"file": ("a.ogg", media.ogg_opus(1))}
    )
    assert (await error_of(no_model, 400))["param"] == "model"


async def test_unknown_model(http: httpx.AsyncClient) -> None:
    error = await error_of(await transcribe(http, media.ogg_opus(1), model="nope"), 404)
    assert error["code"] == "model_not_found"


@pytest.mark.parametrize("filename", ["notes.txt", "voice", "clip.mkv", "song.MP3X"])
async def test_unsupported_extension(http: httpx.AsyncClient, filename: str) -> None:
    error = await error_of(await transcribe(http, media.ogg_opus(1), filename), 400)
    assert error["message"].startswith("Invalid file format. Supported formats: ['flac', ")


@pytest.mark.parametrize("data", [media.html(), media.png(), b"OggS" + bytes(3000), media.wav(0)])
async def test_undecodable_content(http: httpx.AsyncClient, data: bytes) -> None:
    error = await error_of(await transcribe(http, data, "voice.ogg"), 400)
    assert error["message"] == "Audio file might be corrupted or unsupported"


async def test_over_25_mb_is_413(server: FakeOpenAI, http: httpx.AsyncClient) -> None:
    data = media.wav(2) + bytes(TRANSCRIPTION_MAX_BYTES)
    error = await error_of(await transcribe(http, data, "big.wav"), 413)
    assert str(TRANSCRIPTION_MAX_BYTES) in error["message"]
    assert server.transcription_requests[0].size == len(data)


async def test_auth(server: FakeOpenAI, http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/audio/transcriptions",
        headers={"Authorization": "Bearer sk-wrong-key-1234"},
        files={"file": ("a.ogg", media.ogg_opus(1))},
        data={"model": "whisper-1"},
    )
    assert (await error_of(response, 401))["code"] == "invalid_api_key"
    assert server.transcription_requests[0].status == 401


async def test_scripted_failures_then_recovery(server: FakeOpenAI, http: httpx.AsyncClient) -> None:
    server.fail_next_transcription(429, retry_after=3)
    server.fail_next_transcription(503)
    data = media.ogg_opus(1)
    busy = await transcribe(http, data)
    assert busy.headers["retry-after"] == "3"
    assert (await error_of(busy, 429))["type"] == "rate_limit_error"
    await error_of(await transcribe(http, data), 503)
    assert (await transcribe(http, data)).status_code == 200
    assert [r.status for r in server.transcription_requests] == [429, 503, 200]


async def test_a_failure_is_kept_for_a_valid_request(
    server: FakeOpenAI, http: httpx.AsyncClient
) -> None:
    server.fail_next_transcription(500)
    await error_of(await transcribe(http, media.html()), 400)
    await error_of(await transcribe(http, media.ogg_opus(1)), 500)


async def test_delay_and_waiting_for_requests(server: FakeOpenAI, http: httpx.AsyncClient) -> None:
    server.transcription_delay = 0.3
    loop = asyncio.get_running_loop()
    started = loop.time()
    pending = asyncio.create_task(transcribe(http, media.ogg_opus(1)))
    [request] = await server.wait_for_transcriptions(1)
    assert request.filename == "voice.ogg"
    assert (await pending).status_code == 200
    assert loop.time() - started >= 0.3
    with pytest.raises(TimeoutError, match="expected 2 transcription requests"):
        await server.wait_for_transcriptions(2, timeout=0.05)


async def test_stop_cancels_a_hanging_transcription(server: FakeOpenAI) -> None:
    server.transcription_delay = 60
    headers = {"Authorization": f"Bearer {server.api_key}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers) as client:
        pending = asyncio.create_task(
            client.post(
                "/audio/transcriptions",
                files={"file": ("a.ogg", media.ogg_opus(1))},
                data={"model": "whisper-1"},
            )
        )
        await server.wait_for_transcriptions(1)
        await server.stop()
        with pytest.raises(httpx.HTTPError):
            await pending
