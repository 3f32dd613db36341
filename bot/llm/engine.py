"""From a Document to the words a user reads: LLM when configured, extractive otherwise.

A document that fits the context budget (`LLM_CONTEXT_TOKENS`) is summarized in one streamed
request. A longer one is cut into even chunks on section/paragraph/sentence boundaries; the
chunks are turned into notes concurrently (at most `LLM_CONCURRENCY` at a time) and the notes
combined into the summary (map-reduce), which is the part that streams. The prompts are short,
so the input tokens of all requests stay within about 1.1x the document's own tokens. Past
`LLM_MAX_INPUT_TOKENS` only the first part of a document is read, and the summary says so.

Nothing partial is ever returned: a call that fails ends in an exception or, when the LLM is
absent or keeps failing, in an extractive summary marked as such.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from bot.content.document import Document
from bot.errors import LLMAuthError, LLMError, LLMRefusalError
from bot.llm.chunking import Chunk, split_tokens
from bot.llm.client import Completion, LLMClient, Message, TextCallback, Usage
from bot.llm.extractive import (
    looks_like_heading,
    split_sentences,
    summarize_extractive,
    truncate_at_word,
)
from bot.llm.prompts import (
    ANSWER_MAX_TOKENS,
    LENGTHS,
    NOTES_MAX_TOKENS,
    NOTES_MIN_TOKENS,
    answer_messages,
    combine_notes,
    notes_messages,
    output_language,
    reduce_messages,
    reply_tokens,
    summary_messages,
)
from bot.llm.retrieval import rank_passages, weighted_query
from bot.llm.streaming import TextStream
from bot.llm.tokens import TokenCounter
from bot.media.transcript import MARKER_RE
from bot.values import EXTRACTIVE_MODEL, Answer, Summary, SummaryOptions, SummaryProgress

log = logging.getLogger(__name__)

_R = TypeVar("_R")


NO_ANSWER = "The document doesn't seem to say anything about that."

DEFAULT_CONTEXT_TOKENS = 16_000
DEFAULT_MAX_INPUT_TOKENS = 300_000
DEFAULT_CONCURRENCY = 4
DEFAULT_HISTORY_TURNS = 6

# Chunks are cut a little under the budget: pieces are counted one by one, and the token count
# of joined text can differ by a token at each joint.
_CHUNK_MARGIN = 0.97
# Passages the Q&A ranking chooses among, in tokens.
_PASSAGE_TOKENS = 300
_PASSAGE_GAP = "\n[...]\n"
# Earlier turns may take at most this share of a Q&A request.
_HISTORY_SHARE = 0.25
# Above this many characters the CPU-bound steps run in a worker thread.
_THREAD_CHARS = 50_000
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’»)\]]*\s*$")


ProgressCallback = Callable[[SummaryProgress], Awaitable[None]]
_Result = TypeVar("_Result", Summary, Answer)


@dataclass(frozen=True)
class Plan:
    """How a document will be read: its chunks, and whether only its first part is."""

    chunks: list[Chunk]
    notes_tokens: int
    document_tokens: int
    read_tokens: int

    @property
    def truncated(self) -> bool:
        return self.read_tokens < self.document_tokens

    def note(self) -> str:
        if not self.truncated:
            return ""
        share = max(1, math.floor(100 * self.read_tokens / self.document_tokens))
        return (
            f"The document is too long to read in full: this summary covers its first {share}% "
            f"(about {self.read_tokens:,} of {self.document_tokens:,} tokens)."
        )


def extractive_summary(document: Document, options: SummaryOptions) -> Summary:
    """A summary made only of the document's own best-ranked sentences."""
    preset = LENGTHS[options.length]
    result = summarize_extractive(
        document.text,
        max_sentences=preset.extractive_sentences,
        max_chars=preset.target_chars,
        title=document.title,
    )
    if options.style == "bullets":
        body = "\n".join(f"- {sentence}" for sentence in result.sentences)
    else:
        body = " ".join(result.sentences)
    return Summary(text=body, extractive=True, model=EXTRACTIVE_MODEL)


