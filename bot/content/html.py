"""Article text and metadata from an HTML page.

The pipeline, each step measured on the article-extraction benchmark (see docs/benchmarks.md):

1. Parse once with lxml and strip everything a reader never sees: comments, ``<script>``,
   ``<style>``, ``<noscript>``, ``<template>``, elements with the ``hidden`` attribute,
   ``aria-hidden="true"`` or an inline ``display:none`` / ``visibility:hidden`` style.
   JSON-LD blocks stay until the metadata is read, then go too.
2. Metadata (title, author, date, site name) from trafilatura's metadata reader, canonical URL
   (``bot.content.metadata``) and declared language (``bot.content.language``).
3. Candidates: trafilatura in precision and in recall mode on the stripped tree, resiliparse's
   main-content text as a voter, and readability-lxml when those disagree
   (``bot.content.candidates``); each call guarded, so a page that breaks one extractor is
   decided by the others.
4. The choice among them by agreement (``bot.content.ensemble``).
5. Tidying (``bot.content.tidy``): a comment section from its heading on (or from where
   another candidate's text puts that heading, when the winner dropped it); leading lines that
   repeat a headline; trailing share, subscribe, credit, copyright, tag and comment-count
   lines; "Related: ..." link lines.
6. Language: the declared one, else (or when the text clearly says otherwise) detected offline.
7. The title, when the one found is a blog's name and the post's title opens the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import lxml.etree  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]

from bot.content.candidates import first_candidates, later_candidate
from bot.content.ensemble import choose
from bot.content.ensemble import explain as describe_choice
from bot.content.language import choose_language, declared_language
from bot.content.metadata import (
    canonical_url,
    host_name,
    read_metadata,
    title_opening,
    title_without_site,
)
from bot.content.tidy import headline_candidates, tidy_text

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# Characters XML forbids: libxml2 parses them into text nodes, but lxml refuses to write such
# text back (ValueError), which tree edits do (ours keep a dropped element's tail, and the
# extractors edit too). Browsers drop NUL, and a control character is no text a reader misses.
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TITLE_OPEN = re.compile(r"<title\b[^>]*>", re.IGNORECASE)
_TITLE_CLOSE = re.compile(r"</title\s*>", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b", re.I)

# Invisible by construction; JSON-LD is dropped separately, after the metadata is read.
_INVISIBLE_TAGS = ("script", "style", "noscript", "template")
# Never dropped even if marked hidden: anti-flicker snippets hide the whole page until JS runs.
_ROOT_TAGS = frozenset({"html", "head", "body"})
_HIDDEN_XPATH = lxml.etree.XPath(
    "//comment() | //processing-instruction() | //script | //style | //noscript | //template"
    " | //*[@hidden] | //*[@aria-hidden] | //*[@style]"
)
_JSON_LD_XPATH = lxml.etree.XPath("//script")


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
        title=title_without_site(
            title_opening(meta.title, tree, choice.winner.text), meta.site_name, canonical
        ),
        site_name=meta.site_name or host_name(canonical),
        author=meta.author,
        date=meta.date,
        language=choose_language(declared, text),
        canonical_url=canonical,
        extractor=extractor,
    )
