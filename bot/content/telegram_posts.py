"""Public Telegram posts: recognise a post link, and read the post from Telegram's embed widget.

A public channel's (or public group's) post has a page anyone can fetch without a login:
``https://t.me/<channel>/<id>?embed=1&mode=tme``, the markup of Telegram's post widget. Private
chats (``t.me/c/...``) and invite links have no such page, so they are not post links here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import urlsplit

import lxml.etree  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]

from bot.content.document import Document
from bot.errors import ExtractionError

_HOSTS: Final = frozenset({"t.me", "telegram.me", "www.t.me", "www.telegram.me"})
# Telegram usernames: 5-32 characters, a-z, 0-9 and underscores, starting with a letter.
_USERNAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,30}[A-Za-z0-9]")
_POST_ID: Final = re.compile(r"[1-9][0-9]{0,9}")
# First path segments of t.me that are features, not usernames.
_RESERVED: Final = frozenset(
    {
        "addemoji",
        "addlist",
        "addstickers",
        "addtheme",
        "boost",
        "confirmphone",
        "contact",
        "giftcode",
        "invoice",
        "joinchat",
        "login",
        "proxy",
        "setlanguage",
        "share",
        "socks",
    }
)
_TITLE_LENGTH: Final = 100
# Elements whose content starts on a new line in the widget's text.
_BLOCKS: Final = frozenset({"div", "p", "blockquote", "pre", "li", "ul", "ol", "h1", "h2", "h3"})
_HIDDEN: Final = frozenset({"script", "style", "template", "svg"})


@dataclass(frozen=True)
class PostLink:
    """A post in a public channel or group: ``t.me/<channel>/<post_id>``."""

    channel: str
    post_id: int

    @property
    def url(self) -> str:
        """The canonical address of the post."""
        return f"https://t.me/{self.channel}/{self.post_id}"


def parse_post_link(url: str) -> PostLink | None:
    """The public post a t.me link points to, or ``None`` if it is no such link."""
    try:
        parts = urlsplit(url.strip() if "://" in url else f"https://{url.strip()}")
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or host not in _HOSTS:
        return None
    segments = parts.path.strip("/").split("/")
    if segments[0] == "s":  # the channel's web preview: t.me/s/<channel>/<id>
        segments = segments[1:]
    # t.me/<channel>/<id>, or t.me/<group>/<topic>/<id> for a message in a forum topic.
    if len(segments) == 3 and _POST_ID.fullmatch(segments[1]):
        segments = [segments[0], segments[2]]
    if len(segments) != 2:
        return None
    channel, post_id = segments
    if not _USERNAME.fullmatch(channel) or "__" in channel or channel.lower() in _RESERVED:
        return None
    if not _POST_ID.fullmatch(post_id):
        return None
    return PostLink(channel=channel.lower(), post_id=int(post_id))


def embed_url(link: PostLink, base: str = "https://t.me") -> str:
    """The address of the post's embed widget (``base`` points tests at a fake server)."""
    return f"{base.rstrip('/')}/{link.channel}/{link.post_id}?embed=1&mode=tme"


def parse_embed(html: bytes, link: PostLink) -> Document:
    """Read a post from its embed widget page.

    Raises ExtractionError (``err_telegram_post``) when the page says the post is missing or
    private, has no text (a photo without a caption), or cannot be parsed.
    """
    try:
        return _read(html, link)
    except (lxml.etree.LxmlError, ValueError, RecursionError) as error:
        raise _unreadable(link, f"unparsable embed page: {error!r}") from None


def _read(html: bytes, link: PostLink) -> Document:
    message = _message(html, link)
    body = _post_text(message)
    if not body:
        raise _unreadable(link, "the post has no text")
    channel_title = _name(message, "tgme_widget_message_owner_name") or link.channel
    # A signed post names its author next to the channel.
    signer = _name(message, "tgme_widget_message_from_author") or _name(
        message, "tgme_widget_message_author_name"
    )
    author = f"{signer} ({channel_title})" if signer and signer != channel_title else channel_title
    forwarded = _name(message, "tgme_widget_message_forwarded_from_name")
    return Document(
        text=f"Forwarded from {forwarded}\n\n{body}" if forwarded else body,
        source_kind="telegram",
        title=_title(body, channel_title),
        site_name="Telegram",
        author=author,
        date=_date(message),
        url=link.url,
        canonical_url=link.url,
    )


