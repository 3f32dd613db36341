"""Pages that have broken HTML extractors (crashes, hangs, asserts deep in a library) yield an
article or nothing, never an exception: through `extract_article` and `skim extract --json`."""

from __future__ import annotations

import gzip
import json
import logging
import random
import re
import time
from functools import cache
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from readability import Document as Readability

from bot.content import candidates
from bot.content.decode import decode_bytes
from bot.content.html import HtmlArticle, extract_article
from tests.conftest import run_cli

# A real page from the shipped benchmark sample: a science news story, about 28 kB.
SAMPLE_PAGE = (
    Path(__file__).resolve().parent
    / "data"
    / "article-extraction-sample"
    / "html"
    / "14cc2a0ca59c62a8c9f205a171e9ccf4ef4cf69b0c642f51c8c65c051b39024f.html.gz"
)
SAMPLE_WORDS = ("Europa", "water vapor")
URL = "https://example.org/story"
HARBOUR = " ".join(
    f"The harbour master counted {i} boats leaving before the storm reached the lighthouse."
    for i in range(12)
)
MARKET = " ".join(
    f"Fishermen mended nets on the quay while gulls circled {i} times over the market."
    for i in range(12)
)
STORY = f"<p>{HARBOUR}</p><p>{MARKET}</p>"
# Failures the CLI reports as "nothing to read"; err_unexpected would mean a crash was caught.
CLEAN_ERRORS = {"err_no_article", "err_no_text_page", "err_empty_file"}


@cache
def sample_page() -> str:
    with gzip.open(SAMPLE_PAGE, "rt", encoding="utf-8") as page:
        return page.read()


def extract(html: str) -> HtmlArticle | None:
    article = extract_article(html, URL)
    assert article is None or (isinstance(article, HtmlArticle) and article.text.strip())
    return article


def assert_story_or_nothing(article: HtmlArticle | None) -> None:
    """Either the page yields nothing, or what it yields is the story's own text."""
    if article is not None:
        assert "harbour master" in article.text


def write(name: str, data: bytes | str) -> str:
    Path(name).write_bytes(data.encode() if isinstance(data, str) else data)
    return name


async def extract_json(*files: str) -> list[dict[str, Any]]:
    """`skim extract --json FILES`: a clean exit, and one object per source, none a crash."""
    code, out, err = await run_cli("extract", "--json", *files)
    assert code in (0, 1), err
    assert "Traceback" not in err
    objects = [json.loads(line) for line in out.splitlines()]
    assert [obj["source"] for obj in objects] == list(files)
    for obj in objects:
        assert obj.get("text") or obj["error_code"] in CLEAN_ERRORS, obj
    return objects


