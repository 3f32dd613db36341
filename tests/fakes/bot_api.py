"""A fake Telegram Bot API server speaking real HTTP on 127.0.0.1.

Built from the Bot API reference (https://core.telegram.org/bots/api), not from what one client
happens to send: any HTTP client (python-telegram-bot, aiogram, plain httpx, curl) can drive it
with GET query strings, JSON bodies, url-encoded forms or multipart uploads.

Tests inject updates with the ``send_*`` builders or :meth:`FakeBotAPI.add_update`, then observe
what the bot did through :attr:`FakeBotAPI.calls`, :meth:`FakeBotAPI.wait_for` and
:meth:`FakeBotAPI.messages_in`.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import copy
import json
import logging
import mimetypes
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeVar, cast
from urllib.parse import unquote, urlsplit

import aiohttp
from aiohttp import web

__all__ = [
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_GROUP_ID",
    "DEFAULT_SUPERGROUP_ID",
    "DEFAULT_TOKEN",
    "DEFAULT_USER",
    "ApiCall",
    "BotApiError",
    "FakeBotAPI",
    "make_user",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "utf16_len",
]

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]


def _names(text: str) -> tuple[str, ...]:
    """Split a whitespace-separated list of names."""
    return tuple(text.split())


DEFAULT_TOKEN: Final = "123456789:TEST-fake-token"
DEFAULT_USER: Final[JSONDict] = {
    "id": 1001,
    "is_bot": False,
    "first_name": "Alice",
    "username": "alice",
    "language_code": "en",
}
DEFAULT_SUPERGROUP_ID: Final = -1001234567890
DEFAULT_GROUP_ID: Final = -987654321
DEFAULT_CHANNEL_ID: Final = -1009876543210

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_INLINE_RESULTS: Final = 50
MAX_DOWNLOAD_SIZE: Final = 20 * 1024 * 1024
MAX_UPLOAD_SIZE: Final = 50 * 1024 * 1024

ALL_UPDATE_TYPES: Final = _names(
    """
    message edited_message channel_post edited_channel_post business_connection business_message
    edited_business_message deleted_business_messages message_reaction message_reaction_count
    inline_query chosen_inline_result callback_query shipping_query pre_checkout_query
    purchased_paid_media poll poll_answer my_chat_member chat_member chat_join_request
    chat_boost removed_chat_boost
    """
)
# Update types delivered only when explicitly listed in allowed_updates.
OPT_IN_UPDATE_TYPES: Final = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)

CHAT_ACTIONS: Final = frozenset(
    _names("""
    typing upload_photo record_video upload_video record_voice upload_voice upload_document
    choose_sticker find_location record_video_note upload_video_note
    """)
)
INLINE_RESULT_TYPES: Final = frozenset(
    _names("""
    article photo gif mpeg4_gif video audio voice document location venue contact game sticker
    """)
)
INLINE_BUTTON_ACTIONS: Final = _names(
    """
    url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat
    switch_inline_query_chosen_chat copy_text callback_game pay
    """
)
COMMAND_SCOPES: Final = frozenset(
    _names("""
    default all_private_chats all_group_chats all_chat_administrators chat chat_administrators
    chat_member
    """)
)
MESSAGE_UPDATE_KEYS: Final = _names(
    """
    message edited_message channel_post edited_channel_post business_message
    edited_business_message
    """
)
SERVICE_MESSAGE_KEYS: Final = frozenset(
    _names("""
    new_chat_members left_chat_member new_chat_title new_chat_photo delete_chat_photo
    group_chat_created supergroup_chat_created channel_chat_created migrate_to_chat_id
    migrate_from_chat_id pinned_message message_auto_delete_timer_changed forum_topic_created
    forum_topic_edited forum_topic_closed forum_topic_reopened video_chat_started
    video_chat_ended
    """)
)

NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
WEBHOOK_ACTIVE: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


def make_user(
    user_id: int,
    first_name: str,
    username: str | None = None,
    *,
    last_name: str | None = None,
    language_code: str | None = "en",
    is_bot: bool = False,
) -> JSONDict:
    """Build a Bot API ``User`` object."""
    user: JSONDict = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


# --------------------------------------------------------------------------------------------
# Errors and recorded calls
# --------------------------------------------------------------------------------------------


class BotApiError(Exception):
    """An error answer of the Bot API: ``{"ok": false, "error_code": ..., ...}``."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> JSONDict:
        """Return the response body."""
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


_JSON_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


_T = TypeVar("_T")


def _clone(value: _T) -> _T:
    """Deep-copy a JSON-like tree, several times faster than ``copy.deepcopy`` on dicts/lists.

    Used where the fake hands out its state: callers get copies they cannot mutate it through.
    Exact ``dict``/``list`` nodes are rebuilt, immutable scalars shared, anything else goes
    through ``copy.deepcopy``. (JSON trees have no cycles, so no memo is needed.)
    """
    tree: Any = value
    kind = type(tree)
    if kind is dict:
        return cast(_T, {key: _clone(item) for key, item in tree.items()})
    if kind is list:
        return cast(_T, [_clone(item) for item in tree])
    if kind in _JSON_SCALARS:
        return value
    return copy.deepcopy(value)


def _bad_request(reason: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {reason}")


@dataclass
class ApiCall:
    """One request received by the fake, with its decoded parameters and the answer sent."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    response: dict[str, Any] = field(default_factory=dict)
    status: int = 0
    done: bool = False
    file_names: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the call was answered with ``"ok": true``."""
        return bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        """The ``result`` of a successful answer (``None`` otherwise)."""
        return self.response.get("result")

    def summary(self, width: int = 160) -> str:
        """A one-line description for assertion messages."""
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        if self.files:
            params += ", files=" + ",".join(f"{k}({len(v)}B)" for k, v in self.files.items())
        if len(params) > width:
            params = params[: width - 3] + "..."
        if not self.done:
            outcome = "pending"
        elif self.ok:
            outcome = "ok"
        else:
            outcome = f"{self.response.get('error_code')} {self.response.get('description')}"
        return f"{self.method}({params}) -> {outcome}"


# --------------------------------------------------------------------------------------------
# Text: UTF-16 lengths, parse modes, automatic entities
# --------------------------------------------------------------------------------------------


class EntityParseError(Exception):
    """Raised by the parse-mode parsers; the message follows Telegram's wording."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, as Telegram counts message length."""
    if text.isascii():  # O(1): ASCII needs one code unit per character
        return len(text)
    # Encoding runs in C; "surrogatepass" counts a lone surrogate as one unit, like ord() does.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _u16(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


_ASTRAL_RE: Final = re.compile("[\U00010000-\U0010ffff]")


def _identity(index: int) -> int:
    return index


def _utf16_index(text: str) -> Callable[[int], int]:
    """Map ``str`` indices of ``text`` to UTF-16 offsets (each astral character adds one unit).

    Without astral characters the two are equal, so no per-character table is built.
    """
    if utf16_len(text) == len(text):
        return _identity
    astral = [match.start() for match in _ASTRAL_RE.finditer(text)]
    return lambda index: index + bisect.bisect_left(astral, index)


def _byte_offset(text: str, index: int) -> int:
    if text.isascii():  # O(1): one byte per character
        return index
    return len(text[:index].encode("utf-8", "surrogatepass"))


_HTML_SPACE: Final = " \t\r\n\v\f"
_HTML_TAGS: Final = frozenset(
    _names("""
    a b strong i em u ins s strike del span tg-spoiler tg-emoji pre code blockquote
    """)
)
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
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_MARKUP_RE: Final = re.compile("[&<]")
_URL_SCHEME_RE: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(//)?")
_DOMAIN_RE: Final = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode ``&name;`` / ``&#N;`` / ``&#xH;`` at ``pos``; the ``;`` is optional as in tdlib."""
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        hexadecimal = end < n and text[end] == "x"
        if hexadecimal:
            end += 1
        start = end
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        while end < n and text[end] in digits:
            end += 1
        if end == start or end - pos >= 10:
            return None
        code = int(text[start:end], 16 if hexadecimal else 10)
        if code == 0 or code >= 0x10FFFF:
            return None
        decoded = chr(code)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        name = text[pos + 1 : end]
        if name not in _NAMED_ENTITIES:
            return None
        decoded = _NAMED_ENTITIES[name]
    if end < n and text[end] == ";":
        end += 1
    return decoded, end


def normalize_url(url: str) -> str | None:
    """Normalize a link target the way Telegram does, or return ``None`` if it is not a URL."""
    url = url.strip()
    if not url or any(ch in url for ch in " \t\r\n"):
        return None
    match = _URL_SCHEME_RE.match(url)
    if match and (match.group(2) or match.group(1).lower() in {"tg", "mailto"}):
        scheme = match.group(1).lower()
        rest = url[match.end() :]
        if scheme in {"tg", "ton", "tonsite", "mailto"}:
            return f"{scheme}:{match.group(2) or ''}{rest}" if rest else None
        if scheme not in {"http", "https", "ftp"}:
            return None
    else:
        scheme, rest = "http", url
    host, sep, path = rest.partition("/")
    hostname = host.rsplit("@", 1)[-1].split(":", 1)[0]
    if not hostname or not (
        _DOMAIN_RE.match(hostname) or hostname == "localhost" or hostname.startswith("[")
    ):
        return None
    return f"{scheme}://{host}/{path}" if sep else f"{scheme}://{host}/"


def _text_mention_user(url: str) -> int | None:
    match = re.fullmatch(r"tg://user\?id=(\d+)", url.strip())
    return int(match.group(1)) if match else None


@dataclass
class _OpenEntity:
    kind: str
    argument: str
    offset: int  # UTF-16 offset in the parsed text
    byte_offset: int  # byte offset of the opening markup in the source
    out_index: int  # position in the output piece list


def _link_entity(kind: str, offset: int, length: int, url: str) -> JSONDict | None:
    user_id = _text_mention_user(url)
    if user_id is not None:
        user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        return {"type": "text_mention", "offset": offset, "length": length, "user": user}
    normalized = normalize_url(url)
    if normalized is None:
        return None
    return {"type": kind, "offset": offset, "length": length, "url": normalized}


def _sort_entities(entities: list[JSONDict]) -> list[JSONDict]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def parse_html(text: str, *, strict_entities: bool = True) -> tuple[str, list[JSONDict]]:
    """Parse Bot API HTML into plain text and entities (offsets in UTF-16 code units).

    With ``strict_entities`` a ``&`` that does not start a valid entity is an error, as the
    reference demands; the real server leaves such a ``&`` as it is.
    """
    out: list[str] = []
    entities: list[JSONDict] = []
    stack: list[_OpenEntity] = []
    u16 = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch != "&" and ch != "<":
            # Copy the whole run up to the next markup character at once, not char by char.
            stop = _HTML_MARKUP_RE.search(text, i)
            end = n if stop is None else stop.start()
            run = text[i:end]
            out.append(run)
            u16 += utf16_len(run)
            i = end
            continue
        if ch == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is not None:
                char, i = decoded
                if 0xD800 <= ord(char) <= 0xDFFF:
                    raise EntityParseError(
                        "Text contains invalid Unicode characters after decoding HTML entities, "
                        "check for unmatched surrogate code units"
                    )
                out.append(char)
                u16 += _u16(char)
                continue
            if strict_entities:
                raise EntityParseError(
                    f'Character "&" must be escaped as "&amp;" at byte offset '
                    f"{_byte_offset(text, i)}"
                )
        if ch != "<":
            out.append(ch)
            u16 += _u16(ch)
            i += 1
            continue
        begin = i
        begin_byte = _byte_offset(text, begin)
        i += 1
        if i < n and text[i] == "/":
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {begin_byte}")
            j = i + 1
            while j < n and text[j] not in _HTML_SPACE and text[j] != ">":
                j += 1
            end_name = text[i + 1 : j].lower()
            while j < n and text[j] in _HTML_SPACE:
                j += 1
            if j >= n or text[j] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {begin_byte}")
            top = stack[-1]
            if end_name and end_name != top.kind:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {begin_byte}, expected "</{top.kind}>", '
                    f'found "</{end_name}>"'
                )
            i = j + 1
            stack.pop()
            _close_html_tag(top, u16, out, entities)
            continue
        j = i
        while j < n and text[j] not in _HTML_SPACE and text[j] != ">":
            j += 1
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin_byte}")
        tag = text[i:j].lower()
        if tag not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin_byte}')
        argument, i = _parse_html_attributes(text, j, tag, begin_byte)
        if tag == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin_byte}'
            )
        if tag == "tg-emoji" and not argument:
            raise EntityParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {begin_byte}'
            )
        stack.append(_OpenEntity(tag, argument, u16, begin_byte, len(out)))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].kind}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)  # a language only survives on <pre><code>
    return "".join(out), _sort_entities(entities)


