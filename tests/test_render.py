"""Telegram HTML rendering: escaping, UTF-16 limits and the summary layout."""

from __future__ import annotations

import pytest

from bot.content.document import Document
from bot.markdown import inline_html, inline_plain
from bot.render import (
    answer_parts,
    answer_plain,
    escape,
    moment_links,
    preview,
    split_text,
    summary_html,
    summary_plain,
    utf16_len,
)
from bot.values import Summary
from tests.fakes.bot_api_text import parse_html


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
    assert "• point <i>one</i>" in rendered, "the model's Markdown is rendered, not shown"
    assert "example.com · 2 min read" in rendered


def test_extractive_summary_is_marked() -> None:
    summary = Summary(text="- One sentence here.", extractive=True, model="extractive")
    assert "extractive summary (no LLM)" in summary_html(_doc(), summary)
    plain = summary_plain(_doc(), summary)
    assert plain.startswith("Bees & <Wasps>")
    assert "[extractive summary (no LLM)]" in plain


@pytest.mark.parametrize(
    ("markdown", "html_out", "plain_out"),
    [
        ("*italic* and _also_", "<i>italic</i> and <i>also</i>", "italic and also"),
        ("**bold** and __bold__", "<b>bold</b> and <b>bold</b>", "bold and bold"),
        ("`x < y` in code", "<code>x &lt; y</code> in code", "x < y in code"),
        ("~~gone~~ here", "<s>gone</s> here", "gone here"),
        ("[the paper](https://a.example/p)", "the paper", "the paper"),
        ("[click](javascript:alert(1))", "click", "click"),
        ("[open](tg://resolve?domain=x)", "open", "open"),
        ("<https://a.example>", "https://a.example", "https://a.example"),
        ("![a chart](https://a.example/c.png)", "a chart", "a chart"),
        ("<b>not a tag</b> & more", "&lt;b&gt;not a tag&lt;/b&gt; &amp; more", None),
        ("snake_case_name stays", "snake_case_name stays", "snake_case_name stays"),
        ("an *unclosed emphasis", "an *unclosed emphasis", "an *unclosed emphasis"),
        # Telegram's entities may not put code inside bold, italic or strikethrough.
        ("**run `make` now**", "<b>run </b><code>make</code><b> now</b>", "run make now"),
        ("*__x `y`__*", "<i><b>x </b></i><code>y</code>", "x y"),
    ],
)
def test_model_markdown_becomes_telegram_html_or_plain_text(
    markdown: str, html_out: str, plain_out: str | None
) -> None:
    assert inline_html(markdown) == html_out
    if plain_out is not None:
        assert inline_plain(markdown) == plain_out


def test_an_answer_with_markdown_reaches_the_user_without_raw_markup() -> None:
    parts = answer_parts("## Findings\n\n- It is *fast*\n- It is `small`\n\n**Yes.**")
    text = "\n".join(parts)
    assert "• It is <i>fast</i>" in text
    assert "<code>small</code>" in text
    assert "<b>Yes.</b>" in text
    assert not any(mark in text for mark in ("*", "`", "##"))
    assert "*" not in answer_plain("It is *fast*")


@pytest.mark.parametrize(
    "text",
    [
        "word " * 2000,
        "😀" * 3000,  # two UTF-16 units each
        "a" + "😀" * 2999,  # the limit falls inside a pair: the half is dropped
        "日本語" * 1500,
    ],
    ids=["ascii", "astral", "astral-odd", "cjk"],
)
def test_a_streaming_preview_stays_under_the_limit_and_is_a_prefix(text: str) -> None:
    limit = 4000
    shown = preview(text, limit)
    assert shown.endswith("…")
    kept = shown.removesuffix("…")
    assert text.startswith(kept)
    assert utf16_len(kept) <= limit - 1
    assert utf16_len(kept) >= limit - 2, "as much as fits"


def test_a_short_preview_is_the_text_itself() -> None:
    assert preview("TL;DR: short", 4000) == "TL;DR: short"


def test_moment_links_are_not_put_inside_code() -> None:
    video = Document(text="x", source_kind="youtube", media_link="https://youtu.be/abc")
    line = "[1:05] the intro, then <code>[2:00]</code>"
    assert moment_links(line, video) == (
        '<a href="https://youtu.be/abc?t=65">[1:05]</a> the intro, then <code>[2:00]</code>'
    )


