"""The language of a page: what it declares, unless its text clearly is in another one."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from bot.content.words import count_words

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
    """The declared language unless the text clearly is in another one."""
    detected, probability = detect_language(text)
    if declared is None:
        return detected
    if (
        detected
        and detected != declared
        and probability >= _OVERRULE_PROBABILITY
        and count_words(text) >= _OVERRULE_MIN_WORDS
    ):
        return detected
    return declared
