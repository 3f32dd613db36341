"""Settings: one object built once at start-up from the environment and `.env`."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError
from bot.values import LANGUAGE_CODE

WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")

Length = Literal["short", "medium", "long"]
Style = Literal["bullets", "paragraph"]

IdList = Annotated[list[int], NoDecode]
PortList = Annotated[list[int] | None, NoDecode]


def _split_ids(value: object) -> object:
    """Accept `1,2, 3` (the documented form) as well as a real list."""
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",") if part.strip()]
        ids: list[int] = []
        for part in parts:
            try:
                ids.append(int(part))
            except ValueError:
                raise ValueError(f"{part!r} is not a numeric Telegram id") from None
        return ids
    if isinstance(value, int):
        return [value]
    return value


def _split_ports(value: object) -> object:
    """`80,443,8000-8999`: single ports and inclusive ranges, each within 1-65535."""
    if not isinstance(value, str):
        return [value] if isinstance(value, int) else value
    ports: list[int] = []
    for part in (part.strip() for part in value.split(",")):
        if not part:
            continue
        low, _, high = part.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise ValueError(f"{part!r} is not a port or a range of ports") from None
        if not 1 <= first <= last <= 65535:
            raise ValueError(f"{part!r} is not within 1-65535")
        ports.extend(range(first, last + 1))
    return ports


def masked(url: str) -> str:
    """A URL as it may be shown or logged: credentials in it (a Redis password, a proxy's
    user) replaced by ***, even in a URL too malformed to parse (more hidden, never less)."""
    head, at, rest = url.rpartition("@")
    if not at:
        return url
    scheme, written, _ = head.partition("://")
    return f"{scheme}://***@{rest}" if written else f"***@{rest}"


def url_passwords(*urls: str | None) -> list[str]:
    """The passwords written into URLs, for the logs' list of secrets."""
    found: list[str] = []
    for url in urls:
        try:
            password = urlsplit(url).password if url else None
        except ValueError:
            password = None
        if password:
            found.extend({password, unquote(password)})
    return found


def _http_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{masked(value)!r} is not an http(s) URL for {what}")
    return value.rstrip("/")


CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")


OPENAI_API = "https://api.openai.com/v1"  # the openai client's own default


