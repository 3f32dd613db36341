"""Writing: the LLM client, prompts, and the offline extractive fallback."""

from bot.llm.client import Completion, LLMClient
from bot.llm.engine import EXTRACTIVE_NOTE, Answer, Summarizer, Summary, SummaryOptions

__all__ = [
    "EXTRACTIVE_NOTE",
    "Answer",
    "Completion",
    "LLMClient",
    "Summarizer",
    "Summary",
    "SummaryOptions",
]
