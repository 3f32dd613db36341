"""Article text and metadata from an HTML page.

The pipeline, each step measured on the article-extraction benchmark (see docs/benchmarks.md):

1. Parse once with lxml and strip everything a reader never sees: comments, ``<script>``,
   ``<style>``, ``<noscript>``, ``<template>``, elements with the ``hidden`` attribute,
   ``aria-hidden="true"`` or an inline ``display:none`` / ``visibility:hidden`` style.
   JSON-LD blocks stay until the metadata is read, then go too.
2. Metadata (title, author, date, site name) from trafilatura's metadata reader; canonical URL
   and declared language from the page head.
3. Candidates: trafilatura in precision and in recall mode on the stripped tree, resiliparse's
   main-content text as a voter, and readability-lxml when those disagree
   (``bot.content.candidates``); each call guarded, so a page that breaks one extractor is
   decided by the others.
4. The choice among them by agreement (``bot.content.ensemble``).
5. Tidying: a comment section from its heading on (or from where another candidate's text
   puts that heading, when the winner dropped it); leading lines that repeat a headline;
   trailing share, subscribe, credit, copyright, tag and comment-count lines; "Related: ..."
   link lines.
6. Language: the declared one, else (or when the text clearly says otherwise) detected offline.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]
from htmldate import find_date
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
)
from trafilatura.settings import set_date_params

from bot.content.candidates import first_candidates, later_candidate
from bot.content.ensemble import choose, shingle_set
from bot.content.ensemble import explain as describe_choice
from bot.content.sites import same_site

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# Characters XML forbids: libxml2 parses them into text nodes, but lxml refuses to write such
# text back (ValueError), which tree edits do (ours keep a dropped element's tail, and the
# extractors edit too). Browsers drop NUL, and a control character is no text a reader misses.
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TITLE_OPEN = re.compile(r"<title\b[^>]*>", re.IGNORECASE)
_TITLE_CLOSE = re.compile(r"</title\s*>", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b", re.I)
_LANG_TAG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*$")

# Invisible by construction; JSON-LD is dropped separately, after the metadata is read.
_INVISIBLE_TAGS = ("script", "style", "noscript", "template")
# Never dropped even if marked hidden: anti-flicker snippets hide the whole page until JS runs.
_ROOT_TAGS = frozenset({"html", "head", "body"})
_HIDDEN_XPATH = lxml.etree.XPath(
    "//comment() | //processing-instruction() | //script | //style | //noscript | //template"
    " | //*[@hidden] | //*[@aria-hidden] | //*[@style]"
)
_JSON_LD_XPATH = lxml.etree.XPath("//script")

# Language detection: enough text to trust, and how sure it must be to overrule the page.
_DETECT_CHARS = 1000
_OVERRULE_MIN_WORDS = 30
_OVERRULE_PROBABILITY = 0.99


@dataclass(frozen=True)
class HtmlArticle:
    """What one page yields: the article text plus what the page says about itself."""

    text: str
    title: str | None = None
    site_name: str | None = None
    author: str | None = None
    date: str | None = None
    language: str | None = None
    canonical_url: str | None = None
    extractor: str = "trafilatura-precision"


def repair_markup(html: str) -> str:
    """The page as every extractor should read it: no XML declaration, no characters XML
    forbids, no unclosed ``<title>`` swallowing the page."""
    return _close_title(_XML_INVALID.sub("", _XML_DECLARATION.sub("", html, count=1)))


def _html_parser() -> Any:
    """lxml.html's parser with the same element classes, looked up in C.

    lxml.html finds each element's class with a Python method, called whenever Python code
    touches an element: thousands of calls a page as the extractors walk the tree (a tenth of
    the mean extraction time on the benchmark pages). A namespace lookup maps the same tag
    names to the same classes without leaving C.
    """
    fallback = lxml.etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
    lookup = lxml.etree.ElementNamespaceClassLookup(fallback)
    tags = lookup.get_namespace(None)
    tags["form"] = lxml.html.FormElement
    tags["input"] = lxml.html.InputElement
    tags["select"] = lxml.html.SelectElement
    tags["textarea"] = lxml.html.TextareaElement
    tags["label"] = lxml.html.LabelElement
    parser = lxml.html.HTMLParser()
    parser.set_element_class_lookup(lookup)
    return parser


_PARSER = _html_parser()


def parse_html(text: str) -> Any | None:
    """An lxml tree of already repaired markup, or None when it holds no markup at all."""
    if not text or not text.strip():
        return None
    try:
        tree = lxml.html.document_fromstring(text, parser=_PARSER)
    except (lxml.etree.ParserError, ValueError):
        try:
            tree = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=_PARSER)
        except (lxml.etree.ParserError, ValueError):
            return None
    return tree


def _close_title(html: str) -> str:
    """End an unclosed ``<title>`` at the next tag.

    A title is raw text to an HTML parser, so without its end tag the whole page becomes the
    title, and the article would reach the reader as literal markup.
    """
    opened = _TITLE_OPEN.search(html)
    if opened is None or _TITLE_CLOSE.search(html, opened.end()):
        return html
    end = html.find("<", opened.end())
    if end < 0:
        return html
    return f"{html[:end]}</title>{html[end:]}"


def _drop(element: Any) -> None:
    """Remove an element but keep the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    if tail:
        # A character reference such as &#1; still puts a forbidden character in the tree.
        if previous is not None:
            previous.tail = _XML_INVALID.sub("", (previous.tail or "") + tail)
        else:
            parent.text = _XML_INVALID.sub("", (parent.text or "") + tail)
    parent.remove(element)


