"""`skim` / `python -m bot`: run the bot, or summarize, ask and extract from the shell."""

from __future__ import annotations

import argparse
import asyncio
import errno
import io
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot import __version__
from bot.config import Settings, load_settings, masked, unknown_settings, url_passwords
from bot.errors import ConfigError, SkimError
from bot.logging_setup import redact, setup_logging

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
_OUTPUT_ERRORS = (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG)
ROLES = ("all", "intake", "worker")

TELEGRAM_API = "https://api.telegram.org"
BOTFATHER_HELP = (
    "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram (send /newbot), "
    "then put the token it gives you in .env as TELEGRAM_BOT_TOKEN=123456:ABC... "
    "or export it, and run again."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skim",
        description="Skim reads links, texts and documents and answers with a short summary.",
    )
    parser.add_argument("--version", action="version", version=f"skim {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log progress and warnings to stderr"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run", help="run the Telegram bot (polling, or a webhook server when WEBHOOK_URL is set)"
    )
    run.add_argument(
        "--role",
        choices=ROLES,
        default="all",
        help="all: receive and process updates in this process (the default); intake: only "
        "receive them into the Redis Stream; worker: only process them (needs REDIS_URL)",
    )
    source_help = "a URL, a path to an HTML, PDF or text file (gzip-compressed too), or - for stdin"
    summarize = commands.add_parser("summarize", help="print the summary the bot would send")
    summarize.add_argument("source", metavar="SOURCE", help=source_help)
    summarize.add_argument("--length", choices=["short", "medium", "long"], default=None)
    summarize.add_argument("--style", choices=["bullets", "paragraph"], default=None)
    summarize.add_argument(
        "--lang", default=None, help="language code of the summary, or auto (the document's)"
    )
    ask = commands.add_parser("ask", help="print the answer the bot would give")
    ask.add_argument("source", metavar="SOURCE", help=source_help)
    ask.add_argument("question", metavar="QUESTION", help="the question about the document")
    extract = commands.add_parser(
        "extract",
        help="print the extracted document",
        description="Print each SOURCE's document: title line, blank line, body text. "
        "Several sources (a directory: every file under it, in name order) are read in one "
        "process, each under a '==> SOURCE <==' line; "
        "one that fails is reported on stderr and the others go on (exit 1 if any failed).",
    )
    extract.add_argument(
        "source", metavar="SOURCE", nargs="+", help=f"{source_help}, or a directory of them"
    )
    extract.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per source and line: source, title, author, date, site, "
        "language, text; or source, error, error_code",
    )
    extract.add_argument(
        "--explain",
        action="store_true",
        help="also say which extractor candidate or lines won and why "
        "('# explain: ' lines; an 'explain' list with --json)",
    )
    transcribe = commands.add_parser(
        "transcribe",
        help="print the timed transcript of a recording or a video",
        description="Print the transcript of SOURCE (an audio or video file, a link to one, "
        "a podcast episode or feed, or a YouTube video) with [m:ss] times, as the Transcript "
        "button sends it. Needs a transcription endpoint (TRANSCRIBE_API_KEY or "
        "OPENAI_API_KEY), except for YouTube videos with captions.",
    )
    transcribe.add_argument("source", metavar="SOURCE", help=source_help)
    commands.add_parser(
        "check", help="check the settings and that Telegram, Redis and the LLM answer"
    )
    return parser


def _fail(message: str, code: int) -> int:
    print(f"skim: {message}", file=sys.stderr)
    return code


def _until_interrupted(work: Coroutine[Any, Any, int]) -> int:
    """Run a command; Ctrl-C cancels it (a second one stops it at once), and the run ends with
    EXIT_INTERRUPTED however the cancelled work ends: one of its steps may finish regardless,
    or turn the cancellation into a failure of its own (exit 1 on a loaded machine, once)."""
    presses = 0
    running: list[asyncio.Task[Any]] = []

    async def main() -> int:
        task = asyncio.current_task()
        assert task is not None
        running.append(task)
        return await work

    with asyncio.Runner() as runner:

        def on_ctrl_c(signum: int, frame: object) -> None:
            nonlocal presses
            presses += 1
            if presses > 1 or not running:
                raise KeyboardInterrupt
            runner.get_loop().call_soon_threadsafe(running[0].cancel)

        previous = signal.signal(signal.SIGINT, on_ctrl_c)
        try:
            code = runner.run(main())
        except BaseException:
            if presses:
                return EXIT_INTERRUPTED
            raise
        finally:
            signal.signal(signal.SIGINT, previous)
    return EXIT_INTERRUPTED if presses else code


