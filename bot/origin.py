"""Where the update being handled came from, for the few checks that must know it.

Set by a worker (`bot.worker`) around the handlers of one stream entry; contextvars, because the
handlers run in the worker's task and python-telegram-bot knows nothing of the stream.
"""

from __future__ import annotations

import contextvars

# The update came from the Redis Stream: the intake already dropped repeated update ids, and a
# claimed entry must run again, so the handlers' own duplicate check stands aside.
FROM_STREAM: contextvars.ContextVar[bool] = contextvars.ContextVar("from_stream", default=False)

# The entry was claimed from a worker that died while handling it: its rate-limit token was
# taken already, and its user's one-at-a-time lease lapses within seconds instead of refusing.
REDELIVERED: contextvars.ContextVar[bool] = contextvars.ContextVar("redelivered", default=False)
