"""The safe fetcher against the web fake and an injectable resolver."""

from __future__ import annotations

import asyncio
import ipaddress
import time
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.content.addresses import IPAddress, is_public_address
from bot.content.fetch import Fetcher, FetchPolicy, sniff_media_type
from bot.errors import FetchError, InvalidSourceError, UnsupportedContentError
from tests.fakes.web import FakeWeb, make_pdf


class StaticResolver:
    """Answers every name with fixed addresses, counting lookups."""

    def __init__(self, *addresses: str) -> None:
        self.addresses: list[IPAddress] = [ipaddress.ip_address(a) for a in addresses]
        self.lookups = 0

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.lookups += 1
        return list(self.addresses)


_clients: list[httpx.AsyncClient] = []


def fetcher(policy: FetchPolicy, resolver: StaticResolver | None = None) -> Fetcher:
    client = Fetcher.build_client(policy)
    _clients.append(client)
    return Fetcher(client, policy, resolver)


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    yield
    while _clients:
        await _clients.pop().aclose()


def opened(web: FakeWeb) -> FetchPolicy:
    """Private networks allowed (the fakes are on loopback), the fake's port among the ports."""
    return FetchPolicy(
        allow_private_networks=True, allowed_ports=frozenset({web.port}), deadline=5.0
    )


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "192.0.2.10",
        "::1",
        "fd00::1",
        "fe80::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::127.0.0.1",
        "2002:7f00:1::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "64:ff9b::a9fe:a9fe",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


async def test_default_policy_refuses_loopback_without_connecting(web: FakeWeb) -> None:
    web.route("/secret", "<p>internal</p>")
    client = fetcher(FetchPolicy())
    with pytest.raises(FetchError) as caught:
        await client.fetch(web.url("/secret").replace("127.0.0.1", "localhost"))
    assert "private or local" in caught.value.user_message
    assert web.hits("/secret") == 0


async def test_resolved_private_name_is_refused(web: FakeWeb) -> None:
    resolver = StaticResolver("93.184.216.34", "127.0.0.1")
    policy = FetchPolicy(allowed_ports=frozenset({web.port}))
    with pytest.raises(FetchError):
        await fetcher(policy, resolver).fetch(f"http://innocent.example:{web.port}/x")
    assert web.hits("/x") == 0


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file",
        "http://user:pass@example.com/",
        "http://example.com:22/",
        "javascript:alert(1)",
    ],
)
async def test_invalid_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidSourceError):
        await fetcher(FetchPolicy(), StaticResolver("93.184.216.34")).fetch(url)


async def test_fetches_page_through_the_checked_address(web: FakeWeb) -> None:
    web.route("/a", "<html><body><p>hello</p></body></html>")
    resolver = StaticResolver("127.0.0.1")
    policy = FetchPolicy(allow_private_networks=True, allowed_ports=frozenset({web.port}))
    result = await fetcher(policy, resolver).fetch(f"http://news.example:{web.port}/a")
    assert result.body.endswith(b"</html>")
    assert result.media_type == "text/html"
    assert resolver.lookups == 1
    assert web.requests[-1].headers["host"] == f"news.example:{web.port}"
    assert web.requests[-1].headers["user-agent"].startswith("Skim/")