def _is_json_ld(element: Any) -> bool:
    kind = (element.get("type") or "").split(";")[0].strip().lower()
    return kind == "application/ld+json"


def _is_hidden(element: Any) -> bool:
    tag = element.tag
    if not isinstance(tag, str):  # comment or processing instruction
        return True
    if tag == "script":
        return not _is_json_ld(element)
    if tag in _INVISIBLE_TAGS:
        return True
    if tag in _ROOT_TAGS:
        return False
    if element.get("hidden") is not None:
        return True
    if (element.get("aria-hidden") or "").strip().lower() == "true":
        return True
    return bool(_HIDDEN_STYLE.search(element.get("style") or ""))


def strip_hidden(tree: Any) -> None:
    """Drop in place what a reader never sees (JSON-LD metadata blocks are kept)."""
    for element in _HIDDEN_XPATH(tree):
        if _is_hidden(element):
            _drop(element)


def strip_scripts(tree: Any) -> None:
    """Drop the remaining (JSON-LD) script blocks."""
    for element in _JSON_LD_XPATH(tree):
        _drop(element)


def _words(text: str) -> int:
    return len(_WORD.findall(text))


# --- metadata --------------------------------------------------------------------------------


# A name has a few words, at most two of them in lower case ("van", "de la"); more is a sentence
# ("X is an economics reporter at ...").
_NAME_MAX_WORDS = 6
_NAME_MAX_LOWER = 2


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
_SITE_SEPARATOR = re.compile(r"\s+[-|—–»]\s+")
_TITLE_SEPARATOR = re.compile(r"\s+[-|—–«»]\s+|:\s+")


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


def _title_opening(title: str | None, tree: Any, text: str) -> str | None:
    """The article's title when the one found is the blog's name.

    Blogs put their own name in the one <h1> and the post's title in <title> beside it
    ("Seth's Blog: The importance of going first"); when the found title is one part of
    <title> and another part, at least as long, opens the article's text, that part is the
    article's title.
    """
    element = tree.find(".//title")
    page_title = _clean_value(element.text_content()) if element is not None else None
    if not title or not page_title:
        return title
    found = _tokens(title)
    parts = [_clean_value(part) for part in _TITLE_SEPARATOR.split(page_title)]
    named = [(part, _tokens(part)) for part in parts if part]
    if found not in [tokens for _, tokens in named]:
        return title
    opening = [_tokens(line) for line in text.split("\n") if line.strip()][:_EDGE_LINES]
    for part, tokens in named:
        if tokens != found and len(tokens) >= len(found) and tokens in opening:
            return part
    return title


def _site_label(declared: str | None, title: str | None) -> str | None:
    """The site's name as a reader would say it, from what the page declares; None when the
    declaration is really the headline (the caller falls back to the host)."""
    if not declared:
        return None
    name = declared.lstrip("@")
    if _URL_LIKE.match(name):
        return _host(name if "://" in name else f"http://{name}")
    name = _COPYRIGHT.sub("", name).strip()
    if len(name) > _SITE_MAX_CHARS:
        name = _SITE_SEPARATOR.split(name, maxsplit=1)[0].strip()
    if not name or (title and name.casefold() == title.casefold()):
        return None
    return name