def _cut_offsets(html: str) -> list[int]:
    even = range(0, len(html), len(html) // 40)
    tags = [match.start() + 2 for match in re.finditer("<", html)][::25]
    attributes = [match.end() + 3 for match in re.finditer('="', html)][::25]
    entities = [match.start() + 2 for match in re.finditer("&", html)]
    return sorted({*even, *tags, *attributes, *entities})


# --- broken markup ---------------------------------------------------------------------------


async def test_a_page_cut_anywhere_even_mid_tag_or_mid_entity() -> None:
    html = sample_page()
    whole = extract(html)
    assert whole is not None
    assert all(word in whole.text for word in SAMPLE_WORDS)
    offsets = _cut_offsets(html)
    assert len(offsets) > 60
    for offset in offsets:
        extract(html[:offset])

    mid_tag = html.index("<p", len(html) // 2) + 2
    mid_entity = html.index("&amp;") + 3
    files = [
        write("mid-tag.html", html[:mid_tag]),
        write("mid-entity.html", html[:mid_entity]),
        write("head-only.html", html[: html.index("<body")]),
    ]
    cut_in_body, *_ = await extract_json(*files)
    assert "Europa" in cut_in_body["text"]


@pytest.mark.parametrize(
    ("html", "whole"),
    [
        (f"<html><body><div><article><p>{HARBOUR}<p>{MARKET}", True),
        (f"<div><p><b><i>{HARBOUR}</b></i></p><p><em>{MARKET}</div></p></em>", True),
        (f"<table><tr><td><p>{HARBOUR}<td><p>{MARKET}", True),
        (f"<p>{HARBOUR}</p><p>{MARKET}</p><!-- never closed", True),
        (f'<p>{HARBOUR}</p><a href="/x>link</a><p>{MARKET}</p>', False),
        (f"<p>{HARBOUR}</p><script>var x = 1;<p>{MARKET}</p>", False),
        (f"<p>{HARBOUR}</p><textarea><p>{MARKET}</p>", False),
        (f"<head><style>p {{ color: red }}</head><body>{STORY}", False),
    ],
    ids=[
        "nothing-closed",
        "misnested",
        "table-cells",
        "comment",
        "attribute-quote",
        "script",
        "textarea",
        "style",
    ],
)
def test_unclosed_tags(html: str, whole: bool) -> None:
    article = extract(html)
    assert_story_or_nothing(article)
    if whole:  # nothing swallows the rest of the page, as a browser would read it too
        assert article is not None
        assert "Fishermen mended nets" in article.text


@pytest.mark.parametrize(
    "html",
    [
        "<div>" * 5_000 + STORY + "</div>" * 5_000,
        "<div>" * 100_000 + STORY + "</div>" * 100_000,
        "<div>" * 100_000 + STORY,
        "<article>" * 20_000 + STORY,
        "<b>" * 5_000 + STORY + "</b>" * 5_000,
        "<b>" * 100_000 + STORY + "</b>" * 100_000,
    ],
    ids=["div-5k", "div-100k", "div-100k-unclosed", "article-20k", "b-5k", "b-100k"],
)
def test_deeply_nested_markup(html: str) -> None:
    start = time.monotonic()
    assert_story_or_nothing(extract(html))
    # Without the depth check resiliparse spent minutes on 100,000 nested <div>s.
    assert time.monotonic() - start < 5


async def test_deeply_nested_markup_through_the_cli() -> None:
    deep = write("deep.html", "<html><body>" + "<div>" * 100_000 + STORY)
    (result,) = await extract_json(deep)
    if "text" in result:
        assert "harbour master" in result["text"]


def test_html_inside_a_paragraph() -> None:
    html = f"<html><body><p>before<html lang=fr><body class=x><p>inner</p></body></html>{STORY}"
    article = extract(html)
    assert article is not None
    assert "Fishermen mended nets" in article.text


def test_svg_and_math_foreign_content() -> None:
    html = (
        "<html><body><svg viewBox='0 0 10 10'><title>icon</title><text>label</text>"
        f"<foreignObject><p>foreign</p></foreignObject></svg><p>{HARBOUR}</p>"
        "<math><mi>x</mi><annotation-xml encoding='text/html'><p>note</p></annotation-xml>"
        f"</math><p>{MARKET}</p><svg><g><p>unclosed svg</p></body></html>"
    )
    article = extract(html)
    assert article is not None
    assert "Fishermen mended nets" in article.text


# --- odd characters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "\x00<html><body><p>" + HARBOUR.replace("boats", "bo\x00ats") + f"</p><p>{MARKET}</p>",
        f"<html><body><p\x00 class='a\x00b'>{HARBOUR}</p>\x00<p>{MARKET}\x00</p></body></html>",
        f"<html><body>{STORY}</body></html>" + "\x00" * 1000,
    ],
    ids=["in-text", "in-tags", "trailing"],
)
def test_nul_bytes(html: str) -> None:
    article = extract(html)
    assert article is not None
    assert "harbour master" in article.text
    assert "boats leaving" in article.text  # a NUL inside a word is dropped, as browsers do
    assert "\x00" not in article.text


