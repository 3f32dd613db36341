"""What the command-line subcommands do, through the same pipeline the bot uses."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.config import Settings, masked, unknown_settings
from bot.content.document import Document
from bot.content.sources import files_in_directories, source_from_argument
from bot.deps import Deps, build_deps
from bot.errors import SkimError
from bot.pipeline import (
    Answered,
    AskRequest,
    Caller,
    Failed,
    Request,
    Summarized,
    SummarizeRequest,
    Surface,
)
from bot.render import summary_plain
from bot.store.redis_store import cluster_support_off
from bot.values import LANGUAGE_CODE, SummaryOptions

if TYPE_CHECKING:  # the client library is loaded only where an endpoint is configured
    from openai import AsyncOpenAI

CHECK_TIMEOUT = 15.0  # seconds `skim check` waits for one dependency

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]

# At the command line the reader is the operator: what a Telegram user is told ("the operator
# has been told") becomes what to change.
_OPERATOR_MESSAGES = {
    "err_llm_key": "the LLM endpoint refused OPENAI_API_KEY: check the key",
    "err_llm_account": "the LLM account of OPENAI_API_KEY has run out of credit",
    "err_llm_config": "the LLM endpoint refused the request: check LLM_MODEL and "
    "OPENAI_BASE_URL (skim check -v says more)",
}
_OPERATOR_HINTS = {
    "err_private": "FETCH_ALLOW_PRIVATE_NETWORKS=true lets Skim read such addresses",
}


def for_operator(error: SkimError) -> str:
    """A failure as the operator at the command line should read it."""
    if error.key in _OPERATOR_MESSAGES:
        return _OPERATOR_MESSAGES[error.key]
    hint = _OPERATOR_HINTS.get(error.key or "")
    return f"{error.user_message} ({hint})" if hint else error.user_message


def summary_options(
    settings: Settings, length: str | None, style: str | None, language: str | None
) -> SummaryOptions:
    """Command-line choices over the configured defaults; ValueError for a bad language code."""
    chosen = (language or settings.summary_language).strip().lower()  # EN is en
    if not LANGUAGE_CODE.match(chosen):
        raise ValueError(f"--lang {chosen!r} is not a language code such as en, ru or auto")
    return SummaryOptions(
        length=length or settings.summary_length,
        style=style or settings.summary_style,
        language=chosen,
    )


# The operator at the command line: no limits, no quota, no thread to keep.
OPERATOR = Caller(exempt=True)


async def _outcome(settings: Settings, request: Request) -> Summarized | Answered:
    """Run a request through the same pipeline as the bot; a failure is raised as itself."""
    deps = build_deps(settings)
    try:
        outcome = await deps.pipeline.outcome(request)
    finally:
        await deps.aclose()
    if isinstance(outcome, Failed):
        raise outcome.error
    if not isinstance(outcome, Summarized | Answered):
        raise SkimError(outcome.message)
    return outcome


async def summarize(settings: Settings, argument: str, options: SummaryOptions) -> int:
    source = source_from_argument(argument)
    request = SummarizeRequest(source, options, OPERATOR, surface=Surface.CLI, exclusive=False)
    done = await _outcome(settings, request)
    assert isinstance(done, Summarized)
    print(summary_plain(done.result.document, done.result.summary))
    if options.language != "auto" and settings.openai_api_key is None:
        print(
            f"skim: --lang {options.language} needs an LLM (OPENAI_API_KEY): the built-in "
            "summarizer quotes the article in its own language",
            file=sys.stderr,
        )
    return _llm_verdict(settings, done.result.summary.extractive, "summary")


async def ask(settings: Settings, argument: str, question: str) -> int:
    source = source_from_argument(argument)
    done = await _outcome(settings, AskRequest(source, question, OPERATOR))
    assert isinstance(done, Answered)
    print(done.answer.text)
    return _llm_verdict(settings, done.answer.extractive, "answer")


def _llm_verdict(settings: Settings, extractive: bool, what: str) -> int:
    """0, or 1 when a configured LLM failed and the bot's fallback was printed: what the bot
    would send, but the work the operator asked of the model failed (exit 1, as for any)."""
    if not extractive or settings.openai_api_key is None:
        return 0
    print(
        f"skim: the LLM at {masked(settings.llm_endpoint)} did not answer "
        f"(see the log line above): the {what} above is the built-in extractive one",
        file=sys.stderr,
    )
    return 1


async def transcribe(settings: Settings, argument: str) -> int:
    """Print a recording's timed transcript: read (and cached) as the bot reads it."""
    source = source_from_argument(argument)
    deps = build_deps(settings)
    try:
        document = await deps.skim.document(source)
    finally:
        await deps.aclose()
    if not document.is_recording:
        raise SkimError(key="err_not_media", detail=f"{argument} is not a recording")
    print(document.text)
    return 0


async def extract(
    settings: Settings,
    arguments: Sequence[str],
    *,
    as_json: bool = False,
    explain: bool = False,
) -> int:
    """Print each source's document in turn, or one JSON object per source and line.

    A directory stands for every file under it. A source that fails is reported and the
    others go on; returns 1 when any failed. All sources share one set of clients. `explain`
    reads through the reader itself, not the document cache, so the extractor's reasons are
    always there.
    """
    arguments = files_in_directories(arguments)
    several = len(arguments) > 1
    failures = shown = 0
    deps = build_deps(settings)
    try:
        for argument in arguments:
            notes: list[str] | None = [] if explain else None
            outcome = await _read_argument(deps, argument, notes)
            if isinstance(outcome, SkimError):
                failures += 1
                if as_json:
                    _print_json(_failure_object(argument, outcome, notes))
                else:
                    _print_failure(argument, outcome, notes, named=several)
            elif as_json:
                _print_json(_document_object(argument, outcome, notes))
            else:
                _print_document(argument, outcome, notes, header=several, first=shown == 0)
                shown += 1
    finally:
        await deps.aclose()
    return 1 if failures else 0