def relevant_passages(
    document: Document,
    question: str,
    history: list[tuple[str, str]] | None = None,
    limit: int = 3,
) -> list[str]:
    """The document's sentences that best match the question (BM25), in document order; a
    long one (a text without sentence ends is one sentence) as a window around its first
    match, and a recording's with the time it was said."""
    sentences = split_sentences(document.text)
    query = _question_query(question, history or [])
    scores = rank_passages(sentences, query)
    best = sorted((i for i, score in enumerate(scores) if score > 0), key=lambda i: -scores[i])
    chosen = [sentences[i] for i in sorted(best[:limit])]
    passages = [_window(_under_heading(document.text, sentence), query) for sentence in chosen]
    if document.is_recording:
        passages = [
            _with_time(document.text, sentence, passage)
            for sentence, passage in zip(chosen, passages, strict=True)
        ]
    return passages


# A quoted passage's length at most: a whole page without a full stop was quoted entire.
PASSAGE_MAX_CHARS = 400
# A line this short without a sentence end is a heading ("Ingredients"): its words match the
# question, the answer is what follows it.
_HEADING_WORDS = 7


def _under_heading(text: str, sentence: str) -> str:
    """The sentence, or for a heading the heading with the paragraph or list under it
    ("Ingredients: 1 kg tomatoes; 2 onions; ..."), at most a passage long."""
    if not looks_like_heading(sentence, _HEADING_WORDS):
        return sentence
    at = text.find(sentence)
    if at < 0:
        return sentence
    block = text[at + len(sentence) :].lstrip().split("\n\n", 1)[0]
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    if not lines:
        return sentence
    heading = sentence.rstrip(" :：")
    return truncate_at_word(f"{heading}: {'; '.join(lines)}", PASSAGE_MAX_CHARS)


