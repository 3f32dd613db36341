"""Message text as the Telegram Bot API sees it: UTF-16 lengths, parse modes, automatic entities.

Part of the Bot API fake (:mod:`tests.fakes.bot_api`), kept apart because it is pure functions
of strings. Everything follows the Bot API reference (https://core.telegram.org/bots/api
#formatting-options) and, where the reference is silent, tdlib's parsers, including the wording
of their errors, which bots see as ``Bad Request: can't parse entities: <reason>``:

* offsets and lengths count UTF-16 code units (an emoji outside the BMP counts 2);
* error positions count UTF-8 bytes of the source text;
* entities come out sorted by offset, longer first, as Telegram returns them.

Only HTML and MarkdownV2 are implemented: the bot sends HTML, and MarkdownV2 is the other mode the
reference recommends. The legacy ``Markdown`` mode is not (see ``bot_api.FakeBotAPI._format``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, Final

JSONDict = dict[str, Any]


class EntityParseError(Exception):
    """A parse-mode error; the message follows tdlib's wording."""


# --------------------------------------------------------------------------------------------
# Lengths and offsets
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, as Telegram counts message length and offsets.

    ``surrogatepass`` counts a lone surrogate as one unit, as Telegram does.
    """
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_offsets(text: str) -> list[int]:
    """``offsets[i]`` is the UTF-16 offset of ``text[i]`` (``offsets[len(text)]`` the length)."""
    return list(accumulate((2 if ord(ch) > 0xFFFF else 1 for ch in text), initial=0))


def byte_offset(text: str, index: int) -> int:
    """The UTF-8 byte offset of ``text[index]``: how tdlib reports error positions."""
    return len(text[:index].encode("utf-8", "surrogatepass"))


def sort_entities(entities: list[JSONDict]) -> list[JSONDict]:
    """Telegram's order: by offset, the longer (outer) entity first."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


# --------------------------------------------------------------------------------------------
# Links
# --------------------------------------------------------------------------------------------