def test_numbered_items_keep_their_numbers_and_a_year_is_no_item() -> None:
    parts = answer_parts("Steps:\n1. Open the sluice.\n2) Wait for the tide.\n1790. The year.")
    text = "\n".join(parts)
    assert "1. Open the sluice." in text
    assert "2. Wait for the tide." in text
    assert "1790. The year." in text, "a sentence starting with a year keeps it"
    assert "•" not in text


def test_fenced_code_is_shown_as_written() -> None:
    """Indentation, `__init__` and `a*b*c` are code, not Markdown; the fences are not shown."""
    answer = (
        "Like this:\n```python\nclass Wheel:\n    def __init__(self, size=2*3*4):\n"
        "        self.rate = a*b*c  # <fast>\n```\nDone."
    )
    [html_part] = answer_parts(answer)
    code = (
        "class Wheel:\n    def __init__(self, size=2*3*4):\n"
        "        self.rate = a*b*c  # &lt;fast&gt;"
    )
    assert f'<pre><code class="language-python">{code}</code></pre>' in html_part
    assert "```" not in html_part
    text, entities = parse_html(html_part)
    assert "    def __init__(self, size=2*3*4):" in text
    assert [e["type"] for e in entities] == ["pre"]
    plain = answer_plain(answer)
    assert "    def __init__(self, size=2*3*4):" in plain
    assert "```" not in plain


def test_a_long_or_unclosed_code_block_is_split_into_valid_messages() -> None:
    code = "\n".join(f"    line_{n} = compute(a*b, {n})" for n in range(600))
    parts = answer_parts(f"Code:\n```\n{code}")
    assert len(parts) > 1
    for part in parts:
        assert utf16_len(parse_html(part)[0]) <= 4096
    shown = "\n".join(parse_html(part)[0] for part in parts)
    assert "line_599 = compute(a*b, 599)" in shown
    assert "line_0 = compute(a*b, 0)" in shown


def test_a_summary_whose_first_line_is_numbered_has_no_numbered_title() -> None:
    document = Document(
        text="x", source_kind="html", title="The mill", url="https://example.com/mill"
    )
    summary = Summary(text="1. First point.\n2. Second point.", extractive=False, model="m")
    html_out = summary_html(document, summary)
    assert html_out.startswith('<b><a href="https://example.com/mill">The mill</a></b>')
    assert "1. First point." in html_out


def test_an_untitled_summary_is_titled_in_the_readers_language() -> None:
    document = Document(text="x", source_kind="text")
    summary = Summary(text="- One point.", extractive=True, model="extractive")
    assert summary_html(document, summary, "ru").startswith("<b>Пересказ</b>")
    assert summary_html(document, summary, "en").startswith("<b>Summary</b>")


@pytest.mark.parametrize(
    ("reply", "title", "kept"),
    [
        ("TL;DR: The tide mill works.\n\n- Restored", "Bees &amp; &lt;Wasps&gt;", "TL;DR: The"),
        ("Key points:\n- One\n- Two", "Bees &amp; &lt;Wasps&gt;", "Key points:"),
        ("Title: Mill turns again\nTL;DR: It works.", "Mill turns again", "TL;DR: It works."),
        ("x" * 200 + "\nTL;DR: long.", "Bees &amp; &lt;Wasps&gt;", "TL;DR: long."),
    ],
)
def test_a_first_line_that_is_no_title_leaves_the_articles_title(
    reply: str, title: str, kept: str
) -> None:
    """A reply without its title line lost the article's title to its TL;DR or a label."""
    rendered = summary_html(_doc(), Summary(text=reply, extractive=False, model="m"))
    first = rendered.split("\n", 1)[0]
    assert f">{title}</a></b>" in first
    assert kept in rendered.split("\n", 1)[1]


def test_blank_lines_after_the_title_are_not_doubled() -> None:
    summary = Summary(
        text="Mill turns again\n\n\nTL;DR: It works.\n\n\n- One", extractive=False, model="m"
    )
    assert "\n\n\n" not in summary_html(_doc(), summary)


