"""Typed state on top of a key-value backend: preferences, threads, usage, limits, dedupe."""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.content.document import Document
from bot.store.base import KeyValueStore, decode_value, encode_value
from bot.store.keys import (
    DOCUMENT_BY_HASH_TTL,
    QUOTA_TTL,
    SEEN_LINK_TTL,
    THREAD_TTL,
    UPDATE_TTL,
    USAGE_TTL,
    Keys,
)
from bot.store.memory import MemoryStore


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def seconds_until_midnight() -> int:
    now = datetime.now(UTC)
    return 86400 - (now.hour * 3600 + now.minute * 60 + now.second)


@dataclass
class Prefs:
    """Per-chat or per-user choices; None means "use the default"."""

    length: str | None = None
    style: str | None = None
    language: str | None = None
    auto_summary: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Prefs:
        fields = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in fields})


@dataclass
class Thread:
    """A conversation under one summary: which document, and the questions so far."""

    content_hash: str
    title: str | None = None
    url: str | None = None
    user_id: int | None = None
    length: str = "medium"
    style: str = "bullets"
    language: str = "auto"
    turns: list[list[str]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Thread:
        fields = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in fields})

    def history(self, limit: int) -> list[tuple[str, str]]:
        return [(question, answer) for question, answer in self.turns[-limit:]]


