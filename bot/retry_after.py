"""How long a server asks a client to wait: `Retry-After` (seconds or an HTTP date) or
OpenAI's `Retry-After-Ms`. Web pages and LLM endpoints both send it."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait, or None when the headers do not say (or say nonsense)."""
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