def test_a_readers_own_language_says_how_much_of_a_long_document_was_read() -> None:
    summary = Summary(
        text="Mill\nTL;DR: It works.",
        extractive=False,
        model="m",
        truncated=True,
        note="The document is too long to read in full: this summary covers its first 4% "
        "(about 1,260 of 26,702 tokens).",
    )
    assert "первые 4% его текста" in summary_html(_doc(), summary, "ru")
    assert "covers its first 4% (about 1,260" in summary_html(_doc(), summary, "en")


# What the model writes, as the reader sees it (the rendering audit of 2026-12-07).
HEAD = "Mill turns again\nTL;DR: The tide mill works.\n\n"


def _shown(text: str, *, extractive: bool = False) -> tuple[str, list[dict[str, object]]]:
    """The visible text and entities of a summary whose model answer is ``text``."""
    html_text = summary_html(_doc(), Summary(text=text, extractive=extractive, model="m"))
    return parse_html(html_text)


def _kinds_over(shown: tuple[str, list[dict[str, object]]], needle: str) -> set[object]:
    text, entities = shown
    start = utf16_len(text[: text.index(needle)])
    return {
        entity["type"]
        for entity in entities
        if int(str(entity["offset"]))
        <= start
        < int(str(entity["offset"])) + int(str(entity["length"]))
    }


def test_code_on_one_line_between_triple_backticks_is_a_code_span() -> None:
    """It was taken for a fence: the command vanished and the rest of the summary became code."""
    shown = _shown(HEAD + "- Install it with:\n```pip install tidemill```\n- The mill grinds rye.")
    assert "pip install tidemill" in shown[0]
    assert "• The mill grinds rye." in shown[0]
    assert "pre" not in _kinds_over(shown, "The mill grinds rye.")
    assert "code" in _kinds_over(shown, "pip install")


def test_a_longer_fence_is_not_closed_by_a_shorter_one_inside_it() -> None:
    text = HEAD + "````markdown\n```yaml\nmill: tide\n```\n````\n- The mill works."
    shown = _shown(text)
    assert "```yaml\nmill: tide\n```" in shown[0]
    assert "pre" not in _kinds_over(shown, "The mill works.")


def test_stars_between_digits_and_marks_in_links_are_the_texts_own() -> None:
    """ "2*3 tonnes and 4*5" became "23 tonnes and 45" in italics; a link lost its underscores."""
    shown = _shown(
        HEAD + "- The mill grinds 2*3 tonnes and 4*5 on Sundays; x**2 + y**2.\n"
        "- Code: https://github.com/mill/tide/blob/main/src/__init__.py"
    )
    assert "2*3 tonnes and 4*5 on Sundays; x**2 + y**2." in shown[0]
    assert "https://github.com/mill/tide/blob/main/src/__init__.py" in shown[0]
    assert not _kinds_over(shown, "3 tonnes and 4")
    assert not _kinds_over(shown, "2 + y")
    assert not _kinds_over(shown, "init")


def test_a_hash_that_starts_a_line_is_kept_unless_it_marks_a_heading() -> None:
    text = _shown(HEAD + "## Key facts\n#1 tide mill in Europe.\n#MillLife trended.")[0]
    assert "#1 tide mill in Europe." in text
    assert "#MillLife trended." in text
    assert "Key facts" in text
    assert "##" not in text


def test_tables_quotes_rules_and_checkboxes_show_no_raw_markup() -> None:
    shown = _shown(
        HEAD + "| Year | Output |\n|---|---|\n| 1790 | 3 t |\n\n> The mill is back.\n"
        "> Said the miller.\n\n---\n\n* * *\n- [ ] Visit the mill\n- [x] Read the story"
    )
    text = shown[0]
    assert "Year · Output\n1790 · 3 t" in text
    for markup in ("|", "---", "* *", ">"):
        assert markup not in text
    assert "The mill is back.\nSaid the miller." in text
    assert _kinds_over(shown, "Said the miller.") == {"blockquote"}
    assert "☐ Visit the mill\n☑ Read the story" in text


def test_nested_list_items_stay_nested() -> None:
    text = _shown(
        HEAD + "1. Restoration\n   - funded by the council\n   - done in 2021\n2. Output"
    )[0]
    assert "1. Restoration\n  ◦ funded by the council\n  ◦ done in 2021\n2. Output" in text


