"""`/start <payload>` deep links (from inline results) that open a summary in the private chat."""

from __future__ import annotations

from telegram import Update

from handlers.context import Context


async def open_payload(update: Update, context: Context, payload: str) -> bool:
    """Handle a deep-link payload; False when it is not one of ours."""
    return False
