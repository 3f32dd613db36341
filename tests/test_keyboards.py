"""The summary keyboard: its buttons, and its cached JSON form matching the library's."""

from __future__ import annotations

import json

from telegram import InlineKeyboardMarkup

from handlers.keyboards import ASK, LONGER, SHORTER, TRANSLATE, summary_keyboard


def test_buttons_in_the_users_language_with_the_source_link() -> None:
    markup = summary_keyboard("https://example.com/a", "ru")
    assert markup is not None
    rows = [
        [(button.text, button.callback_data, button.url) for button in row]
        for row in markup.inline_keyboard
    ]
    assert rows == [
        [("Короче", SHORTER, None), ("Подробнее", LONGER, None), ("Перевести", TRANSLATE, None)],
        [("Задать вопрос", ASK, None), ("Источник", None, "https://example.com/a")],
    ]


def test_channel_keyboard_is_only_the_source_link_or_nothing() -> None:
    markup = summary_keyboard("https://example.com/b", "en", interactive=False)
    assert markup is not None
    assert [[button.url for button in row] for row in markup.inline_keyboard] == [
        ["https://example.com/b"]
    ]
    assert summary_keyboard(None, "en", interactive=False) is None


def test_cached_json_form_is_what_the_library_would_send() -> None:
    markup = summary_keyboard("https://example.com/c", "en")
    assert markup is not None
    plain = InlineKeyboardMarkup(markup.inline_keyboard)
    assert markup.to_dict() == plain.to_dict()
    assert markup.to_json() == plain.to_json()
    assert json.loads(markup.to_json())["inline_keyboard"][1][1]["url"] == "https://example.com/c"
    # The same link and language reuse one keyboard; another link gets its own.
    assert summary_keyboard("https://example.com/c", "en") is markup
    other = summary_keyboard("https://example.com/d", "en")
    assert other is not None
    assert other.to_dict() != markup.to_dict()
