"""From a Source to a Document: fetch when needed, then extract off the event loop."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from bot.content.budget import MarkupBudget
from bot.content.document import Document
from bot.content.extract import extract_bytes, extract_plain, media_type_for_file
from bot.content.fetch import Fetcher
from bot.content.sources import FileSource, Source, TextSource, UrlSource
from bot.errors import InvalidSourceError


class ContentReader:
    """Reads any Source; CPU-heavy extraction runs in a worker thread."""

    def __init__(self, fetcher: Fetcher, budget: MarkupBudget | None = None) -> None:
        self._fetcher = fetcher
        self._budget = budget or MarkupBudget()

    async def read(self, source: Source, *, explain: list[str] | None = None) -> Document:
        """Read any source; ``explain``, when given, receives lines on how the text was chosen."""
        if isinstance(source, UrlSource):
            return await self.read_url(source.url, explain=explain)
        if isinstance(source, FileSource):
            return await self.read_file(source, explain=explain)
        if explain is not None:
            explain.append("source kind: message (no HTML candidates)")
        return self.read_text(source)

    async def read_url(self, url: str, *, explain: list[str] | None = None) -> Document:
        result = await self._fetcher.fetch(url)
        async with self._budget.parsing(result.body, result.media_type):
            return await asyncio.to_thread(
                extract_bytes,
                result.body,
                result.media_type,
                charset=result.charset,
                url=result.final_url,
                filename=urlsplit(result.final_url).path.rsplit("/", 1)[-1] or None,
                explain=explain,
            )

    async def read_file(self, source: FileSource, *, explain: list[str] | None = None) -> Document:
        if not source.data.strip():
            raise InvalidSourceError(key="err_empty_file", name=source.filename)
        media_type = media_type_for_file(source.filename, source.mime_type, source.data)
        async with self._budget.parsing(source.data, media_type):
            return await asyncio.to_thread(
                extract_bytes, source.data, media_type, filename=source.filename, explain=explain
            )

    @staticmethod
    def read_text(source: TextSource) -> Document:
        if not source.text.strip():
            raise InvalidSourceError(key="err_no_text_to_read")
        document = extract_plain(source.text)
        if source.title:
            return Document(
                **{**document.to_dict(), "title": source.title, "source_kind": "message"}
            )
        return Document(**{**document.to_dict(), "source_kind": "message"})