@pytest.mark.parametrize(
    "character", ["\x01", "\x0b", "\x1f", "\ufffe", "&#1;", "&#x1F;", "&#65535;"]
)
def test_control_characters_beside_a_hidden_element(character: str) -> None:
    # Dropping the hidden <span> writes its tail back into the tree, which lxml refuses for
    # characters XML forbids: this raised ValueError out of extract_article.
    html = (
        f"<html><head><title>Port{character}</title></head><body><article>"
        f"<p>{HARBOUR}<span hidden>x</span>{character} tail</p>"
        f"<p>{MARKET}{character}<b>bold</b>{character}</p></article></body></html>"
    )
    article = extract(html)
    assert article is not None
    assert "harbour master" in article.text


async def test_mixed_encodings_in_one_page() -> None:
    russian = "Рыбаки чинили сети на причале, пока чайки кружили над рынком."
    french = "Les pêcheurs réparaient leurs filets sur le quai, près du marché."
    head = b"<html><head><meta charset='utf-8'><title>Le port</title></head><body>"
    pages = {
        "cp1251-run.html": head
        + f"<p>{HARBOUR} {russian}</p><p>".encode()
        + russian.encode("cp1251")
        + f"</p><p>{MARKET}</p></body></html>".encode(),
        "latin1-run.html": head
        + f"<p>{HARBOUR} {french}</p><p>".encode()
        + french.encode("latin-1")
        + f"</p><p>{MARKET}</p></body></html>".encode(),
        "bom-inside.html": head
        + f"<p>{HARBOUR}</p>".encode()
        + b"\xef\xbb\xbf"
        + f"<p>{MARKET}</p>".encode()
        + b"\xff\xfe</body></html>",
        "undeclared.html": f"<html><body><p>{HARBOUR} {french}</p><p>".encode()
        + russian.encode("cp1251")
        + french.encode("latin-1")
        + f"</p><p>{MARKET} {russian}</p></body></html>".encode(),
    }
    for data in pages.values():
        article = extract(decode_bytes(data, None, html=True))
        assert article is not None
        assert "harbour master" in article.text
        assert "Fishermen mended nets" in article.text
    results = await extract_json(*(write(name, data) for name, data in pages.items()))
    assert all("Fishermen mended nets" in result["text"] for result in results)


# --- pages with nothing to read --------------------------------------------------------------


def test_title_without_an_end() -> None:
    # The whole page becomes the title's text, as in a browser; readability-lxml then returns
    # output that lxml.html.fragment_fromstring asserts on ("too many bodies"), which used to
    # escape from the readability step.
    html = f"<html><head><title>Hello\n</head><body><p>{HARBOUR}</p><p>{MARKET}</p></body></html>"
    summary = Readability(lxml.html.document_fromstring(html)).summary(html_partial=True)
    with pytest.raises(AssertionError):
        lxml.html.fragment_fromstring(summary)

    # Skim ends the title at the next tag, so the article is read and no markup leaks into it.
    article = extract_article(html, URL)
    assert article is not None
    assert "harbour master" in article.text
    assert "</" not in article.text
    assert "<p>" not in article.text
    assert article.title == "Hello"


def test_readability_output_that_lxml_cannot_reparse_is_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without the title repair the page is the title's text; readability must still not raise.
    from bot.content import html as html_module

    monkeypatch.setattr(html_module, "_close_title", lambda html: html)
    html = f"<html><head><title>Hello\n</head><body><p>{HARBOUR}</p><p>{MARKET}</p></body></html>"
    explained: list[str] = []
    article = extract_article(html, URL, explain=explained)
    assert_story_or_nothing(article)
    readability = [line for line in explained if line.startswith("candidate readability:")]
    assert readability, explained  # the page did reach the readability step
    assert readability[0].endswith(", ok")


async def test_title_without_an_end_through_the_cli() -> None:
    page = write("title.html", f"<html><head><title>Hello\n</head><body>{STORY}</body></html>")
    (result,) = await extract_json(page)
    assert "harbour master" in result["text"]
    assert "</head>" not in result["text"]


