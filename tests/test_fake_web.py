"""Tests for the FakeWeb server, the PDF helpers and the fixture files."""

from __future__ import annotations

import asyncio
import gzip
import io
import re
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from pypdf import PdfReader

from tests.fakes.web import (
    FIXTURE_MARKERS,
    FIXTURES_DIR,
    FakeWeb,
    WebRequest,
    make_pdf,
    make_scanned_pdf,
    read_fixture,
)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as c:
        yield c


# -- plain routes ------------------------------------------------------------------------------


async def test_route_status_headers_and_content_types(
    web: FakeWeb, client: httpx.AsyncClient
) -> None:
    web.route("/html", "<p>héllo</p>", headers={"X-Test": "yes", "Cache-Control": "no-store"})
    web.route("/text", b"plain", status=201, content_type="text/plain")
    web.route("/cp", "привет".encode("cp1251"), content_type="text/html")
    web.route("/bare", b"%PDF-1.4 maybe", content_type=None, headers={"X-Bare": "1"})
    web.route("/gone", "gone", status=410)

    r = await client.get(web.url("/html"))
    assert (r.status_code, r.text) == (200, "<p>héllo</p>")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["x-test"] == "yes"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-length"] == str(len("<p>héllo</p>".encode()))

    r = await client.get(web.url("/text"))
    assert (r.status_code, r.headers["content-type"], r.content) == (201, "text/plain", b"plain")

    r = await client.get(web.url("/cp"))
    assert r.headers["content-type"] == "text/html"
    assert r.content == "привет".encode("cp1251")

    r = await client.get(web.url("/bare"))
    assert r.status_code == 200
    assert "content-type" not in r.headers
    assert r.headers["x-bare"] == "1"
    assert r.content == b"%PDF-1.4 maybe"

    r = await client.head(web.url("/bare"))
    assert (r.status_code, r.content, r.headers["content-length"]) == (200, b"", "14")

    assert (await client.get(web.url("/gone"))).status_code == 410
    missing = await client.get(web.url("/missing"))
    assert missing.status_code == 404
    assert web.hits("/missing") == 1


async def test_base_and_url(web: FakeWeb) -> None:
    assert web.host == "127.0.0.1"
    assert web.port > 0
    assert web.base == f"http://127.0.0.1:{web.port}"
    assert web.url("/a/b?c=1") == f"{web.base}/a/b?c=1"


async def test_page_builds_realistic_article(web: FakeWeb, client: httpx.AsyncClient) -> None:
    doc = web.page(
        "/news/story",
        title="Otters & <kelp>",
        paragraphs=["Alpha paragraph about otters.", "Beta paragraph about kelp."],
        nav=["Navzebra", "Navquokka"],
        footer="Footkoala copyright",
        lang="de",
        extra_head='<meta name="x-extra" content="1">',
        status=203,
    )
    r = await client.get(web.url("/news/story"))
    assert r.status_code == 203
    assert r.text == doc
    assert doc.startswith("<!DOCTYPE html>")
    assert '<html lang="de">' in doc
    assert "<title>Otters &amp; &lt;kelp&gt; | Example Gazette</title>" in doc
    assert '<meta property="og:title" content="Otters &amp; &lt;kelp&gt;">' in doc
    assert 'property="og:site_name"' in doc
    assert '<meta name="author"' in doc
    assert 'property="article:published_time"' in doc
    assert f'<link rel="canonical" href="{web.url("/news/story")}">' in doc
    assert '<meta name="x-extra" content="1">' in doc

    article = re.search(r"<article>(.*)</article>", doc, re.S)
    assert article is not None
    assert "<h1>Otters &amp; &lt;kelp&gt;</h1>" in article.group(1)
    assert "<p>Alpha paragraph about otters.</p>" in article.group(1)
    assert "<p>Beta paragraph about kelp.</p>" in article.group(1)
    for word in ("Navzebra", "Navquokka", "Footkoala", "Related"):
        assert word in doc
        assert word not in article.group(1)
    assert re.search(r"<header[^>]*>.*<nav[^>]*>.*Navzebra.*</nav>.*</header>", doc, re.S)
    assert re.search(r"<aside[^>]*>.*href=.*</aside>", doc, re.S)
    assert re.search(r"<footer[^>]*>.*Footkoala copyright.*</footer>", doc, re.S)


