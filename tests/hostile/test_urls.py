"""Hostile links, end to end: private and local addresses in every spelling, odd hosts, userinfo
tricks, control characters, other schemes, bad ports, DNS that lies and redirects that lead
astray. Each gets a clear message (or a deliberate "nothing to read"), nothing connects where it
must not, nothing is cached wrongly, and the next link is served normally.

The bot runs with private networks refused. Names under `.test` come from a scripted resolver;
where a test needs a reachable "public" site, the web fake's 127.0.0.1 stands in for one (and is
then the only loopback address counted as public).
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from bot.config import Settings
from bot.content.addresses import IPAddress, is_public_address
from bot.content.fetch import SystemResolver
from bot.content.urls import message_links, other_scheme
from bot.deps import build_deps
from tests.conftest import RunningBot, llm_settings, running
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.tg import USER_ID, send_for_summary, summaries_in, wait_text

SUMMARY = "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it"
PRIVATE = "private or local address"
USERINFO = "user name or password"
INVALID = "doesn't look like a valid link"
NOTHING = "Send me a link or paste a longer text"
SCHEME = "Only http and https"
TOO_MANY = "redirects too many times"
NO_LOCATION = "sent a redirect without a destination"
LOOPBACK = ipaddress.ip_address("127.0.0.1")
# Long enough to be summarized as it is: the request after a refusal must still work.
PASTE = "The harbour wall was rebuilt this spring after a winter storm broke it. " * 8


class ScriptedResolver:
    """Names under `.test` answer from a script (a list of answers, one per lookup, the last
    repeated); anything else goes to the system resolver (which reads `2130706433`, `0x7f.1`...
    the way libc does). Every name asked is recorded."""

    def __init__(self, answers: dict[str, list[list[str]]] | None = None) -> None:
        self.answers = answers or {}
        self.asked: list[str] = []
        self._system = SystemResolver()

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        name = host.rstrip(".").lower()
        script = self.answers.get(name)
        if script is None:
            if name.endswith(".test"):
                raise OSError(f"no such name {host}")
            return await self._system.resolve(host, port)
        answer = script.pop(0) if len(script) > 1 else script[0]
        return [ipaddress.ip_address(a) for a in answer]


def stand_in_public(address: IPAddress) -> bool:
    """The web fake's address stands in for a public site; every other address as in prod."""
    return address == LOOPBACK or is_public_address(address)


@asynccontextmanager
async def hostile_bot(
    settings_for: Callable[..., Settings],
    llm_api: FakeOpenAI,
    resolver: ScriptedResolver,
    *,
    loopback_is_public: bool = False,
) -> AsyncIterator[RunningBot]:
    """The bot with private networks refused, the resolver scripted, short fetch deadlines."""
    settings = llm_settings(
        settings_for, llm_api, fetch_allow_private_networks=False, fetch_timeout=3.0
    )
    deps = build_deps(settings, resolver=resolver)
    if loopback_is_public:
        # The only seam for "which addresses count as public" is the Fetcher's constructor.
        deps.skim.reader._fetcher._address_allowed = stand_in_public
    async with running(settings, deps) as bot:
        yield bot


def link_message(bot_api: FakeBotAPI, url: str) -> None:
    """A message whose one text_link points at `url`, exactly as given (no client clean-up)."""
    entity = {"type": "text_link", "offset": 0, "length": 4, "url": url}
    bot_api.send_private_message("read this", entities=[entity])


async def paste_still_works(bot_api: FakeBotAPI) -> None:
    before = len(summaries_in(bot_api, USER_ID))
    await send_for_summary(bot_api, PASTE, count=before + 1)


async def story_still_works(bot_api: FakeBotAPI, web: FakeWeb, host: str = "public.test") -> None:
    web.route("/story", read_fixture("article_en.html"))
    before = len(summaries_in(bot_api, USER_ID))
    await send_for_summary(bot_api, f"http://{host}:{web.port}/story", count=before + 1)


def public_host(web: FakeWeb) -> dict[str, list[list[str]]]:
    return {"public.test": [["127.0.0.1"]]}


# -- private and local addresses, literal, in every spelling ----------------------------------