_URL_SCHEME_RE: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(//)?")
_DOMAIN_RE: Final = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
_TEXT_MENTION_RE: Final = re.compile(r"tg://user\?id=(\d+)")


def normalize_url(url: str) -> str | None:
    """Normalize a link target the way Telegram does, or return ``None`` if it is not a URL.

    A URL without a scheme gets ``http://``; ``tg:``, ``ton:``, ``tonsite:`` and ``mailto:`` are
    kept as they are; other schemes than http(s) and ftp are refused; a bare host gets a ``/``.
    """
    url = url.strip()
    if not url or any(ch in url for ch in " \t\r\n"):
        return None
    match = _URL_SCHEME_RE.match(url)
    scheme, rest = "http", url
    if match and (match.group(2) or match.group(1).lower() in {"tg", "mailto"}):
        scheme, rest = match.group(1).lower(), url[match.end() :]
        if scheme in {"tg", "ton", "tonsite", "mailto"}:
            return f"{scheme}:{match.group(2) or ''}{rest}" if rest else None
        if scheme not in {"http", "https", "ftp"}:
            return None
    host, sep, path = rest.partition("/")
    hostname = host.rsplit("@", 1)[-1].split(":", 1)[0]
    if not (_DOMAIN_RE.match(hostname) or hostname == "localhost" or hostname.startswith("[")):
        return None
    return f"{scheme}://{host}/{path}" if sep else f"{scheme}://{host}/"


def link_entity(offset: int, length: int, url: str) -> JSONDict | None:
    """A ``text_link`` (or, for ``tg://user?id=N``, a ``text_mention``); ``None`` if not a URL.

    Telegram drops a link whose target is not a URL instead of refusing the message.
    """
    mention = _TEXT_MENTION_RE.fullmatch(url.strip())
    if mention is not None:
        user_id = int(mention.group(1))
        user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        return {"type": "text_mention", "offset": offset, "length": length, "user": user}
    normalized = normalize_url(url)
    if normalized is None:
        return None
    return {"type": "text_link", "offset": offset, "length": length, "url": normalized}


# --------------------------------------------------------------------------------------------
# The output both parsers build
# --------------------------------------------------------------------------------------------


@dataclass
class _Open:
    """An entity whose start markup was read and whose end markup was not yet."""

    kind: str  # HTML: the tag name; MarkdownV2: the entity type
    argument: str  # href, language, emoji id, "spoiler"/"expandable"...
    offset: int  # UTF-16 offset in the plain text
    byte_offset: int  # UTF-8 offset of the start markup in the source, for errors
    out_index: int  # index in ``_Parser.out`` where the entity's text starts


@dataclass
class _Parser:
    """State shared by the HTML and MarkdownV2 parsers: the source and the plain text so far."""

    text: str
    pos: int = 0
    out: list[str] = field(default_factory=list)
    u16: int = 0  # UTF-16 length of ``out``
    stack: list[_Open] = field(default_factory=list)
    entities: list[JSONDict] = field(default_factory=list)

    def emit(self, piece: str) -> None:
        self.out.append(piece)
        self.u16 += utf16_len(piece)

    def push(self, kind: str, argument: str, start: int) -> None:
        """Open an entity whose markup began at ``start``."""
        opened = _Open(kind, argument, self.u16, byte_offset(self.text, start), len(self.out))
        self.stack.append(opened)

    def inner_text(self, opened: _Open) -> str:
        return "".join(self.out[opened.out_index :])

    def add(self, kind: str, opened: _Open, **extra: Any) -> None:
        """Add an entity from ``opened`` to here; an empty entity is dropped, as Telegram does."""
        length = self.u16 - opened.offset
        if length > 0:
            self.entities.append({"type": kind, "offset": opened.offset, "length": length, **extra})

    def result(self) -> tuple[str, list[JSONDict]]:
        return "".join(self.out), sort_entities(self.entities)


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_HTML_SPACE: Final = " \t\r\n\v\f"
_HTML_TEXT_RE: Final = re.compile("[^&<]+")
_HTML_NAME_END: Final = _HTML_SPACE + ">"
# Tags that map to one entity type; a, pre, code, tg-emoji and blockquote need more.
_HTML_SIMPLE: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
}
_HTML_TAGS: Final = frozenset({*_HTML_SIMPLE, "a", "pre", "code", "tg-emoji", "blockquote"})
# (tag, attribute) -> the prefix the value must have; the rest becomes the tag's argument.
# Every other attribute is read and ignored, as on Telegram.
_HTML_ARGUMENTS: Final = {
    ("a", "href"): "",
    ("code", "class"): "language-",
    ("span", "class"): "tg-",
    ("tg-emoji", "emoji-id"): "",
}
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE: Final = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|([A-Za-z]+));?")
_UNQUOTED_VALUE_RE: Final = re.compile(r"[A-Za-z0-9.-]*")


def decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode ``&name;``, ``&#N;`` or ``&#xH;`` at ``pos``: (character, end) or ``None``.

    As in tdlib the ``;`` is optional, only the four named entities of the reference exist, and
    a numeric one may be at most 9 characters long (``&#`` and the digits).
    """
    match = _HTML_ENTITY_RE.match(text, pos)
    if match is None:
        return None
    hex_digits, decimal_digits, name = match.groups()
    if name is not None:
        decoded = _NAMED_ENTITIES.get(name)
        return None if decoded is None else (decoded, match.end())
    if match.end(1 if hex_digits else 2) - pos >= 10:
        return None
    code = int(hex_digits, 16) if hex_digits else int(decimal_digits)
    if not 0 < code < 0x10FFFF:
        return None
    return chr(code), match.end()


class _HtmlParser(_Parser):
    """Bot API HTML: the tags of the reference, four named entities, numeric ones.

    Stricter than the real server in one place, as the reference asks: a ``&`` that starts no
    entity is an error (Telegram itself lets it through), so a bot escaping properly passes both.
    """

    def parse(self) -> tuple[str, list[JSONDict]]:
        while self.pos < len(self.text):
            if self.text[self.pos] == "<":
                self.tag()
            elif self.text[self.pos] == "&":
                self.entity()
            else:
                run = _HTML_TEXT_RE.match(self.text, self.pos)
                assert run is not None  # the character is neither "<" nor "&"
                self.emit(run.group())
                self.pos = run.end()
        if self.stack:
            kind = self.stack[-1].kind
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{kind}"')
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)  # a language only survives on <pre><code>
        return self.result()

    def error_at(self, start: int) -> str:
        return f"at byte offset {byte_offset(self.text, start)}"

    def entity(self) -> None:
        decoded = decode_html_entity(self.text, self.pos)
        if decoded is None:
            raise EntityParseError(
                f'Character "&" must be escaped as "&amp;" {self.error_at(self.pos)}'
            )
        char, self.pos = decoded
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise EntityParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        self.emit(char)

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _HTML_SPACE:
            self.pos += 1

    def read_until(self, stops: str) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in stops:
            self.pos += 1
        return self.text[start : self.pos]

    def at(self, char: str) -> bool:
        return self.pos < len(self.text) and self.text[self.pos] == char

    def tag(self) -> None:
        start = self.pos
        self.pos += 1
        if self.at("/"):
            self.end_tag(start)
        else:
            self.start_tag(start)

    def start_tag(self, start: int) -> None:
        tag = self.read_until(_HTML_NAME_END).lower()
        if self.pos >= len(self.text):
            raise EntityParseError(f"Unclosed start tag {self.error_at(start)}")
        if tag not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" {self.error_at(start)}')
        argument = self.attributes(tag, start)
        if tag == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" {self.error_at(start)}'
            )
        if tag == "tg-emoji" and not argument:
            raise EntityParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" {self.error_at(start)}'
            )
        self.push(tag, argument, start)

    def attributes(self, tag: str, start: int) -> str:
        """Read attributes up to and past the closing ``>``; return the tag's argument."""
        argument = ""
        while True:
            self.skip_space()
            if self.pos >= len(self.text):
                raise EntityParseError(f'Unclosed start tag "{tag}" {self.error_at(start)}')
            if self.at(">"):
                self.pos += 1
                return argument
            name = self.read_until(_HTML_NAME_END + "=").lower()
            self.skip_space()
            if not self.at("="):
                if tag == "blockquote" and name == "expandable":
                    argument = "expandable"
                    continue
                raise EntityParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" {self.error_at(start)}'
                )
            self.pos += 1
            self.skip_space()
            if self.pos >= len(self.text):
                raise EntityParseError(f'Unclosed start tag "{tag}" {self.error_at(start)}')
            value = self.attribute_value(start)
            prefix = _HTML_ARGUMENTS.get((tag, name))
            if prefix is not None and value.startswith(prefix):
                argument = value[len(prefix) :]

    def attribute_value(self, start: int) -> str:
        """A quoted value (entities decoded) or an unquoted name token (lower-cased)."""
        quote = self.text[self.pos]
        if quote not in "'\"":
            token = _UNQUOTED_VALUE_RE.match(self.text, self.pos)
            assert token is not None  # the pattern matches the empty string
            self.pos = token.end()
            if self.pos >= len(self.text) or self.text[self.pos] not in _HTML_NAME_END:
                raise EntityParseError(
                    f"Unexpected end of name token {self.error_at(token.start())}"
                )
            return token.group().lower()
        self.pos += 1
        value: list[str] = []
        while self.pos < len(self.text) and self.text[self.pos] != quote:
            decoded = decode_html_entity(self.text, self.pos) if self.at("&") else None
            if decoded is None:
                decoded = self.text[self.pos], self.pos + 1
            value.append(decoded[0])
            self.pos = decoded[1]
        if self.pos >= len(self.text):
            raise EntityParseError(f"Unclosed start tag {self.error_at(start)}")
        self.pos += 1
        return "".join(value)

    def end_tag(self, start: int) -> None:
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag {self.error_at(start)}")
        self.pos += 1
        name = self.read_until(_HTML_NAME_END).lower()
        self.skip_space()
        if not self.at(">"):
            raise EntityParseError(f"Unclosed end tag {self.error_at(start)}")
        self.pos += 1
        top = self.stack.pop()
        if name and name != top.kind:
            raise EntityParseError(
                f'Unmatched end tag {self.error_at(start)}, expected "</{top.kind}>", '
                f'found "</{name}>"'
            )
        self.close(top)

    def close(self, top: _Open) -> None:
        if top.kind in _HTML_SIMPLE:
            self.add(_HTML_SIMPLE[top.kind], top)
        elif top.kind == "blockquote":
            expandable = top.argument == "expandable"
            self.add("expandable_blockquote" if expandable else "blockquote", top)
        elif top.kind == "tg-emoji":
            self.add("custom_emoji", top, custom_emoji_id=top.argument)
        elif top.kind == "a":
            self.close_link(top)
        else:
            self.close_code(top)

    def close_link(self, top: _Open) -> None:
        """``<a>`` without ``href`` links to its own text."""
        length = self.u16 - top.offset
        entity = link_entity(top.offset, length, top.argument or self.inner_text(top))
        if entity is not None and length > 0:
            self.entities.append(entity)

    def close_code(self, top: _Open) -> None:
        """``<pre>`` and ``<code>``: a ``<code class="language-x">`` directly inside (or around)
        a ``<pre>`` of the same text makes one ``pre`` entity with that language."""
        last = self.entities[-1] if self.entities else {}
        wraps = (last.get("offset"), last.get("length")) == (top.offset, self.u16 - top.offset)
        if top.kind == "pre" and wraps and last["type"] == "code":
            last["type"] = "pre"  # keeps the code's language
        elif top.kind == "code" and wraps and last["type"] == "pre" and top.argument:
            last["language"] = top.argument
        elif top.kind == "code" and top.argument:
            self.add("code", top, language=top.argument)  # dropped unless a <pre> wraps it
        else:
            self.add(top.kind, top)


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Parse Bot API HTML into plain text and entities (offsets in UTF-16 code units)."""
    return _HtmlParser(text).parse()


# --------------------------------------------------------------------------------------------
# MarkdownV2
# --------------------------------------------------------------------------------------------

_MDV2_RESERVED: Final = "_*[]()~`>#+-=|{}.!"
# Start markup, longest first where one is a prefix of another.
_MDV2_OPENERS: Final = (
    ("```", "pre"),
    ("`", "code"),
    ("__", "underline"),
    ("_", "italic"),
    ("*", "bold"),
    ("~", "strikethrough"),
    ("||", "spoiler"),
    ("![", "custom_emoji"),
    ("[", "text_link"),
)
_MDV2_CLOSERS: Final = {
    "pre": "```",
    "code": "`",
    "underline": "__",
    "italic": "_",
    "bold": "*",
    "strikethrough": "~",
    "spoiler": "||",
    "custom_emoji": "]",
    "text_link": "]",
}
_CUSTOM_EMOJI_RE: Final = re.compile(r"tg://emoji\?id=(\d+)")


class _MarkdownV2Parser(_Parser):
    """Bot API MarkdownV2, following tdlib: every reserved character outside an entity's markup
    must be escaped with ``\\``; inside ``code`` and ``pre`` only ````` (and ``\\``) are special.

    Block quotes (``>`` at line starts) are recognised in their simple form.
    """

    quote_start: int | None = None

    def parse(self) -> tuple[str, list[JSONDict]]:
        while self.pos < len(self.text):
            self.step()
        if self.stack:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {self.stack[-1].byte_offset}"
            )
        self.close_quote(self.u16)
        return self.result()

    def in_code(self) -> bool:
        return bool(self.stack) and self.stack[-1].kind in {"code", "pre"}

    def step(self) -> None:
        text, pos = self.text, self.pos
        at_line_start = pos == 0 or text[pos - 1] == "\n"
        if at_line_start and not self.in_code() and self.quote_line():
            return
        if text[pos] == "\\" and pos + 1 < len(text) and 0 < ord(text[pos + 1]) <= 126:
            self.emit(text[pos + 1])
            self.pos += 2
        elif text[pos] not in ("`" if self.in_code() else _MDV2_RESERVED):
            self.emit(text[pos])
            self.pos += 1
        elif self.stack and self.closes(self.stack[-1].kind):
            self.close(self.stack.pop())
        else:
            self.open()

    def quote_line(self) -> bool:
        """At a line start: a ``>`` starts or continues a quote; anything else ends one."""
        if self.text[self.pos] == ">":
            if self.quote_start is None:
                self.quote_start = self.u16
            self.pos += 1
            return True
        if self.quote_start is not None:
            self.close_quote(self.u16 - 1)  # the quote ends before the line break
        return False

    def close_quote(self, end: int) -> None:
        if self.quote_start is not None and end > self.quote_start:
            length = end - self.quote_start
            self.entities.append(
                {"type": "blockquote", "offset": self.quote_start, "length": length}
            )
        self.quote_start = None

    def closes(self, kind: str) -> bool:
        if kind == "italic" and self.text.startswith("__", self.pos):
            return False  # "__" inside italic starts an underline
        return self.text.startswith(_MDV2_CLOSERS[kind], self.pos)

    def open(self) -> None:
        start = self.pos
        for markup, kind in _MDV2_OPENERS:
            if self.text.startswith(markup, start):
                self.pos += len(markup)
                argument = self.pre_language() if kind == "pre" else ""
                self.push(kind, argument, start)
                return
        char = self.text[start]
        raise EntityParseError(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )

    def pre_language(self) -> str:
        """After ```: a language up to the first space, then one line break is skipped."""
        text = self.text
        end = self.pos
        while end < len(text) and text[end] not in " \t\r\n`":
            end += 1
        language = ""
        if end != self.pos and end < len(text) and text[end] != "`":
            language, self.pos = text[self.pos : end], end
        if text[self.pos : self.pos + 2] in {"\r\n", "\n\r"}:
            self.pos += 2
        elif text[self.pos : self.pos + 1] in {"\n", "\r"}:
            self.pos += 1
        return language

    def close(self, opened: _Open) -> None:
        self.pos += len(_MDV2_CLOSERS[opened.kind])
        if opened.kind == "custom_emoji":
            match = _CUSTOM_EMOJI_RE.fullmatch(self.link_target() or "")
            if not match:
                raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
            self.add("custom_emoji", opened, custom_emoji_id=match.group(1))
        elif opened.kind == "text_link":
            url = self.link_target()
            length = self.u16 - opened.offset
            entity = link_entity(
                opened.offset, length, self.inner_text(opened) if url is None else url
            )
            if entity is not None and length > 0:
                self.entities.append(entity)
        elif opened.kind == "pre" and opened.argument:
            self.add("pre", opened, language=opened.argument)
        else:
            self.add(opened.kind, opened)

    def link_target(self) -> str | None:
        """The ``(url)`` after a link's ``]`` (``\\`` escapes), or ``None`` if there is none."""
        if self.pos >= len(self.text) or self.text[self.pos] != "(":
            return None
        begin = self.pos = self.pos + 1
        chars: list[str] = []
        while self.pos < len(self.text) and self.text[self.pos] != ")":
            escaped = self.text[self.pos] == "\\" and self.pos + 1 < len(self.text)
            if escaped and 0 < ord(self.text[self.pos + 1]) <= 126:
                self.pos += 1
            chars.append(self.text[self.pos])
            self.pos += 1
        if self.pos >= len(self.text):
            raise EntityParseError(
                f"Can't find end of a URL at byte offset {byte_offset(self.text, begin)}"
            )
        self.pos += 1
        return "".join(chars)