def _window(sentence: str, query: dict[str, float]) -> str:
    """At most `PASSAGE_MAX_CHARS` of a sentence, around the first of the question's words."""
    if len(sentence) <= PASSAGE_MAX_CHARS:
        return sentence
    lowered = sentence.lower()
    found = [at for term in query if term and (at := lowered.find(term)) >= 0]
    start = max(0, min(found, default=0) - PASSAGE_MAX_CHARS // 3)
    if start > 0:  # from the next word on
        start = sentence.find(" ", start) + 1 or start
    head = "…" if start > 0 else ""
    return head + truncate_at_word(sentence[start:], PASSAGE_MAX_CHARS - len(head))


def _with_time(text: str, sentence: str, passage: str) -> str:
    """A transcript's passage with the time of the paragraph it was said in ("[1:30] …")."""
    if MARKER_RE.match(passage):
        return passage
    at = text.find(sentence)
    markers = list(MARKER_RE.finditer(text, 0, at)) if at >= 0 else []
    return f"{markers[-1].group(0)} {passage}" if markers else passage


# How models decline in plain text (no refusal field, no content filter): the whole reply is
# a sentence or two of apology, not a summary.
_REFUSALS = re.compile(
    r"^\W*(?:i'?m sorry|i am sorry|sorry, (?:but )?i|i can(?:'|no)t (?:help|assist|comply|"
    r"provide|summari[sz]e)|i'?m (?:not able|unable) to|i am (?:not able|unable) to|as an ai\b|"
    r"извините|к сожалению, я не могу|я не могу (?:помочь|выполнить))",
    re.IGNORECASE,
)
_REFUSAL_MAX_CHARS = 300


def looks_like_refusal(text: str) -> bool:
    """A short reply that is only an apology or a refusal, in place of a summary."""
    reply = text.strip().replace("’", "'")
    return len(reply) <= _REFUSAL_MAX_CHARS and bool(_REFUSALS.match(reply))


def extractive_answer(
    document: Document, question: str, history: list[tuple[str, str]] | None = None
) -> Answer:
    """The offline answer: the most relevant passages, quoted."""
    passages = relevant_passages(document, question, history)
    if not passages:
        return Answer(NO_ANSWER, True)
    quoted = "\n".join(f"“{p}”" for p in passages)
    return Answer("Most relevant passages:\n" + quoted, True, passages=tuple(passages))


def _question_query(question: str, history: list[tuple[str, str]]) -> dict[str, float]:
    """The question's terms, with the last turn's as context for follow-ups ("and the second?")."""
    parts = [(question, 1.0)]
    if history:
        asked, answered = history[-1]
        parts += [(asked, 0.5), (answered, 0.3)]
    return weighted_query(*parts)


def _whole_lines(text: str) -> str:
    """Drop an unfinished last line or sentence (the answer hit its token limit)."""
    stripped = text.rstrip()
    if _SENTENCE_END.search(stripped):
        return stripped
    head, newline, _ = stripped.rpartition("\n")
    if newline and head.strip():
        return head.rstrip()
    sentences = split_sentences(stripped)
    if len(sentences) > 1:
        return stripped[: stripped.rfind(sentences[-1])].rstrip()
    return stripped


def _cut_at_boundary(text: str, limit_text: str) -> str:
    """`limit_text` (a prefix of `text`) shortened to its last paragraph or sentence end."""
    if len(limit_text) >= len(text):
        return text
    floor = int(len(limit_text) * 0.9)
    for pattern in ("\n\n", "\n", ". ", "。", " "):
        cut = limit_text.rfind(pattern)
        if cut >= floor:
            return limit_text[: cut + len(pattern)].rstrip()
    return limit_text.rstrip()


async def _in_thread(size: int, function: Callable[..., _R], *args: Any) -> _R:
    """Run CPU-bound work on big inputs off the event loop."""
    if size > _THREAD_CHARS:
        return await asyncio.to_thread(function, *args)
    return function(*args)


class Summarizer:
    """Summaries and answers; falls back to extraction when the LLM is absent or failing."""

    def __init__(
        self,
        llm: LLMClient | None,
        *,
        context_tokens: int = DEFAULT_CONTEXT_TOKENS,
        max_input_tokens: int = DEFAULT_MAX_INPUT_TOKENS,
        concurrency: int = DEFAULT_CONCURRENCY,
        history_turns: int = DEFAULT_HISTORY_TURNS,
    ) -> None:
        if context_tokens < 1000 or max_input_tokens < 1000 or concurrency < 1:
            raise ValueError("context_tokens and max_input_tokens >= 1000, concurrency >= 1")
        self._llm = llm
        self.context_tokens = context_tokens
        self.max_input_tokens = max_input_tokens
        self.concurrency = concurrency
        self.history_turns = max(0, history_turns)

    @property
    def model_identity(self) -> str:
        """Which engine writes summaries now: part of the cache key."""
        return self._llm.model if self._llm else EXTRACTIVE_MODEL

    # -- summaries -------------------------------------------------------------------------

    async def summarize(
        self,
        document: Document,
        options: SummaryOptions,
        on_text: TextCallback | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> Summary:
        """The summary of `document`; the final text streams through `on_text` as it comes.

        Raises LLMAuthError (refused key) and LLMRefusalError (the model declined); any other
        LLM failure gives an extractive summary instead.
        """
        return await self._llm_or_extractive(
            document,
            lambda llm, usage: self._summarize(llm, document, options, on_text, on_progress, usage),
            lambda: extractive_summary(document, options),
            "sending an extractive summary",
        )

    async def _llm_or_extractive(
        self,
        document: Document,
        write: Callable[[LLMClient, Usage], Awaitable[_Result]],
        extract: Callable[[], _Result],
        instead: str,
    ) -> _Result:
        """`write` with the LLM; without one, or when it fails, `extract` (off the loop if big).

        A refused key or a declined request is raised, not papered over. A fallback carries the
        tokens its failed tries cost.
        """
        if self._llm is None:
            return await _in_thread(len(document.text), extract)
        usage = Usage()
        try:
            return await write(self._llm, usage)
        except (LLMAuthError, LLMRefusalError):
            raise
        except LLMError as error:
            log.warning("LLM failed (%s); %s instead", error.detail, instead)
        result = await _in_thread(len(document.text), extract)
        return replace(
            result,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            requests=usage.requests,
        )

    def stream_summary(
        self,
        document: Document,
        options: SummaryOptions,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> TextStream[Summary]:
        """`summarize` as an async iterator of text pieces; `await stream.result()` at the end."""
        return TextStream(
            lambda push: self.summarize(document, options, push, on_progress=on_progress)
        )

    def plan(self, document: Document, options: SummaryOptions, counter: TokenCounter) -> Plan:
        """Cut `document` into the requests that will read it, within both token budgets."""
        text = document.text
        total = counter.count(text)
        single = counter.count_messages(self._summary_prompt(document, options, ""))
        if total + single <= min(self.context_tokens, self.max_input_tokens):
            return Plan([Chunk(text, total)], 0, total, total)
        if single + total > self.max_input_tokens and self.max_input_tokens <= self.context_tokens:
            # The cap is below one request's budget: one request with the text's first part.
            head = _cut_at_boundary(text, counter.head(text, self.max_input_tokens - single))
            read = counter.count(head)
            return Plan([Chunk(head, read)], 0, total, read)
        overhead = counter.count_messages(notes_messages(document, "", part=999, parts=999))
        chunk_limit = max(100, math.floor((self.context_tokens - overhead) * _CHUNK_MARGIN))
        notes_tokens = min(NOTES_MAX_TOKENS, max(NOTES_MIN_TOKENS, chunk_limit // 10))
        allowed = total
        for _ in range(8):
            body = text if allowed >= total else _cut_at_boundary(text, counter.head(text, allowed))
            chunks = split_tokens(body, chunk_limit, counter)
            read = total if allowed >= total else sum(chunk.tokens for chunk in chunks)
            cost = self._cost(chunks, overhead, notes_tokens, single)
            if cost <= self.max_input_tokens:
                return Plan(chunks, notes_tokens, total, read)
            # The cost grows about in proportion to the text read (each part carries its
            # prompt and its notes): shrink by the ratio, never by the whole excess, which
            # overshot to nothing for a document many times the cap.
            allowed = max(
                1, min(allowed - 1, math.floor(allowed * self.max_input_tokens / cost * 0.98))
            )
        raise LLMError(detail="could not fit the document under LLM_MAX_INPUT_TOKENS")

    def _cost(self, chunks: list[Chunk], overhead: int, notes_tokens: int, single: int) -> int:
        """An upper bound of the input tokens of every request a plan makes (map and reduce)."""
        cost = sum(chunk.tokens + overhead for chunk in chunks)
        items = len(chunks)
        per_note = notes_tokens + 8  # "Part N:" and spacing
        while items * per_note + single > self.context_tokens and items > 1:
            per_group = max(2, (self.context_tokens - single) // per_note)
            groups = math.ceil(items / per_group)
            cost += items * per_note + groups * single
            items = groups
        return cost + items * per_note + single

    def _summary_prompt(
        self, document: Document, options: SummaryOptions, text: str
    ) -> list[Message]:
        return summary_messages(
            document,
            length=options.length,
            style=options.style,
            language=options.language,
            text=text,
        )

    async def _summarize(
        self,
        llm: LLMClient,
        document: Document,
        options: SummaryOptions,
        on_text: TextCallback | None,
        on_progress: ProgressCallback | None,
        usage: Usage,
    ) -> Summary:
        counter = await llm.counter()
        plan = await _in_thread(len(document.text), self.plan, document, options, counter)
        preset = LENGTHS[options.length]
        if len(plan.chunks) == 1:
            messages = self._summary_prompt(document, options, plan.chunks[0].text)
            completion = await llm.complete(
                messages,
                max_tokens=reply_tokens(
                    preset.max_tokens, output_language(options.language, document)
                ),
                on_text=on_text,
                usage=usage,
            )
        else:
            completion = await self._map_reduce(
                llm, document, options, plan, counter, on_text, on_progress, usage
            )
        text = completion.text
        if completion.finish_reason == "length":
            log.info("LLM summary hit max_tokens; dropping its unfinished last line")
            text = _whole_lines(text)
        if looks_like_refusal(text):
            # Not a summary to show under the article's title, nor to cache for everyone.
            # Not the reply itself: it quotes the user's document.
            raise LLMRefusalError(detail=f"LLM declined in its reply ({len(text)} characters)")
        return Summary(
            text=text,
            extractive=False,
            model=completion.model,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            truncated=plan.truncated,
            requests=usage.requests,
            note=plan.note(),
        )

    async def _map_reduce(
        self,
        llm: LLMClient,
        document: Document,
        options: SummaryOptions,
        plan: Plan,
        counter: TokenCounter,
        on_text: TextCallback | None,
        on_progress: ProgressCallback | None,
        usage: Usage,
    ) -> Completion:
        parts = len(plan.chunks)
        log.info("long document: %d tokens in %d parts", plan.read_tokens, parts)
        requests = [
            notes_messages(document, chunk.text, part=k + 1, parts=parts)
            for k, chunk in enumerate(plan.chunks)
        ]
        notes = await self._gather_notes(llm, requests, plan.notes_tokens, on_progress, usage)
        if on_progress is not None:
            await on_progress(SummaryProgress("combining", parts, parts))
        while True:
            messages = reduce_messages(
                document,
                notes,
                length=options.length,
                style=options.style,
                language=options.language,
            )
            if len(notes) == 1 or counter.count_messages(messages) <= self.context_tokens:
                break
            notes = await self._combine_level(llm, document, notes, counter, plan, usage)
        preset = LENGTHS[options.length]
        language = output_language(options.language, document)
        return await llm.complete(
            messages,
            max_tokens=reply_tokens(preset.max_tokens, language),
            on_text=on_text,
            usage=usage,
        )

    async def _combine_level(
        self,
        llm: LLMClient,
        document: Document,
        notes: list[str],
        counter: TokenCounter,
        plan: Plan,
        usage: Usage,
    ) -> list[str]:
        """One level of a tree reduce: notes too many for one request, combined in groups."""
        overhead = counter.count_messages(notes_messages(document, "", part=999, parts=999))
        room = self.context_tokens - overhead
        groups: list[tuple[int, list[str]]] = []
        size = 0
        for k, note in enumerate(notes):
            tokens = counter.count(note) + 8
            # At least two notes a group, so that every level shrinks the list.
            if groups and (size + tokens <= room or len(groups[-1][1]) < 2):
                groups[-1][1].append(note)
                size += tokens
            else:
                groups.append((k + 1, [note]))
                size = tokens
        requests = [
            notes_messages(
                document, combine_notes(group, first), part=number + 1, parts=len(groups)
            )
            for number, (first, group) in enumerate(groups)
        ]
        return await self._gather_notes(llm, requests, plan.notes_tokens, None, usage)

    async def _gather_notes(
        self,
        llm: LLMClient,
        requests: list[list[Message]],
        max_tokens: int,
        on_progress: ProgressCallback | None,
        usage: Usage,
    ) -> list[str]:
        """Run note requests concurrently, at most `concurrency` at once; all or nothing."""
        gate = asyncio.Semaphore(self.concurrency)
        parts = len(requests)

        async def one(number: int, messages: list[Message]) -> str:
            async with gate:
                if on_progress is not None:
                    await on_progress(SummaryProgress("part", number, parts))
                completion = await llm.complete(messages, max_tokens=max_tokens, usage=usage)
                return completion.text

        tasks = [asyncio.create_task(one(k + 1, m)) for k, m in enumerate(requests)]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    # -- questions -------------------------------------------------------------------------

    async def answer(
        self,
        document: Document,
        question: str,
        history: list[tuple[str, str]] | None = None,
        on_text: TextCallback | None = None,
        summary: str = "",
    ) -> Answer:
        """Answer from the document (its best passages when long), with the thread's last turns.

        `history` is the thread's earlier (question, answer) pairs, oldest first; the last
        `history_turns` are sent. `summary` is the summary the reader replied to, for questions
        about its points. Raises LLMAuthError and LLMRefusalError; other LLM failures give the
        most relevant passages instead.
        """
        turns = list(history or [])[-self.history_turns :] if self.history_turns else []
        return await self._llm_or_extractive(
            document,
            lambda llm, usage: self._answer(
                llm, document, question, turns, summary, on_text, usage
            ),
            lambda: extractive_answer(document, question, turns),
            "answering with passages",
        )

    def stream_answer(
        self,
        document: Document,
        question: str,
        history: list[tuple[str, str]] | None = None,
        summary: str = "",
    ) -> TextStream[Answer]:
        """`answer` as an async iterator of text pieces; `await stream.result()` at the end."""
        return TextStream(lambda push: self.answer(document, question, history, push, summary))

    async def _answer(
        self,
        llm: LLMClient,
        document: Document,
        question: str,
        history: list[tuple[str, str]],
        summary: str,
        on_text: TextCallback | None,
        usage: Usage,
    ) -> Answer:
        counter = await llm.counter()
        messages = await _in_thread(
            len(document.text), self.answer_prompt, document, question, history, counter, summary
        )
        completion = await llm.complete(
            messages, max_tokens=ANSWER_MAX_TOKENS, on_text=on_text, usage=usage
        )
        text = completion.text
        if completion.finish_reason == "length":
            text = _whole_lines(text)
        return Answer(
            text,
            False,
            model=completion.model,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            requests=usage.requests,
        )

    @staticmethod
    def _recent_turns(
        history: list[tuple[str, str]], budget: int, counter: TokenCounter
    ) -> list[tuple[str, str]]:
        """The newest turns that together fit a quarter of the request budget."""
        allowance = budget * _HISTORY_SHARE
        kept: list[tuple[str, str]] = []
        used = 0
        for asked, answered in reversed(history):
            used += counter.count_messages([{"content": asked}, {"content": answered}])
            if used > allowance:
                break
            kept.insert(0, (asked, answered))
        return kept

    def answer_prompt(
        self,
        document: Document,
        question: str,
        history: list[tuple[str, str]],
        counter: TokenCounter,
        summary: str = "",
    ) -> list[Message]:
        """The Q&A request: the whole text if it fits the budget, else its best passages (those
        closest to the summary when none shares a word with the question)."""
        budget = min(self.context_tokens, self.max_input_tokens)
        turns = self._recent_turns(history, budget, counter)
        if counter.count(summary) > budget * _HISTORY_SHARE:
            summary = ""
        frame = answer_messages(document, "", question, turns, passages=True, summary=summary)
        room = budget - counter.count_messages(frame)
        total = counter.count(document.text)
        if total <= room:
            return answer_messages(
                document, document.text, question, turns, passages=False, summary=summary
            )
        passages = split_tokens(document.text, _PASSAGE_TOKENS, counter)
        texts = [p.text for p in passages]
        scores = rank_passages(texts, _question_query(question, turns))
        matched = any(score > 0 for score in scores)
        if not matched and summary:
            scores = rank_passages(texts, weighted_query((summary, 1.0)))
        order = sorted(range(len(passages)), key=lambda i: (-scores[i], i))
        gap = counter.count(_PASSAGE_GAP)
        chosen: list[int] = []
        used = 0
        for index in order:
            cost = passages[index].tokens + gap
            if used + cost <= room:
                chosen.append(index)
                used += cost
        chosen.sort()
        text = ""
        for position, index in enumerate(chosen):
            if position:
                text += "\n\n" if chosen[position - 1] == index - 1 else _PASSAGE_GAP
            text += passages[index].text
        return answer_messages(
            document, text, question, turns, passages=True, matched=matched, summary=summary
        )
