"""Interface strings: inline."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {}
