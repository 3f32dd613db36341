"""Reading: safe fetching and extraction into one Document type."""

from bot.content.document import Document
from bot.content.fetch import Fetcher, FetchPolicy, SystemResolver
from bot.content.reader import ContentReader
from bot.content.sources import FileSource, Source, TextSource, UrlSource
from bot.content.urls import find_urls, looks_like_url, normalize_url

__all__ = [
    "ContentReader",
    "Document",
    "FetchPolicy",
    "Fetcher",
    "FileSource",
    "Source",
    "SystemResolver",
    "TextSource",
    "UrlSource",
    "find_urls",
    "looks_like_url",
    "normalize_url",
]
