"""Typed state on top of a key-value backend: preferences, threads, usage, limits, dedupe."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Iterable
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

# Seconds a request's lease lasts without renewal, and how long a status is remembered.
REQUEST_LEASE = 6.0
STATUS_TTL = 24 * 3600


@dataclass(frozen=True)
class OrphanedStatus:
    """A status message left behind by a process that died mid-request."""

    chat_id: int
    message_id: int
    language: str


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
    # A channel: whether Skim may post there, as Telegram last said (None: not known yet).
    may_post: bool | None = None

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
    # A transcript (audio, video, YouTube): its summary has a Transcript button.
    recording: bool = False
    # The article's own language, which a summary with language "auto" is written in.
    document_language: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Thread:
        fields = cls.__dataclass_fields__
        return cls(**{key: value for key, value in data.items() if key in fields})

    def written_in(self) -> str | None:
        """The language of the summary shown under this thread, when known."""
        return self.language if self.language != "auto" else self.document_language

    def history(self, limit: int) -> list[tuple[str, str]]:
        """The last `limit` turns (none for 0: `turns[-0:]` would be all of them)."""
        return [(question, answer) for question, answer in self.turns[-limit:]] if limit > 0 else []


def _prefs_of(raw: bytes | None) -> Prefs:
    """Stored prefs, or the defaults when there are none."""
    value = decode_value(raw)
    return Prefs.from_dict(value["prefs"]) if value else Prefs()


class State:
    """Everything Skim remembers besides the caches; limits fall back to memory in an outage."""

    def __init__(self, store: KeyValueStore, keys: Keys) -> None:
        self._store = store
        self._keys = keys
        self._fallback = MemoryStore(max_entries=100_000)

    async def _read(self, key: str) -> dict[str, Any] | None:
        return decode_value(await self._store.get(key))

    async def _set_if_absent(self, key: str, value: bytes, ttl: float) -> bool:
        """SET NX in Redis, else in this process while Redis is down: the answer must not fail."""
        fresh = await self._store.set_if_absent(key, value, ttl=ttl)
        if fresh is None:
            fresh = await self._fallback.set_if_absent(key, value, ttl=ttl)
        return bool(fresh)

    # Preferences (no TTL: a user's choices are kept until /forget)
    async def _prefs(self, key: str) -> Prefs:
        return _prefs_of(await self._store.get(key))

    async def _save_prefs(self, key: str, prefs: Prefs) -> bool:
        return await self._store.set(key, encode_value({"prefs": asdict(prefs)}), ttl=None)

    async def chat_prefs(self, chat_id: int) -> Prefs:
        return await self._prefs(self._keys.chat_settings(chat_id))

    async def user_prefs(self, user_id: int) -> Prefs:
        return await self._prefs(self._keys.user_settings(user_id))

    async def save_chat_prefs(self, chat_id: int, prefs: Prefs) -> bool:
        return await self._save_prefs(self._keys.chat_settings(chat_id), prefs)

    async def move_chat_prefs(self, old_id: int, new_id: int) -> bool:
        """A group's settings follow it when Telegram upgrades it to a supergroup, which has a
        new id; settings the supergroup already has are kept. True when they were moved."""
        saved = await self._store.get(self._keys.chat_settings(old_id))
        target = self._keys.chat_settings(new_id)
        if saved is None or await self._store.get(target) is not None:
            return False
        return await self._store.set(target, saved, ttl=None)

    async def save_user_prefs(self, user_id: int, prefs: Prefs) -> bool:
        return await self._save_prefs(self._keys.user_settings(user_id), prefs)

    # Documents kept for threads, and the threads themselves
    async def keep_document(self, document: Document) -> bool:
        if document.is_reference:
            return False  # the full text was kept when this summary was first made
        key = self._keys.document_by_hash(document.content_hash)
        value = encode_value({"document": document.to_dict()})
        return await self._store.set(key, value, ttl=DOCUMENT_BY_HASH_TTL)

    async def document(self, content_hash: str) -> Document | None:
        value = await self._read(self._keys.document_by_hash(content_hash))
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
        value = await self._read(self._keys.thread(chat_id, message_id))
        return Thread.from_dict(value["thread"]) if value else None

    # Groups: the same link again within a day points to the earlier summary
    async def remember_link(self, chat_id: int, normalized_url: str, message_id: int) -> int | None:
        """Record a summary of this link in this chat; returns an earlier one's message id."""
        earlier = await self.earlier_summary(chat_id, normalized_url)
        if earlier is None:
            key = self._keys.seen_link(chat_id, normalized_url)
            await self._store.set(key, encode_value({"message_id": message_id}), ttl=SEEN_LINK_TTL)
        return earlier

    async def claim_auto_summary(self, chat_id: int, normalized_url: str, *, ttl: int) -> bool:
        """True for the first auto-summary of a link in a chat within `ttl` seconds: two
        members posting it at once (on two workers) get one summary, not two."""
        return await self._set_if_absent(self._keys.auto_link(chat_id, normalized_url), b"1", ttl)

    async def earlier_summary(self, chat_id: int, normalized_url: str) -> int | None:
        value = await self._read(self._keys.seen_link(chat_id, normalized_url))
        return int(value["message_id"]) if value is not None else None

    # Usage and statistics
    async def record_usage(
        self, user_id: int | None, chat_id: int | None, prompt_tokens: int, completion_tokens: int
    ) -> None:
        """Count one LLM request's tokens; the writes go together so they share a round trip."""
        day = today()
        fields = {
            "requests": 1,
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
        }
        writes: list[Awaitable[bool]] = [
            self._store.increment(
                self._keys.daily_stats(day),
                {"llm_prompt_tokens": prompt_tokens, "llm_completion_tokens": completion_tokens},
                ttl=USAGE_TTL,
            )
        ]
        if user_id is not None:
            key = self._keys.user_usage(user_id, day)
            writes.append(self._store.increment(key, fields, ttl=USAGE_TTL))
        if chat_id is not None:
            key = self._keys.chat_usage(chat_id, day)
            writes.append(self._store.increment(key, fields, ttl=USAGE_TTL))
        await asyncio.gather(*writes)

    async def user_usage(self, user_id: int, day: str | None = None) -> dict[str, int]:
        return await self._store.counters(self._keys.user_usage(user_id, day or today()))

    async def bump(self, name: str, amount: int = 1, *, user_id: int | None = None) -> None:
        """Add to today's counter `name` (and the user to today's users) in one round trip."""
        day = today()
        writes = [self._store.increment(self._keys.daily_stats(day), {name: amount}, ttl=USAGE_TTL)]
        if user_id is not None:
            key = self._keys.daily_users(day)
            writes.append(self._store.add_to_set(key, str(user_id), ttl=USAGE_TTL))
        await asyncio.gather(*writes)

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

    async def pace_send(self, chat: int | str | None, *, per_second: float, burst: int) -> float:
        """Seconds to wait before the next Bot API call to `chat` (to any chat when None).

        Shared by every process on the same Redis, so N workers together keep Telegram's limits;
        counted in this process while Redis is down.
        """
        key = self._keys.send_pace(chat)
        interval = 1.0 / per_second
        wait = await self._store.reserve_slot(key, interval=interval, burst=burst)
        if wait is None:
            wait = await self._fallback.reserve_slot(key, interval=interval, burst=burst)
        return wait or 0.0

    async def hold_sends(
        self, chat: int | str | None, seconds: float, *, per_second: float, burst: int
    ) -> None:
        """A flood wait for every process that paces `chat` (the bot when None) at this rate.

        No slot is handed out for `seconds`; after them the pace starts without its burst, as
        Telegram has just said the chat had too many.
        """
        key = self._keys.send_pace(chat)
        postpone = seconds + (burst - 1) / per_second
        if not await self._store.postpone_slots(key, seconds=postpone):
            await self._fallback.postpone_slots(key, seconds=postpone)

    async def use_daily_quota(self, user_id: int, limit: int) -> int | None:
        """Count one LLM summary; returns seconds until reset when over the limit, else None."""
        key = self._keys.quota(user_id, today())
        used = await self._store.count(key, ttl=QUOTA_TTL)
        if used is None:
            used = await self._fallback.count(key, ttl=QUOTA_TTL)
        if used is not None and used > limit:
            return seconds_until_midnight()
        return None

    async def daily_quota_used(self, user_id: int) -> int:
        """LLM summaries counted against the user's quota today."""
        used = await self._store.count(self._keys.quota(user_id, today()), ttl=QUOTA_TTL, by=0)
        return used or 0

    async def use_media_seconds(self, user_id: int, seconds: int, limit: int) -> int | None:
        """Count seconds of transcription; seconds until reset when they pass `limit`, else None.

        A recording that would cross the limit is refused whole and not counted.
        """
        key = self._keys.media_seconds(user_id, today())
        used = await self._store.count(key, ttl=QUOTA_TTL, by=seconds)
        if used is None:
            used = await self._fallback.count(key, ttl=QUOTA_TTL, by=seconds)
        if used is not None and used > limit:
            await self._store.count(key, ttl=QUOTA_TTL, by=-seconds)
            return seconds_until_midnight()
        return None

    async def give_back_media_seconds(self, user_id: int, seconds: int) -> None:
        """Return seconds counted for a recording that was not transcribed after all."""
        key = self._keys.media_seconds(user_id, today())
        if await self._store.count(key, ttl=QUOTA_TTL, by=-seconds) is None:
            await self._fallback.count(key, ttl=QUOTA_TTL, by=-seconds)

    async def first_time(self, bot_id: int, update_id: int) -> bool:
        """True the first time an update id is seen (per id, not a high-water mark)."""
        return await self._set_if_absent(self._keys.update(bot_id, update_id), b"1", UPDATE_TTL)

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
        return bool(fresh), _prefs_of(raw)

    # One request in flight per user, with /cancel: a lease its owner keeps renewing, so that it
    # dies with the owner's process within REQUEST_LEASE seconds.
    async def begin_request(self, user_id: int, ttl: float = REQUEST_LEASE) -> bytes | None:
        """An owner token when the user had nothing in flight, else None."""
        owner = secrets.token_bytes(12)
        if not await self._set_if_absent(self._keys.in_flight(user_id), owner, ttl):
            return None
        # A /cancel meant for an earlier request must not stop this one (in either store).
        await self._store.delete(self._keys.cancel(user_id))
        await self._fallback.delete(self._keys.cancel(user_id))
        return owner

    async def renew_request(self, user_id: int, owner: bytes, ttl: float = REQUEST_LEASE) -> bool:
        """Keep the lease; False when it was lost (expired, or released by /cancel)."""
        return await self._store.extend_if_owner(self._keys.in_flight(user_id), owner, ttl=ttl)

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
        # Released at once: a request whose process died must not hold the user back.
        await self._store.delete(self._keys.in_flight(user_id))
        await self._fallback.delete(self._keys.in_flight(user_id))
        return True

    # Status messages of running requests, and the processes running them
    async def track_status(
        self, chat_id: int, message_id: int, language: str, instance: str
    ) -> None:
        """Note a status message until its request ends, with the process that owns it."""
        value = encode_value({"language": language, "instance": instance})
        await self._store.set(self._keys.status(chat_id, message_id), value, ttl=STATUS_TTL)
        await self._store.add_to_set(
            self._keys.statuses(), f"{chat_id}:{message_id}", ttl=STATUS_TTL
        )

    async def is_status(self, chat_id: int, message_id: int) -> bool:
        """Whether the message is a running request's status (a summary still being written)."""
        return await self._read(self._keys.status(chat_id, message_id)) is not None

    async def untrack_status(self, chat_id: int, message_id: int) -> None:
        await self._store.delete(self._keys.status(chat_id, message_id))
        await self._store.remove_from_set(self._keys.statuses(), f"{chat_id}:{message_id}")

    async def beat(self, instance: str, ttl: float) -> None:
        """This process is alive for `ttl` more seconds."""
        await self._store.set(self._keys.instance(instance), b"1", ttl=max(1, round(ttl)))

    async def _tracked_statuses(self) -> list[tuple[OrphanedStatus, str]]:
        """Every status message on record, with its owner; records that expired leave the
        index as they are found."""
        members = sorted(await self._store.set_members(self._keys.statuses()))
        places = [tuple(int(part) for part in member.split(":", 1)) for member in members]
        # Read together: the reads share round trips instead of one each.
        values = await asyncio.gather(
            *(self._read(self._keys.status(chat, message)) for chat, message in places)
        )
        tracked: list[tuple[OrphanedStatus, str]] = []
        for member, (chat_id, message_id), value in zip(members, places, values, strict=True):
            if value is None:
                await self._store.remove_from_set(self._keys.statuses(), member)
            else:
                status = OrphanedStatus(chat_id, message_id, str(value["language"]))
                tracked.append((status, str(value["instance"])))
        return tracked

    async def orphaned_statuses(self) -> list[OrphanedStatus]:
        """Status messages whose process stopped beating: their requests will never finish."""
        tracked = await self._tracked_statuses()
        owners = {owner for _, owner in tracked}
        alive = dict(
            zip(
                owners,
                await asyncio.gather(
                    *(self._store.get(self._keys.instance(owner)) for owner in owners)
                ),
                strict=True,
            )
        )
        return [status for status, owner in tracked if alive[owner] is None]

    async def statuses_of(self, instance: str) -> list[OrphanedStatus]:
        """The status messages a process still owns (its requests have not ended)."""
        return [status for status, owner in await self._tracked_statuses() if owner == instance]

    async def cancelled(self, user_id: int) -> bool:
        key = self._keys.cancel(user_id)
        return await self._store.get(key) is not None or await self._fallback.get(key) is not None

    # Privacy
    async def forget_user(self, user_id: int) -> None:
        """Remove a user's settings, threads, usage figures (theirs and their private chat's)
        and the texts they sent that those threads kept (a paste, a file; a page's text is the
        site's and stays cached).

        Today's quota, minutes and rate limits stay (counts, not content; gone within a day):
        forgetting them would hand a user at the daily quota a fresh one for one command.
        """
        threads = await self._store.set_members(self._keys.user_threads(user_id))
        days = [
            datetime.fromtimestamp(time.time() - offset * 86400, UTC).strftime("%Y-%m-%d")
            for offset in range(USAGE_TTL // 86400 + 1)
        ]
        keys = [
            self._keys.user_settings(user_id),
            self._keys.chat_settings(user_id),  # the private chat has the user's id
            self._keys.user_threads(user_id),
            *threads,
            *(await self._sent_texts(threads)),
            *(self._keys.user_usage(user_id, day) for day in days),
            *(self._keys.chat_usage(user_id, day) for day in days),
        ]
        await self._store.delete(*keys)
        await self._fallback.delete(*keys)

    async def _sent_texts(self, thread_keys: Iterable[str]) -> list[str]:
        """The cached documents of threads about something the user sent (no link)."""
        sent = []
        for key in thread_keys:
            value = await self._read(key)
            thread = Thread.from_dict(value["thread"]) if value else None
            if thread is not None and thread.url is None and thread.content_hash:
                sent.append(self._keys.document_by_hash(thread.content_hash))
        return sent

    # Inline mode: deep-link tokens that map to a normalized URL
    async def save_deep_link(self, token: str, normalized_url: str, *, ttl: int) -> bool:
        key = self._keys.deep_link(token)
        return await self._store.set(key, encode_value({"url": normalized_url}), ttl=ttl)

    async def deep_link(self, token: str) -> str | None:
        """The normalized URL behind a deep-link token, or None when unknown or expired."""
        value = await self._read(self._keys.deep_link(token))
        return str(value["url"]) if value is not None else None

    # Channels: each link of a post is summarized once, even when the post is edited
    async def claim_post_link(
        self, chat_id: int, message_id: int, normalized_url: str, *, ttl: int
    ) -> bool:
        """True the first time this link is seen under this post; False after that."""
        key = self._keys.post_link(chat_id, message_id, normalized_url)
        return await self._set_if_absent(key, b"1", ttl)