LITERALS = [
    # IPv4 classes
    ("127.0.0.1", "loopback"),
    ("127.5.6.7", "loopback-other"),
    ("10.1.2.3", "rfc1918-10"),
    ("172.16.0.9", "rfc1918-172"),
    ("192.168.0.1", "rfc1918-192"),
    ("169.254.169.254", "metadata"),
    ("100.64.0.1", "cgnat"),
    ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast-ssdp"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("192.0.0.8", "ietf-protocol"),
    ("198.18.0.1", "benchmark"),
    # IPv4 spellings libc reads as loopback
    ("2130706433", "decimal"),
    ("0x7f.1", "hex-short"),
    ("0x7f000001", "hex"),
    ("017700000001", "octal-whole"),
    ("127.1", "short"),
    ("0", "zero"),
    ("127。0。0。1", "ideographic-dots"),
    # IPv6 classes
    ("[::1]", "v6-loopback"),
    ("[::]", "v6-unspecified"),
    ("[fd00:ec2::254]", "v6-ula-metadata"),
    ("[fe80::1]", "v6-link-local"),
    ("[fe80::1%25eth0]", "v6-scoped"),
    ("[ff02::1]", "v6-multicast"),
    ("[fec0::1]", "v6-site-local"),
    ("[100::1]", "v6-discard"),
    ("[2001:db8::1]", "v6-documentation"),
    # IPv4 inside IPv6
    ("[::ffff:127.0.0.1]", "v4-mapped"),
    ("[::ffff:7f00:1]", "v4-mapped-hex"),
    ("[0:0:0:0:0:ffff:169.254.169.254]", "v4-mapped-metadata"),
    ("[::127.0.0.1]", "v4-compatible"),
    ("[2002:7f00:1::]", "6to4"),
    ("[2002:a9fe:a9fe::1]", "6to4-metadata"),
    ("[2001:0:4136:e378:8000:63bf:80ff:fffe]", "teredo"),
    ("[64:ff9b::7f00:1]", "nat64"),
    ("[64:ff9b::a9fe:a9fe]", "nat64-metadata"),
    ("[64:ff9b:1::a00:1]", "nat64-local"),
]


