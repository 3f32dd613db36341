"""Typed access to the shared services stored on the application."""

from __future__ import annotations

from typing import Any

from telegram.ext import ContextTypes

from bot.app import DEPS_KEY
from bot.deps import Deps

Context = ContextTypes.DEFAULT_TYPE


def deps_of(context: Context) -> Deps:
    """The Deps object that bot.app put on bot_data at start-up."""
    bot_data: dict[str, Any] = context.bot_data
    deps = bot_data[DEPS_KEY]
    assert isinstance(deps, Deps)
    return deps