class Settings(BaseSettings):
    """Every knob of Skim; names are the environment variables in upper case."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=False,
        allow_inf_nan=False,  # "inf" seconds or messages a second pass no limit check
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_max_rate: float = Field(30.0, ge=0)

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4.1-mini"
    llm_timeout: float = Field(60.0, gt=0)
    llm_max_retries: int = Field(3, ge=1, le=10)
    llm_context_tokens: int = Field(16_000, ge=1_000, le=2_000_000)
    llm_max_input_tokens: int = Field(300_000, ge=1_000)
    llm_concurrency: int = Field(4, ge=1, le=32)
    qa_history_turns: int = Field(6, ge=0, le=50)
    # Pictures go to the model's image input (an OpenAI-compatible vision model).
    llm_vision: bool = False

    # Speech to text for voice, audio and videos: an OpenAI-compatible /v1/audio/transcriptions.
    # Base URL and key default to the LLM's.
    transcribe_model: str = "whisper-1"
    transcribe_base_url: str | None = None
    transcribe_api_key: SecretStr | None = None
    max_media_minutes: float = Field(90.0, gt=0, le=24 * 60)
    daily_media_minutes: float = Field(60.0, ge=0)

    redis_url: str | None = None
    redis_prefix: str = Field("skim:", min_length=1, max_length=64)
    # A Redis Cluster: also chosen by a `redis+cluster://` (or `rediss+cluster://`) REDIS_URL.
    redis_cluster: bool = False
    # Scale-out: idle seconds before another worker claims a dead worker's updates, and the
    # stream's cap (updates waiting beyond it are trimmed, oldest first).
    stream_claim_idle: float = Field(30.0, ge=1, le=3600)
    stream_max_len: int = Field(100_000, ge=1_000)
    single_flight_lock_ttl: float = Field(15.0, gt=0.5)
    rate_limit_user_per_minute: float = Field(10.0, gt=0)
    rate_limit_user_burst: int = Field(5, ge=1)
    rate_limit_chat_per_minute: float = Field(30.0, gt=0)
    rate_limit_chat_burst: int = Field(15, ge=1)
    daily_summary_quota: int = Field(200, ge=0)

    fetch_allow_private_networks: bool = False
    fetch_max_bytes: int = Field(5_000_000, gt=0)
    fetch_timeout: float = Field(20.0, gt=0)
    # Unset: 80, 443, 8080 and 8443, or any port with private networks allowed (the fakes of a
    # test rig listen on whatever port they get). Set: exactly these, in every mode.
    fetch_allowed_ports: PortList = None
    fetch_media_max_bytes: int = Field(100_000_000, gt=0)
    max_links_per_message: int = Field(3, ge=1, le=10)

    summary_length: Length = "medium"
    summary_style: Style = "bullets"
    summary_language: str = "auto"
    document_cache_ttl: int = Field(24 * 3600, gt=0)
    summary_cache_ttl: int = Field(30 * 24 * 3600, gt=0)

    admin_user_ids: IdList = Field(default_factory=list)
    allowed_user_ids: IdList = Field(default_factory=list)
    allowed_chat_ids: IdList = Field(default_factory=list)

    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0:8080"
    # Polling mode: /healthz, /readyz and /metrics on this host:port (off when unset); in
    # webhook mode they are served with the webhook.
    metrics_listen: str | None = None
    shutdown_grace: float = Field(25.0, ge=0, le=600)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator(
        "admin_user_ids",
        "allowed_user_ids",
        "allowed_chat_ids",
        mode="before",
    )
    @classmethod
    def _ids(cls, value: object) -> object:
        return _split_ids(value)

    @field_validator("fetch_allowed_ports", mode="before")
    @classmethod
    def _ports(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None  # an empty FETCH_ALLOWED_PORTS= line means the default, not no port
        return _split_ports(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("telegram_api_url")
    @classmethod
    def _telegram_url(cls, value: str) -> str:
        return _http_url(value, "the Bot API")

    @field_validator("openai_base_url", "webhook_url", "transcribe_base_url")
    @classmethod
    def _optional_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value, "this setting")

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        shown = masked(value)
        if parts.scheme not in ("redis", "rediss", "unix", *CLUSTER_SCHEMES):
            raise ValueError(f"{shown!r} is not a Redis URL (expected redis://host:port/db)")
        if parts.scheme == "unix":
            return value
        if not parts.hostname:
            raise ValueError(f"{shown!r} has no host (expected redis://host:port/db)")
        try:
            _ = parts.port
        except ValueError:
            raise ValueError(f"{shown!r} has an invalid port") from None
        database = parts.path.strip("/")
        if database and not database.isdigit():
            raise ValueError(f"{shown!r}: the database after the port must be a number")
        if database not in ("", "0") and parts.scheme in CLUSTER_SCHEMES:
            raise ValueError(f"{shown!r}: a Redis Cluster has only database 0")
        return value

    @field_validator("summary_language", mode="before")
    @classmethod
    def _language(cls, value: object) -> object:
        code = value.strip().lower() if isinstance(value, str) else value
        if isinstance(code, str) and not LANGUAGE_CODE.match(code):
            raise ValueError(f"{value!r} is not a language code such as en, ru or auto")
        return code

    @field_validator("webhook_listen", "metrics_listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{value!r} is not host:port")
        return value

    @field_validator("telegram_bot_token", "openai_api_key", "transcribe_api_key", mode="before")
    @classmethod
    def _token(cls, value: object) -> object:
        # A token or key pasted with a space or a newline at its end (a Kubernetes secret made
        # from a file) is still the token: sent as it was, it failed as "unreachable".
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("redis_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if any(char.isspace() for char in value):
            raise ValueError("may not contain white space")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's setWebhook takes 1-256 characters of A-Z, a-z, 0-9, _ and -: said here,
        # at start, rather than as Telegram's refusal once the server is up.
        if value is not None and not WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError(
                "must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram refuses others)"
            )
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        # Without a secret anyone who finds the URL could post forged updates to the bot.
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
        return self

    @property
    def uses_cluster(self) -> bool:
        """Whether REDIS_URL names a Redis Cluster (its scheme or REDIS_CLUSTER=true)."""
        if self.redis_url is None:
            return False
        return self.redis_cluster or urlsplit(self.redis_url).scheme in CLUSTER_SCHEMES

    @property
    def plain_redis_url(self) -> str | None:
        """REDIS_URL as redis-py reads it: the `+cluster` in the scheme taken out."""
        if self.redis_url is None:
            return None
        scheme, sep, rest = self.redis_url.partition("://")
        return f"{scheme.removesuffix('+cluster')}{sep}{rest}"

    @property
    def transcription_key(self) -> SecretStr | None:
        """TRANSCRIBE_API_KEY, else the LLM's key: without either nothing is transcribed."""
        return self.transcribe_api_key or self.openai_api_key

    @property
    def llm_endpoint(self) -> str:
        """Where LLM requests go: OPENAI_BASE_URL, else the openai client's own default."""
        return self.openai_base_url or OPENAI_API

    @property
    def transcription_url(self) -> str | None:
        return self.transcribe_base_url or self.openai_base_url

    @property
    def webhook_host_port(self) -> tuple[str, int]:
        return _host_port(self.webhook_listen)

    @property
    def metrics_host_port(self) -> tuple[str, int]:
        assert self.metrics_listen is not None
        return _host_port(self.metrics_listen)