def _parse_html_attributes(text: str, i: int, tag: str, begin_byte: int) -> tuple[str, int]:
    """Parse attributes from ``i`` up to and past the closing ``>``; return (argument, index)."""
    n = len(text)
    argument = ""
    while True:
        while i < n and text[i] in _HTML_SPACE:
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin_byte}')
        if text[i] == ">":
            return argument, i + 1
        name_start = i
        while i < n and text[i] not in _HTML_SPACE and text[i] not in "=>":
            i += 1
        name = text[name_start:i].lower()
        while i < n and text[i] in _HTML_SPACE:
            i += 1
        if i >= n or text[i] != "=":
            if tag == "blockquote" and name == "expandable":
                argument = "expandable"
                continue
            raise EntityParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {begin_byte}"
            )
        i += 1
        while i < n and text[i] in _HTML_SPACE:
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin_byte}')
        if text[i] in "'\"":
            quote = text[i]
            i += 1
            value_chars: list[str] = []
            while i < n and text[i] != quote:
                if text[i] == "&":
                    decoded = _decode_html_entity(text, i)
                    if decoded is not None:
                        value_chars.append(decoded[0])
                        i = decoded[1]
                        continue
                value_chars.append(text[i])
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin_byte}")
            i += 1
            value = "".join(value_chars)
        else:
            token_start = i
            while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
                i += 1
            value = text[token_start:i].lower()
            if i >= n or (text[i] not in _HTML_SPACE and text[i] != ">"):
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {_byte_offset(text, token_start)}"
                )
        if tag == "a" and name == "href":
            argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "tg-emoji" and name == "emoji-id":
            argument = value


def _close_html_tag(top: _OpenEntity, u16: int, out: list[str], entities: list[JSONDict]) -> None:
    length = u16 - top.offset
    if length <= 0:
        return
    offset = top.offset
    tag = top.kind
    if tag in _HTML_SIMPLE:
        entities.append({"type": _HTML_SIMPLE[tag], "offset": offset, "length": length})
    elif tag == "blockquote":
        kind = "expandable_blockquote" if top.argument == "expandable" else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})
    elif tag == "tg-emoji":
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": top.argument,
            }
        )
    elif tag == "a":
        url = top.argument or "".join(out[top.out_index :])
        entity = _link_entity("text_link", offset, length, url)
        if entity is not None:
            entities.append(entity)
    elif tag == "pre":
        last = entities[-1] if entities else None
        if (
            last
            and last["type"] == "code"
            and (last["offset"], last["length"])
            == (
                offset,
                length,
            )
        ):
            language = last.pop("language", "")
            last["type"] = "pre"
            if language:
                last["language"] = language
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        last = entities[-1] if entities else None
        if (
            last
            and last["type"] == "pre"
            and (last["offset"], last["length"]) == (offset, length)
            and top.argument
        ):
            last["language"] = top.argument
        else:
            entity = {"type": "code", "offset": offset, "length": length}
            if top.argument:
                entity["language"] = top.argument  # dropped below unless a <pre> wraps it
            entities.append(entity)


_MDV2_RESERVED: Final = frozenset("_*[]()~`>#+-=|{}.!")


def parse_markdown_v2(text: str) -> tuple[str, list[JSONDict]]:
    """Parse Bot API MarkdownV2 into plain text and entities."""
    out: list[str] = []
    entities: list[JSONDict] = []
    stack: list[_OpenEntity] = []
    u16 = 0
    i = 0
    n = len(text)
    quote_start: int | None = None

    def close_quote(end: int) -> None:
        nonlocal quote_start
        if quote_start is not None and end > quote_start:
            entities.append(
                {"type": "blockquote", "offset": quote_start, "length": end - quote_start}
            )
        quote_start = None

    while i < n:
        ch = text[i]
        in_code = bool(stack) and stack[-1].kind in {"code", "pre"}
        if not in_code and (i == 0 or text[i - 1] == "\n"):
            if ch == ">":
                if quote_start is None:
                    quote_start = u16
                i += 1
                continue
            if quote_start is not None:
                close_quote(u16 - 1)
        if ch == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.append(text[i + 1])
            u16 += 1
            i += 2
            continue
        if ch not in ("`" if in_code else _MDV2_RESERVED):
            out.append(ch)
            u16 += _u16(ch)
            i += 1
            continue
        nxt = text[i + 1 : i + 2]
        nxt2 = text[i + 2 : i + 3]
        top = stack[-1].kind if stack else ""
        is_end = (
            (top == "bold" and ch == "*")
            or (top == "italic" and ch == "_" and nxt != "_")
            or (top == "code" and ch == "`")
            or (top == "pre" and ch == "`" and nxt == "`" and nxt2 == "`")
            or (top in {"text_link", "custom_emoji"} and ch == "]")
            or (top == "underline" and ch == "_" and nxt == "_")
            or (top == "strikethrough" and ch == "~")
            or (top == "spoiler" and ch == "|" and nxt == "|")
        )
        if not is_end:
            begin_byte = _byte_offset(text, i)
            argument = ""
            if ch == "_" and nxt == "_":
                kind, i = "underline", i + 2
            elif ch == "_":
                kind, i = "italic", i + 1
            elif ch == "*":
                kind, i = "bold", i + 1
            elif ch == "~":
                kind, i = "strikethrough", i + 1
            elif ch == "|" and nxt == "|":
                kind, i = "spoiler", i + 2
            elif ch == "[":
                kind, i = "text_link", i + 1
            elif ch == "!" and nxt == "[":
                kind, i = "custom_emoji", i + 2
            elif ch == "`" and nxt == "`" and nxt2 == "`":
                kind, i = "pre", i + 3
                lang_end = i
                while lang_end < n and text[lang_end] not in " \t\r\n`":
                    lang_end += 1
                if lang_end != i and lang_end < n and text[lang_end] != "`":
                    argument, i = text[i:lang_end], lang_end
                if text[i : i + 2] in {"\r\n", "\n\r"}:
                    i += 2
                elif text[i : i + 1] in {"\n", "\r"}:
                    i += 1
            elif ch == "`":
                kind, i = "code", i + 1
            else:
                raise EntityParseError(
                    f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
                )
            stack.append(_OpenEntity(kind, argument, u16, begin_byte, len(out)))
            continue
        opened = stack.pop()
        length = u16 - opened.offset
        entity: JSONDict | None = None
        if opened.kind in {"underline", "spoiler"}:
            i += 2
        elif opened.kind == "pre":
            i += 3
        else:
            i += 1
        if opened.kind in {"text_link", "custom_emoji"}:
            url = ""
            if i < n and text[i] == "(":
                i += 1
                url_begin = i
                chars: list[str] = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
                        chars.append(text[i + 1])
                        i += 2
                        continue
                    chars.append(text[i])
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, url_begin)}"
                    )
                i += 1
                url = "".join(chars)
            elif opened.kind == "text_link":
                url = "".join(out[opened.out_index :])
            if opened.kind == "custom_emoji":
                match = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
                if not match:
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                entity = {"type": "custom_emoji", "custom_emoji_id": match.group(1)}
            elif length > 0:
                entity = _link_entity("text_link", opened.offset, length, url)
        elif opened.kind == "pre" and opened.argument:
            entity = {"type": "pre", "language": opened.argument}
        else:
            entity = {"type": opened.kind}
        if entity is not None and length > 0:
            entity.update(offset=opened.offset, length=length)
            entities.append(entity)
    if stack:
        raise EntityParseError(
            f"Can't find end of the entity starting at byte offset {stack[-1].byte_offset}"
        )
    close_quote(u16)
    return "".join(out), _sort_entities(entities)


