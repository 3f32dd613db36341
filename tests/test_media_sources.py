"""Links that are not articles, end to end: YouTube (through the real yt-dlp and a fake YouTube),
public Telegram posts, podcast feeds and episode pages, hostile media, and `skim transcribe`."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.content.addresses import IPAddress
from bot.content.fetch import Fetcher, FetchPolicy
from bot.content.reader import ContentReader
from bot.content.youtube import YouTube
from bot.deps import build_deps
from bot.errors import FetchError, MediaError
from bot.media.reading import MediaHooks, MediaReader
from bot.media.transcribe import Transcriber
from tests.conftest import llm_settings, run_cli
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb
from tests.fakes.youtube import FakeYouTube, video_from_fixtures
from tests.helpers.media import mp3, ogg_opus
from tests.tg import USER_ID, send_for_summary, wait_text

VIDEO = "dQw4w9WgXcQ"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
VIDEO_SUMMARY = (
    "Harbour talk\nTL;DR: A talk.\n\n- One point\n\nKey moments:\n- [0:00] Start\n"
    "- [1:30] The ferry\n- [59:00] Invented"
)


@pytest.fixture
async def youtube() -> AsyncIterator[FakeYouTube]:
    async with FakeYouTube() as server:
        yield server


def youtube_client(fake: FakeYouTube) -> YouTube:
    return YouTube(timeout=10, proxy=fake.proxy, extra_options=fake.ytdlp_options)


async def test_a_youtube_link_is_summarized_from_captions_with_moments_linked_into_it(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    youtube: FakeYouTube,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    youtube.add(
        video_from_fixtures(
            VIDEO,
            "player_captions.json",
            captions={
                ("de", "", "json3"): "captions_de.json3",
                ("en", "", "json3"): "captions_en.json3",
            },
        )
    )
    llm_api.script(VIDEO_SUMMARY)
    settings = llm_settings(settings_for, llm_api)
    deps = build_deps(settings, youtube=youtube_client(youtube))
    async with start_bot(settings, deps):
        first = await send_for_summary(bot_api, f"https://www.youtube.com/watch?v={VIDEO}&t=42s")
        again = await send_for_summary(bot_api, f"https://youtu.be/{VIDEO}?si=share", count=2)
    text = first.params["text"]
    assert f'href="https://youtu.be/{VIDEO}?t=61"' in text, "[1:30] is the paragraph at 1:01"
    assert f'href="https://youtu.be/{VIDEO}?t=0"' in text
    assert "59:00" not in text, "a time past the video's end is dropped"
    assert "YouTube" in text
    assert not llm_api.transcription_requests, "captions need no transcription"
    assert len(llm_api.requests) == 1, "the second link form hits the video id's cache"
    assert again.params["text"] == text
    sent = llm_api.requests[0].user_text
    assert "[1:01]" in sent


async def test_a_question_about_a_video_cites_its_moment_as_a_link(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    youtube: FakeYouTube,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    youtube.add(
        video_from_fixtures(
            VIDEO, "player_captions.json", captions={("de", "", "json3"): "captions_de.json3"}
        )
    )
    llm_api.script(VIDEO_SUMMARY, 'It is said at [1:05]: "the ferry".')
    settings = llm_settings(settings_for, llm_api)
    deps = build_deps(settings, youtube=youtube_client(youtube))
    async with start_bot(settings, deps):
        summary = await send_for_summary(bot_api, f"https://youtu.be/{VIDEO}")
        replied = bot_api.message(USER_ID, summary.result["message_id"])
        assert replied is not None
        bot_api.send_private_message("When is the ferry mentioned?", reply_to_message=replied)
        answer = await wait_text(bot_api, "It is said at")
    assert "timed transcript" in llm_api.requests[1].messages[0]["content"]
    assert "[1:01]" in str(answer["text"]), "snapped to the paragraph the quote comes from"


async def test_a_youtube_video_without_captions_and_no_transcriber_says_why(
    bot_api: FakeBotAPI,
    youtube: FakeYouTube,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    youtube.add(
        video_from_fixtures(
            VIDEO, "player_no_captions.json", initial_data="initial_data_plain.json", audio={}
        )
    )
    settings = settings_for()
    deps = build_deps(settings, youtube=youtube_client(youtube))
    async with start_bot(settings, deps):
        bot_api.send_private_message(f"https://youtu.be/{VIDEO}")
        reply = await wait_text(bot_api, "no captions")
    assert "transcription" in str(reply["text"])


async def test_a_youtube_video_without_captions_is_transcribed_from_its_audio(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    youtube: FakeYouTube,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    audio = ogg_opus(70)
    youtube.add(
        video_from_fixtures(
            VIDEO,
            "player_no_captions.json",
            initial_data="initial_data_plain.json",
            audio={"251": audio, "249": audio},
        )
    )
    llm_api.script_transcript("The ferry moves to the north pier while it is resurfaced.")
    llm_api.script(VIDEO_SUMMARY)
    settings = llm_settings(settings_for, llm_api)
    deps = build_deps(settings, youtube=youtube_client(youtube))
    async with start_bot(settings, deps):
        summary = await send_for_summary(bot_api, f"https://youtu.be/{VIDEO}")
    assert len(llm_api.transcription_requests) == 1
    assert f"https://youtu.be/{VIDEO}?t=0" in summary.params["text"]


@pytest.mark.filterwarnings(  # yt-dlp's own unclosed error responses, see tests/test_youtube.py
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)
async def test_a_broken_youtube_is_one_clear_message(
    bot_api: FakeBotAPI,
    youtube: FakeYouTube,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    settings = settings_for()
    youtube.fail_status = 500  # YouTube (or yt-dlp's way into it) is broken
    deps = build_deps(settings, youtube=youtube_client(youtube))
    async with start_bot(settings, deps):
        bot_api.send_private_message(f"https://youtu.be/{VIDEO}")
        reply = await wait_text(bot_api, "transcript")
    assert "couldn't get this video's transcript" in str(reply["text"])
    assert deps.metrics.videos.labels("err_youtube_transcript")._value.get() == 1


async def test_an_unknown_video_says_it_is_unavailable(
    bot_api: FakeBotAPI,
    youtube: FakeYouTube,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    settings = settings_for()  # the fake knows no video: "This video is unavailable"
    deps = build_deps(settings, youtube=youtube_client(youtube))
    async with start_bot(settings, deps):
        bot_api.send_private_message(f"https://youtu.be/{VIDEO}")
        reply = await wait_text(bot_api, "unavailable")
    assert "removed, or never published" in str(reply["text"])
    assert deps.metrics.videos.labels("err_youtube_unavailable")._value.get() == 1


async def test_a_public_telegram_post_link_is_read_from_its_embed_page(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/harbournotes/412", (FIXTURES / "telegram" / "text_post.html").read_bytes())
    llm_api.script("Ferry times\nTL;DR: The 7:10 ferry moves to 7:25.\n\n- North pier works")
    settings = llm_settings(settings_for, llm_api)
    deps = build_deps(settings, telegram_base=web.base)
    async with start_bot(settings, deps):
        summary = await send_for_summary(bot_api, "https://t.me/harbournotes/412")
    assert web.hits("/harbournotes/412") == 1
    assert "Gullholm" in llm_api.requests[0].user_text
    assert "https://t.me/harbournotes/412" in summary.params["text"]


async def test_a_podcast_feed_is_read_by_its_newest_episode(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/new.mp3", mp3(70), content_type="audio/mpeg")
    web.route("/old.mp3", mp3(5), content_type="audio/mpeg")
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Pod</title>'
        f'<item><title>New</title><enclosure url="{web.url("/new.mp3")}" type="audio/mpeg" '
        'length="1"/></item>'
        f'<item><title>Old</title><enclosure url="{web.url("/old.mp3")}" type="audio/mpeg" '
        'length="1"/></item></channel></rss>'
    )
    web.route("/feed.xml", feed, content_type="application/rss+xml")
    llm_api.script_transcript("Welcome to the harbour podcast about the ferry and the pier.")
    llm_api.script(VIDEO_SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        await send_for_summary(bot_api, web.url("/feed.xml"))
    assert web.hits("/new.mp3") == 1
    assert web.hits("/old.mp3") == 0


async def test_an_audio_link_that_is_not_audio_is_refused_clearly(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/fake.mp3", b"<html><body>not a song</body></html>" * 50, content_type="audio/mpeg")
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(web.url("/fake.mp3"))
        reply = await wait_text(bot_api, "audio or video")
    assert "doesn't look like" in str(reply["text"])
    assert not llm_api.transcription_requests


async def test_audio_pyav_cannot_read_is_left_to_the_endpoint_unless_it_is_a_page(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    # A codec FFmpeg's bundled build lacks may still be one the endpoint reads; this fake
    # decodes too, so it refuses, and the user hears the same clear message.
    web.route("/odd.mp3", b"ID3" + bytes(range(256)) * 40, content_type="audio/mpeg")
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(web.url("/odd.mp3"))
        reply = await wait_text(bot_api, "audio or video")
    assert len(llm_api.transcription_requests) == 1
    assert "doesn't look like" in str(reply["text"])


# The reader alone: what only a fetcher with its own address rule can show


def loopback_only(address: IPAddress) -> bool:
    """Loopback plays "the public internet" here; every other non-public address is private."""
    return address.is_loopback


async def reader_on(web: FakeWeb, llm_api: FakeOpenAI) -> tuple[ContentReader, Any]:
    from openai import AsyncOpenAI

    policy = FetchPolicy(
        allow_private_networks=False,
        allowed_ports=frozenset({80, 443, 8080, web.port}),
        media_max_bytes=10_000_000,
    )
    http = Fetcher.build_client(policy)
    speech = AsyncOpenAI(api_key=llm_api.api_key, base_url=llm_api.url, max_retries=0)
    reader = ContentReader(
        Fetcher(http, policy, address_allowed=loopback_only),
        media=MediaReader(Transcriber(speech)),
    )

    async def close() -> None:
        await http.aclose()
        await speech.close()

    return reader, close


async def test_og_audio_pointing_to_a_private_address_is_never_fetched(
    web: FakeWeb, llm_api: FakeOpenAI
) -> None:
    assert not ipaddress.ip_address("10.255.255.1").is_loopback
    web.page(
        "/ep2",
        title="Episode 2",
        paragraphs=["Short notes on the episode."],
        extra_head='<meta property="og:audio" content="http://10.255.255.1:8080/secret.mp3">',
    )
    reader, close = await reader_on(web, llm_api)
    try:
        with pytest.raises(FetchError) as refused:
            await reader.read_url(web.url("/ep2"))
    finally:
        await close()
    assert refused.value.key == "err_private"
    assert not llm_api.transcription_requests


async def test_zero_second_audio_is_refused_as_empty(web: FakeWeb, llm_api: FakeOpenAI) -> None:
    web.route("/silence.mp3", mp3(0), content_type="audio/mpeg")
    reader, close = await reader_on(web, llm_api)
    try:
        with pytest.raises(MediaError) as refused:
            await reader.read_url(web.url("/silence.mp3"))
    finally:
        await close()
    assert refused.value.key in ("err_media_empty", "err_not_media")
    assert not llm_api.transcription_requests


async def test_a_ten_hour_recording_is_refused_before_transcription(
    web: FakeWeb, llm_api: FakeOpenAI
) -> None:
    charged: list[float] = []

    async def charge(seconds: float) -> None:
        charged.append(seconds)

    web.route("/long.mp3", mp3(6), content_type="audio/mpeg")
    reader, close = await reader_on(web, llm_api)
    reader.media.check_length(5)  # the limit is 90 minutes by default
    with pytest.raises(MediaError) as refused:
        reader.media.check_length(10 * 3600)
    try:
        document = await reader.read_url(web.url("/long.mp3"), hooks=MediaHooks(charge=charge))
    finally:
        await close()
    assert refused.value.key == "err_media_too_long"
    assert refused.value.values == {"minutes": 600, "limit": 90}
    assert document.is_recording
    assert len(charged) == 1
    assert 5 < charged[0] < 7, "the quota is charged the measured length"


async def test_a_feed_without_audio_is_read_as_text(web: FakeWeb, llm_api: FakeOpenAI) -> None:
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><item>'
        "<title>Ferry</title><description>The ferry moves to the north pier while the south "
        "pier is resurfaced over the summer months.</description></item></channel></rss>"
    )
    web.route("/news.xml", feed, content_type="application/rss+xml")
    reader, close = await reader_on(web, llm_api)
    try:
        document = await reader.read_url(web.url("/news.xml"))
    finally:
        await close()
    assert not document.is_recording
    assert "north pier" in document.text
    assert not llm_api.transcription_requests


# The command line


async def test_skim_transcribe_prints_a_timed_transcript(
    llm_api: FakeOpenAI, tmp_path: Path
) -> None:
    llm_api.script_transcript([(0.0, 20.0, "First words."), (40.0, 70.0, "Later words.")])
    recording = tmp_path / "talk.ogg"
    recording.write_bytes(ogg_opus(70))
    env = {"OPENAI_API_KEY": llm_api.api_key, "OPENAI_BASE_URL": llm_api.url}
    code, out, err = await run_cli("transcribe", str(recording), env=env)
    assert code == 0, err
    assert out.splitlines()[0] == "[0:00] First words."
    assert "[0:40] Later words." in out


async def test_skim_summarize_reads_an_audio_file(llm_api: FakeOpenAI, tmp_path: Path) -> None:
    llm_api.script_transcript("The ferry moves to the north pier while the south pier is rebuilt.")
    llm_api.script(VIDEO_SUMMARY)
    recording = tmp_path / "talk.mp3"
    recording.write_bytes(mp3(70))
    env = {"OPENAI_API_KEY": llm_api.api_key, "OPENAI_BASE_URL": llm_api.url}
    code, out, err = await run_cli("summarize", str(recording), env=env)
    assert code == 0, err
    assert "Key moments" in out
    assert "[0:00]" in out
    assert len(llm_api.transcription_requests) == 1


async def test_skim_transcribe_without_an_endpoint_says_how_to_enable_it(tmp_path: Path) -> None:
    recording = tmp_path / "talk.ogg"
    recording.write_bytes(ogg_opus(3))
    code, _, err = await run_cli("transcribe", str(recording))
    assert code == 1
    assert "TRANSCRIBE_API_KEY" in err
    assert "Traceback" not in err