@pytest.mark.parametrize(
    ("head", "sniffed"),
    [
        (b"<!DOCTYPE html><html>", "text/html"),
        (b"\xef\xbb\xbf\n  <HTML lang=en>", "text/html"),
        (
            b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML',
            "text/html",
        ),
        (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">', "text/html"),
        (b'<script type="text/javascript">var blog = 1;</script><html>', "text/html"),
        (b"<title>The mill</title>", "text/html"),
        (b"<p>The mill turns again.", "text/html"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel>', "text/plain"),  # a feed
        (b"<abbr>TLA</abbr> is not a page's start", "text/plain"),
        (b"<pre>code</pre>", "text/plain"),
        (b"Plain text with <b>bold</b> in it", "text/plain"),
    ],
)
def test_html_is_known_by_how_browsers_know_it(head: bytes, sniffed: str) -> None:
    assert sniff_media_type(head) == sniffed


async def test_redirects_are_followed_and_rechecked(web: FakeWeb) -> None:
    web.route("/final", "<p>done</p>")
    web.redirect("/one", "/two")
    web.redirect("/two", web.url("/final"), status=301)
    result = await fetcher(opened(web)).fetch(web.url("/one"))
    assert result.final_url == web.url("/final")


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://10.1.2.3/"]
)
async def test_redirect_into_private_space_is_refused(web: FakeWeb, target: str) -> None:
    web.redirect("/out", target)
    policy = FetchPolicy(allowed_ports=frozenset({80, web.port}))
    # Only the fake's own address counts as public here, standing in for a real public site.
    http = Fetcher.build_client(policy)
    _clients.append(http)
    client = Fetcher(
        http,
        policy,
        StaticResolver("127.0.0.1"),
        address_allowed=lambda ip: str(ip) == "127.0.0.1",
    )
    with pytest.raises(FetchError) as caught:
        await client.fetch(f"http://public.example:{web.port}/out")
    assert web.hits("/out") == 1
    assert "private or local" in caught.value.user_message
    assert web.hits("/inside") == 0


async def test_too_many_redirects(web: FakeWeb) -> None:
    for i in range(8):
        web.redirect(f"/r{i}", f"/r{i + 1}")
    with pytest.raises(FetchError) as caught:
        await fetcher(opened(web)).fetch(web.url("/r0"))
    assert "redirects too many times" in caught.value.user_message


@pytest.mark.parametrize(
    ("status", "phrase"),
    [
        (403, "paywalled"),
        (401, "paywalled"),
        (404, "doesn't exist"),
        (410, "doesn't exist"),
        (429, "rate-limiting"),
        (503, "having trouble"),
    ],
)
async def test_http_errors_have_specific_messages(web: FakeWeb, status: int, phrase: str) -> None:
    web.route("/e", "nope", status=status)
    with pytest.raises(FetchError) as caught:
        await fetcher(opened(web)).fetch(web.url("/e"))
    assert phrase in caught.value.user_message


async def test_images_are_refused_before_reading(web: FakeWeb) -> None:
    web.route("/cat.png", b"\x89PNG" + b"\0" * 100, content_type="image/png")
    with pytest.raises(UnsupportedContentError):
        await fetcher(opened(web)).fetch(web.url("/cat.png"))


async def test_byte_cap_on_endless_body(web: FakeWeb) -> None:
    web.endless("/forever")
    policy = FetchPolicy(
        allow_private_networks=True,
        allowed_ports=frozenset({web.port}),
        max_bytes=200_000,
        deadline=10,
    )
    with pytest.raises(FetchError) as caught:
        await fetcher(policy).fetch(web.url("/forever"))
    assert "too large" in caught.value.user_message


async def test_gzip_bomb_stops_near_the_cap(web: FakeWeb) -> None:
    web.gzip_bomb("/bomb", decoded_size=1 << 30)
    policy = FetchPolicy(
        allow_private_networks=True,
        allowed_ports=frozenset({web.port}),
        max_bytes=1_000_000,
        deadline=10,
    )
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        await fetcher(policy).fetch(web.url("/bomb"))
    assert "too large" in caught.value.user_message
    assert time.monotonic() - started < 5


async def test_slow_drip_hits_the_overall_deadline(web: FakeWeb) -> None:
    web.slow_drip("/drip", interval=0.2, total_chunks=1000)
    policy = FetchPolicy(
        allow_private_networks=True, allowed_ports=frozenset({web.port}), deadline=1.0
    )
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        await fetcher(policy).fetch(web.url("/drip"))
    assert "took too long" in caught.value.user_message
    assert time.monotonic() - started < 3


async def test_connection_refused_is_reported() -> None:
    with pytest.raises(FetchError) as caught:
        await fetcher(FetchPolicy(allow_private_networks=True, allowed_ports=frozenset({1}))).fetch(
            "http://127.0.0.1:1/nothing"
        )
    assert "refused the connection" in caught.value.user_message


async def test_unresolvable_name() -> None:
    class NoAnswer(StaticResolver):
        async def resolve(self, host: str, port: int) -> list[IPAddress]:
            raise OSError("no such host")

    with pytest.raises(FetchError) as caught:
        await fetcher(FetchPolicy(), NoAnswer()).fetch("https://no-such-host.invalid/")
    assert "does not resolve" in caught.value.user_message


async def test_deadline_covers_a_hanging_server(web: FakeWeb) -> None:
    web.hang("/hang")
    policy = FetchPolicy(
        allow_private_networks=True, allowed_ports=frozenset({web.port}), deadline=0.8
    )
    with pytest.raises(FetchError):
        await asyncio.wait_for(fetcher(policy).fetch(web.url("/hang")), 5)


async def test_cookies_are_not_kept_between_requests(web: FakeWeb) -> None:
    web.route("/set", "<p>hello</p>", headers={"Set-Cookie": "session=abc123; Path=/"})
    web.route("/next", "<p>again</p>")
    client = fetcher(opened(web))
    await client.fetch(web.url("/set"))
    await client.fetch(web.url("/next"))
    assert "cookie" not in web.requests[-1].headers


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, br"])
async def test_unknown_content_encodings_are_refused(web: FakeWeb, encoding: str) -> None:
    web.route("/packed", b"\x00\x01binary", headers={"Content-Encoding": encoding})
    with pytest.raises(UnsupportedContentError) as caught:
        await fetcher(opened(web)).fetch(web.url("/packed"))
    assert "encoding" in caught.value.user_message


async def test_scheme_change_in_a_redirect_is_refused(web: FakeWeb) -> None:
    web.redirect("/to-ftp", "ftp://files.example/secret.txt")
    with pytest.raises(InvalidSourceError) as caught:
        await fetcher(opened(web)).fetch(web.url("/to-ftp"))
    assert "http and https" in caught.value.user_message


async def test_the_port_list_holds_with_private_networks_allowed(web: FakeWeb) -> None:
    web.route("/page", "<html><body><p>hello</p></body></html>")
    policy = FetchPolicy(allow_private_networks=True, allowed_ports=frozenset({80, 443}))
    with pytest.raises(InvalidSourceError) as raised:
        await fetcher(policy).fetch(web.url("/page"))
    assert raised.value.key == "err_port"
    assert web.hits("/page") == 0, "refused before connecting"


# How real sites behave (the fetching audit of 2026-12-07).


async def test_a_cookie_set_along_a_redirect_chain_goes_with_its_later_hops(web: FakeWeb) -> None:
    """A consent check or a CDN's session cookie: set on a redirect, needed by the page.
    Without it the chain looped ("redirects too many times") or the page said 403."""
    web.route(
        "/start",
        b"",
        status=302,
        headers={"Set-Cookie": "consent=yes; Path=/", "Location": "/story"},
    )
    web.route("/story", "<p>Behind the cookie check.</p>")
    client = fetcher(opened(web))
    result = await client.fetch(web.url("/start"))
    assert b"Behind the cookie check" in result.body
    assert web.requests[-1].headers.get("cookie") == "consent=yes"
    await client.fetch(web.url("/story"))
    assert "cookie" not in web.requests[-1].headers, "no cookie outlives its fetch"


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (
            '<html><head><meta http-equiv="refresh" content="0; url=\'/article\'"></head>'
            "<body>If you are not redirected, follow this link.</body></html>",
            {},
        ),
        ('<meta content="1;URL=/article" http-equiv="Refresh">', {}),
        ("<p>Moved.</p>", {"Refresh": "0; url=/article"}),
    ],
    ids=["meta", "meta-attributes-swapped", "header"],
)
async def test_an_interstitial_that_refreshes_at_once_is_followed(
    web: FakeWeb, body: str, headers: dict[str, str]
) -> None:
    web.route("/go", body, headers=headers)
    web.route("/article", "<p>The article itself.</p>")
    result = await fetcher(opened(web)).fetch(web.url("/go"))
    assert b"The article itself." in result.body
    assert result.final_url == web.url("/article")


