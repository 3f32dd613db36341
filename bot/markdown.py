"""The model's Markdown as Telegram HTML, or as plain text: never raw markup in a message.

Models write Markdown whatever the prompt says. One line at a time (Skim's messages are built
from self-contained lines), markdown-it-py parses the inline syntax; bold, italic, strikethrough
and code become Telegram's tags, and a link or an image becomes its text: a model's link is not
one Skim vouches for (`javascript:`, `tg://`, or just wrong).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

_TAGS = {
    "strong_open": "<b>",
    "strong_close": "</b>",
    "em_open": "<i>",
    "em_close": "</i>",
    "s_open": "<s>",
    "s_close": "</s>",
}


# A tag opened again after a piece of code and closed at once holds nothing.
_EMPTY_TAGS = re.compile(r"<(b|i|s)></\1>")
# A bare link is shown as written: its `_` and `*` (".../src/__init__.py") are no emphasis.
_BARE_URL = re.compile(r"(?<!<)https?://[^\s<>()\[\]`]+[^\s<>()\[\]`.,;:!?'\"]")
# Stars between letters or digits ("2*3 tonnes and 4*5", "x**2") are the text's own.
_INNER_STARS = re.compile(r"(?<=[^\W_])\*+(?=[^\W_])")
_KEPT = re.compile("\ue000(\\d+)\ue001")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
    # Every link is parsed (so `[text](javascript:...)` shows "text", not its markup) and
    # rendered as its text alone.
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    return parser


def _protected(line: str) -> tuple[str, list[str]]:
    """The line with its bare links set aside (as placeholders) and its inner stars escaped."""
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match[0])
        return f"\ue000{len(kept) - 1}\ue001"

    line = _BARE_URL.sub(keep, line)
    return _INNER_STARS.sub(lambda match: "\\*" * len(match[0]), line), kept


def _restored(text: str, kept: list[str], escape: bool) -> str:
    if not kept:
        return text

    def put_back(match: re.Match[str]) -> str:
        link = kept[int(match[1])]
        return html.escape(link, quote=False) if escape else link

    return _KEPT.sub(put_back, text)


def _tokens(line: str) -> list[Token]:
    return [child for block in _parser().parseInline(line) for child in block.children or []]


def _text_of(token: Token) -> str:
    if token.type == "image":
        return "".join(child.content for child in token.children or []) or token.content
    if token.type in ("softbreak", "hardbreak"):
        return " "
    if token.type in ("text", "text_special", "code_inline", "html_inline"):
        return token.content
    return ""


def inline_html(line: str) -> str:
    """One line of Markdown as Telegram HTML, every piece of text escaped, tags balanced.

    Telegram's entities may not put code inside bold, italic or strikethrough: the formatting
    is closed around a piece of code and opened again after it.
    """
    line, kept = _protected(line)
    out: list[str] = []
    opened: list[str] = []  # the formatting tags open at this point, outermost first
    for token in _tokens(line):
        if token.type in _TAGS:
            tag = _TAGS[token.type]
            out.append(tag)
            if token.type.endswith("_open"):
                opened.append(tag)
            elif opened:
                opened.pop()
        elif token.type == "code_inline":
            around = "".join(f"</{tag[1:]}" for tag in reversed(opened))
            code = f"<code>{html.escape(token.content, quote=False)}</code>"
            out.append(f"{around}{code}{''.join(opened)}")
        else:
            out.append(html.escape(_text_of(token), quote=False))
    rendered, emptied = "".join(out), 1
    while emptied:
        rendered, emptied = _EMPTY_TAGS.subn("", rendered)
    return _restored(rendered, kept, escape=True)


def inline_plain(line: str) -> str:
    """One line of Markdown as plain text: the words, without the markup."""
    line, kept = _protected(line)
    return _restored("".join(_text_of(token) for token in _tokens(line)), kept, escape=False)
