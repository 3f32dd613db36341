"""Every key Skim writes lives under the prefix and `v1:`, and every one expires except settings.

The bot runs full flows against a private redis-server, so a scan of the whole database sees
exactly what Skim wrote and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.content.urls import normalize_url
from bot.store import (
    Keys,
    KeyValueStore,
    MemoryStore,
    Prefs,
    RedisStore,
    State,
    decode_value,
    encode_value,
)
from bot.store.keys import (
    DOCUMENT_BY_HASH_TTL,
    DOCUMENT_TTL,
    FAILED_FETCH_TTL,
    QUOTA_TTL,
    SUMMARY_TTL,
    THREAD_TTL,
    UPDATE_TTL,
    USAGE_TTL,
)
from bot.store.state import today
from tests.conftest import llm_settings
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.helpers.redis_server import PrivateRedis
from tests.tg import USER_ID, message_of, send_for_summary, wait_text

SUMMARY = "Mill turns again\nTL;DR: The tide mill works.\n\n- Halloran restored it"


def kind(key: str, root: str) -> str:
    """`doc:url`, `sum`, `settings:chat`, ... : the key's shape without its identifying parts."""
    parts = key.removeprefix(root).split(":")
    if parts[0] in ("doc", "fail", "settings", "usage"):
        return ":".join(parts[:2])
    if parts[:2] == ["sum", "url"]:
        return "sum:url"
    if parts[0] == "user":
        return "user:threads"
    if parts[0] == "stats":
        return "stats:users" if parts[-1] == "users" else "stats"
    if parts[0] == "{updates}":
        return "{updates}:seen" if parts[1] == "seen" else "{updates}"
    return parts[0]


def near(ttl: int, expected: int) -> bool:
    return expected - 120 < ttl <= expected


async def test_every_key_is_prefixed_and_expires_except_settings(
    bot_api: FakeBotAPI,
    llm_api: FakeOpenAI,
    web: FakeWeb,
    settings_for: Callable[..., Settings],
    start_bot: Any,
    private_redis: PrivateRedis,
    redis_prefix: str,
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    web.route("/gone", "nothing here", status=404)
    llm_api.script(SUMMARY, "It was built in 1790.")
    settings = llm_settings(settings_for, llm_api, redis_url=private_redis.url)
    async with start_bot(settings) as bot:
        state = bot.deps.skim.state
        assert await state.save_chat_prefs(USER_ID, Prefs(length="short"))
        assert await state.save_user_prefs(USER_ID, Prefs(style="paragraph"))
        call = await send_for_summary(bot_api, web.url("/story"))
        summary = message_of(bot_api, call)
        bot_api.send_private_message("When was it built?", reply_to_message=summary)
        await wait_text(bot_api, "1790")
        bot_api.send_private_message(web.url("/gone"))
        await wait_text(bot_api, "doesn't exist")
        await bot_api.wait_idle()

    keys = Keys(redis_prefix)
    story = normalize_url(web.url("/story"))
    client = Redis.from_url(private_redis.url)
    try:
        written = sorted([key.decode() async for key in client.scan_iter(count=1000)])
        ttls = {key: await client.ttl(key) for key in written}
        document_raw = await client.get(keys.document_by_url(story))
        usage_raw = await client.hgetall(keys.user_usage(USER_ID, _day(written, keys)))
        stream_length = await client.xlen(keys.update_stream(bot_api.bot_id))
    finally:
        await client.aclose()

    assert written, "the flows wrote to Redis"
    assert all(key.startswith(keys.root) for key in written), written
    kinds: dict[str, list[int]] = {}
    for key in written:
        kinds.setdefault(kind(key, keys.root), []).append(ttls[key])
    expected_kinds = {
        "doc:url", "doc:hash", "sum", "sum:url", "fail:url", "thread", "user:threads",
        "settings:chat", "settings:user", "usage:user", "usage:chat", "stats",
        "stats:users", "quota", "rl", "pace", "{updates}", "{updates}:seen",
    }  # fmt: skip
    assert expected_kinds <= set(kinds), sorted(kinds)
    assert "lock" not in kinds, "single-flight locks are released"
    assert "busy" not in kinds, "the in-flight marker is cleared"
    for name, found in kinds.items():
        if name.startswith("settings:"):
            assert found == [-1], f"{name} is kept until /forget"
        elif name == "{updates}":
            assert found == [-1], "the update stream is bounded by its length, not a TTL"
        else:
            assert all(ttl > 0 for ttl in found), f"{name} has no TTL: {found}"

    assert near(ttls[keys.document_by_url(story)], DOCUMENT_TTL)
    assert all(near(ttl, SUMMARY_TTL) for ttl in kinds["sum"])
    # The link shortcut lives as long as the document it names, so a page is re-read daily.
    assert all(near(ttl, DOCUMENT_TTL) for ttl in kinds["sum:url"])
    assert near(ttls[keys.failed_fetch(normalize_url(web.url("/gone")))], FAILED_FETCH_TTL)
    assert near(ttls[keys.thread(USER_ID, call.result["message_id"])], THREAD_TTL)
    assert len(kinds["thread"]) == 2, "the summary and the answer are both replyable"
    assert all(near(ttl, THREAD_TTL) for ttl in kinds["thread"])
    assert all(near(ttl, DOCUMENT_BY_HASH_TTL) for ttl in kinds["doc:hash"])
    assert all(near(ttl, UPDATE_TTL) for ttl in kinds["{updates}:seen"])
    assert len(kinds["{updates}:seen"]) == 3, "one dedupe key per update"
    assert stream_length == 0, "every update was acknowledged and deleted from the stream"
    assert all(near(ttl, USAGE_TTL) for ttl in kinds["usage:user"] + kinds["stats"])
    assert all(near(ttl, QUOTA_TTL) for ttl in kinds["quota"])

    # Values: JSON with a schema field (zlib above 1 KB); usage counters in a hash.
    assert document_raw is not None
    assert document_raw.startswith(b"z"), "an article is above 1 KB: compressed"
    document = decode_value(document_raw)
    assert document is not None
    assert document["schema"] == 1
    assert "Brackwater" in document["document"]["text"]
    usage = {name.decode(): int(value) for name, value in usage_raw.items()}
    assert usage["requests"] == 2, "the summary and the answer"
    assert usage["prompt_tokens"] > 0


def _day(written: list[str], keys: Keys) -> str:
    usage = next(key for key in written if key.startswith(f"{keys.root}usage:user:"))
    return usage.rsplit(":", 1)[1]


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_a_cache_read_counts_its_hit_in_the_same_call(
    backend: str, redis_url: str, redis_prefix: str
) -> None:
    store: KeyValueStore = MemoryStore() if backend == "memory" else RedisStore.from_url(redis_url)
    state = State(store, Keys(redis_prefix))
    key = f"{redis_prefix}v1:sum:x"
    try:
        assert await state.read_counting_hit(key) is None
        assert await store.set(key, encode_value({"summary": {}}), ttl=60)
        assert await state.read_counting_hit(key) is not None
        assert await state.read_counting_hit(key) is not None
        stats = await state.stats()
        ttl = await store.ttl(Keys(redis_prefix).daily_stats(today()))
    finally:
        await store.aclose()
    assert stats.get("cache_hits") == 2, "misses are not counted as hits"
    assert ttl is not None
    assert near(ttl, USAGE_TTL)
