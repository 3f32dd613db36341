"""The typed context every handler gets (python-telegram-bot's `ContextTypes`).

`context.deps`, `context.pipeline` and `context.state` are the shared services, put on the
application's `bot_data` once at build time. `context.prefs` is the update's chat settings: the
duplicate check reads them in the same round trip, and python-telegram-bot hands the same
context object to every handler of one update, so they are read once per update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.deps import Deps
from bot.pipeline import Pipeline
from bot.store.state import Prefs, State
from handlers.inline_jobs import InlineJobs
from handlers.sources import Album, Paste
from handlers.status import EditClock


@dataclass
class BotData:
    """What the application keeps between updates, in this process."""

    deps: Deps | None = None
    pastes: dict[tuple[int, int], Paste] = field(default_factory=dict)
    albums: dict[tuple[int, str], Album] = field(default_factory=dict)
    inline_jobs: InlineJobs = field(default_factory=InlineJobs)
    refused_users: set[int] = field(default_factory=set)
    edit_clock: EditClock = field(default_factory=EditClock)
    # Channels where Skim may not post: when that was last a WARNING (time.monotonic()).
    rights_warned: dict[int, float] = field(default_factory=dict)


class SkimContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """A CallbackContext with the shared services and the update's chat settings."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.prefs: Prefs | None = None

    @property
    def deps(self) -> Deps:
        deps = self.bot_data.deps
        assert deps is not None, "bot.app puts the Deps on bot_data at build time"
        return deps

    @property
    def pipeline(self) -> Pipeline:
        return self.deps.pipeline

    @property
    def state(self) -> State:
        return self.deps.skim.state

    async def chat_prefs(self, update: Update) -> Prefs:
        """The update's chat settings: those read with the duplicate check, else the store's."""
        if self.prefs is None:
            chat = update.effective_chat
            assert chat is not None
            self.prefs = await self.state.chat_prefs(chat.id)
        return self.prefs


Context = SkimContext
CONTEXT_TYPES = ContextTypes(context=SkimContext, bot_data=BotData)
