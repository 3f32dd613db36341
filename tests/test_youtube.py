"""YouTube videos: links, metadata and captions, audio when there are none, and YouTube failing.

The end-to-end tests run the real yt-dlp against `tests.fakes.youtube.FakeYouTube`, a fake
YouTube on 127.0.0.1 that yt-dlp reaches through its proxy option; nothing leaves the machine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.content import youtube as yt_module
from bot.content.youtube import (
    Chapter,
    YouTube,
    choose_track,
    clean_caption_text,
    parse_captions,
    parse_vtt,
    start_seconds,
    unavailable_key,
    video_id,
)
from bot.errors import MediaError, VideoError
from tests.fakes.youtube import AUDIO_HOST, FakeVideo, FakeYouTube, fixture, video_from_fixtures

VIDEO = "dQw4w9WgXcQ"
OTHER = "Zx-_9aB3cD4"
YOUTUBE_HOSTS = {"www.youtube.com", AUDIO_HOST}


@pytest.fixture
async def fake() -> AsyncIterator[FakeYouTube]:
    async with FakeYouTube() as server:
        yield server


def client(fake: FakeYouTube, *, timeout: float = 10.0) -> YouTube:
    return YouTube(timeout=timeout, proxy=fake.proxy, extra_options=fake.ytdlp_options)


def german_video(fake: FakeYouTube, captions: str = "captions_de.json3") -> None:
    fake.add(
        video_from_fixtures(
            VIDEO,
            "player_captions.json",
            captions={("de", "", "json3"): captions, ("en", "", "json3"): "captions_en.json3"},
        )
    )


def silent_video(fake: FakeYouTube, player: str = "player_no_captions.json") -> dict[str, bytes]:
    audio = {"251": b"\x1aE\xdf\xa3" + b"o" * 249_996, "249": b"\x1aE\xdf\xa3" + b"l" * 89_996}
    fake.add(
        video_from_fixtures(VIDEO, player, initial_data="initial_data_plain.json", audio=audio)
    )
    return audio


# yt-dlp drops the responses of failed requests without closing them (their sockets close when
# collected, possibly mid-test); that leak is the library's, so only these tests ignore it.
YTDLP_LEAKS = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)


# --- links -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.youtube.com/watch?v={VIDEO}",
        f"https://youtube.com/watch?v={VIDEO}&t=42s",
        f"http://www.youtube.com/watch?feature=share&v={VIDEO}&si=AbCdEf123",
        f"https://www.youtube.com/watch?v={VIDEO}&list=PLfake0123456789&index=3",
        f"https://m.youtube.com/watch?v={VIDEO}",
        f"https://music.youtube.com/watch?v={VIDEO}&si=xyz",
        f"https://youtu.be/{VIDEO}",
        f"https://youtu.be/{VIDEO}?si=AbCdEf123&t=1m23s",
        f"youtu.be/{VIDEO}",
        f"www.youtube.com/watch?v={VIDEO}",
        f"https://www.youtube.com/shorts/{VIDEO}",
        f"https://youtube.com/shorts/{VIDEO}?feature=share",
        f"https://www.youtube.com/live/{VIDEO}?si=abc",
        f"https://www.youtube.com/embed/{VIDEO}?start=10",
        f"https://WWW.YouTube.com./watch?v={VIDEO}",
        f"https://www.youtube.com/watch?v={VIDEO}#t=30",
    ],
)
def test_video_id_from_every_link_form(url: str) -> None:
    assert video_id(url) == VIDEO


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/@balconyrain",
        "https://www.youtube.com/channel/UCfakechannel0000000000a",
        "https://www.youtube.com/c/SomeChannel",
        "https://www.youtube.com/playlist?list=PLfake0123456789",
        "https://www.youtube.com/watch?list=PLfake0123456789",
        "https://www.youtube.com/",
        "https://youtu.be/",
        f"https://www.youtube.com/watch?v={VIDEO}x",
        "https://www.youtube.com/watch?v=short",
        f"https://youtube.com.evil.example/watch?v={VIDEO}",
        f"https://evil.example/youtube.com/watch?v={VIDEO}",
        f"https://www.youtube.com@evil.example/watch?v={VIDEO}",
        f"https://notyoutube.com/watch?v={VIDEO}",
        f"https://youtu.be.evil.example/{VIDEO}",
        f"ftp://www.youtube.com/watch?v={VIDEO}",
        f"https://www.youtube.com:99999/watch?v={VIDEO}",
        f"https://vimeo.com/{VIDEO}",
        "not a link at all",
    ],
)
def test_video_id_refuses_channels_playlists_other_hosts_and_lookalikes(url: str) -> None:
    assert video_id(url) is None


@pytest.mark.parametrize(
    ("url", "seconds"),
    [
        (f"https://youtu.be/{VIDEO}?t=123", 123),
        (f"https://youtu.be/{VIDEO}?t=123s", 123),
        (f"https://www.youtube.com/watch?v={VIDEO}&t=1m23s", 83),
        (f"https://www.youtube.com/watch?v={VIDEO}&t=1h2m3s", 3723),
        (f"https://www.youtube.com/watch?v={VIDEO}&t=2m", 120),
        (f"https://www.youtube.com/watch?v={VIDEO}#t=45", 45),
        (f"https://www.youtube.com/embed/{VIDEO}?start=10", 10),
        (f"https://www.youtube.com/watch?v={VIDEO}", None),
        (f"https://www.youtube.com/watch?v={VIDEO}&t=", None),
        (f"https://www.youtube.com/watch?v={VIDEO}&t=soon", None),
    ],
)
def test_start_seconds(url: str, seconds: int | None) -> None:
    assert start_seconds(url) == seconds


# --- captions: pure pieces -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ('<font color="#E5E5E5">Hello</font> world', "Hello world"),
        ("so<00:00:00.480><c> the</c><00:00:00.640><c> first</c>", "so the first"),
        ("<c.colorCCCCCC>Das</c> <v Sprecher>Rad</v>", "Das Rad"),
        ("&lt;script&gt;alert(1)&lt;/script&gt; Mehl &amp; Wasser", "alert(1) Mehl & Wasser"),
        ("&amp;lt;b&amp;gt;bold", "bold"),
        ("Ebbe < Flut > Sturm", "Ebbe < Flut > Sturm"),
        ("a\u202eb\u0000c\u200bd", "a b c d"),
        ("<i></i>&nbsp;\n", ""),
    ],
)
def test_markup_is_stripped_from_caption_text(raw: str, clean: str) -> None:
    assert clean_caption_text(raw) == clean


def test_vtt_rolling_lines_of_automatic_captions_are_dropped() -> None:
    segments = parse_vtt(fixture("captions_auto_en.vtt").decode())
    assert [s.text for s in segments] == [
        "so the first bucket goes",
        "right under the gutter",
        "[Music]",
        "and the overflow runs to the tomatoes",
    ]
    assert (segments[0].start, segments[0].end) == (0.0, 2.35)
    assert segments[-1].start == pytest.approx(8.01)


def test_vtt_styles_notes_cue_ids_and_markup() -> None:
    segments = parse_captions("vtt", fixture("captions_markup.vtt"))
    assert [s.text for s in segments] == [
        "Welcome to the mill",
        "Grind & sift x() flourFLOUR ready",
        "The end.",
    ]
    assert (segments[2].start, segments[2].end) == (62.25, 64.0)


def test_srv3_captions() -> None:
    segments = parse_captions("srv3", fixture("captions_de.srv3"))
    assert [s.text for s in segments] == [
        "Willkommen in der letzten Gezeitenmühle",
        "an der Brackwasser-Mündung.",
        "Das Wasserrad & die Flut",
    ]
    assert (segments[2].start, segments[2].end) == (61.0, 66.5)


def test_srv3_with_a_document_type_is_refused() -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">]>'
        b'<timedtext><body><p t="0" d="1">&a;</p></body></timedtext>'
    )
    with pytest.raises(ValueError, match="document type"):
        parse_captions("srv3", evil)


def _track(name: str) -> list[dict[str, Any]]:
    return [{"ext": "json3", "url": f"https://www.youtube.com/api/timedtext?track={name}"}]


@pytest.mark.parametrize(
    ("subtitles", "automatic", "language", "chosen"),
    [
        # the creator's captions in the video's language win over English and automatic ones
        ({"en": "m-en", "de-DE": "m-de"}, {"de-orig": "a-de", "en": "a-en"}, "de", ("de", "m-de")),
        # the creator's in another language: English first, else the first listed
        ({"fr": "m-fr", "en-GB": "m-en"}, {"de-orig": "a-de"}, "de", ("en", "m-en")),
        ({"fr": "m-fr", "es": "m-es"}, {"de-orig": "a-de"}, "de", ("fr", "m-fr")),
        # live chat replay is not a caption track
        ({"live_chat": "chat"}, {"de-orig": "a-de", "de": "a-de2"}, "de", ("de", "a-de")),
        # automatic captions: the original language, else English
        ({}, {"en": "a-en", "ja-orig": "a-ja", "ja": "a-ja2"}, "ja", ("ja", "a-ja")),
        ({}, {"fr": "a-fr", "en": "a-en"}, None, ("en", "a-en")),
        ({}, {"fr": "a-fr"}, None, ("", None)),
        ({}, {}, "de", ("de", None)),
    ],
)
def test_caption_track_choice(
    subtitles: dict[str, str],
    automatic: dict[str, str],
    language: str | None,
    chosen: tuple[str, str | None],
) -> None:
    info = {
        "subtitles": {k: _track(v) for k, v in subtitles.items()},
        "automatic_captions": {k: _track(v) for k, v in automatic.items()},
    }
    lang, formats = choose_track(info, language)
    assert (lang, formats) == (chosen[0], _track(chosen[1]) if chosen[1] else [])


# --- end to end through the fake -------------------------------------------------------------


async def test_captions_in_the_video_language_with_metadata_and_chapters(
    fake: FakeYouTube,
) -> None:
    german_video(fake)
    info, transcript = await client(fake).info_and_captions(VIDEO)

    assert info.id == VIDEO
    assert info.title == "Wie eine Gezeitenmühle arbeitet"
    assert info.channel == "Mühlenwerkstatt Brackwasser"
    assert info.duration == 213.0
    assert info.published == "2024-03-05"
    assert info.language == "de"
    assert info.is_live is False
    assert info.chapters == (
        Chapter(0.0, "Einleitung"),
        Chapter(61.0, "Das Wasserrad"),
        Chapter(142.5, "Der Mahlstein"),
    )
    assert transcript is not None
    assert transcript.language == "de"
    assert transcript.duration == 213.0
    assert [s.text for s in transcript.segments] == [
        "Willkommen in der letzten Gezeitenmühle",
        "an der Brackwasser-Mündung.",
        "Das Wasserrad dreht sich nur, wenn die Flut zurückgeht.",
        "Der Mahlstein wiegt fast zwei Tonnen.",
        "Danke fürs Zuschauen!",
    ]
    assert (transcript.segments[2].start, transcript.segments[2].end) == (61.0, 66.5)
    captions = [s for s in fake.seen if s.path == "/api/timedtext"]
    assert len(captions) == 1
    assert "lang=de" in captions[0].query
    assert "fmt=json3" in captions[0].query
    assert "kind=asr" not in captions[0].query
    assert {s.host for s in fake.seen} <= YOUTUBE_HOSTS


async def test_automatic_captions_in_the_original_language_read_from_vtt(
    fake: FakeYouTube,
) -> None:
    # YouTube refuses json3 for this track (404), so the VTT of the same track is read.
    fake.add(
        video_from_fixtures(
            OTHER,
            "player_auto.json",
            initial_data="initial_data_plain.json",
            captions={("en", "asr", "vtt"): "captions_auto_en.vtt"},
        )
    )
    info, transcript = await client(fake).info_and_captions(OTHER)

    assert (info.title, info.channel, info.language) == (
        "Harvesting rain on a balcony",
        "Balcony Rain Club",
        "en",
    )
    assert info.published == "2023-11-20"
    assert info.chapters == ()
    assert transcript is not None
    assert transcript.language == "en"
    assert transcript.text == (
        "so the first bucket goes right under the gutter [Music] "
        "and the overflow runs to the tomatoes"
    )
    asked = [s.query for s in fake.seen if s.path == "/api/timedtext"]
    assert [("fmt=json3" in q, "fmt=vtt" in q, "kind=asr" in q) for q in asked] == [
        (True, False, True),
        (False, True, True),
    ]


async def test_caption_track_with_markup_comes_out_as_plain_text(fake: FakeYouTube) -> None:
    german_video(fake, captions="captions_markup.json3")
    _, transcript = await client(fake).info_and_captions(VIDEO)

    assert transcript is not None
    assert [s.text for s in transcript.segments] == [
        "Willkommen in der Mühle",
        "Das Rad dreht sich",
        "alert('mühle') Mehl & Wasser",
        "Tonnen schwer Link",
        "Ebbe < Flut > Sturm",
    ]


async def test_no_captions_gives_metadata_then_the_best_audio(fake: FakeYouTube) -> None:
    audio = silent_video(fake)
    youtube = client(fake)
    info, transcript = await youtube.info_and_captions(VIDEO)

    assert transcript is None
    assert (info.title, info.channel, info.duration) == (
        "Winter care for a rain barrel",
        "Balcony Rain Club",
        95.0,
    )
    assert info.published == "2022-01-14"
    data = await youtube.audio(VIDEO, max_bytes=1_000_000)
    assert data == audio["251"]
    downloads = [s for s in fake.seen if s.host == AUDIO_HOST]
    assert [("itag=251" in s.query, s.headers.get("range")) for s in downloads] == [
        (True, f"bytes=0-{(10 << 20) - 1}")
    ]
    watched = [p for p in fake.paths("www.youtube.com") if p in ("/watch", "/youtubei/v1/player")]
    assert watched.count("/watch") == 1, "the audio reuses what reading the captions extracted"


async def test_audio_takes_a_smaller_stream_when_the_best_is_over_max_bytes(
    fake: FakeYouTube,
) -> None:
    audio = silent_video(fake)
    assert await client(fake).audio(VIDEO, max_bytes=100_000) == audio["249"]


@YTDLP_LEAKS
async def test_audio_over_max_bytes_is_refused_before_downloading(
    fake: FakeYouTube, caplog: pytest.LogCaptureFixture
) -> None:
    silent_video(fake)
    caplog.set_level(logging.WARNING, "bot.content.youtube")
    with pytest.raises(MediaError) as raised:
        await client(fake).audio(VIDEO, max_bytes=50_000)
    assert raised.value.key == "err_media_too_big"
    assert not [s for s in fake.seen if s.host == AUDIO_HOST]
    assert any(VIDEO in r.getMessage() for r in caplog.records)


@YTDLP_LEAKS
async def test_audio_of_unknown_size_stops_at_max_bytes(fake: FakeYouTube) -> None:
    audio = silent_video(fake, "player_no_captions_unsized.json")
    youtube = client(fake)
    with pytest.raises(MediaError) as raised:
        await youtube.audio(VIDEO, max_bytes=200_000)
    assert raised.value.key == "err_media_too_big"
    assert await youtube.audio(VIDEO, max_bytes=300_000) == audio["251"]


async def test_audio_is_downloaded_in_ranges(
    fake: FakeYouTube, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yt_module, "_AUDIO_CHUNK", 100_000)
    audio = silent_video(fake, "player_no_captions_unsized.json")
    assert await client(fake).audio(VIDEO, max_bytes=1_000_000) == audio["251"]
    ranges = [s.headers.get("range") for s in fake.seen if s.host == AUDIO_HOST]
    assert ranges == ["bytes=0-99999", "bytes=100000-199999", "bytes=200000-299999"]


async def test_a_live_stream_still_running_is_refused(fake: FakeYouTube) -> None:
    fake.add(video_from_fixtures(VIDEO, "player_live.json", initial_data=None))
    youtube = client(fake)
    with pytest.raises(VideoError) as raised:
        await youtube.info_and_captions(VIDEO)
    assert raised.value.key == "err_youtube_live"
    with pytest.raises(VideoError) as raised:
        await youtube.audio(VIDEO, max_bytes=1_000_000)
    assert raised.value.key == "err_youtube_live"


@YTDLP_LEAKS
async def test_captions_listed_but_not_served_is_one_clear_error(fake: FakeYouTube) -> None:
    fake.add(video_from_fixtures(VIDEO, "player_captions.json"))  # every timedtext answers 404
    with pytest.raises(VideoError) as raised:
        await client(fake).info_and_captions(VIDEO)
    assert raised.value.key == "err_youtube_transcript"


@YTDLP_LEAKS
async def test_an_unavailable_video_is_one_clear_error(fake: FakeYouTube) -> None:
    with pytest.raises(VideoError) as raised:
        await client(fake).info_and_captions(OTHER)
    assert raised.value.key == "err_youtube_unavailable"


def _refused(status: str, reason: str, subreason: str | None = None) -> dict[str, object]:
    """A player answer for a video YouTube will not show, as its watch page carries it."""
    playability: dict[str, object] = {"status": status, "reason": reason}
    if subreason is not None:
        playability["errorScreen"] = {
            "playerErrorMessageRenderer": {
                "reason": {"simpleText": reason},
                "subreason": {"simpleText": subreason},
            }
        }
    return {"playabilityStatus": playability, "videoDetails": {"videoId": VIDEO}}


@YTDLP_LEAKS
@pytest.mark.parametrize(
    ("player", "key"),
    [
        (_refused("LOGIN_REQUIRED", "This video is private", "Private video"), "private"),
        (_refused("ERROR", "This video has been removed by the uploader"), "unavailable"),
        (
            _refused(
                "UNPLAYABLE", "The uploader has not made this video available in your country"
            ),
            "region",
        ),
    ],
)
async def test_a_video_youtube_will_not_show_says_why(
    fake: FakeYouTube, player: dict[str, object], key: str
) -> None:
    """Private, age-restricted, removed or blocked: the user learns that trying again won't
    help (it was "I couldn't get this video's transcript" for all of them)."""
    fake.add(FakeVideo(id=VIDEO, player=player))
    with pytest.raises(VideoError) as raised:
        await client(fake).info_and_captions(VIDEO)
    assert raised.value.key == f"err_youtube_{key}"


def test_an_age_restricted_video_says_so() -> None:
    """yt-dlp's words (the fake cannot play the age gate's second client, so this is read off
    the message yt-dlp raises, as the bot gets it)."""
    said = (
        "ERROR: [youtube] dQw4w9WgXcQ: Sign in to confirm your age. This video may be "
        "inappropriate for some users. Use --cookies-from-browser or --cookies for the "
        "authentication."
    )
    assert unavailable_key(said) == "err_youtube_age"
    assert unavailable_key("HTTP Error 403: Forbidden") == "err_youtube_transcript"
    rate_limited = "Video unavailable. This content isn't available, try again later."
    assert unavailable_key(rate_limited) == "err_youtube_transcript", "that may pass"


@YTDLP_LEAKS
@pytest.mark.parametrize("status", [500, 429, 403])
async def test_youtube_answering_an_error_is_one_clear_error(
    fake: FakeYouTube, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    german_video(fake)
    fake.fail_status = status
    youtube = client(fake)
    with caplog.at_level(logging.WARNING, "bot.content.youtube"):
        with pytest.raises(VideoError) as raised:
            await youtube.info_and_captions(VIDEO)
        assert raised.value.key == "err_youtube_transcript"
        with pytest.raises(VideoError):
            await youtube.audio(VIDEO, max_bytes=1_000_000)
    assert len([r for r in caplog.records if VIDEO in r.getMessage()]) == 2


@YTDLP_LEAKS
async def test_a_hanging_youtube_fails_within_the_timeout(fake: FakeYouTube) -> None:
    german_video(fake)
    fake.hang = True
    started = time.monotonic()
    with pytest.raises(VideoError) as raised:
        await client(fake, timeout=1.0).info_and_captions(VIDEO)
    assert raised.value.key == "err_youtube_transcript"
    assert time.monotonic() - started < 2.0


async def test_a_malformed_id_is_refused_without_asking_youtube(fake: FakeYouTube) -> None:
    with pytest.raises(VideoError):
        await client(fake).info_and_captions("../../etc/x")
    assert fake.seen == []