async def test_redirect_chain(web: FakeWeb, client: httpx.AsyncClient) -> None:
    web.redirect("/r1", "/r2")
    web.redirect("/r2", web.url("/final"), status=301)
    web.route("/final", "done")

    first = await client.get(web.url("/r1"))
    assert first.status_code == 302
    assert first.headers["location"] == "/r2"

    r = await client.get(web.url("/r1"), follow_redirects=True)
    assert r.text == "done"
    assert [h.status_code for h in r.history] == [302, 301]
    assert str(r.url) == web.url("/final")
    assert (web.hits("/r1"), web.hits("/r2"), web.hits("/final")) == (2, 1, 1)


async def test_delay_and_request_recorded_before_response(
    web: FakeWeb, client: httpx.AsyncClient
) -> None:
    web.route("/slow", "ok", delay=0.3)
    started = time.monotonic()
    pending = asyncio.create_task(client.get(web.url("/slow")))
    await asyncio.sleep(0.1)
    assert web.hits("/slow") == 1
    assert not pending.done()
    r = await pending
    assert r.text == "ok"
    assert time.monotonic() - started >= 0.3


async def test_hits_and_recorded_requests(web: FakeWeb, client: httpx.AsyncClient) -> None:
    web.route("/p", "x")
    await client.get(web.url("/p?a=1&b=%D0%B6"), headers={"User-Agent": "SkimTest/1.0"})
    await client.post(web.url("/p"), content=b"body")
    await client.get(web.url("/other"))

    assert web.hits("/p") == 2
    assert web.hits("/p?ignored=1") == 2
    assert web.hits("/other") == 1
    assert web.hits("/never") == 0
    first, second, _ = web.requests
    assert isinstance(first, WebRequest)
    assert (first.method, first.path, first.query) == ("GET", "/p", "a=1&b=%D0%B6")
    assert first.headers["User-Agent"] == "SkimTest/1.0"
    assert first.headers["user-agent"] == "SkimTest/1.0"
    assert "HOST" in first.headers
    assert (second.method, second.query) == ("POST", "")
    assert first.at <= second.at <= time.monotonic()


async def test_set_status_and_clear(web: FakeWeb, client: httpx.AsyncClient) -> None:
    web.route("/flaky", "fine")
    web.set_status("/flaky", 503)
    assert (await client.get(web.url("/flaky"))).status_code == 503
    web.set_status("/flaky", 200)
    assert (await client.get(web.url("/flaky"))).text == "fine"
    with pytest.raises(KeyError):
        web.set_status("/nope", 500)

    web.clear()
    assert web.requests == []
    assert (await client.get(web.url("/flaky"))).status_code == 404
    assert web.hits("/flaky") == 1


# -- hostile behaviours ------------------------------------------------------------------------


async def test_slow_drip_paces_chunks(web: FakeWeb, client: httpx.AsyncClient) -> None:
    web.slow_drip("/drip", chunk=b"<p>drop</p>", interval=0.2, content_type="text/plain")
    started = time.monotonic()
    async with client.stream("GET", web.url("/drip")) as r:
        headers_at = time.monotonic() - started
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/plain"
        assert "content-length" not in r.headers
        arrivals: list[float] = []
        async for chunk in r.aiter_raw():
            assert chunk == b"<p>drop</p>"
            arrivals.append(time.monotonic() - started)
            if len(arrivals) == 2:
                break
    assert headers_at < 0.15
    assert arrivals[0] >= 0.15
    assert arrivals[1] - arrivals[0] >= 0.15


