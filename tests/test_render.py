"""Telegram HTML rendering: escaping, UTF-16 limits and the summary layout."""

from __future__ import annotations

from bot.content.document import Document
from bot.render import escape, split_text, summary_html, summary_plain, utf16_len
from bot.values import Summary


def test_escape_covers_telegram_specials() -> None:
    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"


def test_utf16_len_counts_astral_characters_twice() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("😀") == 2
    assert utf16_len("日本") == 2


def test_split_text_respects_utf16_limit_with_emoji() -> None:
    text = "\n".join(f"Paragraph {i} 😀😀 with some words here." for i in range(400))
    parts = split_text(text, 4096)
    assert len(parts) > 1
    assert all(utf16_len(part) <= 4096 for part in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_split_text_breaks_a_huge_sentence() -> None:
    text = "日本語" * 3000
    parts = split_text(text, 4096)
    assert all(utf16_len(part) <= 4096 for part in parts)
    assert "".join(parts) == text


def _doc() -> Document:
    return Document(
        text="Body " * 400,
        source_kind="html",
        title="Bees & <Wasps>",
        site_name="example.com",
        url="https://example.com/a?x=1&y=2",
        canonical_url="https://example.com/a?x=1&y=2",
    )


def test_summary_html_escapes_model_text_and_links_title() -> None:
    summary = Summary(
        text="Bees <b>matter</b>\nTL;DR: 1 < 2 & more\n\n- point *one*\n- point two",
        extractive=False,
        model="m",
    )
    rendered = summary_html(_doc(), summary)
    assert '<a href="https://example.com/a?x=1&amp;y=2">Bees &lt;b&gt;matter&lt;/b&gt;</a>' in (
        rendered
    )
    assert "TL;DR: 1 &lt; 2 &amp; more" in rendered
    assert "• point *one*" in rendered
    assert "example.com · 2 min read" in rendered


def test_extractive_summary_is_marked() -> None:
    summary = Summary(text="- One sentence here.", extractive=True, model="extractive")
    assert "extractive summary (no LLM)" in summary_html(_doc(), summary)
    plain = summary_plain(_doc(), summary)
    assert plain.startswith("Bees & <Wasps>")
    assert "[extractive summary (no LLM)]" in plain
