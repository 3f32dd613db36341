"""Telegram HTML for summaries and answers; pure functions, no network.

Every piece of model or page text is escaped. Messages are built from self-contained lines
(each line closes every tag it opens), so splitting between lines never breaks markup, and
Telegram's 4,096 limit is counted in UTF-16 units of the visible text.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from bot.content.document import Document
from bot.i18n import t
from bot.markdown import inline_html, inline_plain
from bot.media.transcript import MARKER_RE, format_timestamp, parse_timestamp
from bot.values import Answer, Summary

TELEGRAM_LIMIT = 4096
_BULLET = re.compile(r"^\s*[-*•+]\s+")
# "1." to "99)": a list's number, kept; "1790. The year..." is a sentence, not an item.
_NUMBERED = re.compile(r"^\s*(\d{1,2})[.)]\s+")
_FENCE = re.compile(r"^\s*(?:```|~~~)\s*([\w+#.-]*)")
# A code block's piece per element: whole within a message, with room for the text around.
CODE_PIECE = 3000
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])\s+")
_TAG = re.compile(r"<[^>]+>")


def escape(text: str) -> str:
    """Escape text for Telegram HTML: only &, < and > are special outside attributes."""
    return html.escape(text, quote=False)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def visible_text(fragment: str) -> str:
    """An HTML fragment's text as Telegram shows it: tags gone, entities read."""
    return html.unescape(_TAG.sub("", fragment))


def visible_len(fragment: str) -> int:
    """UTF-16 length of an HTML fragment after Telegram parses its entities."""
    return utf16_len(visible_text(fragment))


