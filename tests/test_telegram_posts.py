"""Public Telegram post links, and posts read from Telegram's embed widget (fixture pages)."""

from __future__ import annotations

import pytest

from bot.content.telegram_posts import PostLink, embed_url, parse_embed, parse_post_link
from bot.errors import ExtractionError
from tests.fakes.web import read_fixture

HARBOUR = PostLink("harbournotes", 412)
NEVER_EXTRACTED = ("scriptjackal", "quotewalrus", "views", "Telegram Widget")


def page(name: str) -> bytes:
    return read_fixture(f"telegram/{name}")


# ------------------------------------------------------------------------------- links


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://t.me/harbournotes/412", HARBOUR),
        ("http://t.me/harbournotes/412", HARBOUR),
        ("https://www.t.me/harbournotes/412", HARBOUR),
        ("https://telegram.me/harbournotes/412", HARBOUR),
        ("https://www.telegram.me/harbournotes/412/", HARBOUR),
        ("https://t.me/s/harbournotes/412", HARBOUR),
        ("https://t.me/harbournotes/412?single", HARBOUR),
        ("https://t.me/harbournotes/412?comment=77", HARBOUR),
        ("https://t.me/harbournotes/412#top", HARBOUR),
        ("https://T.ME/HarbourNotes/412", HARBOUR),  # usernames ignore case
        ("t.me/harbournotes/412", HARBOUR),  # pasted without a scheme
        ("  https://t.me/harbournotes/412  ", HARBOUR),
        ("https://t.me/harbour_notes_2/1", PostLink("harbour_notes_2", 1)),
        ("https://t.me/a2345/7", PostLink("a2345", 7)),  # 5 characters, the shortest
        ("https://t.me/" + "a" * 32 + "/7", PostLink("a" * 32, 7)),
        ("https://t.me/pythonchat/12/345", PostLink("pythonchat", 345)),  # forum topic message
    ],
)
def test_post_links_are_recognised(url: str, expected: PostLink) -> None:
    assert parse_post_link(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://t.me/harbournotes",  # the channel, no post
        "https://t.me/harbournotes/",
        "https://t.me/s/harbournotes",
        "https://t.me/joinchat/AAAAAEkZ3Jv1kQh2Zm9vYg",
        "https://t.me/+AbCdEfGhIjKlMnOp",
        "https://t.me/c/1234567890/55",  # a private chat: no public page
        "https://t.me/skim_test_bot?start=hello",
        "https://t.me/addstickers/HarbourPack",
        "https://t.me/share/url?url=https://example.com",
        "https://t.me/harbournotes/abc",
        "https://t.me/harbournotes/0",
        "https://t.me/harbournotes/-5",
        "https://t.me/harbournotes/12345678901",  # beyond any message id
        "https://t.me/harbournotes/412/extra",
        "https://t.me/abcd/412",  # 4 characters: too short for a username
        "https://t.me/" + "a" * 33 + "/412",
        "https://t.me/1harbour/412",  # starts with a digit
        "https://t.me/harbour_/412",  # ends with an underscore
        "https://t.me/harbour__notes/412",
        "https://t.me/harbour-notes/412",
        "https://t.me/joinchat/412",
        "https://example.com/harbournotes/412",
        "https://t.me.example.com/harbournotes/412",
        "https://nott.me/harbournotes/412",
        "ftp://t.me/harbournotes/412",
        "tg://resolve?domain=harbournotes&post=412",
        "https://[t.me/harbournotes/412",  # not a URL at all
        "",
    ],
)
def test_other_links_are_not_post_links(url: str) -> None:
    assert parse_post_link(url) is None


def test_embed_url_and_canonical_url() -> None:
    assert embed_url(HARBOUR) == "https://t.me/harbournotes/412?embed=1&mode=tme"
    assert (
        embed_url(HARBOUR, "http://127.0.0.1:8080/")
        == "http://127.0.0.1:8080/harbournotes/412?embed=1&mode=tme"
    )
    assert HARBOUR.url == "https://t.me/harbournotes/412"


# ------------------------------------------------------------------------------- widget pages


def test_text_post_keeps_line_breaks_and_link_texts() -> None:
    document = parse_embed(page("text_post.html"), HARBOUR)
    assert document.source_kind == "telegram"
    assert document.text.split("\n") == [
        "Ferry timetable changes from Monday",
        "",
        "The 7:10 crossing to Gullholm moves to 7:25 while the north pier is resurfaced. "
        "Tickets bought for the old time stay valid, and the evening boats keep their times.",
        "",
        "Full timetable: harbour.example/ferry",
    ]
    assert document.title == "Ferry timetable changes from Monday"
    assert document.author == "Harbour Notes"
    assert document.site_name == "Telegram"
    assert document.date == "2024-09-14T07:45:12+00:00"
    assert document.url == document.canonical_url == "https://t.me/harbournotes/412"


def test_photo_caption_is_the_text_and_a_one_line_post_is_named_by_its_channel() -> None:
    document = parse_embed(page("photo_caption.html"), PostLink("harbournotes", 415))
    assert document.text == (
        "The new crane at berth 3 lifted its first container this morning, "
        "a 40-foot box of Gullholm apples."
    )
    assert document.title == "Post by Harbour Notes"
    assert document.url == "https://t.me/harbournotes/415"


