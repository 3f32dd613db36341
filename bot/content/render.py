"""Plain text from HTML or trafilatura's XML: one line per block, like a reader sees it."""

from __future__ import annotations

import re
from typing import Any

import lxml.etree  # type: ignore[import-untyped]

_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")
_CELL_GAP = re.compile(r" ?\x00 ?")

# Text rendering: block elements of HTML and of trafilatura's output XML.
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
        # trafilatura's XML
        "code",
        "doc",
        "head",
        "item",
        "list",
        "quote",
        "row",
    }
)
_TIGHT_TAGS = frozenset({"li", "item", "tr", "row", "dt", "dd"})
_CELL_TAGS = frozenset({"td", "th", "cell"})
_BREAK_TAGS = frozenset({"br", "hr", "lb"})
_PRE_TAGS = frozenset({"pre", "code"})

# readability keeps share bars and link lists that trafilatura drops; these go from its output
_LINK_BLOCK_TAGS = ("p", "div", "ul", "ol", "li", "section", "nav", "aside", "footer", "header")
_LINK_BLOCK_DENSITY = 0.8
_LINK_BLOCK_MAX_WORDS = 50


def render_text(root: Any) -> str:
    """Plain text of an element tree: one line per block, blank lines between paragraphs.

    Lines split by ``<br>``, list items and table rows stay on consecutive lines; table cells
    are tab-separated; preformatted text keeps its line breaks.
    """
    lines = _Lines()
    for event, element in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag:  # comments: neither text nor children, the tail comes at "end"
                lines.open(tag, element.text)
        else:
            lines.close(tag, None if element is root else element.tail)
    return lines.text()


class _Lines:
    """The lines of `render_text` as its walk opens and closes elements."""

    def __init__(self) -> None:
        self._out: list[str] = []
        self._parts: list[str] = []  # pieces of the line being built
        self._pre_depth = 0
        self._boundary = False  # a paragraph-level block opened or closed since the last line

    def open(self, tag: str, text: str | None) -> None:
        if tag in _BLOCK_TAGS or tag in _BREAK_TAGS:
            self._flush()
            self._boundary = self._boundary or (tag in _BLOCK_TAGS and tag not in _TIGHT_TAGS)
        if tag in _PRE_TAGS:
            self._pre_depth += 1
        self._add(text)

    def close(self, tag: str, tail: str | None) -> None:
        if tag in _PRE_TAGS:
            self._pre_depth -= 1
        if tag in _BLOCK_TAGS:
            self._flush()
            self._boundary = self._boundary or tag not in _TIGHT_TAGS
        elif tag in _CELL_TAGS:
            self._parts.append("\x00")
        self._add(tail)

    def text(self) -> str:
        self._flush()
        return "".join(self._out)

    def _flush(self) -> None:
        line = _CELL_GAP.sub("\t", _SPACES.sub(" ", "".join(self._parts))).strip()
        self._parts.clear()
        if line:
            if self._out:
                self._out.append("\n\n" if self._boundary else "\n")
            self._out.append(line)
            self._boundary = False

    def _add(self, text: str | None) -> None:
        if not text:
            return
        if self._pre_depth:
            chunks = text.split("\n")
            for chunk in chunks[:-1]:
                self._parts.append(chunk)
                self._flush()
            self._parts.append(chunks[-1])
        else:
            self._parts.append(text)


def drop_link_blocks(root: Any) -> None:
    """Drop short blocks that are mostly link text: share bars, link lists, tag clouds."""
    for element in list(root.iter(*_LINK_BLOCK_TAGS)):
        if element.getparent() is None:
            continue
        text = _SPACES.sub(" ", element.text_content()).strip()
        if not text or len(_WORD.findall(text)) > _LINK_BLOCK_MAX_WORDS:
            continue
        linked = sum(len(_SPACES.sub(" ", a.text_content()).strip()) for a in element.iter("a"))
        if linked >= _LINK_BLOCK_DENSITY * len(text):
            element.drop_tree()