async def _read_argument(
    deps: Deps, argument: str, explain: list[str] | None
) -> Document | SkimError:
    """The source's document, or the error to report for it; never raises for a bad source."""
    try:
        source = source_from_argument(argument)
        if explain is None:
            return await deps.skim.document(source)
        return await deps.skim.reader.read(source, explain=explain)
    except SkimError as error:
        log.info("extract %s failed: %s", argument, error.detail)
        return error
    except Exception as error:  # one odd page must not end the run of the others
        kind = type(error).__name__
        log.error("extract %s failed with an unexpected %s", argument, kind)
        log.debug("the unexpected %s", kind, exc_info=True)
        return SkimError(key="err_unexpected", kind=kind)


def _document_object(argument: str, document: Document, explain: list[str] | None) -> JsonObject:
    found: JsonObject = {
        "source": argument,
        "title": document.title,
        "author": document.author,
        "date": document.date,
        "site": document.site_name,
        "language": document.language,
        "text": document.text,
    }
    if explain is not None:
        found["explain"] = explain
    return found


def _failure_object(argument: str, error: SkimError, explain: list[str] | None) -> JsonObject:
    failed: JsonObject = {"source": argument, "error": error.user_message, "error_code": error.key}
    if explain is not None:
        failed["explain"] = explain
    return failed


def _print_json(value: JsonObject) -> None:
    line = json.dumps(value, ensure_ascii=False)
    try:
        line.encode(sys.stdout.encoding or "utf-8")
    except UnicodeEncodeError:  # a non-UTF-8 terminal, or a lone surrogate: escape instead
        line = json.dumps(value)
    print(line, flush=True)


def _print_document(
    argument: str, document: Document, explain: list[str] | None, *, header: bool, first: bool
) -> None:
    if header:
        if not first:
            print()
        print(f"==> {argument} <==")
    print(document.title or "Untitled")
    print()
    print(document.text)
    if explain is not None:
        print()
        for line in explain:
            print(f"# explain: {line}")
    sys.stdout.flush()


def _print_failure(
    argument: str, error: SkimError, explain: list[str] | None, *, named: bool
) -> None:
    prefix = f"skim: {argument}: " if named else "skim: "
    print(f"{prefix}{for_operator(error)}", file=sys.stderr)
    for line in explain or ():
        print(f"# explain: {line}", file=sys.stderr)
    sys.stderr.flush()


async def _check_telegram(settings: Settings) -> tuple[bool, str]:
    if settings.telegram_bot_token is None:
        return False, "TELEGRAM_BOT_TOKEN is not set (needed to run the bot)"
    api = settings.telegram_api_url
    shown = masked(api)
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
    )
    try:
        async with bot:
            return True, f"@{bot.username} answers at {shown}"
    except InvalidToken:
        return False, "the Bot API refused TELEGRAM_BOT_TOKEN"
    except TelegramError as error:
        return False, f"the Bot API at {shown} did not answer ({type(error).__name__})"


async def _check_transcription(model: str, client: AsyncOpenAI) -> tuple[bool, str]:
    """The speech-to-text endpoint knows the key and the model (GET /models/MODEL: free, no
    audio sent)."""
    import openai

    try:
        await asyncio.wait_for(client.models.retrieve(model), CHECK_TIMEOUT)
    except (openai.AuthenticationError, openai.PermissionDeniedError):
        return False, f"{model}: the endpoint refused the key (TRANSCRIBE_API_KEY)"
    except openai.NotFoundError:
        return False, f"{model}: the endpoint does not know this model (TRANSCRIBE_MODEL)"
    except (openai.APIError, TimeoutError) as error:
        return False, f"{model}: the endpoint does not answer ({type(error).__name__})"
    return True, f"{model} answers"


async def _redis_trouble(settings: Settings) -> str:
    url = settings.plain_redis_url
    if settings.uses_cluster and url and await cluster_support_off(url):
        return "answers, but runs without cluster support: REDIS_URL should not say cluster"
    return "does not answer (-v says why)"


async def check(settings: Settings) -> int:
    """Print one line per dependency; exit 1 when any of them fails."""
    ignored = unknown_settings()
    valid = "valid" + (f"; {'; '.join(ignored)}" if ignored else "")
    results: list[tuple[str, bool, str]] = [("settings", True, valid)]
    ok, detail = await _check_telegram(settings)
    results.append(("telegram", ok, detail))
    deps = build_deps(settings)
    try:
        if settings.redis_url is None:
            results.append(("redis", True, "REDIS_URL not set: in-process store (one process)"))
        else:
            alive = await deps.store.ping()
            results.append(("redis", alive, "answers" if alive else await _redis_trouble(settings)))
        if deps.llm is None:
            results.append(("llm", True, "OPENAI_API_KEY not set: built-in extractive summarizer"))
        else:
            ok, detail = await deps.llm.check()
            results.append(("llm", ok, detail))
        if deps.transcription is not None:
            ok, detail = await _check_transcription(settings.transcribe_model, deps.transcription)
            results.append(("speech", ok, detail))
    finally:
        await deps.aclose()
    for name, ok, detail in results:
        stream = sys.stdout if ok else sys.stderr
        print(f"{name:9} {'ok' if ok else 'FAILED'}  {detail}", file=stream)
    return 0 if all(ok for _, ok, _ in results) else 1