# Words of page furniture that trafilatura's metadata search picks up from elements whose class
# says "author" or "title": "View Profile", "Email Author", "Share this:", "Translate", "Maps".
_FURNITURE = frozenset(
    [
        *("about", "us", "view", "profile", "name", "email", "author", "follow", "posted"),
        *("website", "other", "articles", "more", "contact", "share", "reply", "comments"),
        *("comment", "home", "menu", "login", "subscribe", "read", "by", "admin", "edit"),
        *("print", "search", "this", "translate", "maps", "featured", "leave", "a"),
        *("sponsored", "ad", "blogroll", "video", "categories", "related", "posts", "tags"),
        *("archives", "newsletter", "navigation"),
    ]
)
_DATE_WORDS = frozenset(
    [
        *(month.lower() for month in calendar.month_name if month),
        *(day.lower() for day in calendar.day_name),
    ]
)
_NOT_A_NAME = _FURNITURE | _DATE_WORDS


def _is_furniture(text: str) -> bool:
    tokens = _WORD.findall(text)
    return bool(tokens) and all(token.lower() in _FURNITURE for token in tokens)


def _page_title(found: str | None, tree: Any) -> str | None:
    """The declared or found title, unless it is page furniture (a "Share this:" or "Leave a
    Reply" heading): then the page's own <title>."""
    if found and not _is_furniture(found) and not _COMMENTS_HEADING.search(found):
        return found
    element = tree.find(".//title")
    return _clean_value(element.text_content()) if element is not None else None


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
        if _could_name_someone(_WORD.findall(" ".join(words))):
            kept.append(" ".join(words))
    return "; ".join(kept) or None


def _could_name_someone(tokens: list[str]) -> bool:
    if len("".join(tokens)) < 2 or len(tokens) > _NAME_MAX_WORDS:
        return False
    if sum(token.islower() for token in tokens) > _NAME_MAX_LOWER:
        return False
    return not all(token.lower() in _NOT_A_NAME or token.isdigit() for token in tokens)


def _clean_value(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = _SPACES.sub(" ", value).strip()
    return cleaned or None


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


def _language_code(value: str | None) -> str | None:
    match = _LANG_TAG.match((value or "").strip())
    if not match:
        return None
    code = match.group(1).lower()
    return code if len(code) == 2 else None


def declared_language(tree: Any) -> str | None:
    """The page's own language: `<html lang>`, Content-Language or og:locale (ISO 639-1)."""
    root = tree.getroottree().getroot()
    for attribute in ("lang", "{http://www.w3.org/XML/1998/namespace}lang", "xml:lang"):
        code = _language_code(root.get(attribute))
        if code:
            return code
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
        if key in ("content-language", "og:locale", "language"):
            code = _language_code((meta.get("content") or "").split(",")[0])
            if code:
                return code
    return None


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import (  # type: ignore[import-untyped]
        MODEL_FILE,
        LanguageIdentifier,
    )

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str | None, float]:
    """Offline language guess for a text (ISO 639-1) and its probability."""
    sample = text[:_DETECT_CHARS]
    if _words(sample) < 3:
        return None, 0.0
    code, probability = _identifier().classify(sample)
    return _language_code(str(code)), float(probability)


def choose_language(declared: str | None, text: str) -> str | None:
    """The declared language unless the text clearly is in another one."""
    detected, probability = detect_language(text)
    if declared is None:
        return detected
    if (
        detected
        and detected != declared
        and probability >= _OVERRULE_PROBABILITY
        and _words(text) >= _OVERRULE_MIN_WORDS
    ):
        return detected
    return declared


# --- text edges ------------------------------------------------------------------------------

