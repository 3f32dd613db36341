"""Builds the Telegram Application: shared clients on bot_data, handlers, command menus."""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.config import Settings
from bot.deps import Deps, build_deps
from bot.errors import ConfigError

log = logging.getLogger(__name__)

# Opt in to python-telegram-bot's timedelta-based retry_after now, instead of a deprecation
# warning on every flood-control answer.
os.environ.setdefault("PTB_TIMEDELTA", "true")

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
DEPS_KEY = "deps"

PRIVATE_COMMANDS = [
    BotCommand("start", "Welcome and what I can do"),
    BotCommand("help", "How to use Skim"),
]


async def _set_commands(app: AnyApplication) -> None:
    """Command menus are a nicety: a refusal is logged, never fatal."""
    try:
        await app.bot.set_my_commands(PRIVATE_COMMANDS, scope=BotCommandScopeAllPrivateChats())
    except TelegramError as error:
        log.warning("could not set the command menu: %s", error)


def build_application(settings: Settings, deps: Deps | None = None) -> AnyApplication:
    """The bot, wired to the Bot API at TELEGRAM_API_URL, with all shared clients."""
    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
    from handlers import (
        callbacks,
        channels,
        commands,
        errors,
        groups,
        guards,
        inline,
        private,
    )
    from handlers import (
        settings as settings_handlers,
    )

    shared = deps or build_deps(settings)

    async def post_init(app: AnyApplication) -> None:
        app.bot_data[DEPS_KEY] = shared
        if not await shared.store.ping():
            log.warning("Redis does not answer; running without cache until it does")
        await _set_commands(app)
        log.info("Skim is up as @%s", app.bot.username)

    async def post_shutdown(app: AnyApplication) -> None:
        await shared.aclose()

    api = settings.telegram_api_url
    app: AnyApplication = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(True)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.bot_data[DEPS_KEY] = shared
    for module in (
        guards,
        commands,
        settings_handlers,
        private,
        groups,
        channels,
        inline,
        callbacks,
        errors,
    ):
        module.register(app)
    return app


def run(settings: Settings) -> None:
    """Poll for updates, or serve a webhook when WEBHOOK_URL is set; blocks until stopped."""
    app = build_application(settings)
    if settings.webhook_url:
        host, port = settings.webhook_host_port
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        app.run_webhook(
            listen=host,
            port=port,
            url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
