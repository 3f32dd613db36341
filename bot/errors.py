"""Our own exceptions: each carries the message a user may see; details stay in logs.

A message is a catalogue key with values, so every surface can show it in the user's
language; `user_message` is the English text, for logs and the command line.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import t


class SkimError(Exception):
    """Base of every expected failure; `user_message` is safe to show to the user."""

    key = "err_generic"

    def __init__(
        self,
        user_message: str | None = None,
        *,
        detail: str | None = None,
        key: str | None = None,
        **values: Any,
    ) -> None:
        if key is not None:
            self.key = key
        self.values = values
        self._text = user_message
        self.detail = detail or self.user_message
        super().__init__(self.detail)

    @property
    def user_message(self) -> str:
        return self._text if self._text is not None else t(self.key, "en", **self.values)

    def message_for(self, language: str | None) -> str:
        """The message in the user's interface language."""
        if self._text is not None:
            return self._text
        return t(self.key, language, **self.values)

    def to_dict(self) -> dict[str, Any]:
        """What a cache needs to replay this failure to someone else, in their language."""
        return {"key": self.key, "values": self.values, "message": self.user_message}


class ConfigError(SkimError):
    """A setting is missing or has a bad value."""


class InvalidSourceError(SkimError):
    """The input is not something Skim can read (bad URL, missing file, empty text)."""


class FetchError(SkimError):
    """The page could not be fetched."""

    key = "err_fetch"


class ExtractionError(SkimError):
    """The fetched content holds no readable text."""

    key = "err_extraction"


class UnsupportedContentError(ExtractionError):
    """The content type is not one Skim reads."""


class LLMError(SkimError):
    """The language model failed after retries."""

    key = "err_llm_unavailable"


class LLMAuthError(LLMError):
    """The LLM endpoint refused the operator's key."""

    key = "err_llm_key"


class LLMBusyError(LLMError):
    """The LLM endpoint is rate-limiting or overloaded."""

    def __init__(self, retry_after: float | None = None, *, detail: str | None = None) -> None:
        self.retry_after = retry_after
        if retry_after:
            super().__init__(detail=detail, key="err_llm_busy", seconds=max(1, round(retry_after)))
        else:
            super().__init__(detail=detail, key="err_llm_busy_minute")


class QuotaExceeded(SkimError):
    """The user's daily summary quota is used up; raised just before the LLM would write."""

    key = "quota_reached"

    def __init__(self, *, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        super().__init__(detail=f"daily quota of {limit} reached")


class CancelledByUser(Exception):
    """`/cancel` was sent, in this process or another, while the request ran."""


class LLMTimeoutError(LLMError):
    """No complete answer within the deadline."""

    key = "err_llm_timeout"


class LLMStreamError(LLMError):
    """The answer broke off mid-way (connection cut, malformed event stream)."""

    key = "err_llm_cut"


class LLMEmptyError(LLMError):
    """The model finished without writing anything."""

    key = "err_llm_empty"


class LLMRefusalError(LLMError):
    """The model (or its content filter) declined to answer."""

    key = "err_llm_refusal"


class LLMConfigError(LLMError):
    """The endpoint rejected the request itself (unknown model, bad parameter)."""

    key = "err_llm_config"


class CachedFailure(SkimError):
    """A failure another request hit moments ago, replayed from the cache."""

    @classmethod
    def replay(cls, value: dict[str, object], detail: str) -> CachedFailure:
        key = value.get("key")
        values = value.get("values")
        if isinstance(key, str) and isinstance(values, dict):
            return cls(key=key, detail=detail, **values)
        return cls(str(value.get("message", "")), detail=detail)


class StillWorkingError(SkimError):
    """Another request for the same work took longer than we are willing to wait."""

    key = "err_still_working"


class MediaError(SkimError):
    """Audio, video or a picture that cannot be read: not media, too long, too big, empty."""

    key = "err_not_media"


class TranscriptionError(SkimError):
    """The transcription endpoint failed or is not configured."""

    key = "err_transcription_failed"


class MediaQuotaExceeded(SkimError):
    """The user's daily minutes of transcription are used up."""

    key = "err_media_quota"


class VideoError(SkimError):
    """A YouTube video's captions or metadata could not be read (the library or the site)."""

    key = "err_youtube_transcript"
