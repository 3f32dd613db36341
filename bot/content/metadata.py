"""What a page says about itself: title, author, date and site name (read by trafilatura's
metadata functions, with the page furniture they pick up left out), and its canonical URL."""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from htmldate import find_date
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
)
from trafilatura.settings import set_date_params

from bot.content.sites import same_site
from bot.content.tidy import is_comment_heading
from bot.content.words import line_tokens, reading_words, word_tokens

log = logging.getLogger(__name__)

_SPACES = re.compile(r"\s+")
# How far into the article's text its title may open it.
_OPENING_LINES = 3


# A name has a few words, at most two of them in lower case ("van", "de la"); more is a sentence
# ("X is an economics reporter at ...").
_NAME_MAX_WORDS = 6
_NAME_MAX_LOWER = 2
# A byline in capitals is put in name case when it has two words of this many letters, or one
# longer than an acronym.
_CAPITALS_MIN_LETTERS = 3
_ACRONYM_MAX_LETTERS = 4
_DOMAIN_ENDINGS = frozenset(["com", "net", "org"])


# Site names as pages declare them: "http://example.com/", "Copyright (c) 2012 Example Inc",
# "Example Blog - Real Estate Market Stats, Celebrity Real Estate, and News".
_URL_LIKE = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_COPYRIGHT = re.compile(
    r"^(?:copyright\b|©|\(c\))(?:\s|©|\(c\))*"
    rf"(?:(?:{'|'.join(month for month in calendar.month_name if month)})\s+)?"
    r"(?:\d{4}(?:\s*[-–]\s*\d{4})?)?[\s,.]*(?:by\s+)?",
    re.IGNORECASE,
)
_SITE_MAX_CHARS = 40
# Between a headline and the site's name in <title> ("Headline | Site", "Site - Headline"),
# or a site's name and its tagline; a blog's title may also use a colon ("Blog: Post").
# Chinese and Japanese titles put the site after "｜", or after "_" between two characters of
# theirs, with no spaces ("潮汐磨坊重新转动｜新华网").
_SEPARATOR = r"\s+[-|—–«»·:]\s+|\s*｜\s*|(?<=[\u3040-\u9fff])_(?=[\u3040-\u9fff])"
_SITE_SEPARATOR = re.compile(f"({_SEPARATOR})")
_TITLE_SEPARATOR = re.compile(rf"{_SEPARATOR}|:\s+")
# A site's name is a few words; a longer "site name" is a tagline or the headline itself.
_SITE_MAX_WORDS = 5
_HEADLINE_MIN_WORDS = 2
# "Headline 199 Comments": a blog's comment count glued to the title.
_COMMENT_COUNT = re.compile(r"\s+\d[\d,]*\s+(?:comments?|responses?|replies)$", re.IGNORECASE)


# Words of page furniture that trafilatura's metadata search picks up from elements whose class
# says "author" or "title": "View Profile", "Email Author", "Share this:", "Translate", "Maps".
_FURNITURE = frozenset(
    [
        *("about", "us", "view", "profile", "name", "email", "author", "follow", "posted"),
        *("website", "other", "articles", "more", "contact", "share", "reply", "comments"),
        *("comment", "home", "menu", "login", "subscribe", "read", "by", "admin", "edit"),
        *("print", "search", "this", "translate", "maps", "featured", "leave", "a"),
        *("sponsored", "ad", "blogroll", "video", "categories", "related", "posts", "tags"),
        *("archives", "newsletter", "navigation", "resize"),
    ]
)
_DATE_WORDS = frozenset(
    [
        *(month.lower() for month in calendar.month_name if month),
        *(day.lower() for day in calendar.day_name),
    ]
)
_NOT_A_NAME = _FURNITURE | _DATE_WORDS


@dataclass
class _Meta:
    title: str | None = None
    author: str | None = None
    date: str | None = None
    site_name: str | None = None