def _message(html: bytes, link: PostLink) -> lxml.html.HtmlElement:
    """The widget's message element; ExtractionError if the page shows an error instead."""
    root = lxml.html.document_fromstring(html, parser=lxml.html.HTMLParser(encoding="utf-8"))
    error = _first(root, "tgme_widget_message_error")
    if error is not None:  # "Post not found", "Channel is private"...
        raise _unreadable(link, _text_of(error) or "post not found")
    message = _first(root, "tgme_widget_message")
    if message is None:
        raise _unreadable(link, "no post in the page")
    return message


def _unreadable(link: PostLink, reason: str) -> ExtractionError:
    return ExtractionError(key="err_telegram_post", detail=f"{link.url}: {reason}")


def _has_class(element: lxml.html.HtmlElement, name: str) -> bool:
    return name in str(element.get("class", "")).split()


def _all(root: lxml.html.HtmlElement, name: str) -> list[lxml.html.HtmlElement]:
    """Elements with the class ``name``, in document order."""
    found: list[lxml.html.HtmlElement] = root.xpath(
        "descendant-or-self::*[contains(concat(' ', normalize-space(@class), ' '), $name)]",
        name=f" {name} ",
    )
    return found


def _first(root: lxml.html.HtmlElement, name: str) -> lxml.html.HtmlElement | None:
    found = _all(root, name)
    return found[0] if found else None


def _in_reply(element: lxml.html.HtmlElement) -> bool:
    """Whether ``element`` is part of the quoted message a post replies to."""
    return any(
        _has_class(parent, "tgme_widget_message_reply") for parent in element.iterancestors()
    )


def _own(message: lxml.html.HtmlElement, name: str) -> lxml.html.HtmlElement | None:
    """The post's own element of a class, not the one in a quoted reply."""
    return next((e for e in _all(message, name) if not _in_reply(e)), None)


def _name(message: lxml.html.HtmlElement, name: str) -> str | None:
    element = _own(message, name)
    text = " ".join(_text_of(element).split()) if element is not None else ""
    return text or None


def _post_text(message: lxml.html.HtmlElement) -> str:
    """The text (or a media post's caption), line breaks kept."""
    element = _own(message, "tgme_widget_message_text")
    return _text_of(element) if element is not None else ""


def _text_of(element: lxml.html.HtmlElement) -> str:
    """Readable text of an element: ``<br>`` and blocks break lines, emoji images give their
    alt text, link texts stay."""
    pieces: list[str] = []
    _collect(element, pieces)
    text = "".join(pieces).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _collect(element: lxml.html.HtmlElement, pieces: list[str]) -> None:
    """Append the text inside ``element`` (not its tail, which follows it)."""
    tag = element.tag if isinstance(element.tag, str) else None  # None: a comment
    if tag is None or tag in _HIDDEN:
        return
    if tag == "br":
        pieces.append("\n")
    elif tag == "img":
        pieces.append(str(element.get("alt") or ""))
    block = tag in _BLOCKS
    if block:
        pieces.append("\n")
    pieces.append(element.text or "")
    for child in element:
        _collect(child, pieces)
        pieces.append(child.tail or "")
    if block:
        pieces.append("\n")


def _title(body: str, channel_title: str) -> str:
    """A post's first line reads as its headline when more follows; otherwise name the post."""
    first, _, rest = body.partition("\n")
    first = first.strip()
    if not rest.strip() or not first:
        return f"Post by {channel_title}"
    if len(first) > _TITLE_LENGTH:
        return first[: _TITLE_LENGTH - 1].rstrip() + "…"
    return first


def _date(message: lxml.html.HtmlElement) -> str | None:
    """The post's time (ISO 8601), from ``time[datetime]`` in the widget's date link."""
    link = _own(message, "tgme_widget_message_date")
    times = link.xpath(".//time[@datetime]") if link is not None else []
    if not times:
        return None
    try:
        return datetime.fromisoformat(str(times[0].get("datetime"))).isoformat()
    except ValueError:
        return None
