"""Probing media: durations of real files, hostile files refused quickly, the parts to upload."""

from __future__ import annotations

import random
import time
import zipfile
from io import BytesIO

import pytest

from bot.errors import MediaError
from bot.media.probe import MediaInfo, probe, upload_parts
from tests.helpers import media

NOISE = random.Random(15)  # deterministic noise


@pytest.mark.parametrize(
    ("make", "format_name", "video"),
    [
        (media.ogg_opus, "ogg", False),
        (media.mp3, "mp3", False),
        (media.m4a, "mov,mp4,m4a,3gp,3g2,mj2", False),
        (media.wav, "wav", False),
        (media.mp4_video, "mov,mp4,m4a,3gp,3g2,mj2", True),
    ],
)
def test_duration_of_each_format(make: object, format_name: str, video: bool) -> None:
    assert callable(make)
    info = probe(make(7.0))
    assert info.duration == pytest.approx(7.0, abs=0.1)
    assert info.has_audio
    assert info.has_video is video
    assert info.format_name == format_name


def test_long_recording_is_measured_without_decoding_it_all() -> None:
    data = media.wav(600, rate=8000)
    started = time.perf_counter()
    assert probe(data).duration == pytest.approx(600)
    assert time.perf_counter() - started < 2


def test_truncated_recording_counts_only_what_is_there() -> None:
    data = media.mp3(10)
    info = probe(data[: len(data) // 2])
    assert 3 < info.duration < 7


def zip_bytes(date_time: tuple[int, int, int, int, int, int] | None = None) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        name = "voice.ogg" if date_time is None else zipfile.ZipInfo("voice.ogg", date_time)
        archive.writestr(name, "not really")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(media.html(), id="html"),
        pytest.param(media.png(), id="png"),
        pytest.param(media.png(640, 480), id="bigger-png"),
        pytest.param(zip_bytes(), id="zip"),
        # A zip stamped at this time reads to FFmpeg as a raw H.266 video stream (1 in 34 do).
        pytest.param(zip_bytes((2026, 12, 7, 0, 0, 2)), id="zip-that-ffmpeg-takes-for-video"),
        pytest.param(NOISE.randbytes(200_000), id="random"),
        pytest.param(b"ID3" + NOISE.randbytes(5000), id="mp3-tag-over-noise"),
        pytest.param(b"OggS" + NOISE.randbytes(5000), id="ogg-magic-over-noise"),
        pytest.param(media.mp4_video(3)[:3000], id="truncated-mp4"),
        pytest.param(media.ogg_opus(3)[:2000], id="truncated-ogg-before-first-page"),
        pytest.param(b"RIFF\xff\xff\xff\xffWAVEfmt " + b"\xff" * 200, id="garbage-wav-header"),
    ],
)
def test_not_media(data: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(MediaError) as caught:
        probe(data)
    assert caught.value.key == "err_not_media"
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(media.wav(0), id="zero-seconds"),
        pytest.param(media.wav(0.02), id="twenty-ms"),
        pytest.param(media.lying_wav_header(10 * 3600), id="header-claims-ten-hours"),
        pytest.param(media.lying_wav_header(2**40), id="header-claims-max-size"),
        pytest.param(media.mp4_video(2, audio=False), id="video-without-sound"),
    ],
)
def test_no_sound(data: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(MediaError) as caught:
        probe(data)
    assert caught.value.key == "err_media_empty"
    assert time.perf_counter() - started < 2


def test_lying_header_over_real_audio_reports_the_real_length() -> None:
    data = media.lying_wav_header(10 * 3600, data_bytes=16000 * 2 * 3)
    assert probe(data).duration == pytest.approx(3.0)


# -- upload_parts ------------------------------------------------------------------------------


def parts_of(data: bytes, filename: str, limit: int) -> tuple[MediaInfo, list[tuple[str, float]]]:
    info = probe(data)
    parts = upload_parts(data, info, filename=filename, limit_bytes=limit)
    for part in parts:
        assert len(part.data) <= limit
    return info, [(p.filename, p.offset) for p in parts]


def test_small_files_go_as_they_are_named_by_their_real_format() -> None:
    voice = media.ogg_opus(3)
    parts = upload_parts(voice, probe(voice), filename="dir/voice.oga", limit_bytes=10**6)
    assert [(p.filename, p.offset, p.data is voice) for p in parts] == [("voice.ogg", 0.0, True)]
    # An extension that lies is replaced by what the bytes are.
    assert parts_of(media.mp3(2), "song.wav", 10**6)[1] == [("song.mp3", 0.0)]
    assert parts_of(media.wav(2), "a.wav", 10**6)[1] == [("a.wav", 0.0)]
    assert parts_of(media.m4a(2), "memo.mp4", 10**6)[1] == [("memo.m4a", 0.0)]
    assert parts_of(media.mp4_video(2), "clip.mov", 10**6)[1] == [("clip.mp4", 0.0)]


def test_a_big_file_is_transcoded_to_opus() -> None:
    data = media.wav(20)  # 640 KB of PCM
    _, parts = parts_of(data, "talk.wav", 200_000)
    assert parts == [("talk.ogg", 0.0)]
    transcoded = upload_parts(data, probe(data), filename="talk.wav", limit_bytes=200_000)[0]
    info = probe(transcoded.data)
    assert (info.format_name, info.audio_codec) == ("ogg", "opus")
    assert info.duration == pytest.approx(20, abs=0.1)
    assert len(transcoded.data) < 20 * 3500  # about 24 kbit/s


def test_over_the_limit_it_is_cut_into_consecutive_slices() -> None:
    data = media.wav(60)
    info, parts = parts_of(data, "talk.wav", 20_000)
    assert len(parts) > 5
    assert [name for name, _ in parts][:2] == ["talk.part1.ogg", "talk.part2.ogg"]
    offsets = [offset for _, offset in parts]
    assert offsets[0] == 0.0
    assert offsets == sorted(offsets)
    pieces = upload_parts(data, info, filename="talk.wav", limit_bytes=20_000)
    durations = [probe(p.data).duration for p in pieces]
    # Each slice starts where the one before ended, and together they are the whole.
    for index in range(1, len(pieces)):
        expected = pieces[index - 1].offset + durations[index - 1]
        assert pieces[index].offset == pytest.approx(expected, abs=0.05)
    assert sum(durations) == pytest.approx(info.duration, abs=0.2)


def test_a_big_video_sends_its_audio_only() -> None:
    data = media.mp4_video(10)
    info, parts = parts_of(data, "clip.mp4", len(data) - 1)
    assert info.has_video
    assert parts == [("clip.ogg", 0.0)]