def read_metadata(tree: Any, url: str | None) -> _Meta:
    """Title, author, date and site name, the way trafilatura reads them.

    Its ``extract_metadata`` minus the parts Skim does not use (categories, tags, licence),
    which cost about two thirds of its time; an author is only what can name someone (its
    byline search also returns "View Profile" or "Name" on many sites).
    """
    meta = _Meta()
    try:
        found = examine_meta(tree)
        if found.author and " " not in found.author:
            found.author = None  # a single word is a handle or a site, not a byline
        try:
            found = extract_meta_json(tree, found)
        except Exception as error:  # its JSON-LD reader fails on odd markup
            log.debug("JSON-LD metadata unreadable: %s", type(error).__name__)
        meta.title = _page_title(
            _clean_value(found.title) or _clean_value(extract_title(tree)), tree
        )
        meta.author = _person_names(_clean_value(found.author)) or _person_names(
            _clean_value(extract_author(tree))
        )
        meta.site_name = _clean_value(found.sitename) or _clean_value(extract_sitename(tree))
        date_params = set_date_params(True)
        date_params["url"] = url
        meta.date = _clean_value(find_date(tree, **date_params))
    except Exception as error:  # metadata is best effort; the text matters more
        log.info("metadata extraction failed: %s", type(error).__name__)
    meta.site_name = _site_label(meta.site_name, meta.title)
    return meta


def _page_title(found: str | None, tree: Any) -> str | None:
    """The declared or found title, unless it is page furniture (a "Share this:" or "Leave a
    Reply" heading): then the page's own <title>."""
    if found and not _is_furniture(found) and not is_comment_heading(found):
        return found
    return _title_element(tree)


def _title_element(tree: Any) -> str | None:
    element = tree.find(".//title")
    return _clean_value(element.text_content()) if element is not None else None


def _is_furniture(text: str) -> bool:
    tokens = word_tokens(text)
    return bool(tokens) and all(token.lower() in _FURNITURE for token in tokens)


def _person_names(value: str | None) -> str | None:
    """The parts of an author field ("A; B") that can name someone: not page furniture or a
    date alone, and not a sentence; None when nothing is left."""
    if not value:
        return None
    kept = []
    for part in value.split(";"):
        words = part.split()
        while words and (words[-1].lower() in _DATE_WORDS or words[-1].isdigit()):
            words.pop()  # "Carrie Arnold November 4": the date beside the byline
        tokens = word_tokens(" ".join(words))
        if _could_name_someone(tokens) and not _is_site(tokens):
            kept.append(_in_name_case(" ".join(words), tokens))
    return "; ".join(kept) or None


def _is_site(tokens: list[str]) -> bool:
    """ "CBSNews com", "NJ com Staff": a site's name with its domain (the dot long gone)."""
    return any(token.lower() in _DOMAIN_ENDINGS for token in tokens[1:])


def _in_name_case(name: str, tokens: list[str]) -> str:
    """ "SCOTT SHANE" → "Scott Shane", as newspapers' bylines are styled in capitals; an
    acronym alone ("AP", "NASA") and names in mixed case stay as they are."""
    if not name.isupper():
        return name
    long_words = [token for token in tokens if len(token) >= _CAPITALS_MIN_LETTERS]
    if len(long_words) < 2 and not any(len(token) > _ACRONYM_MAX_LETTERS for token in tokens):
        return name
    return " ".join(word.title() for word in name.split())


def _could_name_someone(tokens: list[str]) -> bool:
    if len(tokens) > _NAME_MAX_WORDS or all(len(token) == 1 for token in tokens):
        return False  # a sentence, or initials alone ("M D" after a doctor's name)
    if sum(token.islower() for token in tokens) > _NAME_MAX_LOWER:
        return False
    return not all(token.lower() in _NOT_A_NAME or token.isdigit() for token in tokens)


