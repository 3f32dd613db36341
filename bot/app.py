"""Builds the Telegram Application: shared clients on bot_data, handlers, command menus."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults

from bot.config import Settings, masked
from bot.deps import Deps, build_deps
from bot.errors import ConfigError
from bot.flood import PerChatRateLimiter
from bot.i18n import t
from bot.store.redis_store import cluster_support_off

log = logging.getLogger(__name__)

# Opt in to python-telegram-bot's timedelta-based retry_after now, instead of a deprecation
# warning on every flood-control answer.
os.environ.setdefault("PTB_TIMEDELTA", "true")

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
BOT_API_CONNECTIONS = 32

# Command menus per scope, as command names; descriptions come from the interface catalogue.
PRIVATE_COMMANDS = (
    "start",
    "help",
    "summary",
    "ask",
    "settings",
    "lang",
    "length",
    "style",
    "cancel",
    "usage",
    "forget",
)
GROUP_COMMANDS = ("summary", "ask", "help")
# Telegram shows a chat admin this list instead of GROUP_COMMANDS, so it repeats them.
GROUP_ADMIN_COMMANDS = (*GROUP_COMMANDS, "settings", "autosummary", "lang", "length", "style")
# Operators (ADMIN_USER_IDS) see /stats in their private chat with the bot.
OPERATOR_COMMANDS = (*PRIVATE_COMMANDS, "stats")
# Every message Skim sends is HTML (plain text is escaped) and shows no link preview.
MESSAGE_DEFAULTS = Defaults(
    parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
)
# "" is the menu for every language without one of its own.
MENU_LANGUAGES = ("", "ru")


def command_menu(names: tuple[str, ...], language_code: str) -> list[BotCommand]:
    """BotCommands with descriptions in the language (English for the default menu)."""
    return [BotCommand(name, t(f"menu_{name}", language_code or None)) for name in names]


async def _set_commands(app: AnyApplication, operator_ids: list[int]) -> None:
    """Command menus are a nicety: a refusal is logged, never fatal."""
    menus: list[tuple[BotCommandScope, tuple[str, ...]]] = [
        (BotCommandScopeAllPrivateChats(), PRIVATE_COMMANDS),
        (BotCommandScopeAllGroupChats(), GROUP_COMMANDS),
        (BotCommandScopeAllChatAdministrators(), GROUP_ADMIN_COMMANDS),
        *((BotCommandScopeChat(user_id), OPERATOR_COMMANDS) for user_id in operator_ids),
    ]

    async def set_menu(scope: BotCommandScope, names: tuple[str, ...], language: str) -> None:
        try:
            await app.bot.set_my_commands(
                command_menu(names, language), scope=scope, language_code=language or None
            )
        except TelegramError as error:
            log.warning("could not set the %s command menu: %s", scope.type, error)

    await asyncio.gather(
        *(set_menu(scope, names, language) for scope, names in menus for language in MENU_LANGUAGES)
    )


def _announce(settings: Settings) -> None:
    """What this instance runs with, for the operator reading the first lines of its log."""
    if settings.openai_api_key is not None:
        log.info("summaries by %s at %s", settings.llm_model, masked(settings.llm_endpoint))
    else:
        log.info("summaries by the built-in extractive summarizer (no OPENAI_API_KEY)")
    redis = settings.plain_redis_url
    log.info("cache and state in %s", f"Redis at {masked(redis)}" if redis else "this process")
    if settings.fetch_allow_private_networks:
        log.warning(
            "FETCH_ALLOW_PRIVATE_NETWORKS is on: links to this machine and its private network "
            "are read for anyone who sends them"
        )


def build_application(
    settings: Settings, deps: Deps | None = None, *, updater: bool = True
) -> AnyApplication:
    """The bot, wired to the Bot API at TELEGRAM_API_URL, with all shared clients."""
    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
    from handlers import (
        callbacks,
        channels,
        errors,
        groups,
        guards,
        inline,
        media,
        membership,
        private,
        reading,
    )
    from handlers import (
        settings as settings_handlers,
    )
    from handlers.context import CONTEXT_TYPES
    from handlers.status import keep_finishing_orphans

    shared = deps or build_deps(settings)

    background: list[asyncio.Task[None]] = []

    async def post_init(app: AnyApplication) -> None:
        if not await shared.store.ping():
            url = shared.settings.plain_redis_url
            if shared.settings.uses_cluster and url and await cluster_support_off(url):
                raise ConfigError(
                    "REDIS_URL names a Redis Cluster, but that Redis runs without cluster "
                    "support: use redis:// (and no REDIS_CLUSTER=true) for a single Redis"
                )
            log.warning(
                "Redis at %s does not answer; running without cache until it does",
                masked(url or ""),
            )
        await _set_commands(app, shared.settings.admin_user_ids)
        background.append(asyncio.create_task(keep_finishing_orphans(app.bot, shared.pipeline)))
        log.info("Skim is up as @%s", app.bot.username)
        _announce(shared.settings)

    async def post_shutdown(app: AnyApplication) -> None:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await shared.aclose()

    api = settings.telegram_api_url
    builder = ApplicationBuilder()
    if not updater:
        builder = builder.updater(None)  # webhook mode: bot.web puts updates on the queue
    app: AnyApplication = (
        builder.context_types(CONTEXT_TYPES)
        .defaults(MESSAGE_DEFAULTS)
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .rate_limiter(
            # Telegram's broadcast guidance: about 30 messages a second across all chats
            # (0 turns that cap off), shared by every process on the Redis; a flood wait holds
            # back only the chat it was for.
            PerChatRateLimiter(
                shared.skim.state,
                overall_max_rate=settings.telegram_max_rate,
                max_retries=3,
                metrics=shared.metrics,
            )
        )
        .concurrent_updates(True)
        # httpcore scans its whole pool for every request: a pool the size of the real
        # concurrency (not the library's 256) keeps that scan cheap under load; requests beyond
        # it wait for a free connection instead of failing.
        .connection_pool_size(BOT_API_CONNECTIONS)
        .pool_timeout(30.0)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.bot_data.deps = shared
    for module in (
        guards,
        reading,
        settings_handlers,
        media,
        private,
        groups,
        channels,
        inline,
        callbacks,
        membership,
        errors,
    ):
        module.register(app)
    return app
