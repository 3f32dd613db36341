"""The Redis Stream of updates, its workers and its poller, on real Redis and the Bot API fake."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from telegram import Bot, Update

from bot.intake import Poller
from bot.metrics import Metrics
from bot.origin import FROM_STREAM, REDELIVERED
from bot.store.keys import Keys
from bot.stream import GROUP, MAX_DELIVERIES, StreamFull, UpdateStream, encode_update
from bot.worker import Worker
from tests.conftest import eventually, run_cli
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers.processes import skim_run, skim_run_env
from tests.helpers.redis_server import PrivateRedis, free_port
from tests.helpers.stream import update

BOT_ID = 4321


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    redis = Redis.from_url(redis_url)
    yield redis
    await redis.aclose()


@pytest.fixture
async def stream(client: Redis, redis_prefix: str) -> UpdateStream:
    updates = UpdateStream(client, Keys(redis_prefix), BOT_ID, max_len=1000)
    await updates.create_group()
    return updates


async def test_an_update_id_is_appended_once(stream: UpdateStream) -> None:
    assert await stream.append([update(1), update(2)]) == 2
    assert await stream.append([update(2), update(3)]) == 1  # 2 again: a webhook retry
    entries = await stream.read("a", 10, 100)
    assert [entry.update["update_id"] for entry in entries] == [1, 2, 3]


async def test_a_full_stream_refuses_updates_instead_of_dropping_unread_ones(
    client: Redis, redis_prefix: str
) -> None:
    """Trimming dropped the oldest unread updates, which Telegram had been told had arrived,
    without a word. A full stream now refuses: the intake keeps them with Telegram."""
    stream = UpdateStream(client, Keys(redis_prefix), BOT_ID, max_len=3)
    await stream.create_group()
    with pytest.raises(StreamFull):
        await stream.append([update(n) for n in range(1, 6)])
    assert await stream.backlog() == 3
    first = (await stream.read("w", 1, 100))[0]
    await stream.acknowledge(first.entry_id)
    assert await stream.append([update(n) for n in range(1, 5)]) == 1  # 1-3 seen, 4 appended
    with pytest.raises(StreamFull):
        await stream.append([update(5)])
    entries = await stream.read("w", 10, 100)
    assert [entry.update["update_id"] for entry in entries] == [2, 3, 4]


async def test_an_acknowledged_entry_leaves_the_stream(stream: UpdateStream) -> None:
    await stream.append([update(1), update(2)])
    first, second = await stream.read("a", 10, 100)
    await stream.acknowledge(first.entry_id)
    assert await stream.backlog() == 1
    await stream.acknowledge(second.entry_id)
    assert await stream.backlog() == 0


async def test_an_idle_entry_is_claimed_by_another_consumer_and_a_kept_one_is_not(
    stream: UpdateStream,
) -> None:
    await stream.append([update(1), update(2)])
    abandoned, kept = await stream.read("dead", 10, 100)
    await asyncio.sleep(0.3)
    await stream.keep("dead", [kept.entry_id])  # still being worked on
    claimed = await stream.claim("alive", 0.2, 10)
    assert [entry.entry_id for entry in claimed] == [abandoned.entry_id]
    assert await stream.claim("other", 0.2, 10) == []  # idle again only after 0.2 s


async def test_a_released_entry_is_claimed_at_once(stream: UpdateStream) -> None:
    await stream.append([update(1)])
    (entry,) = await stream.read("stopping", 10, 100)
    assert await stream.claim("other", 30, 10) == []
    await stream.release("stopping", [entry.entry_id], 30)
    assert [e.entry_id for e in await stream.claim("other", 30, 10)] == [entry.entry_id]


async def test_an_entry_that_keeps_failing_is_dropped_with_a_log_line(
    stream: UpdateStream, client: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    await stream.append([update(9)])
    await stream.read("w0", 10, 100)
    for n in range(MAX_DELIVERIES - 1):
        assert len(await stream.claim(f"w{n + 1}", 0, 10)) == 1
    with caplog.at_level(logging.ERROR, "bot.stream"):
        assert await stream.claim("last", 0, 10) == []
    assert "dropping update 9" in caplog.text
    assert await stream.backlog() == 0
    assert (await client.xpending(stream.key, GROUP))["pending"] == 0


async def test_the_stream_stays_bounded(stream: UpdateStream, client: Redis) -> None:
    """Memory is bounded by STREAM_MAX_LEN (1,000 here): the rest waits with Telegram."""
    for start in range(0, 3000, 500):
        with contextlib.suppress(StreamFull):
            await stream.append([update(i) for i in range(start, start + 500)])
    assert await client.xlen(stream.key) == 1000


async def test_a_worker_handles_each_entry_once_and_marks_where_it_came_from(
    stream: UpdateStream,
) -> None:
    seen: list[tuple[int, bool, bool]] = []

    async def process(data: dict[str, Any]) -> None:
        seen.append((data["update_id"], FROM_STREAM.get(), REDELIVERED.get()))

    worker = Worker(stream, process, claim_idle=30, name="w")
    running = asyncio.create_task(worker.run())
    await stream.append([update(i) for i in range(1, 6)])
    await eventually(lambda: _true(worker.done == 5), timeout=5)
    worker.stop()
    await running
    assert sorted(seen) == [(i, True, False) for i in range(1, 6)]
    assert await stream.backlog() == 0


async def test_a_worker_claims_a_dead_workers_entry_as_redelivered(stream: UpdateStream) -> None:
    await stream.append([update(1)])
    await stream.read("dead", 10, 100)  # read and never acknowledged: its worker died
    seen: list[tuple[int, bool]] = []

    async def process(data: dict[str, Any]) -> None:
        seen.append((data["update_id"], REDELIVERED.get()))

    worker = Worker(stream, process, claim_idle=1.0, name="alive")
    running = asyncio.create_task(worker.run())
    await eventually(lambda: _true(worker.done == 1), timeout=5)
    worker.stop()
    await running
    assert seen == [(1, True)]


async def test_a_stopping_worker_gives_its_unfinished_entries_back(stream: UpdateStream) -> None:
    started = asyncio.Event()

    async def slow(data: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(60)

    worker = Worker(stream, slow, claim_idle=30, name="stopping")
    running = asyncio.create_task(worker.run())
    await stream.append([update(1)])
    await asyncio.wait_for(started.wait(), 5)
    worker.stop()
    await running
    assert await worker.drain(0.1) == (0, 1)
    claimed = await stream.claim("next", 30, 10)
    assert [entry.update["update_id"] for entry in claimed] == [1]


async def _true(value: bool) -> bool:
    return value


class SlowToAcknowledge(UpdateStream):
    """The real stream, whose acknowledgements wait until the test lets them through."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acknowledging = asyncio.Event()
        self.let_through = asyncio.Event()
        self.acknowledged: list[str] = []

    async def acknowledge(self, entry_id: str) -> None:
        self.acknowledging.set()
        await self.let_through.wait()
        await super().acknowledge(entry_id)
        self.acknowledged.append(entry_id)