@pytest.mark.parametrize(
    "html",
    [
        "",
        " ",
        "\n\t \r\n",
        "\x00",
        "<html></html>",
        "<html><body> </body></html>",
        "<!DOCTYPE html>",
    ],
    ids=["empty", "space", "whitespace", "nul", "bare-html", "blank-body", "doctype"],
)
def test_empty_and_whitespace_only(html: str) -> None:
    assert extract(html) is None


@pytest.mark.parametrize(
    "html",
    [
        "<!-- a --><!-- b -->",
        "<!-- never closed",
        f"<!-- {HARBOUR} -->",
        f"<html><body><!-- {HARBOUR} --><!-- {MARKET} --></body></html>",
    ],
    ids=["short", "unclosed", "text-in-comment", "text-in-comments-in-body"],
)
def test_only_comments(html: str) -> None:
    assert extract(html) is None


async def test_pages_with_nothing_to_read_through_the_cli() -> None:
    files = [
        write("empty.html", b""),
        write("blank.html", b" \n\t"),
        write("comments.html", f"<!-- {HARBOUR} -->"),
    ]
    results = await extract_json(*files)
    assert all("error" in result for result in results)


# --- an extractor that fails -----------------------------------------------------------------


def _raise(error: BaseException) -> Any:
    def run(*args: object, **kwargs: object) -> str:
        raise error

    return run


@pytest.mark.parametrize(
    ("broken", "failures", "winner"),
    [
        (
            {"_trafilatura": RuntimeError("bug"), "_resiliparse": RecursionError()},
            {
                "trafilatura-precision": "RuntimeError",
                "trafilatura-recall": "RuntimeError",
                "resiliparse": "RecursionError",
            },
            "readability",
        ),
        (
            {"_readability": RuntimeError("bug"), "_resiliparse": RecursionError()},
            {"readability": "RuntimeError", "resiliparse": "RecursionError"},
            "trafilatura-precision",
        ),
    ],
    ids=["trafilatura-and-voter", "readability-and-voter"],
)
def test_a_failing_extractor_leaves_the_article_to_the_others(
    broken: dict[str, BaseException],
    failures: dict[str, str],
    winner: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for function, error in broken.items():
        monkeypatch.setattr(candidates, function, _raise(error))
    explained: list[str] = []
    with caplog.at_level(logging.INFO, logger="bot.content.candidates"):
        article = extract_article(
            f"<html><body><article>{STORY}</article></body></html>", URL, explain=explained
        )
    assert article is not None
    assert article.extractor == winner
    assert "Fishermen mended nets" in article.text
    logged = {
        record.getMessage()
        for record in caplog.records
        if record.name == "bot.content.candidates" and record.levelno == logging.INFO
    }
    assert logged == {
        f"extractor {name} failed on a page: {kind}" for name, kind in failures.items()
    }
    for name, kind in failures.items():
        assert any(f" {name}: " in line and line.endswith(f"failed ({kind})") for line in explained)


# --- fuzzing ---------------------------------------------------------------------------------

_FUZZ_PIECES = (
    "<",
    ">",
    "</div>",
    "<div>",
    "<title>",
    "</title>",
    "\x00",
    "&",
    "&#1;",
    "<!--",
    "<svg>",
    "<html>",
    "<p>",
    "<table>",
)


def _mutated(html: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 30)):
        at = rng.randrange(len(html) + 1)
        roll = rng.random()
        if roll < 0.35:
            html = html[:at] + html[at + rng.randint(1, 200) :]
        elif roll < 0.85:
            html = html[:at] + rng.choice(_FUZZ_PIECES) + html[at:]
        else:
            noise = bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
            html = html[:at] + noise.decode("utf-8", errors="replace") + html[at:]
    return html


def test_seeded_fuzz_of_a_real_page() -> None:
    rng = random.Random(20240617)
    html = sample_page()
    for _ in range(200):
        extract(_mutated(html, rng))