_TAIL_BOILERPLATE = re.compile(
    r"\b(?:follow (?:us|\w+) on|sign up|subscribe|newsletters?|all rights reserved|copyright"
    r"|contributed (?:to )?(?:this )?report(?:ing)?|reporting by|editing by|share (?:it|this)"
    r"|you may also like|read more|related (?:stories|articles)|click here)\b|©"
    r"|^\W*(?:\d+\s+)?comments?\W*$"
    r"|^\W*(?:tags?|tagged(?: with)?|filed under|categor(?:y|ies)|теги|метки|рубрик[аи]"
    r"|schlagw(?:ö|oe)rter|etiquetas|palavras-chave)\s*:",
    re.IGNORECASE,
)
_LINK_LINE = re.compile(
    r"^\W*(?:related(?: (?:posts?|stories|story|articles?|reading|coverage|content))?"
    r"|read (?:more|also|next)|see also|also read|more|also on \S+|recommended|watch|listen)"
    r"\s*[:|\u2013\u2014-]",
    re.IGNORECASE,
)
# The heading a comment section starts with, on a line of its own: "Comments", "23 Comments",
# "4 Responses to “...”", "12 thoughts on “...”", "Leave a Reply", "Post a comment",
# "Reader comments". Extractors keep the comments below it when the page marks them up like
# the article (Dragnet's gold text is cut there). Plural or counted only: "Comment" alone is
# as often an article's section heading or a share button.
_COMMENTS_HEADING = re.compile(
    r"^\W*(?:(?:\d+\s+)?(?:comments|responses|replies)|\d+\s+(?:comment|response|reply)"
    r"|(?:reader|user)s?'?\s+comments|trackbacks?|trackback pings|pingbacks?)"
    r"(?:\s+(?:to|on|for)\b.{0,150})?\W*(?:\(\d+\))?\W*$"
    r"|^\W*(?:\d+\s+)?(?:thoughts? on|responses? to|comments? (?:on|to))\s+\W.{0,150}$"
    r"|^\W*(?:leave|post|add|write|submit)\s+(?:a|your)\s+(?:comment|reply|response)\W*$"
    r"|^\W*(?:join the (?:discussion|conversation)|what do you think|be the first to comment)\W*$",
    re.IGNORECASE,
)
# A comment heading counts only after this much text: above it sits the article's own meta bar
# ("5 Comments" beside the byline), not the comments.
_COMMENTS_MIN_WORDS_BEFORE = 40
_COMMENTS_HEADING_MAX_WORDS = 25
# How much of the winner's text above a comment section another extractor must hold above its
# comment heading for that heading to mark where the winner's comments start.
_COMMENTS_SEEN_SHARE = 0.8
_COMMENT_LINE_MIN_WORDS = 3
_EDGE_LINES = 3
_MAX_HEADINGS = 5
_BOILERPLATE_MAX_WORDS = 40
_LINK_LINE_MAX_WORDS = 25


def _tokens(text: str) -> list[str]:
    return [token.lower() for token in _WORD.findall(text)]


def _is_headline(line: str, headlines: list[list[str]]) -> bool:
    tokens = _tokens(line)
    return bool(tokens) and tokens in headlines


def _comment_heading(lines: Sequence[str]) -> int | None:
    """The index of the line a comment section starts with, when it follows the article's
    first words."""
    seen = 0
    for index, line in enumerate(lines):
        count = _words(line)
        if (
            seen >= _COMMENTS_MIN_WORDS_BEFORE
            and count <= _COMMENTS_HEADING_MAX_WORDS
            and _COMMENTS_HEADING.search(line)
        ):
            return index
        seen += count
    return None


def _where_comments_start(lines: list[str], other: str) -> int | None:
    """Where ``lines`` reach the comments another extractor's text puts under its heading.

    trafilatura's precision mode drops a short heading line such as "Comments" or "TrackBack"
    while keeping the comments below it; another extractor often kept the heading. The first
    line of three words or more after it (a comment, not a lone name) marks the
    start in ``lines`` too, if the other text holds most of what comes before that line here
    (it read the same article above the heading).
    """
    theirs = other.split("\n")
    heading = _comment_heading(theirs)
    if heading is None:
        return None
    following = next(
        (
            tokens
            for tokens in map(_tokens, theirs[heading + 1 :])
            if len(tokens) >= _COMMENT_LINE_MIN_WORDS
        ),
        None,
    )
    if following is None:
        return None
    start = next((i for i, line in enumerate(lines) if _tokens(line) == following), None)
    if start is None or sum(map(_words, lines[:start])) < _COMMENTS_MIN_WORDS_BEFORE:
        return None
    above = shingle_set("\n".join(lines[:start]))
    seen_above = shingle_set("\n".join(theirs[:heading]))
    return start if len(above & seen_above) >= _COMMENTS_SEEN_SHARE * len(above) else None


