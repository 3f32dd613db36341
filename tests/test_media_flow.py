"""Recordings and pictures end to end: the Bot API fake, the OpenAI fake's speech-to-text and
chat endpoints, the web fake and real Redis, as a user meets them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from tests.conftest import llm_settings
from tests.fakes.bot_api import DEFAULT_SUPERGROUP_ID, FakeBotAPI, make_user
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.helpers.media import m4a, mp3, mp4_video, ogg_opus, png
from tests.tg import USER_ID, message_of, send_for_summary, to_user, wait_summary, wait_text

LECTURE = (
    "Welcome to the history of the tide mill. The mill on the Brackwater estuary was built in "
    "1790 and ground flour for a century. Volunteers restored it over six years. Today it "
    "turns again twice a day with the tide, and visitors can buy its flour on Saturdays."
)
SUMMARY = (
    "The tide mill turns again\nTL;DR: A 1790 mill was restored.\n\n- Built in 1790\n"
    "- Restored by volunteers\n\nKey moments:\n- [0:00] The mill's history\n"
    "- [7:77] an invented time\n- [0:40] Saturdays"
)


async def forget_documents(settings: Settings) -> None:
    """Every document this test's Skim keeps, gone (as after their time in the cache)."""
    assert settings.redis_url is not None
    redis = Redis.from_url(settings.redis_url)
    try:
        pattern = f"{settings.redis_prefix}*doc:*"
        keys = [key async for key in redis.scan_iter(match=pattern, count=500)]
        assert keys, "the recording's transcript was kept"
        await redis.delete(*keys)
    finally:
        await redis.aclose()


def buttons(call: Any) -> list[dict[str, Any]]:
    markup = call.params.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def texts_to_user(bot_api: FakeBotAPI) -> list[str]:
    return [str(call.params.get("text", "")) for call in bot_api.calls_to("sendMessage")]


