"""Interface text in one catalogue (English and Russian at least), split by area for editing.

Every key has a text for every language in LANGUAGES; `t()` falls back to English.
"""

from __future__ import annotations

from bot.i18n import command_texts, core, errors, groups, inline, media

LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"

CATALOGUE: dict[str, dict[str, str]] = {}
for _area in (core, command_texts, errors, groups, inline, media):
    for _key, _texts in _area.STRINGS.items():
        if _key in CATALOGUE:
            raise RuntimeError(f"interface string {_key!r} is defined twice")
        CATALOGUE[_key] = _texts


def pick_language(language_code: str | None) -> str:
    """The interface language for a Telegram language_code such as 'ru' or 'pt-br'."""
    if not language_code:
        return DEFAULT_LANGUAGE
    base = language_code.split("-", 1)[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, language: str | None = None, **values: object) -> str:
    """The text for `key` in `language`, with `{placeholders}` filled in."""
    texts = CATALOGUE[key]
    text = texts.get(language or DEFAULT_LANGUAGE) or texts[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text
