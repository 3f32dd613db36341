"""Our own exceptions: each carries the message a user may see; details stay in logs."""

from __future__ import annotations


class SkimError(Exception):
    """Base of every expected failure; `user_message` is safe to show to the user."""

    user_message = "Something went wrong while reading that."

    def __init__(self, user_message: str | None = None, *, detail: str | None = None) -> None:
        if user_message is not None:
            self.user_message = user_message
        self.detail = detail or self.user_message
        super().__init__(self.detail)


class ConfigError(SkimError):
    """A setting is missing or has a bad value."""


class InvalidSourceError(SkimError):
    """The input is not something Skim can read (bad URL, missing file, empty text)."""


class FetchError(SkimError):
    """The page could not be fetched."""

    user_message = "I couldn't fetch that page."


class ExtractionError(SkimError):
    """The fetched content holds no readable text."""

    user_message = "I couldn't find any readable text there."


class UnsupportedContentError(ExtractionError):
    """The content type is not one Skim reads."""


class LLMError(SkimError):
    """The language model failed after retries."""

    user_message = "The summarizer is unavailable right now. Please try again later."


class LLMAuthError(LLMError):
    """The LLM endpoint refused the operator's key."""

    user_message = "The bot's LLM key was refused: the operator has been told."


class LLMBusyError(LLMError):
    """The LLM endpoint is rate-limiting or overloaded."""

    def __init__(self, retry_after: float | None = None, *, detail: str | None = None) -> None:
        self.retry_after = retry_after
        wait = f" in {max(1, round(retry_after))} s" if retry_after else " in a minute"
        super().__init__(f"The model is busy, try again{wait}.", detail=detail)