def _host_port(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


def describe_validation_error(error: ValidationError) -> str:
    """One line naming the first bad setting, without echoing secrets."""
    first = error.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not first["loc"]:
        return f"invalid settings: {message}"
    name = str(first["loc"][0]).upper()
    if name in {"TELEGRAM_BOT_TOKEN", "OPENAI_API_KEY", "WEBHOOK_SECRET", "TRANSCRIBE_API_KEY"}:
        # Our own checks of these never quote the value; the library's might.
        said = message if first["type"] == "value_error" else first["type"]
        return f"invalid setting {name}: {said}"
    return f"invalid setting {name}: {message}"


# Environment variables that look like a misspelled setting of ours (other software's variables
# share the machine's environment, so only near misses are named).
_NEAR_MISS = 0.85


def unknown_settings(env_file: str = ".env") -> list[str]:
    """Names in `.env` that are no setting (every one: the file is Skim's), and environment
    variables one typo away from one: each ignored in silence, a setting meant is missing."""
    import difflib
    import os

    from dotenv import dotenv_values

    known = {name.upper() for name in Settings.model_fields}
    notes: list[str] = []

    def note(name: str, where: str) -> None:
        close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.7)
        hint = f" (did you mean {close[0]}?)" if close else ""
        notes.append(f"{name} in {where} is no Skim setting and is ignored{hint}")

    try:
        written = dotenv_values(env_file) if os.path.isfile(env_file) else {}
    except (OSError, UnicodeDecodeError):
        written = {}
    for name in written:
        if name.upper() not in known:
            note(name, env_file)
    for name in os.environ:
        upper = name.upper()
        if upper in known or name in written:
            continue
        if difflib.get_close_matches(upper, known, n=1, cutoff=_NEAR_MISS):
            note(name, "the environment")
    return notes


def load_settings() -> Settings:
    """Build the settings or raise ConfigError with a one-line message."""
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error)) from None
    except UnicodeDecodeError as error:  # Windows editors save .env as UTF-16 or a code page
        raise ConfigError(f".env is not UTF-8 text ({error.reason}); save it as UTF-8") from None
