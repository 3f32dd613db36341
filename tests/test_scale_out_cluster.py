"""Skim's processes on a real Redis Cluster (three masters, a replica each), master killed too."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb
from tests.helpers.processes import skim_run
from tests.helpers.redis_cluster import RedisCluster, command
from tests.test_scale_out import article, env_for
from tests.tg import USER_ID, summaries_in, wait_summary


@pytest.fixture
def redis_cluster() -> Iterator[RedisCluster]:
    """A cluster of this test's own (about 2 s to start): these tests kill masters."""
    started = RedisCluster()
    started.start()
    try:
        yield started
    finally:
        started.stop()


def owner_of(cluster: RedisCluster, key: str) -> int:
    """The port of the master serving `key` (a node that does not answers MOVED)."""
    port = cluster.masters()[0].port
    try:
        command(port, "EXISTS", key)
    except RuntimeError as moved:
        return int(str(moved).split()[-1].rpartition(":")[2])
    return port


async def test_skim_on_a_cluster_keeps_serving_and_keeps_settings_after_a_master_dies(
    bot_api: FakeBotAPI, llm_api: FakeOpenAI, web: FakeWeb, redis_cluster: RedisCluster
) -> None:
    web.route("/one", article(5))
    web.route("/two", article(6))
    env = env_for(bot_api, llm_api, redis_cluster.url, "skimtest:failover:")
    async with skim_run(env) as run:
        bot_api.send_private_message("/length short")
        await bot_api.wait_for("sendMessage", lambda c: "short" in c.params["text"], timeout=30)
        bot_api.send_private_message(web.url("/one"))
        await wait_summary(bot_api, timeout=30)
        # The master holding the update stream: the worst one to lose.
        stream_master = owner_of(redis_cluster, "skimtest:failover:v1:{updates}:1")
        victim = next(
            i for i, node in enumerate(redis_cluster.masters()) if node.port == stream_master
        )
        redis_cluster.kill_master(victim)
        await redis_cluster.await_failover(timeout=20)
        bot_api.send_private_message(web.url("/two"))
        await wait_summary(bot_api, count=2, timeout=60)
        bot_api.send_private_message("/settings")
        await bot_api.wait_for("sendMessage", lambda c: "reply_markup" in c.params, count=3)
        assert run.process.returncode is None, "still running: no restart"
    assert "Traceback" not in run.stderr
    assert len(summaries_in(bot_api, USER_ID)) == 2
    second = [r for r in llm_api.requests if "Harbour report 6" in r.user_text]
    assert second
    assert "About 450 characters" in json.dumps(second[0].messages), "the setting survived"