@pytest.mark.parametrize("host", [h for h, _ in LITERALS], ids=[i for _, i in LITERALS])
async def test_private_and_local_addresses_are_refused_in_every_spelling(
    host: str,
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    web.route("/", "<p>internal</p>")
    web.route("/admin", "<p>internal</p>")
    llm_api.script(SUMMARY)
    async with hostile_bot(settings_for, llm_api, ScriptedResolver()):
        bot_api.send_private_message(f"http://{host}:{web.port}/admin")
        await wait_text(bot_api, PRIVATE)
        assert not web.requests, "nothing connects to a refused address"
        assert not llm_api.requests
        await paste_still_works(bot_api)


@pytest.mark.parametrize(
    ("host", "needle"),
    [
        ("0177.0.0.1", INVALID),  # an octal dotted quad: refused as a malformed host
        ("１２７.０.０.１", INVALID),  # fullwidth digits
        ("127.0.0.1.", "does not resolve"),  # the system resolver knows no such name
        ("localhost.", "does not resolve"),
        ("LOCALHOST", PRIVATE),
        ("LocalHost", PRIVATE),
    ],
)
async def test_odd_spellings_of_local_hosts_are_refused(
    host: str,
    needle: str,
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    web.route("/admin", "<p>internal</p>")
    async with hostile_bot(settings_for, llm_api, ScriptedResolver()):
        link_message(bot_api, f"http://{host}:{web.port}/admin")
        await wait_text(bot_api, needle)
        assert not web.requests
        await paste_still_works(bot_api)


# -- names that resolve to private space --------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        ["127.0.0.1", "10.0.0.1"],
        ["10.0.0.1", "127.0.0.1"],
        ["127.0.0.1", "169.254.169.254"],
        ["127.0.0.1", "::1"],
        ["127.0.0.1", "::ffff:10.0.0.1"],
        ["fd12::1"],
    ],
    ids=["public-then-private", "private-then-public", "metadata", "v6-loopback", "mapped", "ula"],
)
async def test_a_name_with_any_private_address_is_refused(
    answer: list[str],
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    resolver = ScriptedResolver({"mixed.test": [answer], **public_host(web)})
    web.route("/page", read_fixture("article_en.html"))
    llm_api.script(SUMMARY)
    async with hostile_bot(settings_for, llm_api, resolver, loopback_is_public=True):
        bot_api.send_private_message(f"http://mixed.test:{web.port}/page")
        await wait_text(bot_api, PRIVATE)
        assert web.hits("/page") == 0
        assert not llm_api.requests
        await story_still_works(bot_api, web)


async def test_dns_rebinding_the_fetch_connects_to_the_address_it_checked(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    # First answer public, every later one private: a second lookup would be refused (or, by
    # the system's DNS, fail: `.test` names resolve nowhere else). One lookup, one connection.
    resolver = ScriptedResolver({"rebind.test": [["127.0.0.1"], ["10.0.0.1"]]})
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY)
    async with hostile_bot(settings_for, llm_api, resolver, loopback_is_public=True):
        await send_for_summary(bot_api, f"http://rebind.test:{web.port}/story")
    assert resolver.asked == ["rebind.test"]
    assert web.hits("/story") == 1
    assert web.requests[0].headers["host"] == f"rebind.test:{web.port}"


async def test_dns_rebinding_between_redirect_hops_is_refused(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    resolver = ScriptedResolver({"rebind.test": [["127.0.0.1"], ["10.0.0.1"]], **public_host(web)})
    web.redirect("/hop", "/final")
    web.route("/final", read_fixture("article_en.html"))
    async with hostile_bot(settings_for, llm_api, resolver, loopback_is_public=True):
        bot_api.send_private_message(f"http://rebind.test:{web.port}/hop")
        await wait_text(bot_api, PRIVATE)
        assert web.hits("/hop") == 1
        assert web.hits("/final") == 0, "the second hop's fresh answer is checked again"
        assert resolver.asked == ["rebind.test", "rebind.test"]
        await story_still_works(bot_api, web)


# -- redirects ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "needle"),
    [
        ("http://169.254.169.254/latest/meta-data/", PRIVATE),
        ("http://10.0.0.1:{port}/inside", PRIVATE),
        ("http://[::ffff:10.0.0.1]:{port}/inside", PRIVATE),
        ("http://[fd00::1]/", PRIVATE),
        ("http://0x0a000001:{port}/inside", PRIVATE),  # 10.0.0.1, as libc reads it
        ("http://167772161/", PRIVATE),  # 10.0.0.1 in decimal
        ("http://inside.test:{port}/inside", PRIVATE),  # a name that resolves inside
        ("http://user:pw@public.test:{port}/inside", USERINFO),
        ("ftp://public.test/inside", SCHEME),
        ("file:///etc/passwd", SCHEME),
        ("gopher://public.test:70/_x", SCHEME),
        # httpx itself cannot parse these Locations: no crash, the redirect has nowhere to go.
        ("javascript:alert(1)", NO_LOCATION),
        ("data:text/html,<p>hi</p>", NO_LOCATION),
        ("http://[bad", NO_LOCATION),
        ("http://public.test:22/inside", "port 22"),
    ],
)
async def test_redirects_into_forbidden_places_are_refused(
    location: str,
    needle: str,
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    resolver = ScriptedResolver({"inside.test": [["10.9.8.7"]], **public_host(web)})
    web.redirect("/out", location.format(port=web.port))
    web.route("/inside", "<p>internal</p>")
    async with hostile_bot(settings_for, llm_api, resolver, loopback_is_public=True):
        bot_api.send_private_message(f"http://public.test:{web.port}/out")
        await wait_text(bot_api, needle)
        assert web.hits("/out") == 1
        assert web.hits("/inside") == 0
        assert not llm_api.requests
        await story_still_works(bot_api, web)


@pytest.mark.parametrize(
    ("hops", "loop"),
    [(6, False), (20, False), (1, True), (2, True)],
    ids=["one-too-many", "long-chain", "self-loop", "two-cycle"],
)
async def test_redirect_loops_and_long_chains_stop(
    hops: int,
    loop: bool,
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    for i in range(hops):
        target = f"/r{(i + 1) % hops}" if loop else f"/r{i + 1}"
        web.redirect(f"/r{i}", target)
    web.route(f"/r{hops}", read_fixture("article_en.html"))
    resolver = ScriptedResolver(public_host(web))
    async with hostile_bot(settings_for, llm_api, resolver, loopback_is_public=True):
        bot_api.send_private_message(f"http://public.test:{web.port}/r0")
        await wait_text(bot_api, TOO_MANY)
        assert len(web.requests) == 6, "the first request and five redirects, no more"
        assert not llm_api.requests
        await story_still_works(bot_api, web)


async def test_five_redirects_are_followed(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    for i in range(5):
        web.redirect(f"/r{i}", f"http://public.test:{web.port}/r{i + 1}")
    web.route("/r5", read_fixture("article_en.html"))
    llm_api.script(SUMMARY)
    resolver = ScriptedResolver(public_host(web))
    async with hostile_bot(settings_for, llm_api, resolver, loopback_is_public=True):
        await send_for_summary(bot_api, f"http://public.test:{web.port}/r0")
    assert web.hits("/r5") == 1


# -- hosts, userinfo, control characters, schemes, ports -----------------------------------------


async def test_trailing_dot_and_mixed_case_hosts_are_one_page(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY)
    resolver = ScriptedResolver(public_host(web))
    async with hostile_bot(settings_for, llm_api, resolver, loopback_is_public=True):
        await send_for_summary(bot_api, f"http://PUBLIC.Test.:{web.port}/story")
        await send_for_summary(bot_api, f"http://public.test:{web.port}/story", count=2)
    assert web.hits("/story") == 1, "one cache entry for both spellings"
    assert len(llm_api.requests) == 1


@pytest.mark.parametrize(
    ("host", "ascii_host"),
    [
        ("пример.test", "xn--e1afmkfd.test"),
        ("xn--e1afmkfd.test", "xn--e1afmkfd.test"),
        ("ПРИМЕР.test", "xn--e1afmkfd.test"),
        # IDNA 2003 (the system resolver's) reads this as fass.test, another name.
        ("faß.test", "xn--fa-hia.test"),
    ],
)
async def test_idn_hosts_are_resolved_and_requested_by_one_name(
    host: str,
    ascii_host: str,
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY)
    resolver = ScriptedResolver({ascii_host: [["127.0.0.1"]], "fass.test": [["10.0.0.1"]]})
    async with hostile_bot(settings_for, llm_api, resolver, loopback_is_public=True):
        link_message(bot_api, f"http://{host}:{web.port}/story")
        await bot_api.wait_for("sendMessage", lambda c: "Halloran" in c.params.get("text", ""))
    assert resolver.asked == [ascii_host]
    assert web.requests[0].headers["host"] == f"{ascii_host}:{web.port}"


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("http://a@b@public.test:{port}/story", USERINFO),
        ("http://user:pass@public.test:{port}/story", USERINFO),
        ("http://evil\\@127.0.0.1:{port}/story", USERINFO),
        ("http://evil.example\\@public.test:{port}/story", USERINFO),
        ("http://127.0.0.1\\@public.test:{port}/story", USERINFO),
        ("http://public.test:{port}@127.0.0.1:{port}/story", USERINFO),
        ("http://public.test;@127.0.0.1:{port}/story", USERINFO),
        ("http://public.test%2f@127.0.0.1:{port}/story", USERINFO),
        ("http://[::1]@public.test:{port}/story", USERINFO),
        ("http://pub\x00lic.test:{port}/story", INVALID),
        ("http://public.test:{port}/st\x00ory", INVALID),
        ("http://public.test\x00.evil.example:{port}/story", INVALID),
        ("http://pub\u200blic.test:{port}/story", INVALID),
        # Punycode that decodes to nothing, or to a code point IDNA forbids.
        ("http://xn--:{port}/story", INVALID),
        ("http://xn--ls8h.test:{port}/story", INVALID),
        # Whitespace ends a link: what is left is not one, so there is nothing to read.
        ("http://public.test:{port}/story\r\nX-Injected: 1", NOTHING),
        ("http://pub\tlic.test:{port}/story", NOTHING),
    ],
)
async def test_userinfo_tricks_and_control_characters_in_links_are_refused(
    url: str,
    needle: str,
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY)
    resolver = ScriptedResolver(public_host(web))
    async with hostile_bot(settings_for, llm_api, resolver, loopback_is_public=True):
        link_message(bot_api, url.format(port=web.port))
        await wait_text(bot_api, needle)
        assert not web.requests
        await story_still_works(bot_api, web)


async def test_crlf_typed_after_a_link_cannot_inject_a_header(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY)
    resolver = ScriptedResolver(public_host(web))
    async with hostile_bot(settings_for, llm_api, resolver, loopback_is_public=True):
        await send_for_summary(bot_api, f"http://public.test:{web.port}/story\r\nX-Injected: 1")
    assert [r.path for r in web.requests] == ["/story"]
    assert "x-injected" not in web.requests[0].headers


WEB_ONLY = "I read web pages only"


@pytest.mark.parametrize(
    ("url", "told"),
    [
        ("ftp://public.test/file.txt", "http:// or https://, not ftp://."),
        ("file:///etc/passwd", WEB_ONLY),
        ("gopher://127.0.0.1:70/_GET", WEB_ONLY),
        ("javascript:alert(1)", NOTHING),
        ("data:text/html,<p>hi</p>", NOTHING),
        ("mailto:someone@public.test", NOTHING),
        ("tg://resolve?domain=skim", WEB_ONLY),
    ],
)
async def test_other_schemes_are_not_read(
    url: str,
    told: str,
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    resolver = ScriptedResolver(public_host(web))
    llm_api.script(SUMMARY)
    async with hostile_bot(settings_for, llm_api, resolver, loopback_is_public=True):
        link_message(bot_api, url)
        await wait_text(bot_api, told)
        assert not web.requests
        assert resolver.asked == [], "never read as https://ftp://... (a host named 'ftp')"
        await story_still_works(bot_api, web)


@pytest.mark.parametrize(
    "marked",
    ["ftp://x.example/a", "FILE:///etc/passwd", "javascript:alert(1)", "mailto:a@b.example"],
)
def test_message_links_leave_out_other_schemes(marked: str) -> None:
    assert message_links("", [marked]) == []


def test_a_written_out_link_of_another_scheme_is_named_in_the_hint() -> None:
    assert other_scheme("get it at FTP://files.example/a.pdf", []) == "ftp"
    assert other_scheme("see https://x.example and sftp://h/x", []) == "sftp"
    assert other_scheme("mailto:a@b.example or javascript:alert(1)", []) is None
    assert other_scheme("just words", ["https://x.example"]) is None


def test_message_links_still_add_a_scheme_to_bare_hosts() -> None:
    assert message_links("", ["example.com:8080/x", "www.x.org"]) == [
        "https://example.com:8080/x",
        "https://www.x.org",
    ]


@pytest.mark.parametrize("port", [22, 25, 6379, 11211, 65535])
async def test_disallowed_ports_are_refused(
    port: int,
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    resolver = ScriptedResolver(public_host(web))
    llm_api.script(SUMMARY)
    async with hostile_bot(settings_for, llm_api, resolver, loopback_is_public=True):
        bot_api.send_private_message(f"http://public.test:{port}/story")
        await wait_text(bot_api, f"port {port} are not fetched")
        await story_still_works(bot_api, web)


async def test_a_refusal_is_not_served_for_another_spelling_of_a_good_page(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
) -> None:
    """The userinfo spelling of a page is refused without poisoning the page's cache entry."""
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script(SUMMARY)
    resolver = ScriptedResolver(public_host(web))
    async with hostile_bot(settings_for, llm_api, resolver, loopback_is_public=True):
        link_message(bot_api, f"http://user@public.test:{web.port}/story")
        await wait_text(bot_api, USERINFO)
        await story_still_works(bot_api, web)
    assert web.hits("/story") == 1
