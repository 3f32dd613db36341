"""The Bot API fake's text fast paths agree with character-by-character UTF-16 counting.

`tests/fakes/bot_api.py` skips per-character work when it can (no astral characters, no "@" in
the text, URL regex only inside words that look like URLs); these pin that the answers are the
same as the straightforward algorithms, with and without emoji, CJK and other astral text.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

import pytest

from tests.fakes import bot_api
from tests.fakes.bot_api import FakeBotAPI, detect_entities, parse_html, utf16_len

JSONDict = dict[str, Any]


def slow_utf16_len(text: str) -> int:
    """UTF-16 code units, one character at a time."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def slow_detect_entities(text: str, existing: Iterable[JSONDict] = ()) -> list[JSONDict]:
    """detect_entities as first written: an offset table per character, every regex everywhere."""
    prefix = [0]
    for ch in text:
        prefix.append(prefix[-1] + (2 if ord(ch) > 0xFFFF else 1))
    taken = [
        (e["offset"], e["offset"] + e["length"])
        for e in existing
        if e["type"] in bot_api._ATOMIC_TYPES
    ]
    found: list[JSONDict] = []

    def add(kind: str, start: int, end: int) -> None:
        lo, hi = prefix[start], prefix[end]
        if hi <= lo or any(lo < b and a < hi for a, b in taken):
            return
        taken.append((lo, hi))
        found.append({"type": kind, "offset": lo, "length": hi - lo})

    for match in bot_api._EMAIL_RE.finditer(text):
        add("email", match.start(), match.end())
    for match in bot_api._URL_RE.finditer(text):
        add("url", match.start(), match.start() + len(bot_api._strip_url_tail(match.group())))
    for kind, regex in (
        ("mention", bot_api._MENTION_RE),
        ("hashtag", bot_api._HASHTAG_RE),
        ("bot_command", bot_api._COMMAND_RE),
    ):
        for match in regex.finditer(text):
            add(kind, match.start(), match.end())
    return found


SAMPLES = [
    "",
    "plain prose. Two sentences, no links at all.",
    "example.com · 3 min read",
    "😀 example.com 😀 www.Example.org/a?b=(c) 🚀",
    "漢字 https://例え.jp/パス and WWW.X.IO, then x.com-y and a..com and -a.io",
    "mail bob@example.com, @alice_b #tag #123 /start /go@skim_bot //c a/b.com",
    "😀bob@example.com😀 😀@alice_b 😀#tag 😀/start",
    "nbsp\u00a0example.com\u2003ideographic\u3000x.org\x1cfile-separator.net",
    "K.com ſ.us (Kelvin sign and long s fold to ASCII letters under IGNORECASE)",
    "lone \ud800 surrogate example.com and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 x.dev",
    "ftp://h http:// a://b.com http://😀.com/😀 <x.com> 'q.org' x.ly: ab.tv) o.fr]",
    "end.",
    ".com",
    "x.com",
    "https://a",
    "www.",
    "@",
    "#",
    "/",
]

WORDS = [
    "word", "the", "example.com", "EXAMPLE.Com/Path?x=1#f", "https://a.b/c(d)", "(see", "www.x.y",
    "WwW.z", "mail@x.io", "a.b@c.de", "@someone", "#tag1", "/go", "/go@bot_name", "ftp://f",
    "x.comx", "sub.domain.co.uk.", "end.", "e.g.", "K.com", "ſ.us", "😀.com", "漢字.org", "x.com-",
    "<x.com>", '"q.org"', ":", "://", "..", "a://b.com", "http://😀.com/😀", "1.2.3.4", "🚀",
    "漢字",
]  # fmt: skip
SEPARATORS = [" ", "  ", "\n", "\t", "\u00a0", "\u2003", "\u3000", "", ",", ". "]


def random_texts(count: int) -> list[str]:
    rng = random.Random(20240611)
    return [
        "".join(rng.choice(WORDS) + rng.choice(SEPARATORS) for _ in range(rng.randint(0, 40)))
        for _ in range(count)
    ]


@pytest.mark.parametrize("text", SAMPLES + random_texts(300))
def test_utf16_len_and_index_match_per_character_counting(text: str) -> None:
    assert utf16_len(text) == slow_utf16_len(text)
    to_u16 = bot_api._utf16_index(text)
    assert [to_u16(i) for i in range(len(text) + 1)] == [
        slow_utf16_len(text[:i]) for i in range(len(text) + 1)
    ]


@pytest.mark.parametrize("text", SAMPLES + random_texts(300))
def test_detect_entities_matches_the_whole_text_scan(text: str) -> None:
    assert [m.span() for m in bot_api._url_matches(text)] == [
        m.span() for m in bot_api._URL_RE.finditer(text)
    ]
    assert detect_entities(text) == slow_detect_entities(text)
    existing = [{"type": "code", "offset": 0, "length": slow_utf16_len(text[:8])}]
    assert detect_entities(text, existing) == slow_detect_entities(text, existing)


