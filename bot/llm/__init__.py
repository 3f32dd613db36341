"""Writing: the LLM client, prompts, long-document chunking, Q&A, and the extractive fallback."""

from bot.llm.client import (
    Completion,
    LLMClient,
    LLMConfigError,
    LLMEmptyError,
    LLMRefusalError,
    LLMStreamError,
    LLMTimeoutError,
    TextCallback,
    Usage,
)
from bot.llm.engine import (
    EXTRACTIVE_MODEL,
    Answer,
    ProgressCallback,
    Summarizer,
    Summary,
    SummaryOptions,
    SummaryProgress,
    extractive_summary,
)
from bot.llm.streaming import TextStream

__all__ = [
    "EXTRACTIVE_MODEL",
    "Answer",
    "Completion",
    "LLMClient",
    "LLMConfigError",
    "LLMEmptyError",
    "LLMRefusalError",
    "LLMStreamError",
    "LLMTimeoutError",
    "ProgressCallback",
    "Summarizer",
    "Summary",
    "SummaryOptions",
    "SummaryProgress",
    "TextCallback",
    "TextStream",
    "Usage",
    "extractive_summary",
]