async def test_endless_stream_stopped_by_client(web: FakeWeb, client: httpx.AsyncClient) -> None:
    web.endless("/forever", chunk_size=16384)
    web.route("/after", "still alive")
    limit = 3 << 20
    received = 0
    async with client.stream("GET", web.url("/forever")) as r:
        assert r.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in r.headers
        async for chunk in r.aiter_raw():
            received += len(chunk)
            if received >= limit:
                break
    assert limit <= received < limit + (1 << 20)
    assert (await client.get(web.url("/after"))).text == "still alive"


async def test_gzip_bomb_is_small_on_the_wire(web: FakeWeb, client: httpx.AsyncClient) -> None:
    web.gzip_bomb("/bomb")  # 1 GiB decoded
    wire = 0
    async with client.stream("GET", web.url("/bomb")) as r:
        assert r.headers["content-encoding"] == "gzip"
        declared = int(r.headers["content-length"])
        async for chunk in r.aiter_raw():
            wire += len(chunk)
    assert wire == declared
    assert wire < 1_200_000


async def test_gzip_bomb_decoding_can_stop_early(web: FakeWeb, client: httpx.AsyncClient) -> None:
    web.gzip_bomb("/bomb")
    decoded = 0
    async with client.stream("GET", web.url("/bomb")) as r:
        async for chunk in r.aiter_bytes():
            decoded += len(chunk)
            if decoded >= 4 << 20:
                break
        wire = r.num_bytes_downloaded
    assert decoded >= 4 << 20
    assert wire < 256 << 10


async def test_gzip_bomb_is_valid_gzip(web: FakeWeb, client: httpx.AsyncClient) -> None:
    size = (3 << 20) + 12345
    web.gzip_bomb("/small-bomb", decoded_size=size)
    async with client.stream("GET", web.url("/small-bomb")) as r:
        raw = b"".join([chunk async for chunk in r.aiter_raw()])
    assert gzip.decompress(raw) == b" " * size


async def test_hang_times_out_client(web: FakeWeb, client: httpx.AsyncClient) -> None:
    web.hang("/hang")
    with pytest.raises(httpx.ReadTimeout):
        await client.get(web.url("/hang"), timeout=0.3)
    assert web.hits("/hang") == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
        b"this is not http at all\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
        b"",
    ],
    ids=["truncated", "garbage", "conflicting-length", "empty"],
)
async def test_raw_malformed_responses(web: FakeWeb, client: httpx.AsyncClient, raw: bytes) -> None:
    web.raw("/bad", raw)
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(web.url("/bad"))
    assert web.hits("/bad") == 1


async def test_raw_well_formed_response(web: FakeWeb, client: httpx.AsyncClient) -> None:
    web.raw("/ok", b"HTTP/1.1 299 Odd\r\nContent-Length: 2\r\nX-Odd: 1\r\n\r\nhi")
    r = await client.get(web.url("/ok"))
    assert (r.status_code, r.reason_phrase, r.text, r.headers["x-odd"]) == (299, "Odd", "hi", "1")


async def test_stop_is_fast_with_hostile_handlers() -> None:
    server = FakeWeb()
    await server.start()
    server.hang("/hang")
    server.endless("/endless")
    server.slow_drip("/drip", interval=5.0)
    server.route("/delayed", "late", delay=30.0)

    async def read_all(c: httpx.AsyncClient, path: str) -> None:
        async with c.stream("GET", server.url(path)) as r:
            async for _ in r.aiter_raw():
                await asyncio.sleep(0.01)  # slow reader keeps the endless handler busy

    async with httpx.AsyncClient(timeout=30.0) as c:
        tasks = [
            asyncio.create_task(read_all(c, p)) for p in ("/hang", "/endless", "/drip", "/delayed")
        ]
        await asyncio.sleep(0.3)
        assert [server.hits(p) for p in ("/hang", "/endless", "/drip", "/delayed")] == [1] * 4
        started = time.monotonic()
        await server.stop()
        assert time.monotonic() - started < 1.0
        results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(e, httpx.TransportError) for e in results), results
    await server.stop()  # idempotent


