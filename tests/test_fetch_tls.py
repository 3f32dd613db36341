"""HTTPS through the checked address: the TLS server name and certificate are the host's."""

from __future__ import annotations

import http.server
import ipaddress
import ssl
import threading
from collections.abc import Iterator

import httpx
import pytest
import trustme

from bot.content.addresses import IPAddress
from bot.content.fetch import Fetcher, FetchPolicy
from bot.errors import FetchError


class Loopback:
    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("127.0.0.1")]


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"<html><body><p>host={self.headers['Host']}</p></body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_port(ca: trustme.CA) -> Iterator[int]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("news.example").configure_cert(context)
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


async def _fetch(ca: trustme.CA, url: str) -> bytes:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with httpx.AsyncClient(verify=context, trust_env=False) as client:
        port = httpx.URL(url).port or 443
        policy = FetchPolicy(allow_private_networks=True, allowed_ports=frozenset({port}))
        fetcher = Fetcher(client, policy, Loopback())
        return (await fetcher.fetch(url)).body


async def test_https_uses_the_host_name_for_sni_and_verification(
    ca: trustme.CA, tls_port: int
) -> None:
    body = await _fetch(ca, f"https://news.example:{tls_port}/a")
    assert f"host=news.example:{tls_port}".encode() in body


async def test_certificate_for_another_name_is_refused(ca: trustme.CA, tls_port: int) -> None:
    with pytest.raises(FetchError) as caught:
        await _fetch(ca, f"https://other.example:{tls_port}/a")
    assert "certificate" in caught.value.user_message
