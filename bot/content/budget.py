"""A bound on parsing: per page (its markup) and in total (markup being parsed at once).

Parsing costs memory in proportion to a page's elements: a page of 4.9 MB of empty markup took
the ensemble of extractors 500 MB and 25 s. Real articles are far smaller (the 1,505 pages of
the two benchmark sets have at most 10,534 elements), so a page with more than `max_tags` tags
is refused before it is parsed, and pages being parsed at the same time share a budget of
`total_tags` tags: a few users sending huge pages wait in turn instead of exhausting memory.
Tags are counted as `<` bytes, which is cheap and never undercounts them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.content.fetch import sniff_media_type
from bot.errors import ExtractionError

MAX_TAGS = 200_000
TOTAL_TAGS = 300_000


class MarkupBudget:
    """A weighted semaphore over tags being parsed at once, with a per-page limit."""

    def __init__(self, max_tags: int = MAX_TAGS, total_tags: int = TOTAL_TAGS) -> None:
        self.max_tags = max_tags
        self.total_tags = max(total_tags, max_tags)
        self._free = self.total_tags
        self._changed = asyncio.Condition()

    def weigh(self, body: bytes, media_type: str) -> int:
        """A page's tags (0 for what is not parsed as HTML); ExtractionError when too many."""
        if not _parsed_as_html(body, media_type):
            return 0
        tags = body.count(b"<")
        if tags > self.max_tags:
            raise ExtractionError(
                key="err_page_too_complex", detail=f"{tags} tags, over {self.max_tags}"
            )
        return tags

    @contextlib.asynccontextmanager
    async def parsing(self, body: bytes, media_type: str) -> AsyncIterator[None]:
        """Hold the page's share of the budget while it is parsed."""
        tags = max(1, self.weigh(body, media_type))
        async with self._changed:
            await self._changed.wait_for(lambda: self._free >= tags)
            self._free -= tags
        try:
            yield
        finally:
            async with self._changed:
                self._free += tags
                self._changed.notify_all()


def _parsed_as_html(body: bytes, media_type: str) -> bool:
    """What `extract_bytes` reads with the HTML parser (PDFs are full of `<<`: not counted)."""
    if media_type in ("text/html", "application/xhtml+xml"):
        return True
    return media_type.startswith("text/") and sniff_media_type(body[:1024]) == "text/html"