def parse_markdown_v2(text: str) -> tuple[str, list[JSONDict]]:
    """Parse Bot API MarkdownV2 into plain text and entities (offsets in UTF-16 code units)."""
    return _MarkdownV2Parser(text).parse()


# --------------------------------------------------------------------------------------------
# Automatic entities and trimming
# --------------------------------------------------------------------------------------------

_URL_TLDS: Final = "com|org|net|io|dev|app|ru|de|uk|me|co|ai|info|edu|gov|ly|gg|tv|xyz|eu|fr|us"
# Telegram finds these in every message, whatever the parse mode, in this order; a later match
# overlapping an earlier entity (or an explicit code, pre or link) is not an entity.
_AUTOMATIC: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    (
        "email",
        re.compile(
            r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
        ),
    ),
    (
        "url",
        re.compile(
            r"(?i)(?<![\w@/.-])(?:(?:https?|ftp)://|www\.)[^\s<>\"]+"
            r"|(?<![\w@/.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
            rf"(?:{_URL_TLDS})"
            r"(?![\w-])(?:[/?#][^\s<>\"]*)?"
        ),
    ),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#(?=\w*[^\W\d])\w+")),
    (
        "bot_command",
        re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])"),
    ),
)
_ATOMIC_TYPES: Final = frozenset(
    {"code", "pre", "text_link", "text_mention", "custom_emoji", "url", "email", "mention"}
)


