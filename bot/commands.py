"""What the command-line subcommands do, on top of the same service the bot uses."""

from __future__ import annotations

import sys

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.config import LANGUAGE_CODE, Settings
from bot.content.sources import source_from_argument
from bot.deps import build_deps
from bot.llm.engine import SummaryOptions
from bot.render import summary_plain


def summary_options(
    settings: Settings, length: str | None, style: str | None, language: str | None
) -> SummaryOptions:
    """Command-line choices over the configured defaults; ValueError for a bad language code."""
    chosen = (language or settings.summary_language).strip()
    if not LANGUAGE_CODE.match(chosen):
        raise ValueError(f"--lang {chosen!r} is not a language code such as en, ru or auto")
    return SummaryOptions(
        length=length or settings.summary_length,
        style=style or settings.summary_style,
        language=chosen.lower(),
    )


async def summarize(settings: Settings, argument: str, options: SummaryOptions) -> int:
    source = source_from_argument(argument)
    deps = build_deps(settings)
    try:
        result = await deps.skim.summarize(source, options)
    finally:
        await deps.aclose()
    print(summary_plain(result.document, result.summary))
    return 0


async def ask(settings: Settings, argument: str, question: str) -> int:
    source = source_from_argument(argument)
    deps = build_deps(settings)
    try:
        _, answer = await deps.skim.ask(source, question)
    finally:
        await deps.aclose()
    print(answer.text)
    return 0


async def extract(settings: Settings, argument: str) -> int:
    source = source_from_argument(argument)
    deps = build_deps(settings)
    try:
        document = await deps.skim.document(source)
    finally:
        await deps.aclose()
    print(document.title or "Untitled")
    print()
    print(document.text)
    return 0


async def _check_telegram(settings: Settings) -> tuple[bool, str]:
    if settings.telegram_bot_token is None:
        return False, "TELEGRAM_BOT_TOKEN is not set (needed to run the bot)"
    api = settings.telegram_api_url
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
    )
    try:
        async with bot:
            return True, f"@{bot.username} answers at {api}"
    except InvalidToken:
        return False, "the Bot API refused TELEGRAM_BOT_TOKEN"
    except TelegramError as error:
        return False, f"the Bot API at {api} did not answer ({type(error).__name__})"


async def check(settings: Settings) -> int:
    """Print one line per dependency; exit 1 when any of them fails."""
    results: list[tuple[str, bool, str]] = [("settings", True, "valid")]
    ok, detail = await _check_telegram(settings)
    results.append(("telegram", ok, detail))
    deps = build_deps(settings)
    try:
        if settings.redis_url is None:
            results.append(("redis", True, "REDIS_URL not set: in-process store (one process)"))
        else:
            alive = await deps.store.ping()
            results.append(("redis", alive, "answers" if alive else "does not answer"))
        if deps.llm is None:
            results.append(("llm", True, "OPENAI_API_KEY not set: built-in extractive summarizer"))
        else:
            ok, detail = await deps.llm.check()
            results.append(("llm", ok, detail))
    finally:
        await deps.aclose()
    for name, ok, detail in results:
        stream = sys.stdout if ok else sys.stderr
        print(f"{name:9} {'ok' if ok else 'FAILED'}  {detail}", file=stream)
    return 0 if all(ok for _, ok, _ in results) else 1
