"""Typed access to the shared services stored on the application."""

from __future__ import annotations

from typing import Any

from telegram.ext import ContextTypes

from bot.app import DEPS_KEY
from bot.deps import Deps
from bot.store.state import Prefs

Context = ContextTypes.DEFAULT_TYPE


def deps_of(context: Context) -> Deps:
    """The Deps object that bot.app put on bot_data at start-up."""
    bot_data: dict[str, Any] = context.bot_data
    deps = bot_data[DEPS_KEY]
    assert isinstance(deps, Deps)
    return deps


PREFS_KEY = "prefs_by_update"
_PREFS_KEPT = 1024


def remember_prefs(context: Context, update_id: int, prefs: Prefs) -> None:
    """Chat settings read with the duplicate check, for this update's handlers."""
    cache: dict[int, Prefs] = context.bot_data.setdefault(PREFS_KEY, {})
    cache[update_id] = prefs
    while len(cache) > _PREFS_KEPT:  # updates whose handlers never asked
        del cache[next(iter(cache))]


def prefs_read_with_update(context: Context, update_id: int) -> Prefs | None:
    """The settings `remember_prefs` stored for this update, once."""
    cache: dict[int, Prefs] = context.bot_data.setdefault(PREFS_KEY, {})
    return cache.pop(update_id, None)
