"""Candidate article texts from several well-kept extractors, each call guarded.

Every extractor here has crashed or hung on some page nobody tested (readability's output
re-parsed by lxml asserts on an unclosed ``<title>``, trafilatura's XML conversion raises on
odd nesting); a failure in one candidate is logged and leaves that candidate empty, so the
others still decide. The ensemble in ``bot.content.ensemble`` picks among them.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import lxml.etree  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]
import trafilatura

from bot.content.render import drop_link_blocks, render_text

log = logging.getLogger(__name__)

# The pool the ensemble chooses from, and the voters that only help it choose.
TRAFILATURA_PRECISION = "trafilatura-precision"
TRAFILATURA_RECALL = "trafilatura-recall"
READABILITY = "readability"
RESILIPARSE = "resiliparse"

# libxml2 keeps at most 255 levels of nesting and drops what lies deeper, so an element this
# deep in the parsed tree means a pathologically nested page. resiliparse reads the raw page,
# and its main-content pass is quadratic in the depth of nested <div>/<article> blocks (20,000
# of them: 10 s; 100,000: minutes), which no try/except can stop; it sits such pages out.
_DEPTH_CAP = 249
_TOO_DEEP = lxml.etree.XPath(f"boolean(//*[ancestor::*[{_DEPTH_CAP}]])")


class NestedTooDeep(Exception):
    """The page nests elements deeper than the parser keeps."""


@dataclass(frozen=True)
class Candidate:
    """One extractor's idea of the article: its text, or why it has none."""

    name: str
    text: str
    milliseconds: float
    error: str | None = None
    voter_only: bool = False


def _trafilatura(tree: Any, url: str | None, *, precision: bool) -> str:
    result = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        include_tables=True,
        favor_precision=precision,
        favor_recall=not precision,
        with_metadata=False,
        # trafilatura's own fallbacks (its readability and jusText copies) are off: the
        # ensemble runs readability itself when the two modes disagree; this halves the time.
        fast=True,
    )
    body = getattr(result, "body", None)
    if result is None or body is None:
        return ""
    return render_text(body)


@cache
def _readability_class() -> type:
    """readability-lxml's Document, reading a copy of Skim's tree without cleaning it again.

    Given a tree, readability still runs lxml_html_clean over a deep copy of it, to drop
    scripts, styles, comments and processing instructions, which ``strip_hidden`` already took
    out, and event handlers, ``javascript:`` links and style attributes, which no text holds:
    a third of its time (9.6 → 6.3 ms a call on the 1,505 benchmark pages, every text the
    same). It scores and edits the tree it parses, so it gets a copy of ours.
    """
    from readability import Document as Readability  # type: ignore[import-untyped]

    class TreeReadability(Readability):  # type: ignore[misc]
        def _parse(self, input: Any) -> Any:
            self.encoding = "utf-8"
            return copy.deepcopy(input)

    return TreeReadability


def _readability(tree: Any) -> str:
    # No url: readability would only make every link absolute (a pass over all of them, about
    # 3 ms a page) for markup of which Skim keeps the text.
    summary = _readability_class()(tree).summary(html_partial=True)
    if not summary or not summary.strip():
        return ""
    # document_fromstring, not fragment_fromstring: the latter asserts on odd output such as a
    # page swallowed by an unclosed <title>.
    document = lxml.html.document_fromstring(summary)
    body = document.find("body")
    root = body if body is not None else document
    drop_link_blocks(root)
    return render_text(root)


def _resiliparse(tree: Any, html: str) -> str:
    if _TOO_DEEP(tree):
        raise NestedTooDeep
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    text: str = extract_plain_text(
        HTMLTree.parse(html),
        main_content=True,
        preserve_formatting=True,
        list_bullets=False,
        alt_texts=False,
        links=False,
        form_fields=False,
        noscript=False,
    )
    return text


def _guarded(name: str, run: Callable[[], str], *, voter_only: bool = False) -> Candidate:
    start = time.perf_counter()
    try:
        text, error = run(), None
    except Exception as failure:  # any library bug on any page (RecursionError too): it's out
        text, error = "", type(failure).__name__
    elapsed = (time.perf_counter() - start) * 1000
    if error:
        log.info("extractor %s failed on a page: %s", name, error)
    return Candidate(name, text or "", elapsed, error, voter_only)


def first_candidates(tree: Any, html: str, url: str | None) -> list[Candidate]:
    """The candidates every page gets; ``tree`` is the parsed, stripped page (left unchanged),
    ``html`` the repaired markup it was parsed from (resiliparse parses it itself)."""
    return [
        _guarded(TRAFILATURA_PRECISION, lambda: _trafilatura(tree, url, precision=True)),
        _guarded(RESILIPARSE, lambda: _resiliparse(tree, html), voter_only=True),
    ]


def later_candidate(name: str, tree: Any, url: str | None) -> Candidate:
    """A candidate the ensemble asks for only when the first ones disagree: trafilatura's
    recall mode (about 8 ms a page) or readability, the slowest (about 14 ms)."""
    if name == TRAFILATURA_RECALL:
        return _guarded(name, lambda: _trafilatura(tree, url, precision=False))
    if name == READABILITY:
        return _guarded(name, lambda: _readability(tree))
    raise ValueError(f"no extractor is called {name!r}")
