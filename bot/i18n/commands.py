"""Interface strings: commands."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {}
