"""The language of a page: what it declares, unless its text clearly is in another one."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from bot.content.words import count_words, reading_words

_LANG_TAG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*$")

# Language detection: enough text to trust, and how sure it must be to overrule the page.
_DETECT_CHARS = 1000
_OVERRULE_MIN_WORDS = 30
_OVERRULE_PROBABILITY = 0.99


def _language_code(value: str | None) -> str | None:
    match = _LANG_TAG.match((value or "").strip())
    if not match:
        return None
    code = match.group(1).lower()
    return code if len(code) == 2 else None


def declared_language(tree: Any) -> str | None:
    """The page's own language: `<html lang>`, Content-Language or og:locale (ISO 639-1)."""
    root = tree.getroottree().getroot()
    for attribute in ("lang", "{http://www.w3.org/XML/1998/namespace}lang", "xml:lang"):
        code = _language_code(root.get(attribute))
        if code:
            return code
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
        if key in ("content-language", "og:locale", "language"):
            code = _language_code((meta.get("content") or "").split(",")[0])
            if code:
                return code
    return None


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import (  # type: ignore[import-untyped]
        MODEL_FILE,
        LanguageIdentifier,
    )

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str | None, float]:
    """Offline language guess for a text (ISO 639-1) and its probability."""
    sample = text[:_DETECT_CHARS]
    if count_words(sample) < 3:
        return None, 0.0
    code, probability = _identifier().classify(sample)
    return _language_code(str(code)), float(probability)


def choose_language(declared: str | None, text: str) -> str | None:
    """The declared language unless the text clearly is in another one: written in another
    script (a template's `lang="en"` on an Arabic or Chinese page), or, in the same script,
    detected with near certainty over enough words."""
    detected, probability = detect_language(text)
    if declared is None or not detected or detected == declared:
        return detected or declared
    script = dominant_script(text[:_DETECT_CHARS])
    if script is not None and _script_of(detected) == script != _script_of(declared):
        return detected
    if probability >= _OVERRULE_PROBABILITY and reading_words(text) >= _OVERRULE_MIN_WORDS:
        return detected
    return declared


# The script each language is written in, where it is not the Latin alphabet (Japanese: kana,
# which its text always holds beside Han characters).
_SCRIPTS: dict[str, str] = {
    **dict.fromkeys(("ru", "uk", "be", "bg", "mk", "kk", "ky", "mn", "tg"), "Cyrillic"),
    **dict.fromkeys(("ar", "fa", "ur", "ps", "ug"), "Arabic"),
    **dict.fromkeys(("he", "yi"), "Hebrew"),
    **dict.fromkeys(("hi", "mr", "ne"), "Devanagari"),
    "el": "Greek",
    "th": "Thai",
    "ko": "Hangul",
    "ja": "Kana",
    "zh": "Han",
    "ka": "Georgian",
    "hy": "Armenian",
    "bn": "Bengali",
    "ta": "Tamil",
}
_SCRIPT_RANGES: tuple[tuple[str, str], ...] = (
    ("Latin", "A-Za-z\u00c0-\u024f"),
    ("Cyrillic", "\u0400-\u04ff"),
    ("Arabic", "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc"),
    ("Hebrew", "\u0590-\u05ff\ufb1d-\ufb4f"),
    ("Devanagari", "\u0900-\u097f"),
    ("Bengali", "\u0980-\u09ff"),
    ("Tamil", "\u0b80-\u0bff"),
    ("Greek", "\u0370-\u03ff"),
    ("Thai", "\u0e00-\u0e7f"),
    ("Georgian", "\u10a0-\u10ff"),
    ("Armenian", "\u0530-\u058f"),
    ("Hangul", "\uac00-\ud7af"),
    ("Kana", "\u3040-\u30ff"),
    ("Han", "\u4e00-\u9fff\u3400-\u4dbf"),
)
_SCRIPT_PATTERNS = [(name, re.compile(f"[{ranges}]")) for name, ranges in _SCRIPT_RANGES]
# Letters by script, for rendering that must know which way a line runs.
LETTERS = dict(_SCRIPT_PATTERNS)
RIGHT_TO_LEFT = re.compile(
    "[" + "".join(ranges for name, ranges in _SCRIPT_RANGES if name in ("Arabic", "Hebrew")) + "]"
)


def _script_of(language: str) -> str:
    return _SCRIPTS.get(language, "Latin")


def dominant_script(text: str) -> str | None:
    """The script most of the text's letters are in (Japanese: any kana among Han characters)."""
    counts = {name: len(pattern.findall(text)) for name, pattern in _SCRIPT_PATTERNS}
    if counts["Kana"] and counts["Han"] + counts["Kana"] >= max(counts.values()):
        return "Kana"
    best = max(counts, key=lambda name: counts[name])
    return best if counts[best] else None