async def test_a_page_that_reloads_itself_later_is_read_where_it_is(web: FakeWeb) -> None:
    web.route("/live", '<meta http-equiv="refresh" content="300; url=/live?page=2"><p>Live.</p>')
    result = await fetcher(opened(web)).fetch(web.url("/live"))
    assert b"Live." in result.body
    assert web.hits("/live") == 1


async def test_a_bare_deflate_body_is_read_like_a_zlib_one(web: FakeWeb) -> None:
    """Some servers send "deflate" without its zlib header: it was "corrupt"."""
    page = b"<p>" + b"The tide mill turns again. " * 50 + b"</p>"
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = packer.compress(page) + packer.flush()
    web.route("/raw", raw, headers={"Content-Encoding": "deflate"})
    web.route("/zlib", zlib.compress(page), headers={"Content-Encoding": "deflate"})
    client = fetcher(opened(web))
    assert (await client.fetch(web.url("/raw"))).body == page
    assert (await client.fetch(web.url("/zlib"))).body == page


@pytest.mark.parametrize(
    "content_type",
    ["binary/octet-stream", "application/x-pdf", "application/force-download", "text/plain"],
)
async def test_a_pdf_is_known_by_its_bytes_whatever_the_server_calls_it(
    web: FakeWeb, content_type: str
) -> None:
    """S3 serves downloads as binary/octet-stream: "a file I can't read"."""
    web.route(
        "/report", make_pdf(["The rowing club grew to 412 members."]), content_type=content_type
    )
    result = await fetcher(opened(web)).fetch(web.url("/report"))
    assert result.media_type == "application/pdf"


@pytest.mark.parametrize(
    ("status", "headers", "message"),
    [
        (451, {}, "legal reasons (HTTP 451)"),
        (204, {}, "empty page (HTTP 204)"),
        (429, {"Retry-After": "120"}, "Try again in 2 min."),
    ],
)
async def test_statuses_say_what_happened(
    web: FakeWeb, status: int, headers: dict[str, str], message: str
) -> None:
    web.route("/page", "", status=status, headers=headers)
    with pytest.raises(FetchError) as caught:
        await fetcher(opened(web)).fetch(web.url("/page"))
    assert message in caught.value.user_message


async def test_a_short_retry_after_is_waited_out_once(web: FakeWeb) -> None:
    web.route("/busy", "<p>Busy.</p>", status=429, headers={"Retry-After": "1"})

    async def free_up() -> None:
        await asyncio.sleep(0.5)
        web.set_status("/busy", 200)

    freeing = asyncio.create_task(free_up())
    started = time.monotonic()
    result = await fetcher(opened(web)).fetch(web.url("/busy"))
    await freeing
    assert b"Busy." in result.body
    assert time.monotonic() - started >= 1.0
    assert web.hits("/busy") == 2