@pytest.mark.parametrize(
    "label",
    [
        "Zusammenfassung: Die Gezeitenmühle läuft wieder.",
        "Resumen: El molino funciona.",
        "En bref : le moulin tourne.",
        "要点：潮汐磨坊重新运转。",
    ],
)
def test_a_summary_label_in_any_common_language_is_no_title(label: str) -> None:
    """The model writes in the reader's language: its TL;DR line became the linked title."""
    text = _shown(f"{label}\n\n- Halloran restored it\n- It grinds flour")[0]
    assert text.startswith("Bees & <Wasps>")
    assert label in text


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff"])
def test_an_invisible_first_line_is_no_title(invisible: str) -> None:
    text = _shown(f"{invisible}\nMill turns again\nTL;DR: The tide mill works.\n\n- It grinds")[0]
    assert text.startswith("Mill turns again\n")
    assert invisible not in text


def test_a_message_part_carries_at_most_100_formatting_entities() -> None:
    """Telegram shows no more than 100 and drops the rest's formatting silently."""
    steps = "\n".join(f"- **Step {n}:** run `mill --step {n}` and *wait*." for n in range(60))
    parts = answer_parts(steps)
    assert len(parts) > 1
    assert all(len(parse_html(part)[1]) <= 100 for part in parts)
    assert sum(len(parse_html(part)[1]) for part in parts) == 180


def test_a_code_line_longer_than_a_message_piece_stays_code() -> None:
    line = "x=" + "ab" * 2000
    parts = answer_parts(f"Minified:\n```js\n{line}\n```\nDone.")
    code = "".join(
        parse_html(part)[0][entity["offset"] : entity["offset"] + entity["length"]]
        for part in parts
        for entity in parse_html(part)[1]
        if entity["type"] == "pre"
    )
    assert code == line


def test_an_extractive_summary_shows_the_articles_characters_as_written() -> None:
    """Article sentences are not Markdown: "#1", "2*3" and "__init__" were changed."""
    text = _shown("• The #1 mill grinds 2*3 tonnes.\n• See __init__ and *stars*.", extractive=True)[
        0
    ]
    assert "• The #1 mill grinds 2*3 tonnes.\n• See __init__ and *stars*." in text


def test_quoted_passages_are_shown_as_written() -> None:
    quoted = "Here is what the article says:\n“The *first* mill, #1 on the coast.”"
    assert parse_html(answer_parts(quoted, verbatim=True)[0])[0] == quoted
    assert answer_plain(quoted, verbatim=True) == quoted


def test_a_right_to_left_line_that_opens_with_a_latin_label_is_marked_right_to_left() -> None:
    """Telegram lays a paragraph out by its first strong character: an Arabic summary's
    "TL;DR: ..." line went left to right among right-to-left lines."""
    summary = Summary(
        "الطاحونة تعمل\nTL;DR: عادت الطاحونة إلى العمل بعد ترميمها.\n\n"
        "- رممتها عائلة هالوران\n- BBC News: a quoted source stays as it is",
        False,
        "m",
    )
    html = summary_html(_doc(), summary)
    lines = html.split("\n")
    [tldr] = [line for line in lines if "TL;DR" in line]
    assert tldr.startswith("\u200f"), "a right-to-left mark before the label"
    assert not any(line.startswith("\u200f") for line in lines if "BBC" in line or "رممتها" in line)
    english = summary_html(_doc(), Summary("Mill\nTL;DR: It works.\n\n- Restored", False, "m"))
    assert "\u200f" not in english


def test_a_hard_cut_never_splits_what_shows_as_one_character() -> None:
    family = "👨\u200d👩\u200d👧"
    text = "日本語" * 1364 + family + "日本語" * 100  # the cut falls inside the family
    parts = split_text(text, 4096)
    assert all(utf16_len(part) <= 4096 for part in parts)
    assert "".join(parts) == text
    assert any(family in part for part in parts), "the family stays whole"


def test_a_long_chinese_line_is_cut_at_a_full_stop_without_a_space() -> None:
    sentence = "潮汐磨坊在经过三年的修复后于周六重新向公众开放。"
    parts = split_text(sentence * 300, 4096)
    assert len(parts) > 1
    assert all(part.endswith("。") for part in parts)
