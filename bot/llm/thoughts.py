"""A reasoning model's thinking, kept out of the answer a reader sees.

Open reasoning models served behind an OpenAI-compatible endpoint (DeepSeek-R1 and its distills,
Qwen3, QwQ on Ollama, LM Studio, llama.cpp, or vLLM without a reasoning parser) write their
thinking into the answer itself, as ``<think>…</think>`` before it. Servers that separate it
(``reasoning_content``) need nothing here. Some chat templates open the block in the prompt, so
the answer holds only its closing tag: everything before that tag is thinking too.
"""

from __future__ import annotations

import re

_OPENING = ("<think>", "<thinking>", "<reasoning>")
_ANY_CLOSING = re.compile(r"</(?:think|thinking|reasoning)>", re.IGNORECASE)
# Without an opening tag, a closing one ends its line (models write the answer after a blank
# line): one inside a sentence ("between <think> and </think>") is an answer quoting it.
_CLOSING_LINE = re.compile(r"</(?:think|thinking|reasoning)>(?=[ \t]*(?:\n|$))", re.IGNORECASE)
_LONGEST_CLOSING = len("</reasoning>")


class ThoughtFilter:
    """Fed the streamed pieces of an answer, returns what a reader may see of each.

    A piece that might begin an opening tag is held back until it is clear; the thinking after
    an opening tag is held back until its closing tag, and the answer goes on from there.
    """

    def __init__(self) -> None:
        self._held = ""
        self._state = "start"  # "start" → "thinking" → "answer", or "start" → "answer"
        self._thought = False

    def feed(self, piece: str) -> str:
        """The part of ``piece`` (with anything held back before it) a reader may see now."""
        if self._state == "answer":
            return piece
        self._held += piece
        if self._state == "start":
            opening = self._held.lstrip().lower()
            tag = next((tag for tag in _OPENING if opening.startswith(tag)), None)
            if tag is None:
                if any(candidate.startswith(opening) for candidate in _OPENING):
                    return ""  # "<thi" so far: wait for the rest
                self._state = "answer"
                shown, self._held = self._held, ""
                return shown
            self._state = "thinking"
        return self._after_thinking()

    def _after_thinking(self) -> str:
        closing = _ANY_CLOSING.search(self._held)
        if closing is None:
            # Keep only what may still hold the start of the closing tag.
            self._held = self._held[-(_LONGEST_CLOSING - 1) :]
            return ""
        self._state, self._thought = "answer", True
        shown, self._held = self._held[closing.end() :].lstrip(), ""
        return shown

    @property
    def thinking(self) -> bool:
        """Whether the answer so far opened a thinking block."""
        return self._state == "thinking" or self._thought

    def close(self) -> str:
        """What was held back when the answer ended: a would-be tag that never came to be."""
        shown = self._held if self._state == "start" else ""
        self._held = ""
        return shown


def without_thoughts(text: str) -> str:
    """A whole answer without the thinking before it: an opening block, or all that precedes
    a closing tag the template opened in the prompt."""
    before = text.lstrip().lower()
    if before.startswith(_OPENING):
        closing = _ANY_CLOSING.search(text)
        return text[closing.end() :].lstrip() if closing else ""
    closing = _CLOSING_LINE.search(text)
    if closing is None or any(tag in text[: closing.start()].lower() for tag in _OPENING):
        return text
    return text[closing.end() :].lstrip()