def test_a_failure_outside_the_extractors_is_a_clear_extraction_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The parse, the stripping and the metadata run outside the candidates' guard.
    from bot.content import html as html_module
    from bot.content.extract import extract_html
    from bot.errors import ExtractionError

    def broken(tree: object) -> None:
        raise ValueError("All strings must be XML compatible")

    monkeypatch.setattr(html_module, "strip_hidden", broken)
    with caplog.at_level("WARNING", logger="bot.content.extract"), pytest.raises(ExtractionError):
        extract_html(f"<html><body>{STORY}</body></html>", URL)
    assert "HTML extraction failed: ValueError" in caplog.text


def test_a_login_wall_is_named_and_a_login_box_beside_an_article_is_not() -> None:
    """A page that is only its login form is no article to summarize ("Forgot your
    password?"); a site's login box in the header of a real article changes nothing."""
    from bot.content.extract import extract_html
    from bot.errors import ExtractionError

    wall = (
        "<html><head><title>Sign in</title></head><body><form><h1>Sign in to continue</h1>"
        "<input name=user><input type=password name=pw><button>Sign in</button></form>"
        "<p>Forgot your password?</p></body></html>"
    )
    with pytest.raises(ExtractionError) as raised:
        extract_html(wall, "https://example.com/story")
    assert raised.value.key == "err_login_wall"
    paragraph = "The harbour board met on Tuesday and voted to rebuild the old sluice gates. "
    article = (
        "<html><body><header><form><input type='password' name=pw></form></header><article>"
        + "".join(f"<p>{paragraph * 3}</p>" for _ in range(4))
        + "</article></body></html>"
    )
    assert "sluice gates" in extract_html(article, "https://example.com/story").text


def test_a_short_chinese_article_beside_a_login_box_is_read() -> None:
    """A run of Han characters counted as one word: a complete 343-character article was 28
    "words", under the login wall's 40."""
    from bot.content.extract import extract_html

    paragraphs = [
        "潮汐磨坊在经过三年的修复后于周六重新向公众开放，排队的人群一直排到了街道的尽头。",
        "志愿者们说，大部分资金来自小额捐款，原始图纸是在一个地窖里找到的。",
        "磨坊每天可以磨四百公斤面粉，游客在十月之前的每个周末都可以参观。",
    ]
    page = (
        "<html lang=zh><body><header><form><input type=password name=pw></form></header>"
        "<article><h1>潮汐磨坊重新转动</h1>"
        + "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
        + "</article></body></html>"
    )
    document = extract_html(page, "https://example.cn/story")
    assert "小额捐款" in document.text
    assert document.word_count > 40


@pytest.mark.parametrize(
    "page",
    [
        # An app rendered in the browser.
        '<html><head><script src="/app.js"></script></head><body><noscript>You need to enable '
        'JavaScript to run this app.</noscript><div id="root"></div></body></html>',
        # An interstitial that sends the reader on by script.
        "<html><body><p>Please wait while we redirect you to the article you asked for.</p>"
        '<script>window.location.href = "/article";</script></body></html>',
    ],
    ids=["app", "script-redirect"],
)
def test_a_page_whose_text_needs_a_script_says_so(page: str) -> None:
    """The app said "no readable text"; the interstitial was summarized as its wait line."""
    from bot.content.extract import extract_html
    from bot.errors import ExtractionError

    with pytest.raises(ExtractionError) as raised:
        extract_html(page, "https://example.com/story")
    assert raised.value.key == "err_needs_javascript"
    assert "JavaScript" in raised.value.user_message


def test_a_short_article_with_a_menus_script_is_still_read() -> None:
    from bot.content.extract import extract_html

    story = (
        "The harbour board voted on Tuesday to rebuild the sluice gates of the old tide mill "
        "before the winter storms, at a cost of forty thousand pounds."
    )
    page = (
        "<html><body><div onclick='window.location=\"/\"'>Home</div><script>if (mobile) "
        f'location.replace("/m");</script><article><p>{story}</p></article></body></html>'
    )
    assert "sluice gates" in extract_html(page, "https://example.com/story").text