# -- PDF helpers -------------------------------------------------------------------------------


def _check_xref(pdf: bytes) -> None:
    """Every xref entry must point at the start of its object."""
    start = int(re.search(rb"startxref\n(\d+)\n%%EOF", pdf).group(1))  # type: ignore[union-attr]
    assert pdf[start:].startswith(b"xref\n")
    entries = re.findall(rb"(\d{10}) 00000 n \n", pdf[start:])
    assert entries
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj\n" % number)


def test_make_pdf_has_extractable_text() -> None:
    pdf = make_pdf(
        [
            "Quarterly report on tide mills\nRevenue (gross) rose by 12% in Q2.",
            "Second page mentions the backslash \\ and café.\n" + "long words " * 30,
        ]
    )
    assert pdf.startswith(b"%PDF-1.4")
    assert b"BT\n/F1 12 Tf" in pdf
    assert b"/BaseFont /Helvetica" in pdf
    _check_xref(pdf)
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert len(reader.pages) == 2
    first = reader.pages[0].extract_text()
    assert "Quarterly report on tide mills" in first
    assert "Revenue (gross) rose by 12% in Q2." in first
    second = reader.pages[1].extract_text()
    assert "backslash \\ and café" in second
    assert second.count("long words") == 30


def test_make_scanned_pdf_has_no_text() -> None:
    pdf = make_scanned_pdf()
    _check_xref(pdf)
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert len(reader.pages) == 1
    assert reader.pages[0].extract_text().strip() == ""
    assert b" re\n" in pdf
    assert len(PdfReader(io.BytesIO(make_scanned_pdf(3))).pages) == 3


async def test_pdf_served_over_http(web: FakeWeb, client: httpx.AsyncClient) -> None:
    pdf = make_pdf(["Served PDF text"])
    web.route("/doc.pdf", pdf, content_type="application/pdf")
    r = await client.get(web.url("/doc.pdf"))
    assert r.headers["content-type"] == "application/pdf"
    assert "Served PDF text" in PdfReader(io.BytesIO(r.content)).pages[0].extract_text()


# -- fixture files -----------------------------------------------------------------------------


def test_fixture_files_and_markers() -> None:
    for name in ("article_en.html", "article_ru.html", "article_cp1251.html", "notes.txt"):
        assert (FIXTURES_DIR / name).is_file()
    assert FIXTURE_MARKERS["article_cp1251.html"] == FIXTURE_MARKERS["article_ru.html"]
    assert len(FIXTURE_MARKERS["article_en.html"]) == 11
    en = read_fixture("article_en.html").decode("utf-8")
    ru = read_fixture("article_ru.html").decode("utf-8")
    cp = read_fixture("article_cp1251.html")
    with pytest.raises(UnicodeDecodeError):
        cp.decode("utf-8")
    assert cp.decode("cp1251") == ru.replace(
        '<meta charset="utf-8">', '<meta charset="windows-1251">'
    )
    readme = (FIXTURES_DIR / "README.md").read_text("utf-8")
    for doc, name in ((en, "article_en.html"), (ru, "article_ru.html")):
        for marker in FIXTURE_MARKERS[name]:
            assert marker in doc
            assert f"`{marker}`" in readme
        assert 'style="display:none"' in doc
        assert 'aria-hidden="true"' in doc
    for word in ("Brackwater", "Halloran", "quernstone"):
        assert word in en
    for word in ("Книгоход", "Рябова", "ледоход"):
        assert word in ru

    notes = read_fixture("notes.txt").decode("utf-8")
    assert len([p for p in notes.split("\n\n") if p.strip()]) >= 10
    md = read_fixture("notes.md").decode("utf-8")
    assert md.startswith("# ")
    assert "\n## " in md
    assert "\n- " in md
    assert "\n1. " in md