class State:
    """Everything Skim remembers besides the caches; limits fall back to memory in an outage."""

    def __init__(self, store: KeyValueStore, keys: Keys) -> None:
        self._store = store
        self._keys = keys
        self._fallback = MemoryStore(max_entries=100_000)

    # Preferences (no TTL: a user's choices are kept until /forget)
    async def _prefs(self, key: str) -> Prefs:
        raw = await self._store.get(key)
        value = decode_value(raw) if raw is not None else None
        return Prefs.from_dict(value["prefs"]) if value else Prefs()

    async def chat_prefs(self, chat_id: int) -> Prefs:
        return await self._prefs(self._keys.chat_settings(chat_id))

    async def user_prefs(self, user_id: int) -> Prefs:
        return await self._prefs(self._keys.user_settings(user_id))

    async def save_chat_prefs(self, chat_id: int, prefs: Prefs) -> bool:
        key = self._keys.chat_settings(chat_id)
        return await self._store.set(key, encode_value({"prefs": asdict(prefs)}), ttl=None)

    async def save_user_prefs(self, user_id: int, prefs: Prefs) -> bool:
        key = self._keys.user_settings(user_id)
        return await self._store.set(key, encode_value({"prefs": asdict(prefs)}), ttl=None)

    # Documents kept for threads, and the threads themselves
    async def keep_document(self, document: Document) -> bool:
        if document.is_reference:
            return False  # the full text was kept when this summary was first made
        key = self._keys.document_by_hash(document.content_hash)
        value = encode_value({"document": document.to_dict()})
        return await self._store.set(key, value, ttl=DOCUMENT_BY_HASH_TTL)

    async def document(self, content_hash: str) -> Document | None:
        raw = await self._store.get(self._keys.document_by_hash(content_hash))
        value = decode_value(raw) if raw is not None else None
        return Document.from_dict(value["document"]) if value else None

    async def save_thread(self, chat_id: int, message_id: int, thread: Thread) -> bool:
        key = self._keys.thread(chat_id, message_id)
        return await self._store.set_indexed(
            key,
            encode_value({"thread": asdict(thread)}),
            ttl=THREAD_TTL,
            touch=self._keys.document_by_hash(thread.content_hash),
            index=None if thread.user_id is None else self._keys.user_threads(thread.user_id),
        )

    async def thread(self, chat_id: int, message_id: int) -> Thread | None:
        raw = await self._store.get(self._keys.thread(chat_id, message_id))
        value = decode_value(raw) if raw is not None else None
        return Thread.from_dict(value["thread"]) if value else None

    # Groups: the same link again within a day points to the earlier summary
    async def remember_link(self, chat_id: int, normalized_url: str, message_id: int) -> int | None:
        """Record a summary of this link in this chat; returns an earlier one's message id."""
        key = self._keys.seen_link(chat_id, normalized_url)
        raw = await self._store.get(key)
        value = decode_value(raw) if raw is not None else None
        if value is not None:
            return int(value["message_id"])
        await self._store.set(key, encode_value({"message_id": message_id}), ttl=SEEN_LINK_TTL)
        return None

    async def earlier_summary(self, chat_id: int, normalized_url: str) -> int | None:
        raw = await self._store.get(self._keys.seen_link(chat_id, normalized_url))
        value = decode_value(raw) if raw is not None else None
        return int(value["message_id"]) if value is not None else None

    # Usage and statistics
    async def record_usage(
        self, user_id: int | None, chat_id: int | None, prompt_tokens: int, completion_tokens: int
    ) -> None:
        day = today()
        fields = {
            "requests": 1,
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
        }
        if user_id is not None:
            await self._store.increment(self._keys.user_usage(user_id, day), fields, ttl=USAGE_TTL)
        if chat_id is not None:
            await self._store.increment(self._keys.chat_usage(chat_id, day), fields, ttl=USAGE_TTL)
        await self._store.increment(
            self._keys.daily_stats(day),
            {"llm_prompt_tokens": prompt_tokens, "llm_completion_tokens": completion_tokens},
            ttl=USAGE_TTL,
        )

    async def user_usage(self, user_id: int, day: str | None = None) -> dict[str, int]:
        return await self._store.counters(self._keys.user_usage(user_id, day or today()))

    async def bump(self, name: str, amount: int = 1, *, user_id: int | None = None) -> None:
        day = today()
        await self._store.increment(self._keys.daily_stats(day), {name: amount}, ttl=USAGE_TTL)
        if user_id is not None:
            await self._store.add_to_set(self._keys.daily_users(day), str(user_id), ttl=USAGE_TTL)

    async def read_counting_hit(self, key: str, name: str = "cache_hits") -> bytes | None:
        """A cache entry; when there is one, `name` in today's stats goes up in the same trip."""
        counter = self._keys.daily_stats(today())
        return await self._store.get_counted(key, counter, name, ttl=USAGE_TTL)

    async def stats(self, day: str | None = None) -> dict[str, int]:
        day = day or today()
        counters = await self._store.counters(self._keys.daily_stats(day))
        counters["users"] = len(await self._store.set_members(self._keys.daily_users(day)))
        return counters

    # Limits
    async def take_token(
        self, scope: str, identity: int, capacity: float, per_minute: float
    ) -> float:
        """0 when allowed, else seconds to wait; atomic in Redis, in-process while it is down."""
        key = self._keys.bucket(scope, identity)
        rate = per_minute / 60.0
        now = time.time()
        wait = await self._store.take_token(key, capacity=capacity, refill_per_second=rate, now=now)
        if wait is None:
            wait = await self._fallback.take_token(
                key, capacity=capacity, refill_per_second=rate, now=now
            )
        return wait or 0.0

    async def use_daily_quota(self, user_id: int, limit: int) -> int | None:
        """Count one LLM summary; returns seconds until reset when over the limit, else None."""
        key = self._keys.quota(user_id, today())
        used = await self._store.count(key, ttl=QUOTA_TTL)
        if used is None:
            used = await self._fallback.count(key, ttl=QUOTA_TTL)
        if used is not None and used > limit:
            return seconds_until_midnight()
        return None

    async def first_time(self, bot_id: int, update_id: int) -> bool:
        """True the first time an update id is seen (per id, not a high-water mark)."""
        key = self._keys.update(bot_id, update_id)
        fresh = await self._store.set_if_absent(key, b"1", ttl=UPDATE_TTL)
        if fresh is None:
            fresh = await self._fallback.set_if_absent(key, b"1", ttl=UPDATE_TTL)
        return bool(fresh)

    async def first_time_with_prefs(
        self, bot_id: int, update_id: int, chat_id: int
    ) -> tuple[bool, Prefs]:
        """`first_time` and the chat's prefs in one trip: every update needs both."""
        key = self._keys.update(bot_id, update_id)
        fresh, raw = await self._store.set_if_absent_and_get(
            key, b"1", ttl=UPDATE_TTL, other=self._keys.chat_settings(chat_id)
        )
        if fresh is None:
            fresh = await self._fallback.set_if_absent(key, b"1", ttl=UPDATE_TTL)
        value = decode_value(raw) if raw is not None else None
        return bool(fresh), Prefs.from_dict(value["prefs"]) if value else Prefs()

    # One request in flight per user, with /cancel
    async def begin_request(self, user_id: int, ttl: float = 600) -> bytes | None:
        """An owner token when the user had nothing in flight, else None."""
        owner = secrets.token_bytes(12)
        key = self._keys.in_flight(user_id)
        started = await self._store.set_if_absent(key, owner, ttl=ttl)
        if started is None:
            started = await self._fallback.set_if_absent(key, owner, ttl=ttl)
        if not started:
            return None
        await self._store.delete(self._keys.cancel(user_id))
        return owner

    async def end_request(self, user_id: int, owner: bytes) -> None:
        key = self._keys.in_flight(user_id)
        if not await self._store.delete_if_owner(key, owner):
            await self._fallback.delete_if_owner(key, owner)

    async def request_cancel(self, user_id: int) -> bool:
        """Ask the user's running request to stop; False when nothing is running."""
        busy = await self._store.get(self._keys.in_flight(user_id))
        if busy is None and await self._fallback.get(self._keys.in_flight(user_id)) is None:
            return False
        await self._store.set(self._keys.cancel(user_id), b"1", ttl=600)
        await self._fallback.set(self._keys.cancel(user_id), b"1", ttl=600)
        return True

    async def cancelled(self, user_id: int) -> bool:
        key = self._keys.cancel(user_id)
        return await self._store.get(key) is not None or await self._fallback.get(key) is not None

    # Privacy
    async def forget_user(self, user_id: int) -> None:
        """Remove a user's settings, threads, usage and limits."""
        threads = await self._store.set_members(self._keys.user_threads(user_id))
        days = [
            datetime.fromtimestamp(time.time() - offset * 86400, UTC).strftime("%Y-%m-%d")
            for offset in range(USAGE_TTL // 86400 + 1)
        ]
        keys = [
            self._keys.user_settings(user_id),
            self._keys.chat_settings(user_id),  # the private chat has the user's id
            self._keys.user_threads(user_id),
            self._keys.bucket("user", user_id),
            self._keys.in_flight(user_id),
            self._keys.cancel(user_id),
            *threads,
            *(self._keys.user_usage(user_id, day) for day in days),
            *(self._keys.quota(user_id, day) for day in days[:3]),
        ]
        await self._store.delete(*keys)
        await self._fallback.delete(*keys)

    # Inline mode: deep-link tokens that map to a normalized URL
    async def save_deep_link(self, token: str, normalized_url: str, *, ttl: int) -> bool:
        key = self._keys.deep_link(token)
        return await self._store.set(key, encode_value({"url": normalized_url}), ttl=ttl)

    async def deep_link(self, token: str) -> str | None:
        """The normalized URL behind a deep-link token, or None when unknown or expired."""
        raw = await self._store.get(self._keys.deep_link(token))
        value = decode_value(raw) if raw is not None else None
        return str(value["url"]) if value is not None else None

    # Channels: each link of a post is summarized once, even when the post is edited
    async def claim_post_link(
        self, chat_id: int, message_id: int, normalized_url: str, *, ttl: int
    ) -> bool:
        """True the first time this link is seen under this post; False after that."""
        key = self._keys.post_link(chat_id, message_id, normalized_url)
        fresh = await self._store.set_if_absent(key, b"1", ttl=ttl)
        if fresh is None:
            fresh = await self._fallback.set_if_absent(key, b"1", ttl=ttl)
        return bool(fresh)