def _site_label(declared: str | None, title: str | None) -> str | None:
    """The site's name as a reader would say it, from what the page declares; None when the
    declaration is really the headline (the caller falls back to the host)."""
    if not declared:
        return None
    name = declared.lstrip("@")
    if _URL_LIKE.match(name):
        return host_name(name if "://" in name else f"http://{name}")
    name = _COPYRIGHT.sub("", name).strip()
    if len(name) > _SITE_MAX_CHARS:
        name = _SITE_SEPARATOR.split(name, maxsplit=1)[0].strip()
    headline = title is not None and name.casefold() == title.casefold()
    if not name or headline or _only_dates(line_tokens(name)):
        return None
    return name


def _only_dates(tokens: list[str]) -> bool:
    """ "Monday 11.12.12" (lower-cased words): a dateline, not a name."""
    return all(token in _DATE_WORDS or token.isdigit() for token in tokens)


def title_without_site(title: str | None, site: str | None, url: str | None) -> str | None:
    """The headline without the site's name that <title> adds before or after it
    ("TED Blog | 8 great talks" → "8 great talks"; the site is shown beside it) and without a
    comment count glued to its end; the title as it is when little else would be left."""
    if not title:
        return title
    host = host_name(url) or ""
    names = [
        tokens
        for tokens in (line_tokens(site or ""), line_tokens(host), line_tokens(host.split(".")[0]))
        if tokens and len(tokens) <= _SITE_MAX_WORDS and not _only_dates(tokens)
    ]
    pieces = _SITE_SEPARATOR.split(_COMMENT_COUNT.sub("", title))
    while len(pieces) > 1 and line_tokens(pieces[0]) in names:
        pieces = pieces[2:]
    while len(pieces) > 1 and line_tokens(pieces[-1]) in names:
        pieces = pieces[:-2]
    headline = "".join(pieces).strip()
    return headline if reading_words(headline) >= _HEADLINE_MIN_WORDS else title


def title_opening(title: str | None, tree: Any, text: str) -> str | None:
    """The article's title when the one found is the blog's name.

    Blogs put their own name in the one <h1> and the post's title in <title> beside it
    ("Seth's Blog: The importance of going first"); when the found title is one part of
    <title> and another part, at least as long, opens the article's text, that part is the
    article's title.
    """
    page_title = _title_element(tree)
    if not title or not page_title:
        return title
    found = line_tokens(title)
    parts = [_clean_value(part) for part in _TITLE_SEPARATOR.split(page_title)]
    named = [(part, line_tokens(part)) for part in parts if part]
    if found not in [tokens for _, tokens in named]:
        return title
    opening = [line_tokens(line) for line in text.split("\n") if line.strip()][:_OPENING_LINES]
    for part, tokens in named:
        if tokens != found and len(tokens) >= len(found) and tokens in opening:
            return part
    return title


def _clean_value(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = _SPACES.sub(" ", value).strip()
    return cleaned or None


def canonical_url(tree: Any, url: str | None) -> str | None:
    """`<link rel=canonical>`, else og:url, resolved against the page URL; else the URL.

    Only a link on the same site as the page fetched counts: a page must not make Skim show,
    link or remember another site than the one the user sent.
    """
    declared = [
        _http_url(link.get("href"), url)
        for link in tree.iterfind(".//head//link[@rel]")
        if "canonical" in (link.get("rel") or "").lower().split()
    ] + [
        _http_url(meta.get("content"), url)
        for meta in tree.iterfind(".//meta[@property]")
        if (meta.get("property") or "").strip().lower() == "og:url"
    ]
    for found in declared:
        if found and url and same_site(found, url):
            return found
    return url


def _http_url(candidate: str | None, base: str | None) -> str | None:
    if not candidate or not candidate.strip():
        return None
    try:
        resolved = urljoin(base, candidate.strip()) if base else candidate.strip()
        parts = urlsplit(resolved)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return resolved


def host_name(url: str | None) -> str | None:
    """A URL's host without ``www.``: the site's name when the page declares none."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return (host or "").removeprefix("www.") or None
