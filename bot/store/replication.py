"""Waiting for a replica: what a write acknowledged to a user must survive (a master's death).

Redis replicates asynchronously, so a write its master acknowledged can be lost when the
master dies before a replica received it. `WAIT 1 ms` on the connection that wrote answers once
a replica holds every write of that connection. Asking the master's ROLE first tells whether
there is a replica to wait for, so a Redis without one costs no wait.
"""

from __future__ import annotations

import logging

# A replica in sync confirms within a round trip; one on a busy machine can lag by hundreds of
# milliseconds (250 ms lost settings in a failover on a loaded machine, about one run in ten).
# Kept under the clients' socket timeouts (2 s and more), past which a wait reads as an outage.
REPLICA_WAIT_MS = 1000


def has_replicas(role: object) -> bool:
    """Whether a ROLE reply is a master's that lists a connected replica.

    ROLE on a master answers ["master", offset, [[host, port, offset], ...]].
    """
    return isinstance(role, list | tuple) and len(role) > 2 and bool(role[2])


class Confirmations:
    """Whether replicas lately confirmed one kind of write; says so in the writer's log when
    that changes (once, not at every write)."""

    def __init__(self, log: logging.Logger, missing: str, again: str) -> None:
        self._log = log
        self._missing = missing  # "a setting": no replica confirmed it
        self._again = again  # "settings": replicas confirm them again
        self.lacking = False  # the last write was not confirmed

    def record(self, confirmed: bool, why_not: str) -> bool:
        """One write's confirmation; True when confirmations have just stopped."""
        stopped = not confirmed and not self.lacking
        if stopped:
            # Still stored on the master, which serves it; only its death now would lose it.
            self._log.warning(
                "no Redis replica confirmed %s (%s); kept on the master alone until one does",
                self._missing,
                why_not,
            )
        elif confirmed and self.lacking:
            self._log.info("Redis replicas confirm %s again", self._again)
        self.lacking = not confirmed
        return stopped
