"""Languages by their own names ("Deutsch", "Українська"): readable in any interface language,
where a code ("de") is not."""

from __future__ import annotations

ENDONYMS: dict[str, str] = {
    "en": "English",
    "ru": "Русский",
    "uk": "Українська",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "pt": "Português",
    "pl": "Polski",
    "nl": "Nederlands",
    "tr": "Türkçe",
    "ar": "العربية",
    "fa": "فارسی",
    "he": "עברית",
    "hi": "हिन्दी",
    "id": "Bahasa Indonesia",
    "ja": "日本語",
    "ko": "한국어",
    "zh": "中文",
    "kk": "Қазақша",
    "uz": "Oʻzbekcha",
    "be": "Беларуская",
}


def language_label(code: str) -> str:
    """A language code with its own name: "de (Deutsch)"; an unknown code as it is."""
    name = ENDONYMS.get(code)
    return f"{code} ({name})" if name else code
