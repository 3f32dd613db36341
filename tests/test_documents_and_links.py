"""Documents sent to the bot, messages with several links, and flood control."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

from bot.config import Settings
from tests.conftest import llm_settings
from tests.fakes.bot_api import DEFAULT_SUPERGROUP_ID, FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI, Reply
from tests.fakes.web import FakeWeb, make_pdf, make_scanned_pdf, read_fixture
from tests.tg import is_summary, last_text, send_for_summary, to_user, wait_summary, wait_text

PDF_PAGES = [
    "Quarterly report of the Lakeside Rowing Club. Membership grew to 412 members in 2025. "
    "The club bought two new boats and repaired the boathouse roof.",
    "The treasurer reported a surplus of 3,200 euros. The committee proposes to spend it on "
    "coaching for juniors and a new safety launch for the winter season.",
]


async def test_pdf_document_is_summarized(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_document(
            make_pdf(PDF_PAGES), file_name="report.pdf", mime_type="application/pdf"
        )
        await wait_summary(bot_api)
    assert bot_api.downloads, "the file was downloaded through the Bot API's file endpoint"
    assert "412 members" in last_text(bot_api) or "Lakeside" in last_text(bot_api)


async def test_scanned_pdf_says_no_text_layer(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_document(make_scanned_pdf(), file_name="scan.pdf", mime_type="application/pdf")
        await wait_text(bot_api, "no text layer")


async def test_text_and_markdown_documents(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_document(
            read_fixture("notes.md"), file_name="notes.md", mime_type="text/markdown"
        )
        await wait_summary(bot_api)
        assert "Balcony Rainwater Harvesting" in last_text(bot_api)
        bot_api.send_document(
            read_fixture("notes.txt"), file_name="notes.txt", mime_type="text/plain"
        )
        await wait_summary(bot_api, count=2)
    assert "extractive summary" in last_text(bot_api)


async def test_unsupported_document_is_refused_clearly(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_document(b"PK\x03\x04zip", file_name="a.zip", mime_type="application/zip")
        await bot_api.wait_for("sendMessage", to_user)
    assert "PDF, Word (.docx), TXT, Markdown and HTML" in last_text(bot_api)
    assert not bot_api.downloads


async def test_a_gzip_compressed_page_is_read_as_the_page_inside(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_document(
            gzip.compress(read_fixture("article_en.html")),
            file_name="tide-mill.html.gz",
            mime_type="application/gzip",
        )
        await wait_summary(bot_api)
        assert "Brackwater" in last_text(bot_api)
        # An archive of several files is not a page: refused before it is downloaded.
        bot_api.send_document(b"\x1f\x8b", file_name="site.tar.gz", mime_type="application/gzip")
        await wait_text(bot_api, "PDF, Word (.docx), TXT, Markdown and HTML")
    assert len(bot_api.downloads) == 1


async def test_document_over_20_mb_is_refused_before_download(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    stored = bot_api.add_file(b"%PDF-1.4 tiny", file_size=25 * 1024 * 1024)
    document = {
        "file_id": stored["file_id"],
        "file_unique_id": stored["file_unique_id"],
        "file_name": "big.pdf",
        "mime_type": "application/pdf",
        "file_size": 25 * 1024 * 1024,
    }
    async with start_bot(settings_for()):
        bot_api.send_private_message(document=document)
        await bot_api.wait_for("sendMessage", to_user)
    assert "20 MB" in last_text(bot_api)
    assert not bot_api.calls_to("getFile")


async def test_several_links_summarize_the_first_three_and_say_so(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    for index in range(4):
        web.page(
            f"/p{index}",
            title=f"Story number {index}",
            paragraphs=[
                f"Story {index} begins with a sentence about harbour cranes and tides. " * 3,
                f"Story {index} continues with more details about the port workers. " * 3,
            ],
        )
    text = " ".join(web.url(f"/p{index}") for index in range(4))
    async with start_bot(settings_for()):
        await send_for_summary(bot_api, text, count=3)
        await wait_text(bot_api, "first 3")
    assert [web.hits(f"/p{index}") for index in range(4)] == [1, 1, 1, 0]
    assert "first 3" in last_text(bot_api)


async def test_flood_control_429_is_waited_out(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    async with start_bot(settings_for()):
        bot_api.send_private_message(web.url("/story"))
        await bot_api.wait_for("sendMessage", to_user)  # the status message
        bot_api.fail_next("sendMessage", status=429, retry_after=1)
        first = await bot_api.wait_for("sendMessage", to_user, count=2)
        delivered = await bot_api.wait_for("sendMessage", lambda c: is_summary(c) and c.ok)
    assert not first.ok
    assert delivered.at - first.at >= 0.9
    assert "tide mill" in last_text(bot_api).lower()


async def test_a_document_captioned_summary_in_a_group_is_summarized(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """Commands in captions reach no command handler: the group got silence."""
    async with start_bot(settings_for()):
        bot_api.send_document(
            make_pdf(PDF_PAGES),
            file_name="report.pdf",
            mime_type="application/pdf",
            caption="/summary",
            chat_type="supergroup",
        )
        await wait_summary(bot_api, chat_id=DEFAULT_SUPERGROUP_ID)
        bot_api.send_document(
            make_pdf(PDF_PAGES),
            file_name="other.pdf",
            mime_type="application/pdf",
            caption="/summary@some_other_bot",
            chat_type="supergroup",
        )
        await bot_api.wait_idle(quiet=0.5)
    assert len(bot_api.downloads) == 1, "another bot's /summary is not ours"


async def test_a_document_sent_while_another_is_read_is_not_downloaded(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """Each one was downloaded (up to 20 MB, held twice) before being told to wait."""
    llm_api.script(Reply(content="Report\nTL;DR: 412 members.\n\n- Boats", delay=3))
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_document(make_pdf(PDF_PAGES), file_name="a.pdf", mime_type="application/pdf")
        await bot_api.wait_for("getFile")
        for name in ("b.pdf", "c.pdf"):
            bot_api.send_document(make_pdf(PDF_PAGES), file_name=name, mime_type="application/pdf")
        await wait_text(bot_api, "Still working")
        await wait_summary(bot_api)
    assert len(bot_api.downloads) == 1


async def test_a_question_as_a_documents_caption_is_answered_after_its_summary(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    settings_for: Callable[..., Settings],
    start_bot: Any,
) -> None:
    """It was dropped: only the summary came, as for a link it is answered (question beside)."""
    llm_api.script("Report\nTL;DR: 412 members.\n\n- Boats", "A surplus of 3,200 euros.")
    async with start_bot(llm_settings(settings_for, llm_api)):
        bot_api.send_document(
            make_pdf(PDF_PAGES),
            file_name="report.pdf",
            mime_type="application/pdf",
            caption="What did the treasurer report?",
        )
        await wait_text(bot_api, "3,200 euros")
    assert "What did the treasurer report?" in llm_api.requests[1].user_text


async def test_a_file_without_a_name_or_a_type_is_known_by_its_bytes(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    """It was refused before download ("I can read PDF, Word…"), though it was a PDF."""
    async with start_bot(settings_for()):
        bot_api.send_document(
            make_pdf(PDF_PAGES), file_name="scan0001", mime_type="application/octet-stream"
        )
        await wait_summary(bot_api)
    assert "412 members" in last_text(bot_api) or "Lakeside" in last_text(bot_api)