async def test_a_stopping_worker_waits_for_acknowledgements_on_their_way(
    client: Redis, redis_prefix: str
) -> None:
    """Its client is closed right after `drain`: an acknowledgement still running then would
    open a connection that nothing closes (the suite's ResourceWarning flake)."""
    stream = SlowToAcknowledge(client, Keys(redis_prefix), BOT_ID, max_len=1000)
    await stream.create_group()

    async def process(data: dict[str, Any]) -> None:
        return None

    worker = Worker(stream, process, claim_idle=30, name="acknowledging")
    running = asyncio.create_task(worker.run())
    await stream.append([update(1)])
    await asyncio.wait_for(stream.acknowledging.wait(), 5)
    worker.stop()
    await running
    draining = asyncio.create_task(worker.drain(5))
    await asyncio.sleep(0.2)
    assert not draining.done(), "drain waits for the acknowledgement"
    stream.let_through.set()
    assert await draining == (1, 0)
    assert len(stream.acknowledged) == 1
    assert await stream.backlog() == 0


class RefusingAcknowledgements(UpdateStream):
    """The real stream, whose first acknowledgements fail as they do while Redis stalls."""

    def __init__(self, *args: Any, failures: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failures = failures

    async def acknowledge(self, *entry_ids: str) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RedisConnectionError("Redis stalled")
        await super().acknowledge(*entry_ids)


async def test_an_update_done_while_redis_stalled_is_not_answered_again(
    client: Redis, redis_prefix: str
) -> None:
    """Its worker keeps it (heartbeat) and acknowledges it once Redis answers: no worker claims
    it as a dead worker's and answers the user a second time."""
    stream = RefusingAcknowledgements(client, Keys(redis_prefix), BOT_ID, max_len=1000, failures=3)
    await stream.create_group()
    seen: list[int] = []

    async def process(data: dict[str, Any]) -> None:
        seen.append(data["update_id"])

    workers = [Worker(stream, process, claim_idle=1.5, name=name) for name in ("one", "two")]
    running = [asyncio.create_task(worker.run()) for worker in workers]
    await stream.append([update(1)])
    await eventually(lambda: _true(stream.failures == 0), timeout=10)
    await eventually(lambda: _backlog_empty(stream), timeout=10)
    await asyncio.sleep(2.5)  # past the claim idle: a second answer would have come by now
    for worker in workers:
        worker.stop()
    await asyncio.gather(*running)
    assert seen == [1]


async def _backlog_empty(stream: UpdateStream) -> bool:
    return await stream.backlog() == 0


class RefusingReads(UpdateStream):
    """The real stream, whose reads fail for a while as they do while Redis is down."""

    def __init__(self, *args: Any, failures: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failures = failures

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Any]:
        if self.failures > 0:
            self.failures -= 1
            raise RedisConnectionError("Redis down")
        return await super().read(consumer, count, block_ms)


async def test_a_redis_outage_is_logged_once_and_its_end_once(
    client: Redis, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker retries every second: an outage of minutes must not be a warning a second."""
    stream = RefusingReads(client, Keys(redis_prefix), BOT_ID, max_len=1000, failures=4)
    await stream.create_group()
    seen: list[int] = []

    async def process(data: dict[str, Any]) -> None:
        seen.append(data["update_id"])

    caplog.set_level(logging.INFO, logger="bot.worker")
    worker = Worker(stream, process, claim_idle=30, name="patient")
    running = asyncio.create_task(worker.run())
    await stream.append([update(1)])
    await eventually(lambda: _true(seen == [1]), timeout=10)
    worker.stop()
    await running
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "bot.worker"]
    warnings = [message for level, message in said if level >= logging.WARNING]
    assert warnings == ["could not read updates from Redis: ConnectionError (trying again)"]
    assert any(message.startswith("Redis answers again (read updates") for _, message in said)


async def test_the_poller_confirms_updates_only_once_they_are_in_redis(
    bot_api: FakeBotAPI, private_redis: PrivateRedis, redis_prefix: str
) -> None:
    redis = Redis.from_url(private_redis.url, socket_timeout=1, socket_connect_timeout=0.5)
    stream = UpdateStream(redis, Keys(redis_prefix), BOT_ID, max_len=1000)
    bot = Bot(bot_api.token, base_url=f"{bot_api.url}/bot")
    poller = Poller(bot, stream, Metrics(), timeout=1)
    await private_redis.stop()
    bot_api.send_private_message("one")
    bot_api.send_private_message("two")
    async with bot:
        running = asyncio.create_task(poller.run())
        await asyncio.sleep(2.5)  # appends fail meanwhile: Telegram must keep both updates
        assert len(bot_api.pending_updates) == 2
        await private_redis.start()
        await eventually(lambda: _true(poller.appended == 2), timeout=15)
        await eventually(lambda: _true(not bot_api.pending_updates), timeout=5)
        poller.stop()
        await running
    assert await stream.backlog() == 2
    await redis.aclose()


async def test_a_poller_that_also_works_handles_updates_itself_while_redis_is_down(
    bot_api: FakeBotAPI, private_redis: PrivateRedis, redis_prefix: str
) -> None:
    redis = Redis.from_url(private_redis.url, socket_timeout=1, socket_connect_timeout=0.5)
    stream = UpdateStream(redis, Keys(redis_prefix), BOT_ID, max_len=1000)
    handled: list[int] = []

    async def here(updates: Any) -> None:
        handled.extend(u.update_id for u in updates)

    bot = Bot(bot_api.token, base_url=f"{bot_api.url}/bot")
    poller = Poller(bot, stream, Metrics(), timeout=1, fallback=here)
    await private_redis.stop()
    ids = [bot_api.send_private_message(text)["update_id"] for text in ("one", "two")]
    async with bot:
        running = asyncio.create_task(poller.run())
        await eventually(lambda: _true(handled == ids), timeout=10)
        await eventually(lambda: _true(not bot_api.pending_updates), timeout=5)
        poller.stop()
        await running
    await redis.aclose()


async def test_a_role_other_than_all_needs_redis(bot_api: FakeBotAPI) -> None:
    env = {"TELEGRAM_BOT_TOKEN": bot_api.token, "TELEGRAM_API_URL": bot_api.url}
    code, _, err = await run_cli("run", "--role", "worker", env=env)
    assert code == 2
    assert "--role worker needs REDIS_URL" in err
    assert "Traceback" not in err


async def test_the_intake_webhook_answers_503_until_redis_takes_the_update(
    bot_api: FakeBotAPI, private_redis: PrivateRedis, redis_prefix: str
) -> None:
    port = free_port()
    env = skim_run_env(
        bot_api,
        private_redis.url,
        redis_prefix,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        WEBHOOK_SECRET="s3cret-token",
        WEBHOOK_LISTEN=f"127.0.0.1:{port}",
    )
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
    body = update(555001)
    async with skim_run(env, "--role", "intake") as run:
        await bot_api.wait_for("setWebhook", timeout=20)
        await private_redis.stop()
        async with httpx.AsyncClient(timeout=15) as http:
            url = f"http://127.0.0.1:{port}/hook"
            refused = await http.post(url, json=body, headers=headers)
            assert refused.status_code == 503  # Telegram sends it again later
            await private_redis.start()
            taken = await http.post(url, json=body, headers=headers)
            assert taken.status_code == 200
    assert "Traceback" not in run.stderr
    redis = Redis.from_url(private_redis.url)
    keys = [key async for key in redis.scan_iter(match=f"{redis_prefix}*{{updates}}:*")]
    streams = [key for key in keys if b":seen:" not in key]
    assert len(streams) == 1
    assert await redis.xlen(streams[0]) == 1
    await redis.aclose()


def test_every_kind_of_update_reads_the_same_after_the_trip_through_the_stream(
    bot_api: FakeBotAPI,
) -> None:
    """The poller stores `Update.to_dict()` and a worker reads it back: nothing may be lost."""
    sent = bot_api.send_private_message("see https://example.com/a and /summary")
    bot_api.send_private_message("Why?", reply_to_message=sent["message"])
    bot_api.send_group_message("/summary@skim_test_bot https://example.com/b")
    bot_api.send_channel_post("news https://example.com/c")
    bot_api.send_channel_post("news https://example.com/c again", edited=True, message_id=9)
    bot_api.send_callback_query("sk:short", message=sent["message"])
    bot_api.send_inline_query("https://example.com/d")
    bot_api.send_document(b"%PDF-1.4", file_name="paper.pdf", mime_type="application/pdf")
    bot_api.send_private_message(
        "forwarded https://example.com/e",
        forward_origin={"type": "channel", "chat": {"id": -1001, "type": "channel", "title": "N"},
                        "message_id": 3, "date": 1_700_000_000},
    )  # fmt: skip
    pinned = {"message_id": 1, "date": 0, "chat": {"id": -1002, "type": "channel", "title": "N"}}
    bot_api.add_update(
        {
            "channel_post": {
                "message_id": 99,
                "date": 1_700_000_000,
                "chat": {"id": -1002, "type": "channel", "title": "N"},
                "pinned_message": pinned,  # inaccessible: python-telegram-bot keeps a datetime
            }
        }
    )
    bot = Bot(bot_api.token, base_url=f"{bot_api.url}/bot")
    updates = bot_api.pending_updates
    assert len(updates) == 10
    for raw in updates:
        first = Update.de_json(raw, bot)
        assert first is not None
        stored = json.loads(encode_update(first.to_dict()))
        again = Update.de_json(stored, bot)
        assert again is not None
        assert again.to_dict() == first.to_dict()
        assert again.effective_message == first.effective_message
        assert again.update_id == raw["update_id"]


async def test_a_burst_of_updates_spreads_over_the_workers(stream: UpdateStream) -> None:
    done: dict[str, int] = {"a": 0, "b": 0}

    def counting(name: str) -> Any:
        async def process(data: dict[str, Any]) -> None:
            await asyncio.sleep(0.2)  # the handlers' work
            done[name] += 1

        return process

    workers = [Worker(stream, counting(name), claim_idle=30, name=name) for name in done]
    running = [asyncio.create_task(worker.run()) for worker in workers]
    await asyncio.sleep(0.2)  # both waiting on the stream
    await stream.append([update(i) for i in range(40)])
    await eventually(lambda: _true(sum(done.values()) == 40), timeout=10)
    for worker in workers:
        worker.stop()
    await asyncio.gather(*running)
    assert min(done.values()) >= 8, done