def test_photo_without_caption_has_nothing_to_read() -> None:
    html = page("photo_caption.html").decode()
    start = html.index('<div class="tgme_widget_message_text')
    end = html.index("</div>", start) + len("</div>")
    with pytest.raises(ExtractionError) as caught:
        parse_embed((html[:start] + html[end:]).encode(), PostLink("harbournotes", 415))
    assert caught.value.key == "err_telegram_post"
    assert "no text" in caught.value.detail


def test_signed_post_names_its_author() -> None:
    document = parse_embed(page("signed_post.html"), PostLink("harbournotes", 420))
    assert document.author == "Ingrid Solvang (Harbour Notes)"
    assert document.title == "Why the pilot boats go out at dawn"
    assert "Ingrid" not in document.text


def test_group_message_author_name_counts_as_the_author() -> None:
    html = page("text_post.html").replace(
        b"</a></div>",
        b'</a>&nbsp;<a class="tgme_widget_message_author_name" href="https://t.me/ingrid_s">'
        b'<span dir="auto">Ingrid Solvang</span></a></div>',
        1,
    )
    assert parse_embed(html, HARBOUR).author == "Ingrid Solvang (Harbour Notes)"


def test_forwarded_post_says_where_it_comes_from() -> None:
    document = parse_embed(page("forwarded_post.html"), PostLink("harbournotes", 423))
    assert document.text.startswith("Forwarded from Gullholm Council\n\nWater will be off")
    assert document.author == "Harbour Notes"
    assert document.title == "Post by Harbour Notes"  # the forward line is no headline


def test_emoji_images_give_their_characters_and_a_reply_quote_is_left_out() -> None:
    document = parse_embed(page("emoji_links.html"), PostLink("harbournotes", 431))
    assert document.text.split("\n") == [
        "🌊 Маяк на мысе Сторвик снова светит",
        "",
        "После ремонта линзу привезли из мастерской на пароме ⛴, а смотритель впервые за год "
        "поднялся наверх ⚓.",
        "Фотографии — на сайте гавани, расписание экскурсий — в следующем посте.",
        "Код двери: 4815, а сюрприз — бесплатный чай.",
    ]
    assert document.title == "🌊 Маяк на мысе Сторвик снова светит"
    assert document.author == "Заметки гавани"  # not the quoted message's author
    assert document.date == "2024-10-02T18:05:00+03:00"


@pytest.mark.parametrize(
    "name",
    [
        "text_post.html",
        "photo_caption.html",
        "signed_post.html",
        "forwarded_post.html",
        "emoji_links.html",
    ],
)
def test_page_furniture_is_never_read(name: str) -> None:
    document = parse_embed(page(name), HARBOUR)
    for word in NEVER_EXTRACTED:
        assert word not in document.text
    assert "<" not in document.text


def test_post_not_found_is_a_clear_error() -> None:
    with pytest.raises(ExtractionError) as caught:
        parse_embed(page("not_found.html"), PostLink("harbournotes", 9999))
    assert caught.value.key == "err_telegram_post"
    assert "Post not found" in caught.value.detail
    assert "https://t.me/harbournotes/9999" in caught.value.detail
    assert "Telegram post" in caught.value.user_message


def test_a_very_long_first_line_is_cut_for_the_title() -> None:
    long_line = "Harbour " * 30
    html = page("text_post.html").replace(
        b"Ferry timetable changes from Monday", long_line.encode(), 1
    )
    title = parse_embed(html, HARBOUR).title
    assert title is not None
    assert len(title) <= 100
    assert title.endswith("…")


def test_missing_or_odd_date_is_left_out() -> None:
    html = page("text_post.html")
    no_date = html.replace(b'datetime="2024-09-14T07:45:12+00:00"', b"")
    odd_date = html.replace(b"2024-09-14T07:45:12+00:00", b"yesterday")
    assert parse_embed(no_date, HARBOUR).date is None
    assert parse_embed(odd_date, HARBOUR).date is None


@pytest.mark.parametrize(
    "html",
    [
        b"",
        b"   ",
        b"\x00\xff\xfe garbage",
        b"<html><body><p>Just a page about ferries</p></body></html>",  # no widget
        b'<div class="tgme_widget_message"><div class="tgme_widget_message_text">',  # cut off
        b'<div class="tgme_widget_message">' + b"<div>" * 5000,  # absurdly deep
        b"<?xml version='1.0' encoding='utf-8'?><html/>",
    ],
)
def test_broken_pages_raise_the_post_error_never_crash(html: bytes) -> None:
    with pytest.raises(ExtractionError) as caught:
        parse_embed(html, HARBOUR)
    assert caught.value.key == "err_telegram_post"


def test_text_that_survives_broken_markup_is_read() -> None:
    html = (
        b'<div class="tgme_widget_message"><div class="tgme_widget_message_text">'
        b"Unclosed <b>bold<br>second line"
    )
    assert parse_embed(html, HARBOUR).text == "Unclosed bold\nsecond line"


def test_comments_and_scripts_inside_the_text_are_skipped() -> None:
    html = (
        b'<div class="tgme_widget_message"><div class="tgme_widget_message_text">'
        b"Before<!-- commentheron --> <script>scriptjackal()</script>after</div></div>"
    )
    assert parse_embed(html, HARBOUR).text == "Before after"
