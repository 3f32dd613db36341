"""Telegram HTML for summaries and answers; pure functions, no network.

Every piece of model or page text is escaped. Messages are built from self-contained lines
(each line closes every tag it opens), so splitting between lines never breaks markup, and
Telegram's 4,096 limit is counted in UTF-16 units of the visible text.
"""

from __future__ import annotations

import html
import re
import textwrap
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from bot.content.document import Document
from bot.content.language import LETTERS, RIGHT_TO_LEFT
from bot.content.words import INVISIBLE
from bot.i18n import t
from bot.markdown import inline_html, inline_plain
from bot.media.transcript import MARKER_RE, format_timestamp, parse_timestamp
from bot.values import Answer, Summary

TELEGRAM_LIMIT = 4096
# Telegram shows at most 100 formatting entities in a message and drops the rest silently
# (python-telegram-bot's MessageLimit.MESSAGE_ENTITIES).
ENTITY_LIMIT = 100
_OPENING_TAG = re.compile(r"<[a-z]")
_BULLET = re.compile(r"^(\s*)[-*•+]\s+")
# "1." to "99)": a list's number, kept; "1790. The year..." is a sentence, not an item.
_NUMBERED = re.compile(r"^(\s*)(\d{1,2})[.)]\s+")
# A fence opens with three or more backticks (or tildes); a backtick fence's info string holds
# no backtick, so "```pip install x```" on one line is a code span, not a fence (CommonMark).
_FENCE = re.compile(r"^\s*(`{3,}(?=[^`]*$)|~{3,})\s*([\w+#.-]*)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+|$)")
_HEADING_END = re.compile(r"\s+#+\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:[ \t]*\1){2,}\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?(?:\s*:?-+:?\s*\|)+(?:\s*:?-+:?\s*)?$")
_CHECKBOX = re.compile(r"^\[([ xX])\]\s+")
NESTED_INDENT = 2
# A code block's piece per element: whole within a message, with room for the text around.
CODE_PIECE = 3000
# Sentence ends to split an over-long line at: Chinese and Japanese stops need no space after.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[。！？])\s*")
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
    """Parts of at most `limit` UTF-16 units (a character wider than the limit stands alone),
    cut at a space near the end where there is one, and never inside a character a reader
    sees as one: an emoji joined by ZWJ, a skin tone, an accent after its letter."""
    parts: list[str] = []
    while text:
        head = _utf16_prefix(text, limit) or text[0]
        if len(head) < len(text):
            space = head.rfind(" ", len(head) * 4 // 5)
            if space > 0:
                head = head[: space + 1]
            else:
                keep = len(head)
                while keep > 1 and _joins(text[keep - 1], text[keep]):
                    keep -= 1
                head = head[:keep]
        parts.append(head)
        text = text[len(head) :]
    return parts


def _joins(before: str, after: str) -> bool:
    """Whether a cut between these two characters would split what shows as one."""
    return (
        before == "\u200d"
        or after in "\u200d\ufe0f\ufe0e"
        or "\U0001f3fb" <= after <= "\U0001f3ff"  # skin tones
        or unicodedata.category(after).startswith("M")
    )


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
    """Join self-contained HTML lines into messages within the limit, each valid on its own,
    each with at most `ENTITY_LIMIT` formatting tags (Telegram shows no more).

    An over-long line must be plain escaped text (no tags); it is split on sentences.
    """
    parts: list[str] = []
    current: list[str] = []
    size = entities = 0
    for line in lines:
        pieces = [line]
        if visible_len(line) > limit or len(_OPENING_TAG.findall(line)) > ENTITY_LIMIT:
            plain = visible_text(line)
            pieces = [escape(piece) for piece in _pieces(plain, limit)]
        for piece in pieces:
            width = visible_len(piece) + (1 if current else 0)
            tags = len(_OPENING_TAG.findall(piece))
            if current and (size + width > limit or entities + tags > ENTITY_LIMIT):
                parts.append("\n".join(current).strip("\n"))
                current, size, entities = [], 0, 0
                width = visible_len(piece)
            current.append(piece)
            size += width
            entities += tags
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


@dataclass(frozen=True)
class Quote:
    """Consecutive "> " lines of the model's, as one Telegram blockquote."""

    lines: tuple[str, ...]

    def html(self) -> str:
        return (
            "<blockquote>" + "\n".join(inline_html(line) for line in self.lines) + "</blockquote>"
        )

    def plain(self) -> str:
        return "\n".join(inline_plain(line) for line in self.lines)


@dataclass(frozen=True)
class Verbatim:
    """Text shown exactly as written: an article's own sentences (an extractive summary or
    quoted passages), where `*`, `_` or `#` are the author's characters, not Markdown."""

    text: str


BodyLine = str | Code | Quote | Verbatim


def _body_lines(text: str) -> list[BodyLine]:
    """The model's lines, still Markdown inside: headings unmarked, bullets as "• " (nested
    ones indented), numbered items keeping their numbers, table rows as their cells, rules as
    blank lines, fenced code as `Code` blocks and quoted lines as `Quote` blocks."""
    lines: list[BodyLine] = []
    code: list[str] | None = None
    fence, language = "", ""
    for raw in text.strip(INVISIBLE + " \t\n").split("\n"):
        line = raw.rstrip().lstrip(INVISIBLE)
        if code is not None:
            closing = line.strip()
            if closing and set(closing) == {fence[0]} and len(closing) >= len(fence):
                lines.extend(_code_blocks(code, language))
                code = None
            else:
                code.append(line)
            continue
        opening = _FENCE.match(line)
        if opening:
            code, fence, language = [], opening.group(1), opening.group(2)
            continue
        quoted = _QUOTE.match(line)
        if quoted:
            _add_quoted(lines, line[quoted.end() :])
        elif not (_TABLE_RULE.match(line) and lines and _is_table_row(lines[-1])):
            lines.append(_block(line))
    if code is not None:  # never closed: code to the end
        lines.extend(_code_blocks(code, language))
    return [_cells(line) if isinstance(line, str) else line for line in lines]


def _add_quoted(lines: list[BodyLine], text: str) -> None:
    if lines and isinstance(lines[-1], Quote):
        lines[-1] = Quote((*lines[-1].lines, text))
    else:
        lines.append(Quote((text,)))


def _block(line: str) -> str:
    """One line's block markup as Skim shows it: the inline Markdown is left for later."""
    if not line.strip() or _RULE.match(line):
        return ""
    heading = _HEADING.match(line)
    if heading:
        return _HEADING_END.sub("", line[heading.end() :]).strip()
    return _item(line)


def _item(line: str) -> str:
    bullet = _BULLET.match(line)
    if bullet:
        indent, rest = bullet.group(1), line[bullet.end() :]
        box = _CHECKBOX.match(rest)
        if box:
            mark = "☐" if box.group(1) == " " else "☑"
            return f"{_indent(indent)}{mark} {rest[box.end() :]}"
        return f"{_indent(indent)}{'◦' if _nested(indent) else '•'} {rest}"
    numbered = _NUMBERED.match(line)
    if numbered:
        return f"{_indent(numbered.group(1))}{numbered.group(2)}. {line[numbered.end() :]}"
    return line.strip()


def _nested(indent: str) -> bool:
    return len(indent.expandtabs(4)) >= NESTED_INDENT


def _indent(indent: str) -> str:
    """A nested item's indentation, as the reader sees it (two spaces a level)."""
    return "  " * min(3, len(indent.expandtabs(4)) // NESTED_INDENT)


def _cells(line: str) -> str:
    """A table row as its cells, " · " between them; any other line as it is."""
    if not _TABLE_ROW.match(line):
        return line
    return " · ".join(cell.strip() for cell in line.strip().strip("|").split("|"))


def _is_table_row(line: BodyLine) -> bool:
    return isinstance(line, str) and bool(_TABLE_ROW.match(line))


def _is_item(line: BodyLine) -> bool:
    if not isinstance(line, str):
        return True
    return line.lstrip().startswith(("• ", "◦ ", "☐ ", "☑ ")) or bool(_NUMBERED.match(line))


def _code_blocks(lines: list[str], language: str) -> list[Code]:
    """A block's lines, their common indentation taken off, in pieces that fit a message; a
    line longer than a piece (minified code) is cut into blocks of its own."""
    body = textwrap.dedent("\n".join(lines)).strip("\n")
    if not body.strip():
        return []
    blocks: list[Code] = []
    piece: list[str] = []
    for line in body.split("\n"):
        if piece and utf16_len("\n".join([*piece, line])) > CODE_PIECE:
            blocks.append(Code("\n".join(piece), language))
            piece = []
        if utf16_len(line) > CODE_PIECE:
            blocks.extend(Code(cut, language) for cut in _hard_split(line, CODE_PIECE))
            continue
        piece.append(line)
    if piece:
        blocks.append(Code("\n".join(piece), language))
    return blocks


def _line_html(line: BodyLine, document: Document | None = None) -> str:
    if isinstance(line, Code | Quote):
        return line.html()
    if isinstance(line, Verbatim):
        return escape(line.text)
    rendered = inline_html(line)
    if _starts_left_to_right_in_rtl(line):
        rendered = RLM + rendered
    return moment_links(rendered, document) if document is not None else rendered


RLM = "\u200f"  # RIGHT-TO-LEFT MARK: a strong right-to-left character, invisible


def _starts_left_to_right_in_rtl(line: str) -> bool:
    """A right-to-left line (Arabic, Hebrew, Persian) that opens with a Latin word, as the
    "TL;DR:" label the prompt asks for: Telegram lays a paragraph out by its first strong
    character, so that line alone went left to right among right-to-left ones."""
    rtl = len(RIGHT_TO_LEFT.findall(line))
    if rtl == 0:
        return False
    latin = LETTERS["Latin"]
    first = re.search(f"{RIGHT_TO_LEFT.pattern}|{latin.pattern}", line)
    return first is not None and bool(latin.match(first.group())) and rtl > len(latin.findall(line))


def _line_plain(line: BodyLine) -> str:
    if isinstance(line, Code | Verbatim):
        return line.text
    if isinstance(line, Quote):
        return line.plain()
    return inline_plain(line)


# A model's first line that is no title: its TL;DR, a label ("Key points:"), or a sentence;
# the model writes in the reader's language, so the labels are in the common ones.
_SUMMARY_LABELS = (
    "tl;?\\s?dr|summary|key (?:points|moments)|in short|"
    "кратко|коротко|вкратце|резюме|итог|суть|"
    "zusammenfassung|kurz gesagt|fazit|resumen|en resumen|en bref|résumé|resume|"
    "riassunto|in breve|samenvatting|resumo|em resumo|podsumowanie|özet|shrnutí|"
    "要点|摘要|概要|要約|总结|まとめ|요약|الملخص|ملخص|सारांश"
)
_NOT_A_TITLE = re.compile(rf"^(?:{_SUMMARY_LABELS})(?:\b|\s*[:：])", re.I)
_TITLE_LABEL = re.compile(r"^(?:title|headline|заголовок)\s*:\s*", re.I)
TITLE_MAX_CHARS = 150


def _split_title(
    summary: Summary, document: Document, language: str | None
) -> tuple[str, list[BodyLine]]:
    if summary.extractive:
        return document.title or document.site_name or t("summary_title", language), (
            _without_blank_runs(_verbatim_lines(summary.text))
        )
    lines = _without_blank_runs(_body_lines(summary.text))
    first = lines[0] if lines else ""
    if len(lines) > 1 and not _is_item(first):
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


def _verbatim_lines(text: str) -> list[BodyLine]:
    """The lines as written; only the extractive summarizer's own "- " bullets become "• "."""
    lines: list[BodyLine] = []
    for line in text.strip().split("\n"):
        line = line.strip()
        bullet = line.startswith(("- ", "• "))
        lines.append(Verbatim(f"• {line[2:]}" if bullet else line) if line else "")
    return lines


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


def answer_parts(
    text: str, document: Document | None = None, *, verbatim: bool = False
) -> list[str]:
    """A model's answer as Telegram HTML messages (its Markdown rendered, never shown raw);
    about a video, its cited moments link into it. A ``verbatim`` answer (quoted passages of
    the article) is shown as written."""
    lines = _verbatim_lines(text) if verbatim else _body_lines(text)
    return split_html([_line_html(line, document) for line in lines])


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


def answer_plain(text: str, *, verbatim: bool = False) -> str:
    """The same answer as plain text, for the parse-error fallback."""
    if verbatim:
        return text
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
