"""The Bot API's pace (TELEGRAM_MAX_RATE, a group's 20 a minute) is one budget for every
process on the same Redis: Telegram counts the bot's messages, not a worker's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram.error import RetryAfter

from bot.flood import PerChatRateLimiter
from bot.store import Keys, MemoryStore, RedisStore, State

PRIVATE_CHAT = 5
GROUP = -100123


@pytest.fixture
async def two_workers(redis_url: str, redis_prefix: str) -> AsyncIterator[list[State]]:
    """Two processes' worth of state: separate Redis clients, one key space."""
    stores = [RedisStore.from_url(redis_url), RedisStore.from_url(redis_url)]
    yield [State(store, Keys(redis_prefix)) for store in stores]
    for store in stores:
        await store.aclose()


def expected_waits(calls: int, per_second: float, burst: int) -> list[float]:
    """A burst back to back, then one call every 1/per_second seconds."""
    return [max(0, index - burst + 1) / per_second for index in range(calls)]


async def test_callers_on_two_clients_book_one_shared_sequence(two_workers: list[State]) -> None:
    bookings = [
        two_workers[index % 2].pace_send(None, per_second=10, burst=4) for index in range(20)
    ]
    waits = sorted(await asyncio.gather(*bookings))
    for got, want in zip(waits, expected_waits(20, 10, 4), strict=True):
        assert got == pytest.approx(want, abs=0.05), waits


async def test_the_memory_store_books_the_same_sequence() -> None:
    state = State(MemoryStore(), Keys("t:"))
    waits = [await state.pace_send(None, per_second=10, burst=4) for _ in range(12)]
    for got, want in zip(waits, expected_waits(12, 10, 4), strict=True):
        assert got == pytest.approx(want, abs=0.05), waits


async def test_a_group_and_the_bot_are_paced_apart(two_workers: list[State]) -> None:
    state = two_workers[0]
    group = [await state.pace_send(GROUP, per_second=1, burst=2) for _ in range(3)]
    other_group = await state.pace_send(GROUP - 1, per_second=1, burst=2)
    bot_wide = await state.pace_send(None, per_second=1, burst=2)
    assert group[:2] == [0.0, 0.0]
    assert group[2] == pytest.approx(1.0, abs=0.05), "the third call in the group waits a second"
    assert other_group == 0.0, "another group has its own pace"
    assert bot_wide == 0.0, "the bot-wide pace is apart from the groups'"


async def test_two_workers_together_keep_the_bot_wide_cap(two_workers: list[State]) -> None:
    """30 messages from two limiters at 10 a second (a burst of 10) take two seconds, not one."""
    limiters = [PerChatRateLimiter(state, overall_max_rate=10) for state in two_workers]
    loop = asyncio.get_running_loop()
    sent: list[float] = []

    async def send() -> bool:
        sent.append(loop.time())
        return True

    started = loop.time()
    await asyncio.gather(
        *(
            limiters[index % 2].process_request(
                send, (), {}, "sendMessage", {"chat_id": PRIVATE_CHAT + index}, None
            )
            for index in range(30)
        )
    )
    assert loop.time() - started >= 1.9
    for moment in sent:
        in_a_second = sum(moment <= other < moment + 1 for other in sent)
        assert in_a_second <= 10 + 10 + 1, "no second carries more than the burst and the rate"


async def test_a_groups_cap_holds_across_workers(two_workers: list[State]) -> None:
    limiters = [
        PerChatRateLimiter(state, overall_max_rate=0, group_max_rate=2, group_time_period=1)
        for state in two_workers
    ]
    loop = asyncio.get_running_loop()

    async def send() -> bool:
        return True

    started = loop.time()
    for index in range(4):
        await limiters[index % 2].process_request(
            send, (), {}, "sendMessage", {"chat_id": GROUP}, None
        )
    assert loop.time() - started >= 0.9, "2 a second in the group, whichever worker sends"


async def test_without_redis_each_process_paces_alone() -> None:
    down = RedisStore.from_url("redis://127.0.0.1:1/0")
    state = State(down, Keys("t:"))
    try:
        waits = [await state.pace_send(None, per_second=1, burst=2) for _ in range(3)]
    finally:
        await down.aclose()
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] == pytest.approx(1.0, abs=0.05), "the cap still holds, in this process"