def parse_markdown(text: str) -> tuple[str, list[JSONDict]]:
    """Parse legacy Bot API ``Markdown`` (bold, italic, code, pre and links, no nesting)."""
    out: list[str] = []
    entities: list[JSONDict] = []
    u16 = 0
    i = 0
    n = len(text)
    kinds = {"*": "bold", "_": "italic", "`": "code"}
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            u16 += 1
            i += 2
            continue
        if ch not in "_*`[":
            out.append(ch)
            u16 += _u16(ch)
            i += 1
            continue
        error = EntityParseError(
            f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
        )
        entity: JSONDict | None
        if ch == "[":
            close = text.find("]", i + 1)
            if close < 0:
                raise error
            inner = text[i + 1 : close]
            url, i = inner, close + 1
            if text[i : i + 1] == "(":
                end = text.find(")", i + 1)
                if end < 0:
                    raise error
                url, i = text[i + 1 : end], end + 1
            entity = _link_entity("text_link", u16, utf16_len(inner), url)
        elif text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                raise error
            inner = text[i + 3 : end]
            language = ""
            first, newline, rest = inner.partition("\n")
            if newline and first and not any(c in first for c in " \t"):
                language, inner = first, rest
            elif inner.startswith("\n"):
                inner = inner[1:]
            entity = {"type": "pre", "offset": u16, "length": utf16_len(inner)}
            if language:
                entity["language"] = language
            i = end + 3
        else:
            end = text.find(ch, i + 1)
            if end < 0:
                raise error
            inner = text[i + 1 : end]
            entity = {"type": kinds[ch], "offset": u16, "length": utf16_len(inner)}
            i = end + 1
        out.append(inner)
        u16 += utf16_len(inner)
        if entity is not None and entity["length"] > 0:
            entities.append(entity)
    return "".join(out), _sort_entities(entities)


_EMAIL_RE: Final = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
)
_URL_TLDS: Final = "com|org|net|io|dev|app|ru|de|uk|me|co|ai|info|edu|gov|ly|gg|tv|xyz|eu|fr|us"
_URL_RE: Final = re.compile(
    r"(?i)(?<![\w@/.-])(?:(?:https?|ftp)://|www\.)[^\s<>\"]+"
    r"|(?<![\w@/.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    rf"(?:{_URL_TLDS})"
    r"(?![\w-])(?:[/?#][^\s<>\"]*)?"
)
# Every _URL_RE match contains a match of this ("://", "www." or ".tld"), and never spans
# whitespace: so _URL_RE only has to run inside the words where this matches. Starting every
# branch with ":" or "." lets the regex engine skip ahead to those characters quickly.
_URL_HINT_RE: Final = re.compile(rf"://|\.(?:(?<=(?i:www)\.)|(?i:{_URL_TLDS})(?![\w-]))")
_WORD_REST_RE: Final = re.compile(r"\S*")  # always matches: the rest of a word
_MENTION_RE: Final = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?![\w@])")
_HASHTAG_RE: Final = re.compile(r"(?<![\w#])#(?=\w*[^\W\d])\w+")
_COMMAND_RE: Final = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")
_ATOMIC_TYPES: Final = frozenset(
    {"code", "pre", "text_link", "text_mention", "custom_emoji", "url", "email", "mention"}
)


def _strip_url_tail(url: str) -> str:
    while url and url[-1] in ".,;:!?'\")]}":
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _url_matches(text: str) -> Iterator[re.Match[str]]:
    """``_URL_RE.finditer(text)``, scanning only the words that contain a URL hint.

    A match never spans whitespace, and with ``pos``/``endpos`` at word boundaries the
    look-behind still sees the real text while the look-ahead sees whitespace or the end alike.
    """
    pos = 0
    while (hint := _URL_HINT_RE.search(text, pos)) is not None:
        start = hint.start()
        while start > pos and not text[start - 1].isspace():  # \s and str.isspace() agree
            start -= 1
        end = _WORD_REST_RE.match(text, hint.start()).end()  # type: ignore[union-attr]
        yield from _URL_RE.finditer(text, start, end)
        pos = end


# Automatic entities after email and url, each with the one character its matches must contain.
_MARKED_ENTITIES: Final = (
    ("mention", _MENTION_RE, "@"),
    ("hashtag", _HASHTAG_RE, "#"),
    ("bot_command", _COMMAND_RE, "/"),
)


def detect_entities(text: str, existing: Iterable[JSONDict] = ()) -> list[JSONDict]:
    """Find url, email, mention, hashtag and bot_command entities as Telegram clients do."""
    to_u16 = _utf16_index(text)
    taken: list[tuple[int, int]] = [
        (e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] in _ATOMIC_TYPES
    ]
    found: list[JSONDict] = []

    def add(kind: str, start: int, end: int) -> None:
        lo, hi = to_u16(start), to_u16(end)
        if hi <= lo or any(lo < b and a < hi for a, b in taken):
            return
        taken.append((lo, hi))
        found.append({"type": kind, "offset": lo, "length": hi - lo})

    # A regex whose matches all contain a character the text lacks can be skipped.
    if "@" in text:
        for match in _EMAIL_RE.finditer(text):
            add("email", match.start(), match.end())
    for match in _url_matches(text):
        add("url", match.start(), match.start() + len(_strip_url_tail(match.group())))
    for kind, regex, marker in _MARKED_ENTITIES:
        if marker in text:
            for match in regex.finditer(text):
                add(kind, match.start(), match.end())
    return found