def _strip_url_tail(url: str) -> str:
    """Trailing punctuation is not part of a URL, except a ``)`` closing a ``(`` in it."""
    while url and url[-1] in ".,;:!?'\")]}":
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _match_end(kind: str, match: re.Match[str]) -> int:
    return match.start() + len(_strip_url_tail(match.group())) if kind == "url" else match.end()


def detect_entities(text: str, existing: Iterable[JSONDict] = ()) -> list[JSONDict]:
    """Find url, email, mention, hashtag and bot_command entities as Telegram does.

    ``existing`` are the entities the text already has: no automatic entity overlaps a code,
    pre, link, url, email, mention or custom emoji among them.
    """
    offsets = utf16_offsets(text)
    taken = [
        (e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] in _ATOMIC_TYPES
    ]
    found: list[JSONDict] = []
    for kind, regex in _AUTOMATIC:
        for match in regex.finditer(text):
            start, end = offsets[match.start()], offsets[_match_end(kind, match)]
            if end > start and not any(start < b and a < end for a, b in taken):
                taken.append((start, end))
                found.append({"type": kind, "offset": start, "length": end - start})
    return found


def trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strip leading and trailing whitespace and clip the entities, as Telegram does."""
    stripped = text.strip(" \t\r\n")
    lead = utf16_len(text[: len(text) - len(text.lstrip(" \t\r\n"))])
    return stripped, clip_entities(entities, lead, lead + utf16_len(stripped))


def clip_entities(entities: Iterable[JSONDict], start: int, end: int) -> list[JSONDict]:
    """Entities cut to ``[start, end)`` and shifted to begin at ``start``; empty ones dropped."""
    clipped: list[JSONDict] = []
    for entity in entities:
        lo = max(entity["offset"], start)
        hi = min(entity["offset"] + entity["length"], end)
        if hi > lo:
            clipped.append({**entity, "offset": lo - start, "length": hi - lo})
    return clipped


PARSERS: Final[dict[str, Callable[[str], tuple[str, list[JSONDict]]]]] = {
    "html": parse_html,
    "markdownv2": parse_markdown_v2,
}