def _run_async(settings: Settings, work: Callable[[Settings], Coroutine[Any, Any, int]]) -> int:
    try:
        return _until_interrupted(work(settings))
    except SkimError as error:
        logging.getLogger("bot.cli").info("failed: %s", error.detail)
        from bot.cli_actions import for_operator

        return _fail(for_operator(error), EXIT_FAILED)
    except KeyboardInterrupt:  # Ctrl-C: the user knows, no traceback
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`skim extract --json ... | head`): stop quietly, and keep
        # Python's flush at exit from failing on the closed pipe too.
        _quiet_stdout()
        return EXIT_FAILED
    except OSError as error:
        if error.errno not in _OUTPUT_ERRORS:
            raise
        _quiet_stdout()  # a full disk (> /dev/full): the flush at exit would fail again
        return _fail(f"cannot write the output: {error.strerror}", EXIT_FAILED)


def _quiet_stdout() -> None:
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _usable_streams() -> None:
    """Run with stdin or stdout closed (`<&-`, `>&-`), Python has None for them: reading
    gets nothing and writing goes nowhere, as for any other program."""
    if sys.stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - for the whole run
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - the same
    for stream in (sys.stdout, sys.stderr):
        # Page text, bullets and quotes a terminal's encoding (LC_ALL=C, PYTHONIOENCODING=
        # latin-1) can't show are replaced rather than ending the command with a traceback.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    _usable_streams()
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings()
    except ConfigError as error:
        return _fail(error.user_message, EXIT_USAGE)
    secrets = [
        secret.get_secret_value()
        for secret in (
            settings.telegram_bot_token,
            settings.openai_api_key,
            settings.transcribe_api_key,
            settings.webhook_secret,  # the library logs setWebhook's parameters at DEBUG
        )
        if secret is not None
    ] + url_passwords(
        settings.redis_url,
        settings.telegram_api_url,
        settings.openai_base_url,
        settings.transcribe_base_url,
        settings.webhook_url,
    )
    if command == "run":
        return _run_bot(settings, secrets, getattr(args, "role", "all"))
    level = settings.log_level if args.verbose else "CRITICAL"
    setup_logging(level, settings.log_format, secrets)
    return _run_command(settings, command, args)


def _run_bot(settings: Settings, secrets: list[str], role: str = "all") -> int:
    # A network failure is expected (and retried) in a long-running bot: one line each.
    # A TELEGRAM_API_URL that is no Bot API answers with a page, which the library logs as
    # JSON it could not load: one line as well.
    setup_logging(
        settings.log_level,
        settings.log_format,
        secrets,
        brief=(TelegramError, json.JSONDecodeError),
    )
    for note in unknown_settings():
        logging.getLogger("bot.config").warning("%s", note)
    if settings.telegram_bot_token is None:
        return _fail(BOTFATHER_HELP, EXIT_USAGE)
    if role != "all" and settings.redis_url is None:
        return _fail(
            f"--role {role} needs REDIS_URL: intake and workers meet in a Redis Stream",
            EXIT_USAGE,
        )
    from bot.serve import run

    try:
        run(settings, role)
    except ConfigError as error:
        return _fail(error.user_message, EXIT_USAGE)
    except InvalidToken:
        refused = "Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather"
        if settings.telegram_api_url != TELEGRAM_API:
            # Any server answers 404 for a path it does not know, as the Bot API does for a
            # token it does not know.
            shown = masked(settings.telegram_api_url)
            refused += f", and that TELEGRAM_API_URL ({shown}) is a Bot API"
        return _fail(refused, EXIT_USAGE)
    except NetworkError as error:
        # The library's message may carry a whole HTML page a wrong URL answered with.
        said = redact(str(error), secrets).split("Parsing the server response")[0]
        said = " ".join(said.split())[:200].rstrip(". ")
        return _fail(
            f"cannot reach the Telegram Bot API at {masked(settings.telegram_api_url)} "
            f"({said}); check the network or TELEGRAM_API_URL",
            EXIT_FAILED,
        )
    except TelegramError as error:
        # A proxy's or login page's HTML with status 200: "Invalid server response".
        said = " ".join(redact(str(error), secrets).split())[:200]
        return _fail(
            f"the server at TELEGRAM_API_URL ({masked(settings.telegram_api_url)}) does not "
            f"answer as the Telegram Bot API does ({said}); check TELEGRAM_API_URL",
            EXIT_FAILED,
        )
    return EXIT_OK


def _run_command(settings: Settings, command: str, args: argparse.Namespace) -> int:
    """The one-shot subcommands: summarize, ask, transcribe, extract, check."""
    from bot import cli_actions

    if command == "summarize":
        try:
            options = cli_actions.summary_options(settings, args.length, args.style, args.lang)
        except ValueError as error:
            return _fail(str(error), EXIT_USAGE)
        return _run_async(settings, lambda s: cli_actions.summarize(s, args.source, options))
    if command == "ask":
        if not args.question.strip():
            return _fail("QUESTION is empty: ask something about the document", EXIT_USAGE)
        return _run_async(settings, lambda s: cli_actions.ask(s, args.source, args.question))
    if command == "transcribe":
        return _run_async(settings, lambda s: cli_actions.transcribe(s, args.source))
    if command == "extract":
        return _run_async(
            settings,
            lambda s: cli_actions.extract(s, args.source, as_json=args.json, explain=args.explain),
        )
    return _run_async(settings, cli_actions.check)
