"""Every Redis key shape Skim writes, in one place (documented in docs/redis.md).

Untrusted parts (URLs, texts) are hashed so they can't inject separators or grow keys; numeric
Telegram ids are written as integers.
"""

from __future__ import annotations

import hashlib

SCHEMA_VERSION = "v1"

# Lifetimes in seconds; every key has one except user and chat settings.
DOCUMENT_TTL = 24 * 3600
DOCUMENT_BY_HASH_TTL = 7 * 24 * 3600
SUMMARY_TTL = 30 * 24 * 3600
FAILED_FETCH_TTL = 600
# A failure that may pass in a moment (a timeout, a reset, a 5xx) is remembered only long
# enough for the requests waiting on the same fetch to share it.
PASSING_FAILURE_TTL = 2
FAILED_SUMMARY_TTL = 8
THREAD_TTL = 7 * 24 * 3600
USAGE_TTL = 40 * 24 * 3600
QUOTA_TTL = 2 * 24 * 3600
UPDATE_TTL = 48 * 3600
SEEN_LINK_TTL = 24 * 3600
# How long a deep link from an inline result keeps working (refreshed on every inline answer).
DEEP_LINK_TTL = 30 * 24 * 3600
# How long a channel post's summarized links are remembered (edits after that summarize again).
POST_LINK_TTL = 7 * 24 * 3600


def digest(*parts: str) -> str:
    """A fixed-length, separator-free identity for untrusted or composite parts."""
    joined = "\x1f".join(parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:40]


class Keys:
    """Builds every key under `{prefix}v1:`."""

    def __init__(self, prefix: str) -> None:
        if not prefix or any(ch.isspace() for ch in prefix):
            raise ValueError("the Redis key prefix may not be empty or contain white space")
        self.root = f"{prefix}{SCHEMA_VERSION}:"

    # Content and summaries
    def document_by_url(self, normalized_url: str) -> str:
        return f"{self.root}doc:url:{digest(normalized_url)}"

    def document_by_hash(self, content_hash: str) -> str:
        return f"{self.root}doc:hash:{digest(content_hash)}"

    def summary(
        self,
        content_hash: str,
        *,
        model: str,
        prompt_version: str,
        length: str,
        style: str,
        language: str,
    ) -> str:
        identity = digest(content_hash, model, prompt_version, length, style, language)
        return f"{self.root}sum:{identity}"

    def summary_by_url(
        self,
        normalized_url: str,
        *,
        model: str,
        prompt_version: str,
        length: str,
        style: str,
        language: str,
    ) -> str:
        """The cache-hit shortcut: a link's document and summary behind one read."""
        identity = digest(normalized_url, model, prompt_version, length, style, language)
        return f"{self.root}sum:url:{identity}"

    def failed_fetch(self, normalized_url: str) -> str:
        return f"{self.root}fail:url:{digest(normalized_url)}"

    def failed_summary(self, summary_key: str) -> str:
        return f"{self.root}fail:sum:{digest(summary_key)}"

    def lock(self, work_key: str) -> str:
        return f"{self.root}lock:{digest(work_key)}"

    # Conversations and preferences
    def thread(self, chat_id: int, message_id: int) -> str:
        return f"{self.root}thread:{int(chat_id)}:{int(message_id)}"

    def user_threads(self, user_id: int) -> str:
        return f"{self.root}user:{int(user_id)}:threads"

    def chat_settings(self, chat_id: int) -> str:
        return f"{self.root}settings:chat:{int(chat_id)}"

    def user_settings(self, user_id: int) -> str:
        return f"{self.root}settings:user:{int(user_id)}"

    def seen_link(self, chat_id: int, normalized_url: str) -> str:
        return f"{self.root}seen:{int(chat_id)}:{digest(normalized_url)}"

    def auto_link(self, chat_id: int, normalized_url: str) -> str:
        return f"{self.root}auto:{int(chat_id)}:{digest(normalized_url)}"

    # Accounting and limits
    def user_usage(self, user_id: int, day: str) -> str:
        return f"{self.root}usage:user:{int(user_id)}:{day}"

    def chat_usage(self, chat_id: int, day: str) -> str:
        return f"{self.root}usage:chat:{int(chat_id)}:{day}"

    def daily_stats(self, day: str) -> str:
        return f"{self.root}stats:{day}"

    def daily_users(self, day: str) -> str:
        return f"{self.root}stats:{day}:users"

    def quota(self, user_id: int, day: str) -> str:
        return f"{self.root}quota:{int(user_id)}:{day}"

    def media_seconds(self, user_id: int, day: str) -> str:
        """Seconds of audio transcribed for a user today (DAILY_MEDIA_MINUTES)."""
        return f"{self.root}media:{int(user_id)}:{day}"

    def bucket(self, scope: str, identity: int) -> str:
        if not scope.isalnum():
            raise ValueError("bucket scope must be alphanumeric")
        return f"{self.root}rl:{scope}:{int(identity)}"

    def send_pace(self, chat: int | str | None) -> str:
        """The Bot API's pace: across all chats (None), or for one group or channel."""
        if chat is None:
            return f"{self.root}pace:bot"
        name = str(chat) if isinstance(chat, int) else digest(chat)
        return f"{self.root}pace:chat:{name}"

    def in_flight(self, user_id: int) -> str:
        return f"{self.root}busy:{int(user_id)}"

    def cancel(self, user_id: int) -> str:
        return f"{self.root}cancel:{int(user_id)}"

    # Status messages of requests still running, and the processes running them
    def statuses(self) -> str:
        return f"{self.root}statuses"

    def status(self, chat_id: int, message_id: int) -> str:
        return f"{self.root}status:{int(chat_id)}:{int(message_id)}"

    def instance(self, instance_id: str) -> str:
        if not (instance_id.isascii() and instance_id.isalnum()):
            raise ValueError("an instance id must be ASCII letters and digits")
        return f"{self.root}instance:{instance_id}"

    def update(self, bot_id: int, update_id: int) -> str:
        return f"{self.root}update:{int(bot_id)}:{int(update_id)}"

    # The durable intake (several workers): one stream per bot and the ids appended to it,
    # under one hash tag so that the append script touches one slot of a cluster.
    def update_stream(self, bot_id: int) -> str:
        return f"{self.root}{{updates}}:{int(bot_id)}"

    def update_seen(self, bot_id: int, update_id: int) -> str:
        return f"{self.root}{{updates}}:seen:{int(bot_id)}:{int(update_id)}"

    # Inline mode: deep-link payloads that open a summary in the private chat
    def deep_link(self, token: str) -> str:
        if not (token.isascii() and token.isalnum()):
            raise ValueError("a deep-link token must be ASCII letters and digits")
        return f"{self.root}deeplink:{token}"

    # Channels: a link already summarized under one post (edits only summarize new links)
    def post_link(self, chat_id: int, message_id: int, normalized_url: str) -> str:
        return f"{self.root}postlink:{int(chat_id)}:{int(message_id)}:{digest(normalized_url)}"