def cut_comments(text: str, others: Iterable[str] = ()) -> str:
    """The text above a comment section's heading, when one follows the article's first words;
    else above where ``others`` (other extractors' texts of the page) put comments under such
    a heading; otherwise the text unchanged."""
    lines = text.split("\n")
    end = _comment_heading(lines)
    for other in others:
        if end is not None:
            break
        end = _where_comments_start(lines, other)
    return text if end is None else "\n".join(lines[:end]).strip()


def tidy_text(text: str, headlines: Iterable[str | None] = (), others: Iterable[str] = ()) -> str:
    """Trim what extractors commonly keep around an article.

    First everything from a comment section's heading on (``cut_comments``; when the text
    lost the heading, from where the ``others``, other extractors' texts, put it); then at the top,
    up to three lines that repeat a headline (the title is shown on its own; a byline or a
    dateline stays, as in Dragnet's gold text); at the bottom, sharing, subscription, credit,
    copyright, tag and comment-count lines; anywhere, "Related: ..." and "Read more: ..." link
    lines. A text is never trimmed to nothing.
    """
    text = cut_comments(text, others)
    wanted = [tokens for tokens in (_tokens(h) for h in headlines if h) if tokens]
    lines = text.split("\n")
    filled = [index for index, line in enumerate(lines) if line.strip()]
    drop: set[int] = set()
    for index in filled[:_EDGE_LINES]:
        line = lines[index]
        if not _is_headline(line, wanted):
            break
        drop.add(index)
    for index in reversed(filled):
        line = lines[index]
        if index in drop or not (
            _words(line) <= _BOILERPLATE_MAX_WORDS and _TAIL_BOILERPLATE.search(line)
        ):
            break
        drop.add(index)
    for index in filled:
        line = lines[index]
        if _LINK_LINE.search(line) and _words(line) <= _LINK_LINE_MAX_WORDS:
            drop.add(index)
    if not drop or len(drop) >= len(filled):
        return text
    kept = "\n".join(line for index, line in enumerate(lines) if index not in drop)
    return _BLANK_RUNS.sub("\n\n", kept).strip()


def headline_candidates(tree: Any) -> list[str]:
    """Every way the page states its headline: <title>, og/twitter titles and <h1>s."""
    found: list[str] = []
    title = tree.find(".//title")
    if title is not None:
        found.append(title.text_content())
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        if key in ("og:title", "twitter:title"):
            found.append(meta.get("content") or "")
    for index, heading in enumerate(tree.iter("h1")):
        if index >= _MAX_HEADINGS:
            break
        found.append(heading.text_content())
    return [text for text in found if text.strip()]


# --- entry point ----------------------------------------------------------------------------


def extract_article(
    html: str, url: str | None = None, *, explain: list[str] | None = None
) -> HtmlArticle | None:
    """Main text and metadata of a page; None when no text could be found.

    ``explain``, when given, receives human-readable lines on which candidate won and why.
    """
    html = repair_markup(html)
    tree = parse_html(html)
    if tree is None:
        return None
    strip_hidden(tree)
    canonical = canonical_url(tree, url)  # falls back to `url` itself
    meta = read_metadata(tree, canonical)
    declared = declared_language(tree)
    strip_scripts(tree)
    choice = choose(
        first_candidates(tree, html, url), lambda name: later_candidate(name, tree, url)
    )
    if explain is not None:
        explain.extend(describe_choice(choice))
    if choice.winner is None:
        return None
    extractor = choice.winner.name
    others = [candidate.text for candidate in choice.candidates if candidate is not choice.winner]
    text = tidy_text(choice.winner.text, [meta.title, *headline_candidates(tree)], others)
    if not text.strip():
        return None
    return HtmlArticle(
        text=text,
        title=_title_opening(meta.title, tree, choice.winner.text),
        site_name=meta.site_name or _host(canonical),
        author=meta.author,
        date=meta.date,
        language=choose_language(declared, text),
        canonical_url=canonical,
        extractor=extractor,
    )


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if host and host.startswith("www."):
        host = host[4:]
    return host or None