async def test_a_flood_wait_holds_the_pace_for_every_client(two_workers: list[State]) -> None:
    """After a 429 the booked pace starts again from the wait's end, without its burst."""
    first, second = two_workers
    assert await second.pace_send(GROUP - 1, per_second=2, burst=4) == 0.0  # connected
    await first.hold_sends(GROUP, 1.0, per_second=2, burst=4)
    waits = [await second.pace_send(GROUP, per_second=2, burst=4) for _ in range(3)]
    for got, want in zip(waits, [1.0, 1.5, 2.0], strict=True):
        assert got == pytest.approx(want, abs=0.1), waits
    assert await second.pace_send(GROUP - 1, per_second=2, burst=4) == 0.0, "other groups go on"


async def test_the_memory_store_holds_the_pace_the_same_way() -> None:
    state = State(MemoryStore(), Keys("t:"))
    await state.hold_sends(None, 1.0, per_second=2, burst=4)
    waits = [await state.pace_send(None, per_second=2, burst=4) for _ in range(2)]
    for got, want in zip(waits, [1.0, 1.5], strict=True):
        assert got == pytest.approx(want, abs=0.05), waits


class Booked:
    """A worker's real pace, telling the test when a flood wait has been booked in Redis.

    The other workers hold back from that moment, one round trip after the 429.
    """

    def __init__(self, state: State) -> None:
        self._state = state
        self.held = asyncio.Event()

    async def pace_send(self, chat: int | str | None, *, per_second: float, burst: int) -> float:
        return await self._state.pace_send(chat, per_second=per_second, burst=burst)

    async def hold_sends(
        self, chat: int | str | None, seconds: float, *, per_second: float, burst: int
    ) -> None:
        await self._state.hold_sends(chat, seconds, per_second=per_second, burst=burst)
        self.held.set()


async def flooded_then_sent(
    limiter: PerChatRateLimiter, data: dict[str, int], flooded: asyncio.Event
) -> None:
    """One call answered 429 with a 2 s wait, then sent; `flooded` is set at the 429."""

    async def call() -> bool:
        if not flooded.is_set():
            flooded.set()
            raise RetryAfter(2)
        return True

    await limiter.process_request(call, (), {}, "sendMessage", data, None)


async def seconds_until_sent(limiter: PerChatRateLimiter, chat: int) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def send() -> bool:
        return True

    await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": chat}, None)
    return loop.time() - started


async def test_a_groups_flood_wait_holds_back_the_other_workers(two_workers: list[State]) -> None:
    booked = Booked(two_workers[0])
    flooding, other = PerChatRateLimiter(booked), PerChatRateLimiter(two_workers[1])
    retried = asyncio.create_task(flooded_then_sent(flooding, {"chat_id": GROUP}, asyncio.Event()))
    await asyncio.wait_for(booked.held.wait(), 5)
    assert await seconds_until_sent(other, GROUP - 1) < 1.5, "another group is not held"
    waited = await seconds_until_sent(other, GROUP)
    await retried
    assert waited >= 1.8, f"the other worker wrote to the flooded group after {waited:.2f} s"


async def test_a_flood_wait_for_no_chat_holds_back_every_workers_chats(
    two_workers: list[State],
) -> None:
    booked = Booked(two_workers[0])
    flooding, other = PerChatRateLimiter(booked), PerChatRateLimiter(two_workers[1])
    retried = asyncio.create_task(flooded_then_sent(flooding, {}, asyncio.Event()))
    await asyncio.wait_for(booked.held.wait(), 5)
    waited = await seconds_until_sent(other, PRIVATE_CHAT)
    await retried
    assert waited >= 1.8, f"the other worker wrote to a chat after {waited:.2f} s"


async def test_a_private_chats_flood_wait_stays_with_its_worker(two_workers: list[State]) -> None:
    """Private chats have no shared pace: one request at a time per user keeps them apart."""
    flooding, other = (PerChatRateLimiter(state) for state in two_workers)
    flooded = asyncio.Event()
    retried = asyncio.create_task(flooded_then_sent(flooding, {"chat_id": PRIVATE_CHAT}, flooded))
    await flooded.wait()
    assert await seconds_until_sent(other, PRIVATE_CHAT + 1) < 1.5, "not held for 2 s"
    await retried
