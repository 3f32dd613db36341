"""Every Redis key shape Skim writes, in one place.

Untrusted parts (URLs, user text) are hashed so they can't inject separators or grow keys.
"""

from __future__ import annotations

import hashlib

SCHEMA_VERSION = "v1"


def digest(*parts: str) -> str:
    """A fixed-length, separator-free identity for untrusted or composite parts."""
    joined = "\x1f".join(parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:40]


class Keys:
    """Builds keys under `{prefix}v1:`."""

    def __init__(self, prefix: str) -> None:
        if any(ch.isspace() for ch in prefix):
            raise ValueError("the Redis key prefix may not contain white space")
        self.root = f"{prefix}{SCHEMA_VERSION}:"

    def document_by_url(self, normalized_url: str) -> str:
        return f"{self.root}doc:url:{digest(normalized_url)}"

    def summary(
        self,
        content_hash: str,
        *,
        model: str,
        prompt_version: str,
        length: str,
        style: str,
        language: str,
    ) -> str:
        identity = digest(content_hash, model, prompt_version, length, style, language)
        return f"{self.root}sum:{identity}"

    def failed_fetch(self, normalized_url: str) -> str:
        return f"{self.root}fail:url:{digest(normalized_url)}"