# (HTML, the text it stands for)
PIECES = [
    ("Title", "Title"),
    ("😀", "😀"),
    ("漢字 ", "漢字 "),
    (" · 3 min read", " · 3 min read"),
    ("x &amp; y", "x & y"),
    ("&lt;3", "<3"),
    ("&#128640;", "🚀"),
    ("&#x1F600;&quot;", '😀"'),
    ("\n\n", "\n\n"),
    ("𝔘𝔫𝔦", "𝔘𝔫𝔦"),
]


def random_html(rng: random.Random) -> tuple[str, str, list[JSONDict]]:
    """HTML of bold and linked pieces, with the plain text and entities it must parse to."""
    html: list[str] = []
    plain: list[str] = []
    entities: list[JSONDict] = []
    offset = 0
    for _ in range(rng.randint(1, 10)):
        markup, text = rng.choice(PIECES)
        length = slow_utf16_len(text)
        wrap = rng.random()
        if wrap < 0.3:
            markup = f"<b>{markup}</b>"
            entities.append({"type": "bold", "offset": offset, "length": length})
        elif wrap < 0.5:
            markup = f'<a href="https://example.com/x">{markup}</a>'
            entities.append(
                {
                    "type": "text_link",
                    "offset": offset,
                    "length": length,
                    "url": "https://example.com/x",
                }
            )
        html.append(markup)
        plain.append(text)
        offset += length
    return "".join(html), "".join(plain), entities


@pytest.mark.parametrize("seed", range(200))
def test_parse_html_offsets_count_utf16_units(seed: int) -> None:
    html, plain, entities = random_html(random.Random(seed))
    assert parse_html(html) == (plain, entities)


@pytest.mark.parametrize("title", ["Title", "😀 Title"])
def test_summary_formats_the_same_with_and_without_astral_characters(title: str) -> None:
    tail = " 🚀" if title != "Title" else ""
    text = (
        f'<b><a href="https://example.com/x">{title}</a></b>\nexample.com · 3 min read\n\n'
        f"See www.Example.org/a, mail bob@example.com{tail} #tag /start@skim_bot &amp; &lt;3.\n"
    )
    plain, entities = FakeBotAPI()._format(text, "HTML", None)
    assert plain == (
        f"{title}\nexample.com · 3 min read\n\n"
        f"See www.Example.org/a, mail bob@example.com{tail} #tag /start@skim_bot & <3."
    )

    def at(fragment: str, length: int | None = None) -> tuple[int, int]:
        start = slow_utf16_len(plain[: plain.index(fragment)])
        return start, slow_utf16_len(fragment) if length is None else length

    spans = [(e["type"], e["offset"], e["length"]) for e in entities]
    assert spans == [
        ("text_link", *at(title)),
        ("bold", *at(title)),
        ("url", *at("example.com")),
        ("url", *at("www.Example.org/a")),
        ("email", *at("bob@example.com")),
        ("hashtag", *at("#tag")),
        ("bot_command", *at("/start@skim_bot")),
    ]


def test_clone_copies_json_trees_and_deep_copies_anything_else() -> None:
    inner = {"ids": [1, 2], "set": {3}, "pair": ([4], "x")}
    tree: JSONDict = {"a": inner, "b": [inner, None, 1.5, True, "s"]}
    copied = bot_api._clone(tree)
    assert copied == tree
    assert copied["a"] is not inner
    assert copied["a"]["ids"] is not inner["ids"]
    assert copied["b"][0] is not inner
    assert copied["a"]["set"] is not inner["set"]  # not JSON: copy.deepcopy
    assert copied["a"]["pair"][0] is not inner["pair"][0]


async def test_sent_message_answer_is_a_copy_of_the_stored_state() -> None:
    api = FakeBotAPI()
    keyboard = {"inline_keyboard": [[{"text": "Open", "url": "https://example.com/x"}]]}
    params = {"chat_id": 1001, "text": "<b>hi</b> 😀", "parse_mode": "HTML"}
    answer = await api._api_sendMessage({**params, "reply_markup": keyboard})
    answer["entities"][0]["length"] = 99
    answer["reply_markup"]["inline_keyboard"][0][0]["text"] = "changed"
    answer["chat"]["id"] = 0
    keyboard["inline_keyboard"][0].clear()
    stored = api.message(1001, answer["message_id"])
    assert stored is not None
    assert stored["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
    assert stored["reply_markup"]["inline_keyboard"][0][0]["text"] == "Open"
    assert stored["chat"]["id"] == 1001
    assert api._resolve_chat(1001)["id"] == 1001
