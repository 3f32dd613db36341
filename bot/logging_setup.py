"""Log configuration: text or JSON lines, with secrets scrubbed from every record."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

# Libraries that log whole requests and answers at DEBUG: python-telegram-bot logs every
# update it gets (users' messages, pastes, questions) and every call's answer, the OpenAI client
# every prompt. Kept at WARNING whatever LOG_LEVEL says, so Skim's own debugging shows no
# message text either.
_NOISY = (
    "telegram",
    "httpx",
    "httpcore",
    "httpx2",
    "httpcore2",
    "openai",
    "trafilatura",
    "htmldate",
    "urllib3",
)


class RedactingFormatter(logging.Formatter):
    """Replaces secrets (the bot token appears in every Bot API URL) in the whole formatted
    record: the message, and the traceback, where a refused token is quoted too."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self._inner = inner
        self._secrets = [secret for secret in secrets if secret and len(secret) >= 6]

    def format(self, record: logging.LogRecord) -> str:
        return redact(self._inner.format(record), self._secrets)


BRIEF_CHARS = 200
_OURS = frozenset({"bot", "handlers", "__main__"})


def _shortened(text: str) -> str:
    said = " ".join(text.split())
    return said if len(said) <= BRIEF_CHARS else said[: BRIEF_CHARS - 1] + "…"


class LibraryLinesShortened(logging.Filter):
    """A library's log line on one line and at most `BRIEF_CHARS` long: python-telegram-bot
    logs the whole body a wrong TELEGRAM_API_URL answers ("Can not load invalid JSON data")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.partition(".")[0] not in _OURS:
            message = record.getMessage()
            if len(message) > BRIEF_CHARS or "\n" in message:
                record.msg, record.args = _shortened(message), None
        return True


class BriefExceptions(logging.Filter):
    """Logs expected failures (Telegram unreachable, say) as one line, without a traceback."""

    def __init__(self, kinds: tuple[type[BaseException], ...]) -> None:
        super().__init__()
        self._kinds = kinds

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and isinstance(error, self._kinds):
            # The Bot API library's message can hold the whole HTML page a wrong URL answered.
            record.msg, record.args = f"{record.getMessage()}: {_shortened(str(error))}", None
            record.exc_info, record.exc_text = None, None
        return True


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(
    level: str,
    fmt: str,
    secrets: Iterable[str] = (),
    brief: tuple[type[BaseException], ...] = (),
) -> None:
    """Configure the root logger once; third-party chatter stays at WARNING.

    Exceptions of the `brief` kinds are logged without their traceback.
    """
    handler = logging.StreamHandler(sys.stderr)
    inner = (
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.setFormatter(RedactingFormatter(inner, secrets))
    handler.addFilter(LibraryLinesShortened())
    if brief:
        handler.addFilter(BriefExceptions(brief))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
