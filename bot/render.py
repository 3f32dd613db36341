"""Telegram HTML for summaries and answers; pure functions, no network."""

from __future__ import annotations

import html
import re

from bot.content.document import Document
from bot.llm.engine import EXTRACTIVE_NOTE, Summary

TELEGRAM_LIMIT = 4096
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])\s+")


def escape(text: str) -> str:
    """Escape text for Telegram HTML: only &, < and > are special outside attributes."""
    return html.escape(text, quote=False)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _hard_split(text: str, limit: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for char in text:
        if utf16_len(current + char) > limit:
            parts.append(current)
            current = ""
        current += char
    if current:
        parts.append(current)
    return parts


def split_text(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split plain text into parts of at most `limit` UTF-16 units: paragraphs, then sentences."""
    if utf16_len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for paragraph in text.split("\n"):
        pieces = [paragraph] if utf16_len(paragraph) <= limit else _SENTENCE_END.split(paragraph)
        for piece in pieces:
            for chunk in [piece] if utf16_len(piece) <= limit else _hard_split(piece, limit):
                joiner = "\n" if current and chunk is pieces[0] else (" " if current else "")
                if utf16_len(current + joiner + chunk) <= limit:
                    current = current + joiner + chunk
                else:
                    if current.strip():
                        parts.append(current.strip())
                    current = chunk
    if current.strip():
        parts.append(current.strip())
    return parts


def _body_lines(text: str) -> list[str]:
    lines = []
    for line in text.strip().split("\n"):
        plain = _MD_EMPHASIS.sub(r"\2", line.rstrip()).lstrip("#").strip() if line.strip() else ""
        lines.append(_BULLET.sub("• ", plain) if _BULLET.match(plain) else plain)
    return lines


def _split_title(summary: Summary, document: Document) -> tuple[str, list[str]]:
    lines = _body_lines(summary.text)
    if not summary.extractive and len(lines) > 1 and not lines[0].startswith("• "):
        return lines[0], lines[1:]
    return document.title or document.site_name or "Summary", lines


def _meta_line(document: Document) -> str:
    parts = [part for part in (document.site_name, document.author) if part]
    parts.append(f"{document.reading_minutes} min read")
    return " · ".join(parts)


def summary_html(document: Document, summary: Summary) -> str:
    """The final summary message: linked title, site · reading time, body, and a marker."""
    title, body = _split_title(summary, document)
    link = document.canonical_url or document.url
    title_html = f"<b>{escape(title)}</b>"
    if link:
        title_html = f'<b><a href="{html.escape(link, quote=True)}">{escape(title)}</a></b>'
    lines = [title_html, f"<i>{escape(_meta_line(document))}</i>", ""]
    lines.extend(escape(line) for line in body)
    if summary.extractive:
        lines.extend(["", f"<i>{EXTRACTIVE_NOTE}</i>"])
    if summary.truncated:
        lines.extend(["", "<i>The document was long: only its first part was summarized.</i>"])
    return "\n".join(lines).strip()


def summary_plain(document: Document, summary: Summary) -> str:
    """The same summary as plain text, for the command line."""
    title, body = _split_title(summary, document)
    lines = [title, _meta_line(document)]
    if document.canonical_url or document.url:
        lines.append(str(document.canonical_url or document.url))
    lines.append("")
    lines.extend(body)
    if summary.extractive:
        lines.extend(["", f"[{EXTRACTIVE_NOTE}]"])
    if summary.truncated:
        lines.extend(["", "[The document was long: only its first part was summarized.]"])
    return "\n".join(lines).strip()


def html_parts(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Plain text as escaped HTML messages; Telegram counts the limit after entity parsing."""
    return [escape(part) for part in split_text(text, limit)]
