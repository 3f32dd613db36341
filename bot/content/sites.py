"""Whether two links are on the same site: the same registrable domain by the Public Suffix List.

A page may declare any canonical link it likes; Skim uses one only when it is on the site that
was fetched (`news.example.co.uk` and `www.example.co.uk` are one site; `evil.github.io` and
`you.github.io` are two).
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList


@lru_cache(maxsize=1)
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the list bundled with the package: nothing is downloaded


@lru_cache(maxsize=1)
def _known_suffixes() -> PublicSuffixList:
    return PublicSuffixList(accept_unknown=False)


_BARE_LINK = re.compile(r"(?P<host>[\w-]+(?:\.[\w-]+)+)\.?(?::\d{1,5})?(?:/\S*)?")


def bare_link(text: str) -> str | None:
    """A link typed without its scheme ("example.com/story"), as the whole text: what Telegram
    marks as a link in a message, which an inline query does not. Only a host under a known
    public suffix counts ("notes.txt" is no link)."""
    match = _BARE_LINK.fullmatch(text.strip())
    if match is None:
        return None
    host = match.group("host").lower()
    if _known_suffixes().publicsuffix(host) in (None, host):
        return None
    return "https://" + text.strip()


def site_of(url: str) -> str | None:
    """The registrable domain of a link's host (the host itself for an IP or a bare suffix)."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return None
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    return _suffixes().privatesuffix(host) or host


def same_site(first: str, second: str) -> bool:
    site = site_of(first)
    return site is not None and site == site_of(second)
