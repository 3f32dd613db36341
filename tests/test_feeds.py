"""A link to an RSS or Atom feed is read as its newest items, not as XML."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.config import Settings
from bot.content.extract import extract_bytes
from bot.content.feeds import FEED_ITEMS
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.web import FakeWeb
from tests.tg import last_text, send_for_summary

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>The Coastal Gazette</title><link>https://gazette.example/</link>
<item><title>Tide mill turns again</title>
<description>&lt;p&gt;The &lt;b&gt;Saltcote&lt;/b&gt; mill ground its first flour
since 1984.&lt;/p&gt;</description>
</item>
<item><title>Harbour wall repaired</title>
<description><![CDATA[<p>Volunteers rebuilt forty metres of the old wall.</p>]]></description>
</item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Mill Notes</title>
<entry><title>Open day on Saturday</title>
<summary>Visitors can watch the wheel turn.</summary></entry>
<entry><title>New miller hired</title>
<content type="html">&lt;p&gt;Ruth Halloran starts in May.&lt;/p&gt;</content></entry>
</feed>"""


def test_an_rss_feed_is_its_items_titles_and_descriptions() -> None:
    """It was summarized as raw XML, tags and all."""
    document = extract_bytes(RSS.encode(), "application/rss+xml", url="https://gazette.example/rss")
    assert document.title == "The Coastal Gazette"
    assert document.source_kind == "feed"
    assert document.text == (
        "Tide mill turns again\nThe Saltcote mill ground its first flour since 1984.\n\n"
        "Harbour wall repaired\nVolunteers rebuilt forty metres of the old wall."
    )


def test_an_atom_feed_served_as_plain_xml_is_read_the_same_way() -> None:
    document = extract_bytes(ATOM.encode(), "text/xml")
    assert document.title == "Mill Notes"
    assert "<" not in document.text
    assert "Open day on Saturday\nVisitors can watch the wheel turn." in document.text
    assert "New miller hired\nRuth Halloran starts in May." in document.text


def test_a_long_feed_is_read_to_its_newest_items() -> None:
    items = "".join(
        f"<item><title>Story {n}</title><description>Words of story number {n} here.</description>"
        "</item>"
        for n in range(FEED_ITEMS + 10)
    )
    feed = f"<rss><channel><title>Busy</title>{items}</channel></rss>".encode()
    text = extract_bytes(feed, "application/rss+xml").text
    assert f"Story {FEED_ITEMS - 1}\n" in text
    assert f"Story {FEED_ITEMS}\n" not in text


def test_xml_that_is_no_feed_is_still_read_as_text() -> None:
    data = b"<?xml version='1.0'?><notes><note>The mill opens at nine on Saturdays.</note></notes>"
    assert "The mill opens at nine" in extract_bytes(data, "application/xml").text


async def test_a_link_to_a_feed_gets_a_summary_of_its_items(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/rss", RSS, content_type="application/rss+xml")
    async with start_bot(settings_for()):
        await send_for_summary(bot_api, web.url("/rss"))
    text = last_text(bot_api)
    assert "The Coastal Gazette" in text
    assert "<item>" not in text
    assert "Saltcote" in text or "forty metres" in text
