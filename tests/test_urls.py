"""URL discovery and normalization for cache identities."""

from __future__ import annotations

import pytest

from bot.content.urls import find_urls, link_url, looks_like_url, message_links, normalize_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://Example.COM:443/a?b=2&a=1#frag", "https://example.com/a?a=1&b=2"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        (
            "https://news.example/p?utm_source=tg&utm_medium=x&fbclid=1&gclid=2&yclid=3&id=7",
            "https://news.example/p?id=7",
        ),
        ("https://x.org/p?mc_cid=1&mc_eid=2&ref_src=abc&igshid=z", "https://x.org/p"),
        # `ref` and `share` often pick the content (a git branch on a code host): kept.
        (
            "https://code.example/a/README?ref=v2&share=1",
            "https://code.example/a/README?ref=v2&share=1",
        ),
        ("http://пример.рф/", "http://xn--e1afmkfd.xn--p1ai/"),
        ("https://example.com/путь", "https://example.com/%D0%BF%D1%83%D1%82%D1%8C"),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


def test_normalized_forms_of_one_page_are_equal() -> None:
    a = normalize_url("https://Example.com/story?id=5&utm_campaign=x#comments")
    b = normalize_url("https://example.com:443/story?fbclid=abc&id=5")
    assert a == b


def test_find_urls_trims_punctuation_and_dedupes() -> None:
    text = (
        "Read https://example.com/a_(b). Also (https://x.org/y), and www.z.net/p! https://x.org/y"
    )
    assert find_urls(text) == [
        "https://example.com/a_(b)",
        "https://x.org/y",
        "https://www.z.net/p",
    ]


def test_looks_like_url() -> None:
    assert looks_like_url("https://example.com/a")
    assert not looks_like_url("ftp://example.com/a")
    assert not looks_like_url("example text https://x.org")
    assert not looks_like_url("/etc/passwd")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/a%20b%", "https://example.com/a%20b%25"),
        (
            "https://ru.wikipedia.org/wiki/Москва?q=ä b#part two",
            "https://ru.wikipedia.org/wiki/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0?q=%C3%A4%20b#part%20two",
        ),
        ("https://пример.рф/", "https://xn--e1afmkfd.xn--p1ai/"),
        ('http://user:pw@Example.com:8080/x"y<z>', "http://example.com:8080/x%22y%3Cz%3E"),
        ("https://example.com:443/a|b{c}", "https://example.com/a%7Cb%7Bc%7D"),
        ("https://[::1]:8443/x", "https://[::1]:8443/x"),
        ("HTTPS://WWW.EXAMPLE.COM", "https://www.example.com"),
        ("https://exa mple.com/", None),
        ("https://a..b/", None),
        ("https://[zz]/x", None),
        ("https://example.com:99999/", None),
        ("ftp://example.com/file", None),
        ("javascript:alert(1)", None),
        ("", None),
        (None, None),
    ],
)
def test_link_url_is_what_telegram_accepts_in_a_button(
    raw: str | None, expected: str | None
) -> None:
    assert link_url(raw) == expected


def test_a_page_linked_twice_in_one_message_is_one_link() -> None:
    """The same article with a tracker or a fragment is one summary, not three."""
    text = (
        "https://example.com/story and https://example.com/story?utm_source=tg "
        "and https://EXAMPLE.com/story#comments, also https://example.com/other"
    )
    assert message_links(text, []) == ["https://example.com/story", "https://example.com/other"]
