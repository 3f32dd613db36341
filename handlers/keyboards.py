"""Inline keyboards and the callback data they carry (at most 64 bytes each)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import t
from bot.llm.prompts import LANGUAGE_NAMES

CALLBACK_PREFIX = "sk:"  # every button of ours
SHORTER = "sk:short"
LONGER = "sk:long"
TRANSLATE = "sk:tr"
TRANSLATE_TO = "sk:tr:"  # + language code
ASK = "sk:ask"
TRANSCRIPT = "sk:text"
BACK = "sk:back"

# Every language the prompts name, as `/lang` takes them: Arabic, Korean, Hindi... readers were
# left out of a list of ten.
TRANSLATION_TARGETS = tuple(LANGUAGE_NAMES)


class SerializedOnce(InlineKeyboardMarkup):
    """A keyboard that works out its JSON form once.

    Telegram objects are immutable, and the keyboard of a popular link goes out with every cached
    summary of it; python-telegram-bot only serializes the dict it gets, never changes it.
    """

    __slots__ = ("_as_dict",)
    _as_dict: dict[str, Any]

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        if not recursive:
            return super().to_dict(recursive=False)
        try:
            return self._as_dict
        except AttributeError:
            as_dict = super().to_dict()
            with self._unfrozen():
                self._as_dict = as_dict
            return as_dict


@lru_cache(maxsize=4096)
def summary_keyboard(
    url: str | None,
    language: str | None,
    *,
    interactive: bool = True,
    transcript: bool = False,
) -> InlineKeyboardMarkup | None:
    """Shorter / Longer / Translate / Ask a question / Open source (only the link in channels);
    a recording's summary also offers its Transcript.

    Cached per link and language: the same link's summary is sent again and again.
    """
    if not interactive:
        if not url:
            return None
        return SerializedOnce([[InlineKeyboardButton(t("button_source", language), url=url)]])
    rows = [
        [
            InlineKeyboardButton(t("button_shorter", language), callback_data=SHORTER),
            InlineKeyboardButton(t("button_longer", language), callback_data=LONGER),
            InlineKeyboardButton(t("button_translate", language), callback_data=TRANSLATE),
        ],
        [InlineKeyboardButton(t("button_ask", language), callback_data=ASK)],
    ]
    if transcript:
        rows[1].insert(
            1, InlineKeyboardButton(t("button_transcript", language), callback_data=TRANSCRIPT)
        )
    if url:
        rows[1].append(InlineKeyboardButton(t("button_source", language), url=url))
    return SerializedOnce(rows)


def language_keyboard(written_in: str | None = None) -> InlineKeyboardMarkup:
    """A language picker for Translate, without the language the summary is written in."""
    buttons = [
        InlineKeyboardButton(code.upper(), callback_data=TRANSLATE_TO + code)
        for code in TRANSLATION_TARGETS
        if code != written_in
    ]
    rows = [buttons[index : index + 5] for index in range(0, len(buttons), 5)]
    rows.append([InlineKeyboardButton("←", callback_data=BACK)])
    return InlineKeyboardMarkup(rows)