async def test_a_long_voice_message_is_transcribed_summarized_and_has_its_transcript(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.script_transcript(
        [(0.0, 30.0, LECTURE[:120]), (40.0, 75.0, LECTURE[120:])],
    )
    llm_api.script(SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_voice(ogg_opus(75), duration=75)
        status = await bot_api.wait_for("sendMessage", to_user)
        summary = await wait_summary(bot_api)
        heard = await llm_api.wait_for_transcriptions(1)
        transcript_button = [b for b in buttons(summary) if b.get("callback_data") == "sk:text"]
        assert transcript_button, buttons(summary)
        shown = bot_api.message(USER_ID, summary.result["message_id"])
        assert shown is not None
        bot_api.send_callback_query("sk:text", message=shown)
        transcript = await bot_api.wait_for(
            "sendMessage", lambda c: str(c.params.get("text", "")).startswith("[0:00]")
        )
    assert heard[0].model == "whisper-1"
    assert "Downloading" in status.params["text"] or "Transcribing" in status.params["text"]
    text = summary.params["text"]
    assert "Key moments" in text
    assert "[0:00]" in text
    assert "[0:40]" in text
    assert "7:77" not in text, "a time the transcript doesn't have is dropped"
    sent = llm_api.requests[0].user_text
    assert "[0:00]" in sent
    assert "Brackwater" in sent
    assert "▶ 1:15" in text, "a recording shows its length, not a reading time"
    assert transcript.params["text"].startswith("[0:00]")


async def test_a_transcript_no_longer_kept_is_said_in_the_chat_after_the_press_is_answered(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """The press is answered before the transcript is looked for (reading a source again can
    outlast Telegram's wait for the answer), so what went wrong is said in the chat."""
    llm_api.script_transcript([(0.0, 30.0, LECTURE[:120]), (40.0, 75.0, LECTURE[120:])])
    llm_api.script(SUMMARY)
    settings = llm_settings(settings_for, llm_api)
    async with start_bot(settings):
        bot_api.send_voice(ogg_opus(75), duration=75)
        summary = await wait_summary(bot_api)
        await forget_documents(settings)
        bot_api.send_callback_query("sk:text", message=message_of(bot_api, summary))
        gone = await bot_api.wait_for(
            "sendMessage", lambda c: "no longer have that transcript" in c.params.get("text", "")
        )
        answered = await bot_api.wait_for("answerCallbackQuery")
    assert answered.ok
    assert not answered.params.get("show_alert"), "a message in the chat, not an alert"
    assert answered.at <= gone.at
    assert gone.params["reply_parameters"]["message_id"] == summary.result["message_id"]


async def test_a_shorter_version_of_a_recordings_summary_keeps_its_transcript_button(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.script_transcript([(0.0, 30.0, LECTURE[:120]), (40.0, 75.0, LECTURE[120:])])
    llm_api.script(SUMMARY, "The tide mill turns again\nTL;DR: A 1790 mill was restored.")
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_voice(ogg_opus(75), duration=75)
        summary = await wait_summary(bot_api)
        bot_api.send_callback_query("sk:short", message=message_of(bot_api, summary))
        edit = await bot_api.wait_for(
            "editMessageText", lambda c: c.params.get("parse_mode") == "HTML"
        )
    assert len(llm_api.requests) == 2
    assert "sk:text" in [b.get("callback_data") for b in buttons(edit)]


async def test_a_short_voice_reply_to_a_summary_is_a_question_about_the_article(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script("Mill turns again\nTL;DR: A mill.\n\n- Halloran restored it")
    llm_api.script_transcript("Who restored the mill?")
    llm_api.script('The Halloran family restored it: "six-year restoration".')
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await send_for_summary(bot_api, web.url("/story"))
        replied = bot_api.message(USER_ID, summary.result["message_id"])
        assert replied is not None
        bot_api.send_voice(ogg_opus(3), duration=3, reply_to_message=replied)
        answer = await bot_api.wait_for(
            "sendMessage", lambda c: "Halloran family" in str(c.params.get("text", ""))
        )
    assert len(llm_api.transcription_requests) == 1
    asked = llm_api.requests[-1]
    assert asked.last_user_text == "Who restored the mill?"
    assert "Brackwater" in asked.user_text, "answered from the article"
    assert answer.params.get("reply_parameters") or answer.params.get("reply_to_message_id")


async def test_a_short_voice_on_its_own_gets_a_short_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.script_transcript(LECTURE)
    llm_api.script("Mill\nTL;DR: A mill turns again.\n\n- Restored")
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_voice(ogg_opus(20), duration=20)
        await wait_summary(bot_api)
    system = llm_api.requests[0].messages[0]["content"]
    assert "2 or 3" in system, "a short summary's key moments"


async def test_the_same_recording_twice_is_transcribed_once(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.script_transcript(LECTURE)
    llm_api.script(SUMMARY)
    audio = ogg_opus(70)
    async with start_bot(llm_settings(settings_for, llm_api)):
        first = bot_api.send_voice(audio, duration=70)
        await wait_summary(bot_api)
        voice = first["message"]["voice"]
        bot_api.send_private_message(None, voice=voice)
        await wait_summary(bot_api, count=2)
    assert len(llm_api.transcription_requests) == 1
    assert len(llm_api.requests) == 1


async def test_without_a_transcription_key_a_voice_message_gets_a_clear_message(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_voice(ogg_opus(5), duration=75)
        reply = await wait_text(bot_api, "TRANSCRIBE_API_KEY")
        bot_api.send_private_message("/help")
        await wait_text(bot_api, "/summary")  # still running
    assert "transcription" in str(reply["text"])
    assert not bot_api.calls_to("getFile"), "nothing downloaded that can't be transcribed"


async def test_a_file_over_twenty_megabytes_is_refused_before_downloading(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_audio(
            mp3(2),
            duration=3000,
            file_name="talk.mp3",
            mime_type="audio/mpeg",
            file_size=25 * 1024 * 1024,
        )
        reply = await bot_api.wait_for("sendMessage", to_user)
    assert "20 MB" in reply.params["text"]
    assert "25.0 MB" in reply.params["text"]
    assert not bot_api.calls_to("getFile")
    assert not llm_api.transcription_requests


async def test_a_recording_longer_than_the_limit_is_refused_before_downloading(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    settings = llm_settings(settings_for, llm_api, max_media_minutes=10)
    async with start_bot(settings):
        bot_api.send_voice(ogg_opus(2), duration=11 * 60)
        reply = await wait_text(bot_api, "minutes")
    assert "11 minutes" in str(reply["text"])
    assert "10 minutes" in str(reply["text"])
    assert not bot_api.calls_to("getFile")


async def test_a_recording_that_lies_about_its_length_is_measured_not_believed(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    settings = llm_settings(settings_for, llm_api, max_media_minutes=1)
    async with start_bot(settings):
        bot_api.send_voice(ogg_opus(70), duration=5)  # says 5 s, holds 70 s
        reply = await wait_text(bot_api, "minutes")
    assert "2 minutes" in str(reply["text"])
    assert not llm_api.transcription_requests


async def test_the_daily_minutes_quota_refuses_the_recording_that_would_pass_it(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.script_transcript(LECTURE, LECTURE)
    llm_api.script(SUMMARY, SUMMARY)
    settings = llm_settings(settings_for, llm_api, daily_media_minutes=2)
    async with start_bot(settings):
        bot_api.send_voice(ogg_opus(70), duration=70)
        await wait_summary(bot_api)
        bot_api.send_voice(ogg_opus(65, frequency=330), duration=65)
        refused = await wait_text(bot_api, "today's 2 minutes")
    assert len(llm_api.transcription_requests) == 1
    assert "midnight UTC" in str(refused["text"])


async def test_minutes_of_a_recording_that_was_not_transcribed_are_given_back(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """The endpoint could not read the first recording: its 70 s don't count, so the second
    (70 + 65 s would pass the 2 minutes) is transcribed."""
    llm_api.fail_next_transcription(400, message="Invalid file format.", param="file")
    llm_api.script_transcript(LECTURE)
    llm_api.script(SUMMARY)
    settings = llm_settings(settings_for, llm_api, daily_media_minutes=2)
    async with start_bot(settings):
        bot_api.send_voice(ogg_opus(70), duration=70)
        await wait_text(bot_api, "doesn't look like audio")
        bot_api.send_voice(ogg_opus(65, frequency=330), duration=65)
        await wait_summary(bot_api)
    assert not [text for text in texts_to_user(bot_api) if "today's" in text]


async def test_a_recording_longer_than_a_days_minutes_is_told_so(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """Waiting for midnight would not help: the message says what would."""
    settings = llm_settings(settings_for, llm_api, daily_media_minutes=1)
    async with start_bot(settings):
        bot_api.send_voice(ogg_opus(75), duration=75)
        refused = await wait_text(bot_api, "a day")
    assert "2 min long" in str(refused["text"])
    assert "up to 1 min a day" in str(refused["text"])
    assert "midnight" not in str(refused["text"])
    assert not llm_api.transcription_requests


async def test_an_audio_link_is_fetched_transcribed_and_summarized(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/episode.mp3", mp3(70), content_type="audio/mpeg")
    llm_api.script_transcript(LECTURE)
    llm_api.script(SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await send_for_summary(bot_api, web.url("/episode.mp3"))
    assert len(llm_api.transcription_requests) == 1
    assert llm_api.transcription_requests[0].filename == "episode.mp3"
    assert "Key moments" in summary.params["text"]


async def test_an_audio_link_to_a_private_address_is_refused_without_a_connection(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/episode.mp3", mp3(5), content_type="audio/mpeg")
    settings = llm_settings(settings_for, llm_api, fetch_allow_private_networks=False)
    async with start_bot(settings):
        bot_api.send_private_message(web.url("/episode.mp3"))
        reply = await wait_text(bot_api, "private")
    assert web.hits("/episode.mp3") == 0
    assert not llm_api.transcription_requests
    assert reply["text"]


async def test_an_episode_page_with_only_show_notes_is_read_by_its_audio(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/audio/ep1.mp3", mp3(70), content_type="audio/mpeg")
    web.page(
        "/ep1",
        title="Episode 1: The tide mill",
        paragraphs=["In this episode we visit the tide mill on the Brackwater estuary."],
        extra_head=f'<meta property="og:audio" content="{web.url("/audio/ep1.mp3")}">',
    )
    llm_api.script_transcript(LECTURE)
    llm_api.script(SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        summary = await send_for_summary(bot_api, web.url("/ep1"))
    assert web.hits("/audio/ep1.mp3") == 1
    assert len(llm_api.transcription_requests) == 1
    assert web.url("/ep1") in summary.params["text"], "the summary links the episode page"


async def test_a_picture_without_vision_gets_a_clear_message(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_photo(png(), width=4, height=4)
        reply = await wait_text(bot_api, "LLM_VISION")
    assert "vision" in str(reply["text"])
    assert not llm_api.requests


async def test_a_picture_of_text_is_read_by_the_vision_model_then_summarized(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.script(LECTURE, "Mill\nTL;DR: A mill turns again.\n\n- Restored in six years")
    async with start_bot(llm_settings(settings_for, llm_api, llm_vision=True)):
        bot_api.send_photo(png(), width=4, height=4)
        summary = await wait_summary(bot_api)
    looked = llm_api.requests[0].messages[0]["content"]
    assert isinstance(looked, list)
    assert looked[1]["type"] == "image_url"
    assert looked[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert "Brackwater" in llm_api.requests[1].user_text
    assert "A mill turns again" in summary.params["text"]


async def test_in_a_group_a_short_voice_reply_to_a_summary_is_a_question(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script("Mill turns again\nTL;DR: A mill.\n\n- Halloran restored it")
    llm_api.script_transcript("Who restored the mill?")
    llm_api.script("The Halloran family did.")
    group = DEFAULT_SUPERGROUP_ID
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_group_message(f"/summary {web.url('/story')}")
        summary = await wait_summary(bot_api, chat_id=group)
        replied = bot_api.message(group, summary.result["message_id"])
        assert replied is not None
        bot_api.send_voice(
            ogg_opus(3), duration=3, reply_to_message=replied, chat_type="supergroup"
        )
        await wait_text(bot_api, "Halloran family did", chat_id=group)
    assert llm_api.requests[-1].last_user_text == "Who restored the mill?"


async def test_a_voice_pyav_cannot_read_is_left_to_the_endpoint_to_judge(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    # Telegram's own voice messages are trusted to be audio: a codec PyAV lacks may still be
    # one the endpoint reads. This fake decodes too, so it refuses, and the user is told.
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_voice(b"OggS" + bytes(range(256)) * 8, duration=4)
        reply = await wait_text(bot_api, "audio or video")
    assert len(llm_api.transcription_requests) == 1
    assert llm_api.transcription_requests[0].filename == "voice.ogg"
    assert "doesn't look like" in str(reply["text"])


async def test_a_long_transcript_is_sent_as_a_text_file(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    segments = [
        (5.0 * k, 5.0 * k + 4.5, f"Sentence number {k} about the tide mill.") for k in range(120)
    ]
    llm_api.script_transcript(segments)
    llm_api.script(SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_voice(ogg_opus(600), duration=600)
        summary = await wait_summary(bot_api)
        shown = bot_api.message(USER_ID, summary.result["message_id"])
        assert shown is not None
        bot_api.send_callback_query("sk:text", message=shown)
        sent = await bot_api.wait_for("sendDocument")
    document = sent.result["document"]
    assert document["file_name"] == "transcript.txt"
    text = bot_api.file_content(document["file_id"]).decode()
    assert text.startswith("[0:00] Sentence number 0")
    assert "Sentence number 119" in text
    assert "[9:55]" in text or "[9:30]" in text


async def test_a_transcript_long_in_telegrams_units_is_sent_as_a_text_file(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """Telegram counts UTF-16 units: 3,300 characters, 2,200 of them emoji, are 5,500 units, too
    many for a message though under the 3,500 characters a message was allowed."""
    segments = [(5.0 * k, 5.0 * k + 4.5, "Mill turns " + "🌊" * 40) for k in range(55)]
    llm_api.script_transcript(segments)
    llm_api.script(SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_voice(ogg_opus(280), duration=280)
        summary = await wait_summary(bot_api)
        bot_api.send_callback_query("sk:text", message=message_of(bot_api, summary))
        sent = await bot_api.wait_for("sendDocument")
    assert sent.ok
    assert sent.result["document"]["file_name"] == "transcript.txt"


async def test_video_notes_videos_and_audio_files_are_transcribed_and_summarized(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    llm_api.script_transcript(LECTURE, LECTURE + " Second.", LECTURE + " Third.")
    llm_api.script(SUMMARY, SUMMARY, SUMMARY)
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_video_note(mp4_video(62), duration=62)
        await wait_summary(bot_api)
        bot_api.send_video(
            mp4_video(63, frequency=300),
            duration=63,
            width=64,
            height=64,
            file_name="walk.mp4",
            mime_type="video/mp4",
        )
        await wait_summary(bot_api, count=2)
        bot_api.send_document(mp3(64), file_name="talk.mp3", mime_type="audio/mpeg")
        await wait_summary(bot_api, count=3)
    names = [request.filename for request in llm_api.transcription_requests]
    assert len(names) == 3
    assert names[2].endswith(".mp3")
    first = bot_api.messages_in(USER_ID)
    assert any("▶ 1:02" in str(message.get("text")) for message in first)


@pytest.mark.parametrize(
    ("file_name", "mime_type"),
    [("talk.ogg", "application/ogg"), ("memo.m4a", "application/octet-stream")],
)
async def test_a_recording_sent_as_a_file_of_no_audio_type_is_transcribed(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    file_name: str,
    mime_type: str,
) -> None:
    """Ogg's registered type is application/ogg, and a client declares octet-stream for an
    extension it does not know: the name says it is a recording."""
    llm_api.script_transcript(LECTURE)
    llm_api.script(SUMMARY)
    data = ogg_opus(20) if file_name.endswith(".ogg") else m4a(20)
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_document(data, file_name=file_name, mime_type=mime_type)
        await wait_summary(bot_api)
    assert len(llm_api.transcription_requests) == 1


async def test_a_gif_is_not_taken_for_a_recording(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """Telegram sends an animation with a `document` (a silent MP4) beside it."""
    stored = bot_api.add_file(mp4_video(3, audio=False), file_path="animations/file_1.mp4")
    animation = {
        "file_id": stored["file_id"],
        "file_unique_id": stored["file_unique_id"],
        "width": 32,
        "height": 32,
        "duration": 3,
        "file_name": "funny.gif.mp4",
        "mime_type": "video/mp4",
    }
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(None, animation=animation, document=dict(animation))
        reply = await wait_text(bot_api, "I can read")
    assert "sound" not in str(reply["text"])
    assert not llm_api.transcription_requests


async def test_a_recording_too_big_for_telegram_with_no_declared_size(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """Telegram's file_size is optional: the refusal says "bigger", not "0.0 MB"."""
    stored = bot_api.add_file(mp3(5), file_path="music/file_1.mp3", file_size=30 * 1024 * 1024)
    audio = {
        "file_id": stored["file_id"],
        "file_unique_id": stored["file_unique_id"],
        "duration": 1800,
        "file_name": "lecture.mp3",
        "mime_type": "audio/mpeg",
    }
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_private_message(None, audio=audio)
        reply = await wait_text(bot_api, "20 MB")
    assert "this one is bigger" in str(reply["text"])
    assert "0.0" not in str(reply["text"])


async def test_an_album_of_pictures_is_read_as_one_text(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """An article screenshotted in three parts: Telegram sends one message a picture, sharing
    a media_group_id. One summary of all three, not one summary and two "still working"."""
    pages = [f"Page {n}: the mill's story goes on, part {n} of three. " * 4 for n in (1, 2, 3)]
    llm_api.script(*pages, "Mill\nTL;DR: The whole story.\n\n- Three parts")
    async with start_bot(llm_settings(settings_for, llm_api, llm_vision=True)):
        for n in range(3):
            bot_api.send_photo(png(4 + n, 4), width=4 + n, height=4, media_group_id="album-1")
        summary = await wait_summary(bot_api)
        await bot_api.wait_idle(quiet=0.5)
    assert len(llm_api.requests) == 4, "three pictures read, one summary written"
    summarized = llm_api.requests[3].user_text
    assert summarized.index("Page 1") < summarized.index("Page 2") < summarized.index("Page 3")
    assert "The whole story" in summary.params["text"]
    assert not [text for text in texts_to_user(bot_api) if "Still working" in text]


@pytest.mark.parametrize("vision", [False, True])
async def test_a_pictures_long_caption_is_read(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    vision: bool,
) -> None:
    """A forwarded post: a photo and its words in the caption. Without vision the words are
    summarized; with it, a photo with no text in it leaves the words."""
    caption = "The harbour board voted to rebuild the tide mill's sluice gates this winter. " * 4
    replies = ["NO_TEXT"] if vision else []
    llm_api.script(*replies, "Mill\nTL;DR: The sluice gates.\n\n- This winter")
    async with start_bot(llm_settings(settings_for, llm_api, llm_vision=vision)):
        bot_api.send_photo(png(), width=4, height=4, caption=caption)
        await wait_summary(bot_api)
    assert "sluice gates" in llm_api.requests[-1].user_text


async def test_the_same_picture_with_another_users_caption_never_shows_them_the_first_caption(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """The picture's cache key was the file alone, but its document holds the caption: a
    forwarded photo brought one user another user's private words."""
    bob = make_user(2002, "Bob", "bob")
    private = "My landlord Mr Jones at 12 Elm Street is evicting me next month, what can I do? "
    llm_api.script(
        "NO_TEXT",
        "Eviction\nTL;DR: ALICE-SUMMARY about the eviction.\n\n- Next month",
        "TIDE MILL OPEN SATURDAYS",
        "Mill\nTL;DR: Open on Saturdays.\n\n- Saturdays",
    )
    async with start_bot(llm_settings(settings_for, llm_api, llm_vision=True)):
        sent = bot_api.send_photo(png(), width=4, height=4, caption=private * 2)
        await wait_summary(bot_api)
        photo = sent["message"]["photo"]
        bot_api.send_private_message(None, user=bob, photo=photo)
        bobs = await wait_summary(bot_api, chat_id=bob["id"])
    assert "ALICE-SUMMARY" not in bobs.params["text"]
    assert not [request for request in llm_api.requests[2:] if "landlord" in request.user_text]
