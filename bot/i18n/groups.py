"""Interface strings: groups."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {}
