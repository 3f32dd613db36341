"""Transcribing recordings through the OpenAI fake over real HTTP: times, parts, failures."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

import pytest
from openai import AsyncOpenAI

from bot.errors import MediaError, SkimError, TranscriptionError
from bot.media.probe import probe
from bot.media.transcribe import PARALLEL_PARTS, Transcriber
from tests.fakes.openai_api import FakeOpenAI
from tests.helpers import media

MakeTranscriber = Callable[..., Transcriber]


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
async def make(server: FakeOpenAI) -> AsyncIterator[MakeTranscriber]:
    """Transcribers on the fake, without client retries; their clients closed afterwards."""
    clients: list[AsyncOpenAI] = []

    def build(
        model: str = "whisper-1", *, api_key: str | None = None, **options: float
    ) -> Transcriber:
        client = AsyncOpenAI(api_key=api_key or server.api_key, base_url=server.url, max_retries=0)
        clients.append(client)
        return Transcriber(client, model, **options)  # type: ignore[arg-type]

    yield build
    for client in clients:
        await client.close()


async def test_segments_come_back_timed(server: FakeOpenAI, make: MakeTranscriber) -> None:
    server.script_transcript(
        [(0.0, 4.0, "Welcome."), (4.0, 35.0, "The plan."), (35.0, 40.0, "End.")]
    )
    transcript = await make().transcribe(media.ogg_opus(40), "voice.oga")
    assert transcript.text == "Welcome. The plan. End."
    assert transcript.duration == pytest.approx(40, abs=0.1)
    assert transcript.language == "english"
    assert transcript.timed_text() == "[0:00] Welcome. The plan.\n\n[0:35] End."
    [request] = server.transcription_requests
    assert request.response_format == "verbose_json"
    assert request.timestamp_granularities == ["segment"]
    assert request.filename == "voice.ogg"  # named by what the bytes are


async def test_language_is_passed_and_kept(server: FakeOpenAI, make: MakeTranscriber) -> None:
    transcript = await make().transcribe(media.mp3(3), "a.mp3", language="ru")
    assert server.transcription_requests[0].language == "ru"
    assert transcript.language == "ru"


async def test_probe_is_skipped_when_info_is_given(
    server: FakeOpenAI, make: MakeTranscriber
) -> None:
    data = media.wav(4)
    info = probe(data)
    transcript = await make().transcribe(data, "a.wav", info=info)
    assert transcript.duration == info.duration
    assert transcript.text == "Transcribed 4 seconds of audio, sentence 1."


@pytest.mark.parametrize("model", ["gpt-4o-transcribe", "gpt-4o-mini-transcribe"])
async def test_models_without_verbose_json_fall_back_to_json(
    server: FakeOpenAI, make: MakeTranscriber, model: str
) -> None:
    transcriber = make(model)
    first = await transcriber.transcribe(media.ogg_opus(6), "voice.ogg")
    assert first.text == "Transcribed 6 seconds of audio, sentence 1."
    assert first.timed_text() == "[0:00] Transcribed 6 seconds of audio, sentence 1."
    assert first.segments[0].end == pytest.approx(6, abs=0.1)
    await transcriber.transcribe(media.ogg_opus(2), "voice.ogg")
    formats = [(r.response_format, r.status) for r in server.transcription_requests]
    # The refusal is remembered: the second recording goes straight to json.
    assert formats == [("verbose_json", 400), ("json", 200), ("json", 200)]


async def test_silence_gives_an_empty_transcript(server: FakeOpenAI, make: MakeTranscriber) -> None:
    server.script_transcript("")
    transcript = await make().transcribe(media.ogg_opus(3), "voice.ogg")
    assert transcript.segments == ()
    assert transcript.text == ""
    assert transcript.duration == pytest.approx(3, abs=0.1)


async def test_failure_after_the_fallback(server: FakeOpenAI, make: MakeTranscriber) -> None:
    transcriber = make("gpt-4o-transcribe")
    server.fail_next_transcription(429)  # the verbose_json refusal comes first, then this
    with pytest.raises(TranscriptionError) as caught:
        await transcriber.transcribe(media.ogg_opus(2), "voice.ogg")
    assert caught.value.key == "err_transcription_busy"
    assert not transcriber.plain_only, "remembered only once plain text has worked"
    await transcriber.transcribe(media.ogg_opus(2), "voice.ogg")
    assert transcriber.plain_only


async def test_a_file_the_model_refuses_does_not_cost_later_files_their_timestamps(
    server: FakeOpenAI, make: MakeTranscriber
) -> None:
    """gpt-4o-transcribe refuses audio over 1,400 s with a 400 that is not about the format:
    plain text is tried (and refused too); the next file still asks for segment times."""
    transcriber = make("whisper-1")
    too_long = "audio duration 5400 seconds is longer than 1400 seconds for this model"
    for _ in range(2):
        server.fail_next_transcription(400, message=too_long)
    with pytest.raises(TranscriptionError):
        await transcriber.transcribe(media.ogg_opus(2), "voice.ogg")
    assert not transcriber.plain_only
    transcript = await transcriber.transcribe(media.ogg_opus(2), "voice.ogg")
    assert server.transcription_requests[-1].response_format == "verbose_json"
    assert transcript.segments


async def test_over_the_limit_goes_in_parts_on_one_timeline(
    server: FakeOpenAI, make: MakeTranscriber
) -> None:
    def heard(request: object) -> list[tuple[float, float, str]]:
        return [(0.0, 1.0, "Part start."), (2.0, 3.0, "Later.")]

    server.transcription_responder = heard  # type: ignore[assignment]
    data = media.wav(30)  # ~960 KB
    transcript = await make(upload_limit=20_000).transcribe(data, "talk.wav")
    requests = server.transcription_requests
    assert len(requests) >= 4
    assert all(r.size <= 20_000 and r.status == 200 for r in requests)
    assert all(r.filename and r.filename.endswith(".ogg") for r in requests)
    heard_seconds = sum(r.duration or 0 for r in requests)
    assert heard_seconds == pytest.approx(30, abs=0.3)
    starts = [s.start for s in transcript.segments if s.text == "Part start."]
    assert len(starts) == len(requests)
    assert starts[0] == 0.0
    # Each part's times are moved by where the part starts: the durations the fake decoded.
    ordered = sorted(requests, key=lambda r: int((r.filename or "").split("part")[1].split(".")[0]))
    expected = 0.0
    for start, request in zip(starts, ordered, strict=True):
        assert start == pytest.approx(expected, abs=0.1)
        expected += request.duration or 0
    assert transcript.duration == pytest.approx(30, abs=0.1)
    assert [s.start for s in transcript.segments] == sorted(s.start for s in transcript.segments)


async def test_a_big_video_uploads_its_audio(server: FakeOpenAI, make: MakeTranscriber) -> None:
    data = media.mp4_video(8)
    transcript = await make(upload_limit=len(data) - 1).transcribe(data, "clip.mp4")
    [request] = server.transcription_requests
    assert request.filename == "clip.ogg"
    assert transcript.duration == pytest.approx(8, abs=0.1)


@pytest.mark.parametrize(
    "data",
    [media.html(), media.png(), b"\x00" * 5000, media.lying_wav_header(3600)],
    ids=["html", "png", "zeros", "lying-header"],
)
async def test_not_a_recording(server: FakeOpenAI, make: MakeTranscriber, data: bytes) -> None:
    with pytest.raises(MediaError):
        await make().transcribe(data, "voice.ogg")
    assert server.transcription_requests == []


async def test_endpoint_that_cannot_read_the_file_is_a_media_error(
    server: FakeOpenAI, make: MakeTranscriber
) -> None:
    server.fail_next_transcription(400, message="Audio file might be corrupted or unsupported")
    with pytest.raises(MediaError) as caught:
        await make().transcribe(media.ogg_opus(2), "voice.ogg")
    assert caught.value.key == "err_not_media"


@pytest.mark.parametrize(
    ("status", "key"),
    [
        (429, "err_transcription_busy"),
        (503, "err_transcription_busy"),
        (500, "err_transcription_failed"),
        (502, "err_transcription_failed"),
        (404, "err_transcription_failed"),
        (413, "err_transcription_failed"),
    ],
)
async def test_endpoint_failures(
    server: FakeOpenAI, make: MakeTranscriber, status: int, key: str
) -> None:
    server.fail_next_transcription(status)
    with pytest.raises(TranscriptionError) as caught:
        await make().transcribe(media.ogg_opus(2), "voice.ogg")
    assert caught.value.key == key
    assert str(status) in (caught.value.detail or "")


async def test_a_refused_key(make: MakeTranscriber) -> None:
    with pytest.raises(TranscriptionError) as caught:
        await make(api_key="sk-wrong-key-000").transcribe(media.ogg_opus(2), "voice.ogg")
    assert caught.value.key == "err_transcription_failed"
    assert "refused the key" in (caught.value.detail or "")


async def test_unreachable_endpoint() -> None:
    async with FakeOpenAI() as gone:
        url, key = gone.url, gone.api_key
    async with AsyncOpenAI(api_key=key, base_url=url, max_retries=0) as client:
        with pytest.raises(TranscriptionError) as caught:
            await Transcriber(client).transcribe(media.ogg_opus(2), "voice.ogg")
    assert "unreachable" in (caught.value.detail or "")


async def test_a_hang_past_the_deadline(server: FakeOpenAI, make: MakeTranscriber) -> None:
    server.transcription_delay = 30
    started = time.monotonic()
    with pytest.raises(TranscriptionError) as caught:
        await make(timeout=0.5).transcribe(media.ogg_opus(2), "voice.ogg")
    assert time.monotonic() - started < 3
    assert caught.value.key == "err_transcription_failed"
    assert "0.5 s" in (caught.value.detail or "")


async def test_one_failed_part_fails_the_whole(server: FakeOpenAI, make: MakeTranscriber) -> None:
    server.fail_next_transcription(429)
    with pytest.raises(SkimError) as caught:
        await make(upload_limit=20_000).transcribe(media.wav(20), "talk.wav")
    assert caught.value.key == "err_transcription_busy"


async def test_parts_run_a_few_at_a_time(server: FakeOpenAI, make: MakeTranscriber) -> None:
    delay = 0.5
    server.transcription_delay = delay
    await make(upload_limit=20_000).transcribe(media.wav(30), "talk.wav")
    arrivals = sorted(r.at for r in server.transcription_requests)
    assert len(arrivals) >= 6
    # Each request is in flight for at least `delay` after it arrives, and a slot is freed only
    # once its answer is back: counting [arrival, arrival + delay) never overcounts.
    at_once = max(sum(1 for a in arrivals if a <= t < a + delay) for t in arrivals)
    assert 1 < at_once <= PARALLEL_PARTS


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"status": 200, "body": {"text": "Only the words."}}, id="text-only-json"),
        pytest.param(
            {"status": 400, "body": {"error": {"message": "Unknown parameter", "param": None}}},
            id="unknown-parameter",
        ),
    ],
)
async def test_a_minimal_compatible_server_still_gives_a_transcript(
    answer: dict[str, object],
) -> None:
    """Servers that call themselves OpenAI-compatible may give `{"text"}` for any format, or
    refuse `timestamp_granularities`: the transcript then has one time mark."""
    from aiohttp import web

    seen: list[str] = []

    async def transcribe(request: web.Request) -> web.Response:
        form = await request.post()
        seen.append(str(form.get("response_format")))
        if form.get("response_format") == "verbose_json":
            return web.json_response(answer["body"], status=int(str(answer["status"])))
        return web.json_response({"text": "Only the words."})

    app = web.Application()
    app.router.add_post("/v1/audio/transcriptions", transcribe)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    client = AsyncOpenAI(api_key="k", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    try:
        transcript = await Transcriber(client).transcribe(media.ogg_opus(3), "voice.ogg")
    finally:
        await client.close()
        await runner.cleanup()
    assert transcript.text == "Only the words."
    assert transcript.timed_text().startswith("[0:00] Only the words.")
    assert seen[0] == "verbose_json"


async def test_a_422_for_segment_times_falls_back_to_plain_text(
    server: FakeOpenAI, make: MakeTranscriber
) -> None:
    """A server built on pydantic answers an unknown field or value with 422, not 400."""
    transcriber = make("whisper-1")
    server.fail_next_transcription(422, message="Input should be 'json' or 'text'")
    transcript = await transcriber.transcribe(media.ogg_opus(2), "voice.ogg")
    assert transcript.text
    assert [r.response_format for r in server.transcription_requests] == ["verbose_json", "json"]
    assert transcriber.plain_only


async def test_gpt_4o_models_get_audio_in_slices_they_take(
    server: FakeOpenAI, make: MakeTranscriber
) -> None:
    """gpt-4o-transcribe refuses audio over 1,400 s, whatever its size: a long recording goes
    in slices short enough (here the fake's limit and the slice are scaled down to 12 and 10 s)."""
    server.transcription_max_seconds["gpt-4o-transcribe"] = 12.0
    transcriber = make("gpt-4o-transcribe")
    assert transcriber.part_seconds is not None
    transcriber.part_seconds = 10.0
    transcript = await transcriber.transcribe(media.ogg_opus(30), "talk.ogg")
    requests = server.transcription_requests
    assert len([r for r in requests if r.status == 200]) == 3
    assert all((r.duration or 0) <= 12 for r in requests if r.status == 200)
    assert transcript.duration == pytest.approx(30, abs=0.5)
    whisper = make("whisper-1")
    assert whisper.part_seconds is None
