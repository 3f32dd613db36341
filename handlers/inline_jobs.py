"""Inline mode's background jobs, and each user's newest query (kept on the application)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bot.values import SummaryOptions, SummaryResult

# Seconds a failure that is not in the shared negative cache (limits, LLM down) is shown.
NOTE_TTL = 30.0

JobKey = tuple[int, str, SummaryOptions]


@dataclass
class Outcome:
    """What a job and the handlers share: the newest query asking for it, and how it ended.

    `failure` says why it gave up (None when it worked or stood down for a newer query).
    """

    query: int = 0
    failure: str | None = None
    finished_at: float | None = None
    # How long the failure is shown instead of starting again: a rate limit's own wait (its
    # "try again in 8 s" is wrong after that), else NOTE_TTL.
    failure_seconds: float = NOTE_TTL
    chosen: bool = False  # its "Summarizing…" message was sent: newer typing can't cancel it


@dataclass
class InlineJob:
    """Background work for one user's link and options."""

    task: asyncio.Task[SummaryResult | None]
    outcome: Outcome


class InlineJobs:
    """The jobs this process started from inline queries, and each user's newest query."""

    def __init__(self) -> None:
        self.jobs: dict[JobKey, InlineJob] = {}
        self.latest: dict[int, tuple[int, float]] = {}

    def saw(self, user_id: int, update_id: int) -> None:
        """Note a query; updates are handled concurrently, so the highest id wins."""
        newest = max(self.latest.get(user_id, (0, 0.0))[0], update_id)
        self.latest[user_id] = (newest, time.monotonic())

    def superseded(self, user_id: int, outcome: Outcome) -> bool:
        return not outcome.chosen and self.latest.get(user_id, (0, 0.0))[0] > outcome.query

    def failure(self, key: JobKey) -> str | None:
        """A recent failure of this work for this user, shown instead of starting again."""
        job = self.jobs.get(key)
        if job is None:
            return None
        failure, finished_at = job.outcome.failure, job.outcome.finished_at
        if failure is None or finished_at is None:
            return None
        fresh = time.monotonic() - finished_at < job.outcome.failure_seconds
        return failure if fresh else None

    def running(self, key: JobKey) -> InlineJob | None:
        job = self.jobs.get(key)
        return job if job is not None and not job.task.done() else None

    def prune(self) -> None:
        """Forget jobs that ended, and queries that came, a while ago (past any debounce)."""
        now = time.monotonic()
        for key, job in list(self.jobs.items()):
            finished_at = job.outcome.finished_at
            if finished_at is not None and now - finished_at >= NOTE_TTL:
                del self.jobs[key]
        for user_id, (_, seen_at) in list(self.latest.items()):
            if now - seen_at >= NOTE_TTL:
                del self.latest[user_id]
