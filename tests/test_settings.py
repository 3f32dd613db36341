"""Settings: names from DESIGN.md, comma lists, and one clear line for a bad value."""

from __future__ import annotations

import pytest

from bot.cli_actions import summary_options
from bot.config import Settings, load_settings
from bot.content.fetch import WEB_PORTS
from bot.deps import fetch_policy
from bot.errors import ConfigError
from tests.conftest import run_cli


def test_defaults_need_nothing_but_allow_everything() -> None:
    settings = Settings(_env_file=None)
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.redis_url is None
    assert settings.openai_api_key is None
    assert settings.fetch_allow_private_networks is False
    assert settings.redis_prefix == "skim:"


def test_comma_separated_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_USER_IDS", "1, 22,333")
    monkeypatch.setenv("ALLOWED_CHAT_IDS", "-1001")
    settings = load_settings()
    assert settings.admin_user_ids == [1, 22, 333]
    assert settings.allowed_chat_ids == [-1001]


def test_dotenv_is_read(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    with open(".env", "w", encoding="utf-8") as env_file:
        env_file.write("LLM_MODEL=my-model\nFETCH_ALLOW_PRIVATE_NETWORKS=true\n")
    settings = load_settings()
    assert settings.llm_model == "my-model"
    assert settings.fetch_allow_private_networks is True


def test_secrets_are_hidden_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:very-secret-token")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    text = repr(load_settings())
    assert "very-secret" not in text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ADMIN_USER_IDS", "abc"),
        ("REDIS_URL", "nonsense"),
        ("TELEGRAM_API_URL", "not a url"),
        ("FETCH_ALLOW_PRIVATE_NETWORKS", "maybe"),
        ("LOG_LEVEL", "LOUD"),
        ("WEBHOOK_LISTEN", "nowhere"),
        ("SUMMARY_LANGUAGE", "klingon"),
        ("WEBHOOK_SECRET", "base64+with/padding=="),
        ("WEBHOOK_SECRET", "x" * 257),
        ("REDIS_PREFIX", "my bot:"),
        ("TELEGRAM_MAX_RATE", "inf"),  # no limit check holds for infinity or NaN
        ("SINGLE_FLIGHT_LOCK_TTL", "inf"),
        ("DAILY_MEDIA_MINUTES", "nan"),
        ("REDIS_URL", "redis://localhost:6379/abc"),  # was database 0 without a word
        ("REDIS_URL", "redis+cluster://localhost:7000/3"),  # was a traceback from redis-py
    ],
)
def test_bad_setting_raises_config_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert name in caught.value.user_message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REDIS_URL", "redis://:s3cretRedisPw@localhost:notaport/0"),
        ("REDIS_URL", "http://admin:s3cretRedisPw@localhost:6379/0"),
        ("TELEGRAM_API_URL", "ftp://user:s3cretRedisPw@proxy.example"),
        ("OPENAI_BASE_URL", "localhost:s3cretRedisPw@llm"),
    ],
)
def test_a_bad_url_is_named_without_its_password(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert name in caught.value.user_message
    assert "s3cretRedisPw" not in caught.value.user_message


def test_a_bad_webhook_secret_says_what_telegram_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "with space")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "A-Z, a-z, 0-9, _ and -" in caught.value.user_message
    assert "with space" not in caught.value.user_message


@pytest.mark.parametrize(
    ("name", "value"),
    [("ADMIN_USER_IDS", "abc"), ("REDIS_URL", "nonsense"), ("LOG_FORMAT", "xml")],
)
async def test_bad_setting_exits_2_with_one_line(name: str, value: str) -> None:
    code, _out, err = await run_cli("extract", "-", env={name: value}, stdin=b"text")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert name in lines[0]
    assert "Traceback" not in err


def test_allowed_ports_take_single_ports_and_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FETCH_ALLOWED_PORTS", "80, 443,8000-8002")
    assert load_settings().fetch_allowed_ports == [80, 443, 8000, 8001, 8002]


@pytest.mark.parametrize(
    ("private", "ports", "allowed"),
    [
        ("false", None, WEB_PORTS),
        ("false", "", WEB_PORTS),  # an empty line in .env is the default, not "no port"
        ("true", None, None),  # test rigs and intranets serve pages on ports of their own
        ("true", "443,8000-8001", frozenset({443, 8000, 8001})),  # a list set holds in every mode
        ("false", "8443", frozenset({8443})),
    ],
)
def test_the_ports_a_link_may_use(
    private: str, ports: str | None, allowed: frozenset[int] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE_NETWORKS", private)
    if ports is None:
        monkeypatch.delenv("FETCH_ALLOWED_PORTS", raising=False)
    else:
        monkeypatch.setenv("FETCH_ALLOWED_PORTS", ports)
    assert fetch_policy(load_settings()).allowed_ports == allowed


@pytest.mark.parametrize("value", ["http", "0", "443-80", "70000", "1-65536"])
def test_bad_allowed_ports_are_refused(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FETCH_ALLOWED_PORTS", value)
    with pytest.raises(ConfigError):
        load_settings()


def test_a_token_pasted_with_white_space_is_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", " 123456:ABC-def \n")
    token = load_settings().telegram_bot_token
    assert token is not None
    assert token.get_secret_value() == "123456:ABC-def"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "   ")
    assert load_settings().telegram_bot_token is None


def test_api_keys_pasted_with_white_space_are_the_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key from a Kubernetes secret made from a file ends in a newline: sent as it was, every
    request failed and `skim check` said "endpoint unreachable"."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-123\n")
    monkeypatch.setenv("TRANSCRIBE_API_KEY", " sk-speech ")
    settings = load_settings()
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-test-123"
    assert settings.transcribe_api_key is not None
    assert settings.transcribe_api_key.get_secret_value() == "sk-speech"


def test_a_language_code_in_capitals_is_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARY_LANGUAGE", "RU")
    settings = load_settings()
    assert settings.summary_language == "ru"
    assert summary_options(settings, None, None, "EN").language == "en"
    assert summary_options(settings, None, None, None).language == "ru"
