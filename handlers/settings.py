"""Telegram surface: settings (to be filled in)."""

from __future__ import annotations

from telegram.ext import Application


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add this surface's handlers."""