def _trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strip leading/trailing whitespace and clip entities, as Telegram does for messages."""
    stripped = text.strip(" \t\r\n")
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip(" \t\r\n"))])
    end = lead + utf16_len(stripped)
    clipped: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"], lead)
        stop = min(entity["offset"] + entity["length"], end)
        if stop > start:
            clipped.append({**entity, "offset": start - lead, "length": stop - start})
    return stripped, clipped


# --------------------------------------------------------------------------------------------
# Request parameters
# --------------------------------------------------------------------------------------------

_INT_PARAMS: Final = frozenset(
    _names("""
    chat_id from_chat_id message_id message_thread_id reply_to_message_id offset limit timeout
    user_id cache_time max_connections until_date duration width height length
    direct_messages_topic_id sender_chat_id open_period close_date member_limit expire_date
    star_count
    """)
)
_BOOL_PARAMS: Final = frozenset(
    _names("""
    disable_notification protect_content allow_sending_without_reply disable_web_page_preview
    show_alert is_personal drop_pending_updates is_big only_if_banned revoke_messages
    is_anonymous has_spoiler disable_content_type_detection allow_paid_broadcast
    show_caption_above_media supports_streaming for_channels allows_multiple_answers is_closed
    """)
)
_JSON_PARAMS: Final = frozenset(
    _names("""
    reply_markup entities caption_entities allowed_updates link_preview_options reply_parameters
    results commands scope reaction media button rights permissions menu_button prices options
    message_ids explanation_entities question_entities suggested_post_parameters
    suggested_tip_amounts stickers mask_position keywords emoji_list checklist
    """)
)
_STRING_PARAMS: Final = frozenset(
    _names("""
    text caption parse_mode callback_query_id inline_query_id url secret_token ip_address action
    language_code file_id next_offset title description short_description name document photo
    audio video voice animation sticker thumbnail inline_message_id data emoji custom_title
    business_connection_id message_effect_id query question explanation address phone_number
    first_name last_name vcard payload currency invite_link certificate
    """)
)
_INT_RE: Final = re.compile(r"\s*-?\d+\s*")
_JSON_PARAM_NAMES: Final = {"reply_markup": "reply keyboard markup"}


def _decode_param(name: str, value: Any) -> Any:
    """Decode one parameter the way the Bot API types it; raises BotApiError on bad JSON."""
    if name in _JSON_PARAMS:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except ValueError:
            what = _JSON_PARAM_NAMES.get(name, name.replace("_", " "))
            raise _bad_request(f"can't parse {what} JSON object") from None
    if name in _INT_PARAMS:
        if isinstance(value, str) and _INT_RE.fullmatch(value):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if name in _BOOL_PARAMS:
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1"}
        return bool(value)
    if name in _STRING_PARAMS:
        return value if isinstance(value, str) else _stringify(value)
    if isinstance(value, str) and value[:1] in {"{", "["}:
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _opt_int(params: JSONDict, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad_request(f"invalid {name} specified")
    return value


def _opt_float(params: JSONDict, name: str) -> float:
    value = params.get(name)
    if value is None or value == "":
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _bad_request(f"invalid {name} specified") from None


def _req_int(params: JSONDict, name: str, missing: str | None = None) -> int:
    value = _opt_int(params, name)
    if value is None:
        raise _bad_request(missing or f"{name} is empty")
    return value


def _opt_str(params: JSONDict, name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else _stringify(value)


def _opt_list(params: JSONDict, name: str) -> list[Any] | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise _bad_request(f"can't parse {name.replace('_', ' ')} JSON object")
    return value


def _opt_dict(params: JSONDict, name: str) -> JSONDict | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        what = _JSON_PARAM_NAMES.get(name, name.replace("_", " "))
        raise _bad_request(f"can't parse {what} JSON object")
    return value


# --------------------------------------------------------------------------------------------
# State records
# --------------------------------------------------------------------------------------------


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str
    file_size: int
    meta: JSONDict = field(default_factory=dict)


@dataclass
class _Query:
    created: float
    answered: bool = False


@dataclass
class _FailRule:
    status: int
    description: str
    parameters: JSONDict | None
    remaining: int


Handler = Callable[[JSONDict, dict[str, bytes], dict[str, str]], Awaitable[Any]]


def _default_failure_description(status: int, retry_after: int) -> str:
    return {
        400: "Bad Request: injected failure",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: POLL_CONFLICT,
        429: f"Too Many Requests: retry after {retry_after}",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(status, f"Error {status}")


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeBotAPI:
    """A Telegram Bot API server on ``127.0.0.1`` with a random free port.

    Use as ``async with FakeBotAPI() as api:``. Point clients at ``f"{api.url}/bot{api.token}/"``
    (python-telegram-bot: ``base_url=f"{api.url}/bot"``, ``base_file_url=f"{api.url}/file/bot"``).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "skim_test_bot",
        can_read_all_group_messages: bool = False,
    ) -> None:
        if not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", token):
            raise ValueError(f"not a bot token: {token!r}")
        self.token: str = token
        self.bot_id: int = int(token.split(":", 1)[0])
        self.bot_user: JSONDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Skim",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": can_read_all_group_messages,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.url: str = ""
        self.calls: list[ApiCall] = []
        self.downloads: list[str] = []
        self.internal_errors: list[BaseException] = []
        #: Reject a bare ``&`` in HTML (the reference requires escaping; real Telegram is lenient).
        self.strict_html_entities: bool = True
        #: Seconds after which an inline query can no longer be answered.
        self.inline_query_ttl: float = 10.0
        #: Pause between webhook delivery retries.
        self.webhook_retry_delay: float = 0.2

        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closing = False
        self._update_event = asyncio.Event()
        self._call_event = asyncio.Event()
        self._last_activity = time.monotonic()

        self._updates: list[JSONDict] = []
        self._next_update_id = 100_000_001
        self._delivered: set[int] = set()
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._webhook: JSONDict | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_error: tuple[int, str] | None = None

        self._users: dict[int, JSONDict] = {self.bot_id: self._bot_sender()}
        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[int, dict[int, JSONDict]] = {}
        self._outgoing: set[tuple[int, int]] = set()
        self._last_message_id: dict[int, int] = {}
        self._inline_messages: dict[str, JSONDict] = {}
        self._reactions: dict[tuple[int, int], list[JSONDict]] = {}
        self._admins: dict[int, set[int]] = {}
        self._creators: dict[int, int] = {}
        self._blocked: set[int] = set()
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._callback_queries: dict[str, _Query] = {}
        self._inline_queries: dict[str, _Query] = {}
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}
        self._menu_buttons: dict[int | None, JSONDict] = {}
        self._failures: dict[str, list[_FailRule]] = {}
        self._response_delays: dict[str, float] = {}

        self._handlers: dict[str, Handler] = {
            name.lower(): getattr(self, f"_api_{name}")
            for name in _names(
                """
                getMe logOut close getUpdates setWebhook deleteWebhook getWebhookInfo
                setMyCommands getMyCommands deleteMyCommands setMyDescription getMyDescription
                setMyShortDescription getMyShortDescription setMyName getMyName
                setChatMenuButton getChatMenuButton sendMessage editMessageText
                editMessageCaption editMessageReplyMarkup deleteMessage deleteMessages
                sendChatAction answerCallbackQuery answerInlineQuery sendDocument sendPhoto
                getFile getChat getChatMember getChatAdministrators getChatMemberCount leaveChat
                setMessageReaction
                """
            )
        }

    # ---------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start serving on a random free port of 127.0.0.1."""
        app = web.Application(client_max_size=MAX_UPLOAD_SIZE + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Answer pending long polls, stop webhook delivery and close the server."""
        self._closing = True
        self._wake_updates()
        await self._stop_webhook_worker()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _bot_sender(self) -> JSONDict:
        """The bot as a message sender (getMe-only fields left out, as on Telegram)."""
        keys = ("id", "is_bot", "first_name", "username")
        return {key: self.bot_user[key] for key in keys}

    @property
    def api_url(self) -> str:
        """The method root, ``f"{url}/bot{token}"``."""
        return f"{self.url}/bot{self.token}"

    # ---------------------------------------------------------------- observation

    def calls_to(self, method: str) -> list[ApiCall]:
        """All received calls to ``method`` (case-insensitive), pending ones included."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 10.0,
    ) -> ApiCall:
        """Wait until ``count`` answered calls to ``method`` match ``predicate``; return the last.

        Calls received before this was called count too. A predicate raising
        ``KeyError``/``IndexError``/``TypeError``/``AttributeError`` counts as no match.
        """
        wanted = method.lower()

        def matches(call: ApiCall) -> bool:
            if not call.done or call.method.lower() != wanted:
                return False
            if predicate is None:
                return True
            try:
                return bool(predicate(call))
            except (KeyError, IndexError, TypeError, AttributeError):
                return False

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [call for call in self.calls if matches(call)]
            if len(found) >= count:
                return found[count - 1]
            remaining = deadline - loop.time()
            if remaining <= 0:
                what = "matching the predicate " if predicate is not None else ""
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {count} call(s) to {method} {what}"
                    f"(got {len(found)}).\n{self.describe_calls()}"
                )
            event = self._call_event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_idle(
        self, *, quiet: float = 0.15, timeout: float = 10.0, updates: bool = True
    ) -> None:
        """Wait until nothing happened for ``quiet`` seconds.

        Idle means: no request other than a long poll in flight and, with ``updates``, every
        queued update delivered to the bot.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            busy = [c for c in self.calls if not c.done and c.method.lower() != "getupdates"]
            pending = [u for u in self._updates if u["update_id"] not in self._delivered]
            idle_for = time.monotonic() - self._last_activity
            if not busy and not (updates and pending) and idle_for >= quiet:
                return
            if loop.time() >= deadline:
                raise AssertionError(
                    f"not idle after {timeout}s: {len(busy)} request(s) in flight, "
                    f"{len(pending)} undelivered update(s).\n{self.describe_calls()}"
                )
            await asyncio.sleep(min(quiet / 3, 0.05))

    def describe_calls(self, last: int = 50) -> str:
        """A numbered listing of the last received calls, for assertion messages."""
        if not self.calls:
            return "No calls received."
        start = max(0, len(self.calls) - last)
        lines = [f"Received calls ({len(self.calls)}):"]
        lines += [f"  {i + 1}. {c.summary()}" for i, c in enumerate(self.calls[start:], start)]
        return "\n".join(lines)

    def messages_in(self, chat_id: int, *, include_incoming: bool = False) -> list[JSONDict]:
        """Current state (after edits and deletions) of the messages the bot sent in a chat."""
        stored = self._messages.get(chat_id, {})
        return [
            copy.deepcopy(message)
            for message_id, message in sorted(stored.items())
            if include_incoming or (chat_id, message_id) in self._outgoing
        ]

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """Current state of one stored message (incoming or outgoing), or ``None``."""
        stored = self._messages.get(chat_id, {}).get(message_id)
        return copy.deepcopy(stored) if stored is not None else None

    def reactions_on(self, chat_id: int, message_id: int) -> list[JSONDict]:
        """Reactions the bot set on a message with setMessageReaction."""
        return copy.deepcopy(self._reactions.get((chat_id, message_id), []))

    def my_commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """Commands currently set for a scope and language (as getMyCommands answers)."""
        key = (self._scope_key(scope or {"type": "default"}), language_code)
        return copy.deepcopy(self._commands.get(key, []))

    @property
    def webhook(self) -> JSONDict | None:
        """The current webhook settings (url, secret_token, …) or ``None``."""
        return copy.deepcopy(self._webhook)

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Queued updates not yet confirmed by the bot."""
        return copy.deepcopy(self._updates)

    # ---------------------------------------------------------------- configuration

    def fail_next(
        self,
        method: str,
        *,
        status: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        count: int = 1,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """Answer the next ``count`` calls to ``method`` with an error instead of handling them.

        ``description`` defaults to Telegram's wording for ``status`` (for 429:
        ``"Too Many Requests: retry after N"``, with ``retry_after`` defaulting to 1).
        """
        parameters: JSONDict = {}
        if status == 429 and retry_after is None:
            retry_after = 1
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        rule = _FailRule(
            status=status,
            description=description or _default_failure_description(status, retry_after or 0),
            parameters=parameters or None,
            remaining=count,
        )
        self._failures.setdefault(method.lower(), []).append(rule)

    def delay_responses(self, method: str, seconds: float) -> None:
        """Answer ``method`` ``seconds`` late, after its effect is done and recorded.

        Network latency on the way back: the chat (and a fast user) already sees the message
        while the bot is still waiting for the answer that tells it the message id.
        """
        self._response_delays[method.lower()] = seconds

    def set_chat_admins(
        self, chat_id: int, user_ids: Iterable[int], *, creator_id: int | None = None
    ) -> None:
        """Make ``user_ids`` administrators of a chat (include ``bot_id`` for the bot)."""
        self._admins[chat_id] = set(user_ids)
        if creator_id is not None:
            self._creators[chat_id] = creator_id

    def block_user(self, user_id: int) -> None:
        """Sends to this private chat now fail with 403 "bot was blocked by the user"."""
        self._blocked.add(user_id)

    def add_file(
        self, content: bytes, *, file_path: str | None = None, file_size: int | None = None
    ) -> JSONDict:
        """Register downloadable content; return a ``File`` dict (file_id, file_path, …).

        ``file_size`` overrides the reported size, e.g. to test the 20 MB getFile limit.
        """
        stored = self._store_file(content, file_path or f"documents/file_{len(self._files) + 1}")
        if file_size is not None:
            stored.file_size = file_size
        return self._file_object(stored)

    # ---------------------------------------------------------------- updates

    def add_update(self, update: JSONDict) -> int:
        """Queue an update (assigning ``update_id`` unless present) and wake long polls."""
        if "update_id" in update:
            update_id = int(update["update_id"])
            self._next_update_id = max(self._next_update_id, update_id + 1)
        else:
            update_id = self._next_update_id
            self._next_update_id += 1
            update["update_id"] = update_id
        self._remember_update(update)
        self._updates.append(copy.deepcopy(update))
        self._touch()
        self._wake_updates()
        return update_id

    def send_private_message(
        self,
        text: str | None = None,
        *,
        user: JSONDict | None = None,
        entities: list[JSONDict] | None = None,
        reply_to_message: JSONDict | None = None,
        caption: str | None = None,
        document: JSONDict | None = None,
        forward_origin: JSONDict | None = None,
        **extra: Any,
    ) -> JSONDict:
        """Queue a ``message`` update from a user in their private chat with the bot."""
        sender = copy.deepcopy(user or DEFAULT_USER)
        chat = self._private_chat(sender)
        message = self._incoming_message(
            chat,
            sender,
            text=text,
            entities=entities,
            reply_to_message=reply_to_message,
            caption=caption,
            document=document,
            forward_origin=forward_origin,
            extra=extra,
        )
        return self._queue_message(message)

    def send_group_message(
        self,
        text: str,
        *,
        chat_type: Literal["group", "supergroup"] = "supergroup",
        chat_id: int | None = None,
        chat_title: str = "Skim Test Group",
        user: JSONDict | None = None,
        entities: list[JSONDict] | None = None,
        reply_to_message: JSONDict | None = None,
        message_thread_id: int | None = None,
        is_topic_message: bool = False,
        **extra: Any,
    ) -> JSONDict:
        """Queue a group ``message`` update.

        With privacy mode (``can_read_all_group_messages=False``, bot not an admin) the update is
        only queued if the bot would see it: commands, mentions of the bot, replies to the bot,
        service messages. A hidden message is stored but returned without ``update_id``.
        """
        if chat_id is None:
            chat_id = DEFAULT_SUPERGROUP_ID if chat_type == "supergroup" else DEFAULT_GROUP_ID
        chat = {**self._chats.get(chat_id, {}), "id": chat_id, "type": chat_type}
        chat.setdefault("title", chat_title)
        if is_topic_message:
            chat["is_forum"] = True
        sender = copy.deepcopy(user or DEFAULT_USER)
        if message_thread_id is not None:
            extra["message_thread_id"] = message_thread_id
        if is_topic_message:
            extra["is_topic_message"] = True
        message = self._incoming_message(
            chat,
            sender,
            text=text,
            entities=entities,
            reply_to_message=reply_to_message,
            extra=extra,
        )
        return self._queue_message(message)

    def send_channel_post(
        self,
        text: str,
        *,
        chat_id: int = DEFAULT_CHANNEL_ID,
        chat_title: str = "Skim Test Channel",
        entities: list[JSONDict] | None = None,
        edited: bool = False,
        message_id: int | None = None,
        **extra: Any,
    ) -> JSONDict:
        """Queue a ``channel_post`` (or, with ``edited``, an ``edited_channel_post``) update.

        An edit without ``message_id`` edits the channel's latest post.
        """
        chat = {**self._chats.get(chat_id, {}), "id": chat_id, "type": "channel"}
        chat.setdefault("title", chat_title)
        self._remember_chat(chat)
        if edited and message_id is None:
            message_id = self._last_message_id.get(chat_id)
            if message_id is None:
                raise ValueError(f"no post to edit in channel {chat_id}")
        if message_id is None:
            message_id = self._next_message_id(chat_id)
        message: JSONDict = {
            "message_id": message_id,
            "sender_chat": copy.deepcopy(chat),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
        }
        self._set_text(message, "text", text, entities)
        if edited:
            original = self._messages.get(chat_id, {}).get(message_id)
            if original is not None:
                message["date"] = original["date"]
            message["edit_date"] = int(time.time())
        message.update(extra)
        update = {"edited_channel_post" if edited else "channel_post": message}
        self.add_update(update)
        return update

    def send_callback_query(
        self, data: str, *, message: JSONDict, user: JSONDict | None = None
    ) -> JSONDict:
        """Queue a ``callback_query`` as if ``user`` pressed a button with ``data`` on ``message``.

        The current stored state of ``message`` is used when the fake knows it.
        """
        sender = copy.deepcopy(user or DEFAULT_USER)
        chat_id = message["chat"]["id"]
        current = self._messages.get(chat_id, {}).get(message["message_id"], message)
        query_id = str(secrets.randbits(62))
        self._callback_queries[query_id] = _Query(created=time.monotonic())
        update = {
            "callback_query": {
                "id": query_id,
                "from": sender,
                "message": copy.deepcopy(current),
                "chat_instance": str(abs(hash((self.bot_id, chat_id))) % 10**18),
                "data": data,
            }
        }
        self.add_update(update)
        return update

    def send_inline_query(
        self,
        query: str,
        *,
        user: JSONDict | None = None,
        offset: str = "",
        chat_type: str | None = "sender",
    ) -> JSONDict:
        """Queue an ``inline_query`` update; answer it within :attr:`inline_query_ttl` seconds."""
        query_id = str(secrets.randbits(62))
        self._inline_queries[query_id] = _Query(created=time.monotonic())
        inline: JSONDict = {
            "id": query_id,
            "from": copy.deepcopy(user or DEFAULT_USER),
            "query": query,
            "offset": offset,
        }
        if chat_type:
            inline["chat_type"] = chat_type
        update = {"inline_query": inline}
        self.add_update(update)
        return update

    def send_document(
        self,
        content: bytes,
        *,
        file_name: str,
        mime_type: str,
        chat: JSONDict | int | None = None,
        caption: str | None = None,
        user: JSONDict | None = None,
        caption_entities: list[JSONDict] | None = None,
    ) -> JSONDict:
        """Register ``content`` as a file and queue a message carrying it as a ``Document``.

        ``chat`` (a Chat dict or a chat id) defaults to the sender's private chat.
        """
        sender = copy.deepcopy(user or DEFAULT_USER)
        if chat is None:
            target = self._private_chat(sender)
        elif isinstance(chat, int):
            target = self._resolve_chat(chat)
        else:
            target = copy.deepcopy(chat)
        extension = mimetypes.guess_extension(mime_type) or ""
        if "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[-1]
        stored = self._store_file(content, f"documents/file_{len(self._files) + 1}{extension}")
        document = {
            "file_name": file_name,
            "mime_type": mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        stored.meta = {"document": document}
        message = self._incoming_message(
            target,
            sender,
            caption=caption,
            caption_entities=caption_entities,
            document=document,
        )
        return self._queue_message(message)

    # ---------------------------------------------------------------- HTTP layer

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return web.json_response(BotApiError(404, "Not Found").to_json(), status=404)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(BotApiError(401, "Unauthorized").to_json(), status=401)
        path = unquote(request.match_info["path"])
        self.downloads.append(path)
        self._touch()
        stored = self._files_by_path.get(path)
        if stored is None:
            return web.json_response(BotApiError(404, "Not Found").to_json(), status=404)
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return web.Response(body=stored.content, content_type=content_type)

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = ApiCall(method=method, params={})
        self.calls.append(call)
        self._touch()
        try:
            body, status = await self._process(request, call)
        except asyncio.CancelledError:
            self._finish(call, {"ok": False, "description": "client disconnected"}, 499)
            raise
        self._finish(call, body, status)
        delay = self._response_delays.get(method.lower(), 0.0)
        if delay:
            await asyncio.sleep(delay)
        return web.json_response(body, status=status)

    async def _process(self, request: web.Request, call: ApiCall) -> tuple[JSONDict, int]:
        try:
            raw, call.files, call.file_names = await self._read_request(request)
            decode_error: BotApiError | None = None
            for name, value in raw.items():
                try:
                    call.params[name] = _decode_param(name, value)
                except BotApiError as error:
                    call.params[name] = value
                    decode_error = decode_error or error
            if request.match_info["token"] != self.token:
                raise BotApiError(401, "Unauthorized")
            handler = self._handlers.get(call.method.lower())
            if handler is None:
                raise BotApiError(404, "Not Found")
            self._maybe_fail(call.method)
            if decode_error is not None:
                raise decode_error
            result = await handler(call.params, call.files, call.file_names)
        except BotApiError as error:
            return error.to_json(), error.code
        except web.HTTPRequestEntityTooLarge:
            return BotApiError(413, "Request Entity Too Large").to_json(), 413
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug in the fake: surface it to the test
            log.exception("FakeBotAPI failed to handle %s", call.method)
            self.internal_errors.append(error)
            return BotApiError(500, f"Internal Server Error: {error!r}").to_json(), 500
        return {"ok": True, "result": result}, 200

    async def _read_request(
        self, request: web.Request
    ) -> tuple[JSONDict, dict[str, bytes], dict[str, str]]:
        raw: JSONDict = dict(request.query)
        files: dict[str, bytes] = {}
        names: dict[str, str] = {}
        if not request.body_exists:
            return raw, files, names
        content_type = request.content_type
        if content_type == "multipart/form-data":
            try:
                reader = await request.multipart()
                total = 0
                while (part := await reader.next()) is not None:
                    if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                        continue
                    if part.filename is not None:
                        files[part.name] = bytes(await part.read())
                        names[part.name] = part.filename
                        total += len(files[part.name])
                    else:
                        raw[part.name] = await part.text()
                    if total > MAX_UPLOAD_SIZE:
                        raise BotApiError(413, "Request Entity Too Large")
            except (ValueError, aiohttp.ClientPayloadError):
                raise _bad_request("can't parse multipart/form-data request") from None
        elif content_type == "application/json":
            body = await request.read()
            if body.strip():
                try:
                    data = json.loads(body)
                except ValueError:
                    raise _bad_request("can't parse JSON encoded request") from None
                if not isinstance(data, dict):
                    raise _bad_request("JSON object expected in the request body")
                raw.update(data)
        else:
            form = await request.post()
            raw.update({k: v for k, v in form.items() if isinstance(v, str)})
        return raw, files, names

    def _maybe_fail(self, method: str) -> None:
        rules = self._failures.get(method.lower())
        if not rules:
            return
        rule = rules[0]
        rule.remaining -= 1
        if rule.remaining <= 0:
            rules.pop(0)
        raise BotApiError(rule.status, rule.description, copy.deepcopy(rule.parameters))

    def _finish(self, call: ApiCall, body: JSONDict, status: int) -> None:
        call.response = body
        call.status = status
        call.done = True
        self._touch()
        self._call_event.set()
        self._call_event = asyncio.Event()

    def _touch(self) -> None:
        self._last_activity = time.monotonic()

    def _wake_updates(self) -> None:
        self._update_event.set()
        self._update_event = asyncio.Event()

    # ---------------------------------------------------------------- bot & updates methods

    async def _api_getMe(self, params: JSONDict, *_: Any) -> JSONDict:
        return copy.deepcopy(self.bot_user)

    async def _api_logOut(self, params: JSONDict, *_: Any) -> bool:
        return True

    async def _api_close(self, params: JSONDict, *_: Any) -> bool:
        return True

    async def _api_getUpdates(self, params: JSONDict, *_: Any) -> list[JSONDict]:
        if self._webhook is not None:
            raise BotApiError(409, WEBHOOK_ACTIVE)
        offset = _opt_int(params, "offset") or 0
        limit = min(max(_opt_int(params, "limit") or 100, 1), 100)
        timeout = max(_opt_float(params, "timeout"), 0.0)
        allowed = self._parse_allowed_updates(params)
        if allowed is not None:
            self._allowed_updates = allowed
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_updates()  # a newer poll terminates older ones, as on the real server
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise BotApiError(409, POLL_CONFLICT)
            batch = self._deliverable(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing:
                break
            event = self._update_event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
        self._delivered.update(u["update_id"] for u in batch)
        return copy.deepcopy(batch)

    def _parse_allowed_updates(self, params: JSONDict) -> list[str] | None:
        allowed = _opt_list(params, "allowed_updates")
        if allowed is not None and not all(isinstance(kind, str) for kind in allowed):
            raise _bad_request("can't parse allowed updates JSON object")
        return allowed

    def _allows(self, update: JSONDict) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        if not self._allowed_updates:
            return kind not in OPT_IN_UPDATE_TYPES
        return kind in self._allowed_updates

    def _deliverable(self, limit: int) -> list[JSONDict]:
        """Drop queued updates of types the bot did not ask for; return the first ``limit``."""
        self._updates = [u for u in self._updates if self._allows(u)]
        return self._updates[:limit]

    async def _api_setWebhook(self, params: JSONDict, *_: Any) -> bool:
        url = _opt_str(params, "url") or ""
        if not url:
            await self._remove_webhook(drop=bool(params.get("drop_pending_updates")))
            return True
        parts = urlsplit(url)
        loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise _bad_request("bad webhook: Failed to resolve host: Name or service not known")
        if parts.scheme != "https" and not loopback:
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if not loopback and parts.port not in {None, 80, 88, 443, 8443}:
            raise _bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = _opt_str(params, "secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad_request("secret token contains unallowed characters")
        max_connections = _opt_int(params, "max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise _bad_request("invalid max_connections specified")
        allowed = self._parse_allowed_updates(params)
        if allowed is not None:
            self._allowed_updates = allowed
        if params.get("drop_pending_updates"):
            self._updates.clear()
        await self._stop_webhook_worker()
        self._webhook = {"url": url, "secret_token": secret, "max_connections": max_connections}
        self._webhook_error = None
        self._poll_generation += 1  # a pending long poll ends with a conflict
        self._wake_updates()
        self._webhook_task = asyncio.create_task(self._webhook_worker())
        return True

    async def _api_deleteWebhook(self, params: JSONDict, *_: Any) -> bool:
        await self._remove_webhook(drop=bool(params.get("drop_pending_updates")))
        return True

    async def _remove_webhook(self, *, drop: bool) -> None:
        await self._stop_webhook_worker()
        self._webhook = None
        self._webhook_error = None
        if drop:
            self._updates.clear()

    async def _api_getWebhookInfo(self, params: JSONDict, *_: Any) -> JSONDict:
        info: JSONDict = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook:
            info["max_connections"] = self._webhook["max_connections"]
            info["ip_address"] = "127.0.0.1"
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
            if self._webhook_error:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    async def _stop_webhook_worker(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _webhook_worker(self) -> None:
        """Deliver queued updates to the webhook one at a time, retrying failures."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        while self._webhook is not None and not self._closing:
            batch = self._deliverable(1)
            if not batch:
                await self._update_event.wait()
                continue
            update = batch[0]
            headers = {}
            if self._webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = self._webhook["secret_token"]
            error: str
            try:
                async with self._session.post(
                    self._webhook["url"],
                    json=update,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as response:
                    body = await response.read()
                    if 200 <= response.status < 300:
                        self._updates = [
                            u for u in self._updates if u["update_id"] != update["update_id"]
                        ]
                        self._delivered.add(update["update_id"])
                        self._touch()
                        await self._webhook_reply(body)
                        continue
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc or type(exc).__name__}"
            self._webhook_error = (int(time.time()), error)
            await asyncio.sleep(self.webhook_retry_delay)

    async def _webhook_reply(self, body: bytes) -> None:
        """Execute a method call given in a webhook response body, as Telegram does."""
        try:
            data = json.loads(body) if body.strip() else None
        except ValueError:
            return
        if not isinstance(data, dict) or not isinstance(data.get("method"), str):
            return
        method = data.pop("method")
        call = ApiCall(method=method, params={})
        self.calls.append(call)
        try:
            call.params = {k: _decode_param(k, v) for k, v in data.items()}
            handler = self._handlers.get(method.lower())
            if handler is None:
                raise BotApiError(404, "Not Found")
            result = await handler(call.params, {}, {})
        except BotApiError as error:
            self._finish(call, error.to_json(), error.code)
        else:
            self._finish(call, {"ok": True, "result": result}, 200)

    # ---------------------------------------------------------------- commands & bot info

    def _scope_key(self, scope: JSONDict) -> str:
        kind = scope.get("type")
        if kind not in COMMAND_SCOPES:
            raise _bad_request("can't parse BotCommandScope: unsupported type specified")
        key: JSONDict = {"type": kind}
        if kind in {"chat", "chat_administrators", "chat_member"}:
            chat_id = scope.get("chat_id")
            if isinstance(chat_id, str) and _INT_RE.fullmatch(chat_id):
                chat_id = int(chat_id)
            if chat_id in (None, ""):
                raise _bad_request("chat_id is empty")
            if isinstance(chat_id, str):
                chat_id = self._resolve_chat(chat_id)["id"]
            key["chat_id"] = chat_id
        if kind == "chat_member":
            user_id = scope.get("user_id")
            if not isinstance(user_id, int):
                raise _bad_request("user_id is empty")
            key["user_id"] = user_id
        return json.dumps(key, sort_keys=True)

    def _commands_key(self, params: JSONDict) -> tuple[str, str]:
        scope = _opt_dict(params, "scope") or {"type": "default"}
        language = _opt_str(params, "language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad_request("invalid language code specified")
        return self._scope_key(scope), language

    async def _api_setMyCommands(self, params: JSONDict, *_: Any) -> bool:
        commands = _opt_list(params, "commands")
        if commands is None:
            raise _bad_request('parameter "commands" is required')
        if len(commands) > 100:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        cleaned: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand: object expected")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._commands_key(params)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    async def _api_getMyCommands(self, params: JSONDict, *_: Any) -> list[JSONDict]:
        return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    async def _api_deleteMyCommands(self, params: JSONDict, *_: Any) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _set_bot_text(self, params: JSONDict, name: str, limit: int) -> bool:
        value = _opt_str(params, name) or ""
        if len(value) > limit:
            raise _bad_request(f"{name.replace('_', ' ')} is too long")
        key = (name, _opt_str(params, "language_code") or "")
        if value:
            self._bot_texts[key] = value
        else:
            self._bot_texts.pop(key, None)
        return True

    def _get_bot_text(self, params: JSONDict, name: str, default: str = "") -> JSONDict:
        language = _opt_str(params, "language_code") or ""
        value = self._bot_texts.get((name, language), self._bot_texts.get((name, ""), default))
        return {name: value}

    async def _api_setMyDescription(self, params: JSONDict, *_: Any) -> bool:
        return self._set_bot_text(params, "description", 512)

    async def _api_getMyDescription(self, params: JSONDict, *_: Any) -> JSONDict:
        return self._get_bot_text(params, "description")

    async def _api_setMyShortDescription(self, params: JSONDict, *_: Any) -> bool:
        return self._set_bot_text(params, "short_description", 120)

    async def _api_getMyShortDescription(self, params: JSONDict, *_: Any) -> JSONDict:
        return self._get_bot_text(params, "short_description")

    async def _api_setMyName(self, params: JSONDict, *_: Any) -> bool:
        return self._set_bot_text(params, "name", 64)

    async def _api_getMyName(self, params: JSONDict, *_: Any) -> JSONDict:
        return self._get_bot_text(params, "name", self.bot_user["first_name"])

    async def _api_setChatMenuButton(self, params: JSONDict, *_: Any) -> bool:
        chat_id = self._resolve_chat(params["chat_id"])["id"] if params.get("chat_id") else None
        button = _opt_dict(params, "menu_button") or {"type": "default"}
        if button.get("type") not in {"commands", "web_app", "default"}:
            raise _bad_request("can't parse menu button: unsupported type")
        self._menu_buttons[chat_id] = button
        return True

    async def _api_getChatMenuButton(self, params: JSONDict, *_: Any) -> JSONDict:
        chat_id = self._resolve_chat(params["chat_id"])["id"] if params.get("chat_id") else None
        button = self._menu_buttons.get(chat_id) or self._menu_buttons.get(None)
        if button is None or button.get("type") == "default":
            button = {"type": "commands"}
        return copy.deepcopy(button)

    # ---------------------------------------------------------------- messages

    def _format(
        self,
        text: str,
        parse_mode: str | None,
        entities: list[Any] | None,
    ) -> tuple[str, list[JSONDict]]:
        """Apply ``parse_mode`` (or explicit entities), trim, and add automatic entities."""
        mode = (parse_mode or "").strip().lower()
        if mode and mode != "none":
            try:
                if mode == "html":
                    plain, found = parse_html(text, strict_entities=self.strict_html_entities)
                elif mode == "markdownv2":
                    plain, found = parse_markdown_v2(text)
                elif mode == "markdown":
                    plain, found = parse_markdown(text)
                else:
                    raise _bad_request("unsupported parse_mode")
            except EntityParseError as error:
                raise _bad_request(f"can't parse entities: {error}") from None
        else:
            plain, found = text, self._check_entities(text, entities or [])
        plain, found = _trim(plain, found)
        return plain, _sort_entities(found + detect_entities(plain, found))

    def _check_entities(self, text: str, entities: list[Any]) -> list[JSONDict]:
        total = utf16_len(text)
        checked: list[JSONDict] = []
        for entity in entities:
            if not (
                isinstance(entity, dict)
                and isinstance(entity.get("type"), str)
                and isinstance(entity.get("offset"), int)
                and isinstance(entity.get("length"), int)
            ):
                raise _bad_request("can't parse entities: MessageEntity must be an object")
            start = max(entity["offset"], 0)
            end = min(entity["offset"] + entity["length"], total)
            if end > start:
                checked.append({**entity, "offset": start, "length": end - start})
        return checked

    def _message_text(self, params: JSONDict) -> tuple[str, list[JSONDict]]:
        text = _opt_str(params, "text")
        if not text:
            raise _bad_request("message text is empty")
        plain, entities = self._format(
            text, _opt_str(params, "parse_mode"), _opt_list(params, "entities")
        )
        if not plain:
            raise _bad_request("message text is empty")
        if utf16_len(plain) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        return plain, entities

    def _caption(self, params: JSONDict) -> tuple[str, list[JSONDict]]:
        caption = _opt_str(params, "caption") or ""
        if not caption:
            return "", []
        plain, entities = self._format(
            caption, _opt_str(params, "parse_mode"), _opt_list(params, "caption_entities")
        )
        if utf16_len(plain) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        return plain, entities

    def _reply_markup(self, params: JSONDict, *, inline_only: bool) -> JSONDict | None:
        """Validate ``reply_markup``; return the inline keyboard to echo on the Message."""
        markup = _opt_dict(params, "reply_markup")
        if markup is None:
            return None
        if "inline_keyboard" not in markup:
            if inline_only:
                raise _bad_request("inline keyboard expected")
            if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
                raise _bad_request("can't parse reply keyboard markup JSON object")
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request(
                'can\'t parse inline keyboard: field "inline_keyboard" must be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                self._check_button(button)
        if not any(rows):
            return None
        return _clone(markup)

    def _check_button(self, button: Any) -> None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _bad_request("can't parse inline keyboard button: Text must be a String")
        actions = [key for key in INLINE_BUTTON_ACTIONS if key in button]
        if not actions:
            raise _bad_request("text buttons are unallowed in the inline keyboard")
        if len(actions) > 1:
            raise _bad_request(
                "can't parse inline keyboard button: "
                "exactly one of the optional fields must be used"
            )
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
        if "url" in button:
            url = button["url"]
            if not isinstance(url, str) or normalize_url(url) is None:
                raise _bad_request("BUTTON_URL_INVALID")

    def _outgoing_base(self, params: JSONDict) -> JSONDict:
        """Resolve the chat and build the common fields of a message the bot sends."""
        chat = self._resolve_chat(params.get("chat_id"))
        chat_id = chat["id"]
        if chat["type"] == "private" and chat_id in self._blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        message: JSONDict = {"message_id": 0, "date": int(time.time()), "chat": chat}
        if chat["type"] == "channel":
            message["sender_chat"] = _clone(chat)
        else:
            message["from"] = self._bot_sender()
        thread_id = _opt_int(params, "message_thread_id")
        if thread_id is not None and chat["type"] in {"supergroup", "group"}:
            message["message_thread_id"] = thread_id
            if chat.get("is_forum"):
                message["is_topic_message"] = True
        reply = self._reply_target(params, chat_id)
        if reply is not None:
            message["reply_to_message"] = reply
        if params.get("protect_content"):
            message["has_protected_content"] = True
        return message

    def _reply_target(self, params: JSONDict, chat_id: int) -> JSONDict | None:
        reply_parameters = _opt_dict(params, "reply_parameters")
        if reply_parameters is None and _opt_int(params, "reply_to_message_id") is not None:
            reply_parameters = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": bool(params.get("allow_sending_without_reply")),
            }
        if reply_parameters is None:
            return None
        target_chat = chat_id
        if reply_parameters.get("chat_id") not in (None, ""):
            target_chat = self._resolve_chat(reply_parameters["chat_id"])["id"]
        message_id = reply_parameters.get("message_id")
        target = self._messages.get(target_chat, {}).get(message_id)  # type: ignore[arg-type]
        if target is None:
            if reply_parameters.get("allow_sending_without_reply"):
                return None
            raise _bad_request("message to be replied not found")
        reply = _clone(target)
        reply.pop("reply_to_message", None)
        return reply

    def _store_outgoing(self, message: JSONDict) -> JSONDict:
        chat_id = message["chat"]["id"]
        message["message_id"] = self._next_message_id(chat_id)
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        self._outgoing.add((chat_id, message["message_id"]))
        return _clone(message)

    async def _api_sendMessage(self, params: JSONDict, *_: Any) -> JSONDict:
        message = self._outgoing_base(params)
        text, entities = self._message_text(params)
        markup = self._reply_markup(params, inline_only=False)
        message["text"] = text
        if entities:
            message["entities"] = entities
        preview = _opt_dict(params, "link_preview_options")
        if preview is None and params.get("disable_web_page_preview"):
            preview = {"is_disabled": True}
        if preview:
            message["link_preview_options"] = preview
        if markup is not None:
            message["reply_markup"] = markup
        return self._store_outgoing(message)

    def _editable(self, params: JSONDict, what: str) -> JSONDict:
        chat = self._resolve_chat(params.get("chat_id"))
        message_id = _req_int(params, "message_id", "message identifier is not specified")
        message = self._messages.get(chat["id"], {}).get(message_id)
        if message is None:
            raise _bad_request(f"message to {what} not found")
        if (chat["id"], message_id) not in self._outgoing:
            raise _bad_request("message can't be edited")
        return message

    def _apply_edit(self, message: JSONDict, changes: JSONDict) -> JSONDict:
        """Replace fields (``None`` removes one); 400 "not modified" if nothing changes."""
        if all(message.get(key) == value for key, value in changes.items()):
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(time.time())
        return _clone(message)

    def _edit_inline(self, params: JSONDict, changes: JSONDict) -> bool:
        inline_id = _opt_str(params, "inline_message_id") or ""
        current = self._inline_messages.setdefault(inline_id, {})
        if current and all(current.get(key) == value for key, value in changes.items()):
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        current.update(changes)
        return True

    async def _api_editMessageText(self, params: JSONDict, *_: Any) -> JSONDict | bool:
        message = None
        if not params.get("inline_message_id"):
            message = self._editable(params, "edit")
            if "text" not in message:
                raise _bad_request("there is no text in the message to edit")
        text, entities = self._message_text(params)
        markup = self._reply_markup(params, inline_only=True)
        changes = {"text": text, "entities": entities or None, "reply_markup": markup}
        if message is None:
            return self._edit_inline(params, changes)
        edited = self._apply_edit(message, changes)
        preview = _opt_dict(params, "link_preview_options")
        if preview:
            message["link_preview_options"] = preview
            edited["link_preview_options"] = copy.deepcopy(preview)
        return edited

    async def _api_editMessageCaption(self, params: JSONDict, *_: Any) -> JSONDict | bool:
        caption, entities = self._caption(params)
        markup = self._reply_markup(params, inline_only=True)
        changes = {
            "caption": caption or None,
            "caption_entities": entities or None,
            "reply_markup": markup,
        }
        if params.get("inline_message_id"):
            return self._edit_inline(params, changes)
        message = self._editable(params, "edit")
        if "text" in message:
            raise _bad_request("there is no caption in the message to edit")
        return self._apply_edit(message, changes)

    async def _api_editMessageReplyMarkup(self, params: JSONDict, *_: Any) -> JSONDict | bool:
        markup = self._reply_markup(params, inline_only=True)
        if params.get("inline_message_id"):
            return self._edit_inline(params, {"reply_markup": markup})
        message = self._editable(params, "edit")
        return self._apply_edit(message, {"reply_markup": markup})

    def _can_delete(self, chat: JSONDict, message_id: int) -> bool:
        if (chat["id"], message_id) in self._outgoing or chat["type"] == "private":
            return True
        return chat["type"] == "channel" or self.bot_id in self._admins.get(chat["id"], set())

    async def _api_deleteMessage(self, params: JSONDict, *_: Any) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        message_id = _req_int(params, "message_id", "message identifier is not specified")
        if message_id not in self._messages.get(chat["id"], {}):
            raise _bad_request("message to delete not found")
        if not self._can_delete(chat, message_id):
            raise _bad_request("message can't be deleted")
        del self._messages[chat["id"]][message_id]
        self._outgoing.discard((chat["id"], message_id))
        return True

    async def _api_deleteMessages(self, params: JSONDict, *_: Any) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        ids = _opt_list(params, "message_ids") or []
        if not 1 <= len(ids) <= 100:
            raise _bad_request("message_ids must contain 1-100 identifiers")
        stored = self._messages.get(chat["id"], {})
        for message_id in ids:
            if message_id in stored and self._can_delete(chat, message_id):
                del stored[message_id]
                self._outgoing.discard((chat["id"], message_id))
        return True

    async def _api_sendChatAction(self, params: JSONDict, *_: Any) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat["type"] == "private" and chat["id"] in self._blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        if _opt_str(params, "action") not in CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    async def _api_setMessageReaction(self, params: JSONDict, *_: Any) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        message_id = _req_int(params, "message_id", "message identifier is not specified")
        if message_id not in self._messages.get(chat["id"], {}):
            raise _bad_request("MESSAGE_ID_INVALID")
        reactions = _opt_list(params, "reaction") or []
        for reaction in reactions:
            if not isinstance(reaction, dict) or reaction.get("type") not in {
                "emoji",
                "custom_emoji",
                "paid",
            }:
                raise _bad_request("REACTION_INVALID")
        self._reactions[(chat["id"], message_id)] = copy.deepcopy(reactions)
        return True

    # ---------------------------------------------------------------- queries

    async def _api_answerCallbackQuery(self, params: JSONDict, *_: Any) -> bool:
        query = self._callback_queries.get(_opt_str(params, "callback_query_id") or "")
        if query is None or query.answered:
            raise _bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        text = _opt_str(params, "text") or ""
        if len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        return True

    async def _api_answerInlineQuery(self, params: JSONDict, *_: Any) -> bool:
        query = self._inline_queries.get(_opt_str(params, "inline_query_id") or "")
        if (
            query is None
            or query.answered
            or time.monotonic() - query.created > self.inline_query_ttl
        ):
            raise _bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        results = _opt_list(params, "results")
        if results is None:
            raise _bad_request('parameter "results" is required')
        if len(results) > MAX_INLINE_RESULTS:
            raise _bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict) or result.get("type") not in INLINE_RESULT_TYPES:
                raise _bad_request("can't parse InlineQueryResult: unsupported type")
            result_id = result.get("id")
            if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
                raise _bad_request("RESULT_ID_INVALID")
            if result_id in seen:
                raise _bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            if result["type"] == "article":
                self._check_article(result)
        next_offset = _opt_str(params, "next_offset") or ""
        if len(next_offset.encode()) > 64:
            raise _bad_request("NEXT_OFFSET_INVALID")
        query.answered = True
        return True

    def _check_article(self, result: JSONDict) -> None:
        if not isinstance(result.get("title"), str) or not result["title"]:
            raise _bad_request(
                'can\'t parse InlineQueryResultArticle: Field "title" must be of type String'
            )
        content = result.get("input_message_content")
        if not isinstance(content, dict):
            raise _bad_request(
                "can't parse InlineQueryResultArticle: "
                'Field "input_message_content" must be of type Object'
            )
        if "message_text" in content:
            self._message_text(
                {
                    "text": content["message_text"],
                    "parse_mode": content.get("parse_mode"),
                    "entities": content.get("entities"),
                }
            )

    # ---------------------------------------------------------------- files

    def _store_file(self, content: bytes, path: str) -> _StoredFile:
        stored = _StoredFile(
            file_id="BQACAgIAAxkBAA" + secrets.token_urlsafe(24),
            file_unique_id="AgAD" + secrets.token_urlsafe(9),
            content=content,
            file_path=path,
            file_size=len(content),
        )
        self._files[stored.file_id] = stored
        self._files_by_path[path] = stored
        return stored

    @staticmethod
    def _file_object(stored: _StoredFile) -> JSONDict:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    async def _input_file(
        self, params: JSONDict, files: dict[str, bytes], names: dict[str, str], field_name: str
    ) -> tuple[_StoredFile | None, bytes, str]:
        """Resolve an InputFile: an upload, ``attach://name``, a known file_id or an HTTP URL.

        Returns (known file or None, content, file name).
        """
        if field_name in files:
            return None, files[field_name], names.get(field_name, field_name)
        value = _opt_str(params, field_name)
        if not value:
            raise _bad_request(f"there is no {field_name} in the request")
        if value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name not in files:
                raise _bad_request(f"file {name} not found in the request")
            return None, files[name], names.get(name, name)
        if value in self._files:
            stored = self._files[value]
            return stored, stored.content, stored.file_path.rsplit("/", 1)[-1]
        if value.startswith(("http://", "https://")):
            if self._session is None:
                self._session = aiohttp.ClientSession()
            try:
                async with self._session.get(
                    value, timeout=aiohttp.ClientTimeout(total=10)
                ) as response:
                    if response.status != 200:
                        raise _bad_request("failed to get HTTP URL content")
                    content = await response.read()
            except (aiohttp.ClientError, TimeoutError):
                raise _bad_request("failed to get HTTP URL content") from None
            name = urlsplit(value).path.rsplit("/", 1)[-1] or "file"
            return None, content, name
        raise _bad_request("wrong file identifier/HTTP URL specified")

    async def _api_sendDocument(
        self, params: JSONDict, files: dict[str, bytes], names: dict[str, str]
    ) -> JSONDict:
        message = self._outgoing_base(params)
        known, content, file_name = await self._input_file(params, files, names, "document")
        if len(content) > MAX_UPLOAD_SIZE:
            raise BotApiError(413, "Request Entity Too Large")
        caption, entities = self._caption(params)
        markup = self._reply_markup(params, inline_only=False)
        if known is not None and "document" in known.meta:
            document = copy.deepcopy(known.meta["document"])
        else:
            extension = "." + file_name.rsplit(".", 1)[-1] if "." in file_name else ""
            stored = self._store_file(content, f"documents/file_{len(self._files) + 1}{extension}")
            document = {
                "file_name": file_name,
                "mime_type": mimetypes.guess_type(file_name)[0] or "application/octet-stream",
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.file_size,
            }
            stored.meta = {"document": document}
        message["document"] = document
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        return self._store_outgoing(message)

    async def _api_sendPhoto(
        self, params: JSONDict, files: dict[str, bytes], names: dict[str, str]
    ) -> JSONDict:
        message = self._outgoing_base(params)
        known, content, _ = await self._input_file(params, files, names, "photo")
        if len(content) > 10 * 1024 * 1024:
            raise _bad_request("PHOTO_INVALID_DIMENSIONS")
        caption, entities = self._caption(params)
        markup = self._reply_markup(params, inline_only=False)
        if known is not None and "photo" in known.meta:
            photo = copy.deepcopy(known.meta["photo"])
        else:
            stored = self._store_file(content, f"photos/file_{len(self._files) + 1}.jpg")
            width, height = _image_size(content)
            photo = [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": stored.file_size,
                    "width": width,
                    "height": height,
                }
            ]
            stored.meta = {"photo": photo}
        message["photo"] = photo
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        return self._store_outgoing(message)

    async def _api_getFile(self, params: JSONDict, *_: Any) -> JSONDict:
        file_id = _opt_str(params, "file_id") or ""
        stored = self._files.get(file_id)
        if stored is None:
            raise _bad_request("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_SIZE:
            raise _bad_request("file is too big")
        return self._file_object(stored)

    # ---------------------------------------------------------------- chats

    async def _api_getChat(self, params: JSONDict, *_: Any) -> JSONDict:
        chat = self._resolve_chat(params.get("chat_id"))
        info = {**chat, "accent_color_id": 0, "max_reaction_count": 11}
        if chat["type"] == "private" and chat["id"] in self._users:
            user = self._users[chat["id"]]
            for key in ("first_name", "last_name", "username"):
                if key in user:
                    info[key] = user[key]
        return info

    def _member(self, chat: JSONDict, user_id: int) -> JSONDict:
        user = copy.deepcopy(
            self._users.get(user_id)
            or {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        )
        chat_id = chat["id"]
        if self._creators.get(chat_id) == user_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        is_admin = user_id in self._admins.get(chat_id, set())
        if chat["type"] == "channel" and user_id == self.bot_id:
            is_admin = True
        if not is_admin:
            return {"status": "member", "user": user}
        member: JSONDict = {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": True,
            "can_manage_video_chats": True,
            "can_restrict_members": True,
            "can_promote_members": False,
            "can_change_info": True,
            "can_invite_users": True,
            "can_post_stories": True,
            "can_edit_stories": True,
            "can_delete_stories": True,
        }
        if chat["type"] == "channel":
            member.update(can_post_messages=True, can_edit_messages=True)
        else:
            member["can_pin_messages"] = True
            if chat.get("is_forum"):
                member["can_manage_topics"] = True
        return member

    async def _api_getChatMember(self, params: JSONDict, *_: Any) -> JSONDict:
        chat = self._resolve_chat(params.get("chat_id"))
        user_id = _req_int(params, "user_id", "user not found")
        return self._member(chat, user_id)

    async def _api_getChatAdministrators(self, params: JSONDict, *_: Any) -> list[JSONDict]:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat["type"] == "private":
            raise _bad_request("there are no administrators in the private chat")
        creator = self._creators.get(chat["id"])
        admins = sorted(self._admins.get(chat["id"], set()))
        ids = list(dict.fromkeys([creator, *admins] if creator is not None else admins))
        if chat["type"] == "channel" and self.bot_id not in ids:
            ids.append(self.bot_id)
        return [self._member(chat, user_id) for user_id in ids]

    async def _api_getChatMemberCount(self, params: JSONDict, *_: Any) -> int:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat["type"] == "private":
            return 2
        return max(len(self._admins.get(chat["id"], set())) + 1, 2)

    async def _api_leaveChat(self, params: JSONDict, *_: Any) -> bool:
        self._resolve_chat(params.get("chat_id"))
        return True

    # ---------------------------------------------------------------- state helpers

    def _resolve_chat(self, raw: Any) -> JSONDict:
        """Find (or, for numeric ids, synthesize) the Chat a ``chat_id`` refers to."""
        if raw is None or raw == "":
            raise _bad_request("chat_id is empty")
        if isinstance(raw, str):
            if _INT_RE.fullmatch(raw):
                raw = int(raw)
            else:
                wanted = raw.removeprefix("@").lower()
                for chat in self._chats.values():
                    if str(chat.get("username", "")).lower() == wanted:
                        return _clone(chat)
                raise _bad_request("chat not found")
        if isinstance(raw, bool) or not isinstance(raw, int) or raw == 0:
            raise _bad_request("chat not found")
        if raw not in self._chats:
            if raw > 0:
                user = self._users.get(raw, {"first_name": f"User {raw}"})
                self._chats[raw] = self._private_chat({"id": raw, **user})
            else:
                self._chats[raw] = {"id": raw, "type": "supergroup", "title": f"Group {raw}"}
        return _clone(self._chats[raw])

    @staticmethod
    def _private_chat(user: JSONDict) -> JSONDict:
        chat: JSONDict = {"id": user["id"], "type": "private"}
        for key in ("first_name", "last_name", "username"):
            if user.get(key):
                chat[key] = user[key]
        return chat

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _remember_chat(self, chat: JSONDict) -> None:
        self._chats[chat["id"]] = {**self._chats.get(chat["id"], {}), **copy.deepcopy(chat)}

    def _remember_user(self, user: Any) -> None:
        if isinstance(user, dict) and isinstance(user.get("id"), int):
            self._users[user["id"]] = copy.deepcopy(user)

    def _remember_message(self, message: JSONDict) -> None:
        chat = message.get("chat")
        if not isinstance(chat, dict) or not isinstance(message.get("message_id"), int):
            return
        self._remember_chat(chat)
        self._remember_user(message.get("from"))
        chat_id, message_id = chat["id"], message["message_id"]
        self._messages.setdefault(chat_id, {})[message_id] = copy.deepcopy(message)
        self._last_message_id[chat_id] = max(self._last_message_id.get(chat_id, 0), message_id)
        reply = message.get("reply_to_message")
        if isinstance(reply, dict) and reply.get("message_id") not in self._messages[chat_id]:
            self._remember_message(reply)

    def _remember_update(self, update: JSONDict) -> None:
        for key in MESSAGE_UPDATE_KEYS:
            if isinstance(update.get(key), dict):
                self._remember_message(update[key])
        for key in ("callback_query", "inline_query", "chosen_inline_result", "poll_answer"):
            if isinstance(update.get(key), dict):
                self._remember_user(update[key].get("from") or update[key].get("user"))
        for key in ("my_chat_member", "chat_member", "chat_join_request"):
            if isinstance(update.get(key), dict) and isinstance(update[key].get("chat"), dict):
                self._remember_chat(update[key]["chat"])
                self._remember_user(update[key].get("from"))

    def _set_text(
        self, message: JSONDict, key: str, text: str | None, entities: list[JSONDict] | None
    ) -> None:
        if text is None:
            return
        message[key] = text
        found = (
            _sort_entities(detect_entities(text)) if entities is None else copy.deepcopy(entities)
        )
        if found:
            message["entities" if key == "text" else "caption_entities"] = found

    def _incoming_message(
        self,
        chat: JSONDict,
        sender: JSONDict,
        *,
        text: str | None = None,
        entities: list[JSONDict] | None = None,
        caption: str | None = None,
        caption_entities: list[JSONDict] | None = None,
        reply_to_message: JSONDict | None = None,
        document: JSONDict | None = None,
        forward_origin: JSONDict | None = None,
        extra: JSONDict | None = None,
    ) -> JSONDict:
        self._remember_chat(chat)
        message: JSONDict = {
            "message_id": self._next_message_id(chat["id"]),
            "from": sender,
            "chat": copy.deepcopy(self._chats[chat["id"]]),
            "date": int(time.time()),
        }
        if forward_origin is not None:
            message["forward_origin"] = copy.deepcopy(forward_origin)
        if reply_to_message is not None:
            reply = copy.deepcopy(reply_to_message)
            reply.pop("reply_to_message", None)
            message["reply_to_message"] = reply
        self._set_text(message, "text", text, entities)
        if document is not None:
            message["document"] = copy.deepcopy(document)
        self._set_text(message, "caption", caption, caption_entities)
        message.update(extra or {})
        return message

    def _bot_sees(self, message: JSONDict) -> bool:
        """Privacy mode: which group messages a bot without full access receives."""
        chat = message["chat"]
        if chat["type"] not in {"group", "supergroup"}:
            return True
        if self.bot_user["can_read_all_group_messages"]:
            return True
        if self.bot_id in self._admins.get(chat["id"], set()):
            return True
        if SERVICE_MESSAGE_KEYS.intersection(message):
            return True
        text = str(message.get("text") or message.get("caption") or "")
        username = str(self.bot_user["username"]).lower()
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            return "@" not in command or command.split("@", 1)[1].lower() == username
        if f"@{username}" in text.lower():
            return True
        reply = message.get("reply_to_message") or {}
        via = message.get("via_bot") or {}
        return (reply.get("from") or {}).get("id") == self.bot_id or via.get("id") == self.bot_id

    def _queue_message(self, message: JSONDict) -> JSONDict:
        update: JSONDict = {"message": message}
        if self._bot_sees(message):
            self.add_update(update)
        else:
            self._remember_message(message)
        return update


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG (fallback 320x320)."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    if content[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(content):
            if content[i] != 0xFF:
                break
            marker = content[i + 1]
            size = int.from_bytes(content[i + 2 : i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in {0xC4, 0xC8, 0xCC}:
                height = int.from_bytes(content[i + 5 : i + 7], "big")
                width = int.from_bytes(content[i + 7 : i + 9], "big")
                return width, height
            i += 2 + size
    return 320, 320
