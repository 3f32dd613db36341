"""Interface languages: a complete catalogue, and Russian users get Russian text end to end."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.config import Settings
from bot.errors import FetchError
from bot.i18n import CATALOGUE, LANGUAGES, pick_language, t
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.web import FakeWeb
from tests.tg import wait_text

RUSSIAN_USER = {"id": 3003, "is_bot": False, "first_name": "Ира", "language_code": "ru"}


def test_every_string_exists_in_every_language_with_the_same_placeholders() -> None:
    for key, texts in CATALOGUE.items():
        assert set(texts) >= set(LANGUAGES), key
        placeholders = {lang: set(re.findall(r"{(\w+)}", texts[lang])) for lang in LANGUAGES}
        assert placeholders["en"] == placeholders["ru"], key


def test_language_choice_from_telegram_codes() -> None:
    assert pick_language("ru") == "ru"
    assert pick_language("ru-RU") == "ru"
    assert pick_language("pt-br") == "en"
    assert pick_language(None) == "en"


def test_errors_speak_the_users_language() -> None:
    error = FetchError(key="err_http_missing", host="example.com", status=404)
    assert error.user_message == "That page doesn't exist on example.com (HTTP 404)."
    assert error.message_for("ru") == t("err_http_missing", "ru", host="example.com", status=404)
    assert "example.com" in error.message_for("ru")


async def test_russian_user_gets_russian_status_and_errors(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/gone", "missing", status=404)
    async with start_bot(settings_for()):
        bot_api.send_private_message("привет", user=RUSSIAN_USER)
        await wait_text(bot_api, "Пришлите ссылку", chat_id=3003)
        bot_api.send_private_message(web.url("/gone"), user=RUSSIAN_USER)
        await wait_text(bot_api, "Такой страницы на 127.0.0.1 нет (HTTP 404).", chat_id=3003)
    statuses = [c.params["text"] for c in bot_api.calls_to("sendMessage")]
    assert any(text.startswith("Читаю 127.0.0.1") for text in statuses)
