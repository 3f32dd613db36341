"""Typed access to the shared services stored on the application."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.deps import Deps
from bot.store.state import Prefs

Context = ContextTypes.DEFAULT_TYPE
# Owned here, not by bot.app: the composition root imports handlers, never the other way round.
DEPS_KEY = "deps"


def put_deps(bot_data: dict[str, Any], deps: Deps) -> None:
    """Store the shared services where every handler finds them (called once, at build time)."""
    bot_data[DEPS_KEY] = deps


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
    while len(cache) > _PREFS_KEPT:  # the oldest updates are long handled
        del cache[next(iter(cache))]


async def chat_prefs(update: Update, context: Context) -> Prefs:
    """The update's chat settings: those read with the duplicate check, else from the store.

    Kept for the whole update, not taken once: a handler that checks the settings itself (auto
    summaries, /settings) or builds a second job must not read them again.
    """
    cache: dict[int, Prefs] = context.bot_data.setdefault(PREFS_KEY, {})
    prefs = cache.get(update.update_id)
    if prefs is not None:
        return prefs
    chat = update.effective_chat
    assert chat is not None
    return await deps_of(context).skim.state.chat_prefs(chat.id)