def _hard_split(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` UTF-16 units (a character wider than the limit stands alone)."""
    parts: list[str] = []
    while text:
        head = _utf16_prefix(text, limit) or text[0]
        parts.append(head)
        text = text[len(head) :]
    return parts


def _pieces(line: str, limit: int) -> list[str]:
    """One over-long line as sentence-sized (or, failing that, hard-cut) pieces."""
    if utf16_len(line) <= limit:
        return [line]
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(line):
        pieces.extend([sentence] if utf16_len(sentence) <= limit else _hard_split(sentence, limit))
    return pieces


def split_text(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split plain text into parts of at most `limit` UTF-16 units: paragraphs, then sentences."""
    if utf16_len(text) <= limit:
        return [text]
    return [
        html.unescape(part)
        for part in split_html([escape(line) for line in text.split("\n")], limit)
    ]


def split_html(lines: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Join self-contained HTML lines into messages within the limit, each valid on its own.

    An over-long line must be plain escaped text (no tags); it is split on sentences.
    """
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        pieces = [line]
        if visible_len(line) > limit:
            plain = visible_text(line)
            pieces = [escape(piece) for piece in _pieces(plain, limit)]
        for piece in pieces:
            width = visible_len(piece) + (1 if current else 0)
            if current and size + width > limit:
                parts.append("\n".join(current).strip("\n"))
                current, size = [], 0
                width = visible_len(piece)
            current.append(piece)
            size += width
    if current:
        parts.append("\n".join(current).strip("\n"))
    return [part for part in parts if part.strip()]


@dataclass(frozen=True)
class Code:
    """A fenced block of the model's: shown as written (indentation, `*`, `__`), not as
    Markdown."""

    text: str
    language: str = ""

    def html(self) -> str:
        language = re.sub(r"[^\w+#.-]", "", self.language)
        if language:
            return f'<pre><code class="language-{language}">{escape(self.text)}</code></pre>'
        return f"<pre>{escape(self.text)}</pre>"


BodyLine = str | Code


def _body_lines(text: str) -> list[BodyLine]:
    """The model's lines, still Markdown inside, with headings unmarked, bullets as "• ",
    numbered items keeping their numbers, and fenced code as `Code` blocks."""
    lines: list[BodyLine] = []
    code: list[str] | None = None
    language = ""
    for line in text.strip().split("\n"):
        fence = _FENCE.match(line)
        if code is not None:
            if fence and not fence.group(1):  # the closing fence
                lines.extend(_code_blocks(code, language))
                code = None
            else:
                code.append(line)
            continue
        if fence:
            code, language = [], fence.group(1)
            continue
        lines.append(_item(line.strip().lstrip("#").strip() if line.strip() else ""))
    if code is not None:  # never closed: code to the end
        lines.extend(_code_blocks(code, language))
    return lines


def _item(line: str) -> str:
    if _BULLET.match(line):
        return _BULLET.sub("• ", line)
    numbered = _NUMBERED.match(line)
    if numbered:
        return f"{numbered.group(1)}. {line[numbered.end() :]}"
    return line


def _is_item(line: BodyLine) -> bool:
    return isinstance(line, Code) or line.startswith("• ") or bool(_NUMBERED.match(line))


def _code_blocks(lines: list[str], language: str) -> list[Code]:
    """A block's lines, their common indentation taken off, in pieces that fit a message."""
    body = textwrap.dedent("\n".join(lines)).strip("\n")
    if not body.strip():
        return []
    blocks: list[Code] = []
    piece: list[str] = []
    for line in body.split("\n"):
        if piece and utf16_len("\n".join([*piece, line])) > CODE_PIECE:
            blocks.append(Code("\n".join(piece), language))
            piece = []
        piece.extend(_pieces(line, CODE_PIECE) if utf16_len(line) > CODE_PIECE else [line])
    blocks.append(Code("\n".join(piece), language))
    return blocks


def _line_html(line: BodyLine, document: Document | None = None) -> str:
    if isinstance(line, Code):
        return line.html()
    rendered = inline_html(line)
    return moment_links(rendered, document) if document is not None else rendered


def _line_plain(line: BodyLine) -> str:
    return line.text if isinstance(line, Code) else inline_plain(line)


# A model's first line that is no title: its TL;DR, a label ("Key points:"), or a sentence.
_NOT_A_TITLE = re.compile(r"^(?:tl;?\s?dr|summary|key (?:points|moments)|кратко)\b", re.I)
_TITLE_LABEL = re.compile(r"^(?:title|headline|заголовок)\s*:\s*", re.I)
TITLE_MAX_CHARS = 150


def _split_title(
    summary: Summary, document: Document, language: str | None
) -> tuple[str, list[BodyLine]]:
    lines = _without_blank_runs(_body_lines(summary.text))
    first = lines[0] if lines else ""
    if not summary.extractive and len(lines) > 1 and not _is_item(first):
        assert isinstance(first, str)
        title = _TITLE_LABEL.sub("", inline_plain(first)).strip()
        is_title = (
            title
            and len(title) <= TITLE_MAX_CHARS
            and not title.endswith(":")
            and not _NOT_A_TITLE.match(title)
        )
        if is_title:
            return title, _without_blank_runs(lines[1:])
    return document.title or document.site_name or t("summary_title", language), lines


def _without_blank_runs(lines: list[BodyLine]) -> list[BodyLine]:
    """No blank line at the start and none twice in a row (the layout adds its own)."""
    kept: list[BodyLine] = []
    for line in lines:
        if line == "" and (not kept or kept[-1] == ""):
            continue
        kept.append(line)
    return kept


def meta_line(document: Document, language: str | None = None) -> str:
    parts = [part for part in (document.site_name, document.author) if part]
    if document.duration:
        parts.append(f"▶ {format_timestamp(document.duration)}")
    else:
        parts.append(t("min_read", language, minutes=document.reading_minutes))
    return " · ".join(parts)


_SHARE_READ = re.compile(r"first (\d+)%")


def _truncation(summary: Summary, language: str | None) -> str:
    """Which part of a long document was summarized (the engine's note is English; other
    languages get its share read)."""
    if summary.note and (language or "en") == "en":
        return summary.note
    share = _SHARE_READ.search(summary.note or "")
    if share is not None:
        return t("truncated_share", language, share=share.group(1))
    return t("truncated_note", language)


def summary_lines(document: Document, summary: Summary, language: str | None = None) -> list[str]:
    """The final summary as self-contained HTML lines: linked title, meta, body, markers."""
    title, body = _split_title(summary, document, language)
    link = document.link
    title_html = f"<b>{escape(title)}</b>"
    if link:
        title_html = f'<b><a href="{html.escape(link, quote=True)}">{escape(title)}</a></b>'
    lines = [title_html, f"<i>{escape(meta_line(document, language))}</i>", ""]
    lines.extend(_line_html(line, document) for line in body)
    if summary.extractive:
        lines.extend(["", f"<i>{escape(t('extractive_note', language))}</i>"])
    if summary.truncated:
        lines.extend(["", f"<i>{escape(_truncation(summary, language))}</i>"])
    return lines


def summary_html(document: Document, summary: Summary, language: str | None = None) -> str:
    return "\n".join(summary_lines(document, summary, language)).strip()


def summary_plain(document: Document, summary: Summary, language: str | None = None) -> str:
    """The same summary as plain text, for the command line and the parse-error fallback."""
    title, body = _split_title(summary, document, language)
    lines = [title, meta_line(document, language)]
    if document.canonical_url or document.url:
        lines.append(str(document.canonical_url or document.url))
    lines.append("")
    lines.extend(_line_plain(line) for line in body)
    if summary.extractive:
        lines.extend(["", f"[{t('extractive_note', language)}]"])
    if summary.truncated:
        lines.extend(["", f"[{_truncation(summary, language)}]"])
    return "\n".join(lines).strip()


def answer_text(answer: Answer, language: str | None = None) -> str:
    """The answer as the user reads it: a quoted (extractive) one introduced in their
    language."""
    if not answer.extractive:
        return answer.text
    if not answer.passages:
        return t("answer_no_passages", language)
    quoted = "\n".join(f"“{passage}”" for passage in answer.passages)
    return f"{t('answer_passages', language)}\n{quoted}"


def answer_parts(text: str, document: Document | None = None) -> list[str]:
    """A model's answer as Telegram HTML messages (its Markdown rendered, never shown raw);
    about a video, its cited moments link into it."""
    return split_html([_line_html(line, document) for line in _body_lines(text)])


_CODE_SPAN = re.compile(r"(<code>.*?</code>)")


def moment_links(line_html: str, document: Document) -> str:
    """`[m:ss]` times in rendered HTML as links to that second of the video (YouTube)."""
    base = document.media_link
    if not base:
        return line_html

    def link(match: re.Match[str]) -> str:
        seconds = parse_timestamp(match["time"])
        if seconds is None:
            return match[0]
        href = html.escape(f"{base}?t={seconds}", quote=True)
        return f'<a href="{href}">{match[0]}</a>'

    # Not inside code: Telegram's entities may not put a link there.
    pieces = _CODE_SPAN.split(line_html)
    return "".join(
        piece if piece.startswith("<code>") else MARKER_RE.sub(link, piece) for piece in pieces
    )


def answer_plain(text: str) -> str:
    """The same answer as plain text, for the parse-error fallback."""
    return "\n".join(_line_plain(line) for line in _body_lines(text))


def html_parts(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Plain text as escaped HTML messages; Telegram counts the limit after entity parsing."""
    return split_html([escape(line) for line in text.split("\n")], limit)


def preview(text: str, limit: int = TELEGRAM_LIMIT - 96) -> str:
    """Plain streaming preview: the tail is cut so edits never exceed the limit.

    Called for every streamed token, so the cut is done by the codec, not a loop over
    characters: a long answer's preview in Python cost seconds of the event loop.
    """
    if len(text) <= limit // 2 or utf16_len(text) <= limit:
        return text
    return _utf16_prefix(text[:limit], limit - 1) + "…"


def _utf16_prefix(text: str, units: int) -> str:
    """The longest prefix of `text` within `units` UTF-16 units (a split pair is dropped)."""
    return text.encode("utf-16-le")[: 2 * units].decode("utf-16-le", errors="ignore")


def summary_parts(document: Document, summary: Summary, language: str | None = None) -> list[str]:
    """The summary as Telegram HTML messages, split at line boundaries under the limit."""
    return split_html(summary_lines(document, summary, language))


@dataclass(frozen=True)
class SummaryView:
    """Everything a chat message of a summary needs, so handlers ask the core once.

    Plain fields, not properties: the handler reads them without calling back into the core.
    """

    parts: list[str]
    plain: Callable[[], str]  # the parse-error fallback, built only when Telegram refuses HTML
    link: str | None
    transcript: bool  # a recording's summary offers its whole transcript


def summary_view(document: Document, summary: Summary, language: str | None = None) -> SummaryView:
    return SummaryView(
        parts=summary_parts(document, summary, language),
        plain=partial(summary_plain, document, summary, language),
        link=document.link,
        transcript=document.is_recording,
    )
