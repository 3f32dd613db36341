"""Questions about a document: grounded in its text (or its BM25-best passages when long), with
the thread's last turns for follow-ups, and passages quoted when the LLM is absent or down."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from bot.content.document import Document
from bot.errors import LLMAuthError
from bot.llm.engine import NO_ANSWER, Summarizer, extractive_answer, relevant_passages
from bot.llm.prompts import ANSWER_MAX_TOKENS
from bot.llm.retrieval import BM25, rank_passages, weighted_query
from bot.llm.tokens import load_counter
from tests.conftest import MakeClient
from tests.fakes.openai_api import FakeOpenAI, count_tokens, message_text

FENCE = re.compile(r"<<<(DOCUMENT-[0-9a-f]{16})>>>\n(.*)\n<<<END-\1>>>", re.DOTALL)
ARTICLE = (
    "The tide mill at Brackwater turned again on 14 March 2026.\n\n"
    "Three things changed. First, the Halloran family replaced the oak wheel. "
    "Second, engineers rebuilt the sluice gates with Cornish granite. "
    "Third, the council paid for a visitor centre.\n\n"
    "The mill grinds 400 kg of flour a day."
)
FILLER = str.split(
    "meadow lantern orchard pebble harbour violin saddle thimble compass kettle "
    "chimney blanket ribbon parsley walnut cobble ferry hazel"
)
NEEDLE = (
    "The lighthouse keeper Ada Quillfeather logged 37 shipwrecks between 1881 and 1902, "
    "and her logbook is kept in the Tremorrow archive."
)

MakeSummarizer = Callable[..., Summarizer]


def doc(text: str = ARTICLE) -> Document:
    return Document(text=text, source_kind="text", title="Tide mill")


def filler(paragraphs: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(
            " ".join(rng.choice(FILLER) for _ in range(14)).capitalize() + "." for _ in range(4)
        )
        for _ in range(paragraphs)
    ]


def long_document_with_needle() -> tuple[str, list[str]]:
    paragraphs = filler(300)
    paragraphs.insert(150, NEEDLE)
    return "\n\n".join(paragraphs), paragraphs


@pytest.fixture
def make(make_client: MakeClient) -> MakeSummarizer:
    """Summarizers on the fake, each with its own test-sized client."""

    def build(**options: int) -> Summarizer:
        return Summarizer(make_client(), **options)

    return build


async def test_answer_is_grounded_in_the_whole_document(
    llm_api: FakeOpenAI, make: MakeSummarizer
) -> None:
    llm_api.script("It grinds “400 kg of flour a day”.")
    answer = await make().answer(doc(), "How much flour does it grind?")
    assert answer.text == "It grinds “400 kg of flour a day”."
    assert not answer.extractive
    assert answer.model == "gpt-4o-mini"
    assert answer.requests == 1
    [request] = llm_api.requests
    assert request.max_tokens == ANSWER_MAX_TOKENS
    system, document, question = request.messages
    match = FENCE.fullmatch(message_text(document))
    assert match is not None
    assert ARTICLE in match.group(2)
    assert f"<<<{match.group(1)}>>>" in message_text(system)
    assert "doesn't say" in message_text(system)
    assert message_text(question) == "How much flour does it grind?"
    assert answer.prompt_tokens == sum(count_tokens(message_text(m)) for m in request.messages)
    assert answer.completion_tokens == count_tokens(answer.text)


async def test_a_server_whose_roles_must_alternate_still_answers_follow_ups(
    llm_api: FakeOpenAI, make: MakeSummarizer
) -> None:
    """The document and the question are two user messages: a strict chat template refuses
    them until they are joined (bot/llm/dialect.py)."""
    llm_api.alternating_roles = True
    llm_api.script("It grinds “400 kg of flour a day”.")
    history = [("When did it turn again?", "On 14 March 2026.")]
    answer = await make().answer(doc(), "How much flour does it grind?", history)
    assert not answer.extractive
    refused, taken = llm_api.requests
    assert refused.status == 400
    assert [m["role"] for m in taken.messages] == ["system", "user", "assistant", "user"]
    assert message_text(taken.messages[1]).endswith("\n\nWhen did it turn again?")


async def test_history_is_sent_for_follow_ups(llm_api: FakeOpenAI, make: MakeSummarizer) -> None:
    history = [
        ("When did it turn again?", "On 14 March 2026."),
        ("What changed?", "1. A new oak wheel. 2. Granite sluice gates. 3. A visitor centre."),
    ]
    llm_api.script("The sluice gates were rebuilt with “Cornish granite”.")
    answer = await make().answer(doc(), "and what about the second point?", history)
    assert "granite" in answer.text
    messages = llm_api.requests[0].messages
    assert [m["role"] for m in messages] == [
        "system",
        "user",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert [message_text(m) for m in messages[2:]] == [
        history[0][0],
        history[0][1],
        history[1][0],
        history[1][1],
        "and what about the second point?",
    ]


async def test_only_the_last_turns_are_sent(llm_api: FakeOpenAI, make: MakeSummarizer) -> None:
    history = [(f"question {k}", f"answer {k}") for k in range(10)]
    await make(history_turns=3).answer(doc(), "last one?", history)
    texts = [message_text(m) for m in llm_api.requests[0].messages[2:]]
    assert texts == [
        "question 7",
        "answer 7",
        "question 8",
        "answer 8",
        "question 9",
        "answer 9",
        "last one?",
    ]


async def test_history_can_be_switched_off(llm_api: FakeOpenAI, make: MakeSummarizer) -> None:
    await make(history_turns=0).answer(doc(), "q?", [("a", "b")])
    assert len(llm_api.requests[0].messages) == 3


async def test_long_document_sends_the_bm25_best_passages(
    llm_api: FakeOpenAI, make: MakeSummarizer
) -> None:
    text, paragraphs = long_document_with_needle()
    summarizer = make(context_tokens=3000)
    await summarizer.answer(doc(text), "How many shipwrecks did the lighthouse keeper log?")
    [request] = llm_api.requests
    counter = load_counter()
    assert counter.count_messages(request.messages) <= 3000
    match = FENCE.fullmatch(message_text(request.messages[1]))
    assert match is not None
    sent = match.group(2)
    assert NEEDLE in sent
    assert "[...]" in sent
    assert "most relevant to the question" in message_text(request.messages[0])
    assert sum(paragraph in sent for paragraph in paragraphs) < len(paragraphs) / 3


async def test_follow_up_on_a_long_document_finds_the_passage_through_history(
    llm_api: FakeOpenAI, make: MakeSummarizer
) -> None:
    text, _ = long_document_with_needle()
    history = [("Who kept the lighthouse?", "Ada Quillfeather kept its logbook.")]
    await make(context_tokens=2000).answer(doc(text), "and what did she record?", history)
    sent = FENCE.fullmatch(message_text(llm_api.requests[0].messages[1]))
    assert sent is not None
    assert NEEDLE in sent.group(2)


async def test_answer_streams(llm_api: FakeOpenAI, make: MakeSummarizer) -> None:
    llm_api.script("It grinds 400 kg a day, the article says.")
    async with make().stream_answer(doc(), "How much flour?") as stream:
        pieces = [piece async for piece in stream]
        answer = await stream.result()
    assert len(pieces) > 3
    assert "".join(pieces) == answer.text


async def test_llm_down_quotes_passages(llm_api: FakeOpenAI, make: MakeSummarizer) -> None:
    llm_api.fail_always(503)
    answer = await make().answer(doc(), "How much flour does the mill grind?")
    assert answer.extractive
    assert answer.requests == 3
    assert "“The mill grinds 400 kg of flour a day.”" in answer.text


async def test_refused_key_raises(llm_api: FakeOpenAI, make: MakeSummarizer) -> None:
    llm_api.fail_always(401)
    with pytest.raises(LLMAuthError):
        await make().answer(doc(), "How much flour?")


async def test_without_llm_passages_are_quoted() -> None:
    answer = await Summarizer(None).answer(doc(), "Which stone did the engineers use?")
    assert answer.extractive
    assert answer.text.startswith("Most relevant passages:")
    assert "Cornish granite" in answer.text


async def test_without_llm_says_plainly_when_nothing_matches() -> None:
    answer = await Summarizer(None).answer(doc(), "Who won the football match?")
    assert answer.text == NO_ANSWER


def test_offline_follow_up_uses_the_previous_turn() -> None:
    history = [("What did the engineers rebuild?", "The sluice gates.")]
    passages = relevant_passages(doc(), "and with what?", history, limit=1)
    assert passages == ["Second, engineers rebuilt the sluice gates with Cornish granite."]
    assert extractive_answer(doc(), "Who paid for the visitor centre?").text.count("“") >= 1


def test_bm25_prefers_rare_matching_terms() -> None:
    passages = [
        "the mill and the river and the mill",
        "granite from Cornwall for the sluice",
        "the river flows past the village",
    ]
    scores = rank_passages(passages, weighted_query(("granite sluice river", 1.0)))
    assert scores.index(max(scores)) == 1
    assert BM25([]).scores({"x": 1.0}) == []
    assert rank_passages(passages, {}) == [0.0, 0.0, 0.0]


def test_an_offline_answer_quotes_a_window_not_a_whole_page_without_full_stops() -> None:
    """A text without sentence ends is one sentence: a 20,000-word page went out as 38
    messages."""
    words = "the council discussed the harbour and the market and the old mill " * 2000
    text = words + "the museum budget rose to four million " + words
    document = Document(text=text, source_kind="text", title="Minutes")
    [passage] = relevant_passages(document, "What happened to the museum budget?")
    assert len(passage) <= 402
    assert "museum budget rose to four million" in passage
    assert passage.startswith("…")
    assert passage.endswith("…")


def test_an_offline_answer_about_a_recording_says_when_it_was_said() -> None:
    text = (
        "[0:00] The bridge opened in 1890. It carried trams.\n\n"
        "[0:30] The engineer was Thomas Grey. He also built the pier.\n\n"
        "[1:00] The bridge closed in 1990."
    )
    document = Document(text=text, source_kind="youtube", title="The bridge", duration=90.0)
    passages = relevant_passages(document, "Who built the pier?", limit=1)
    assert passages == ["[0:30] He also built the pier."], "the paragraph's second sentence"


async def test_a_question_no_passage_matches_is_not_told_the_opening_is_most_relevant(
    llm_api: FakeOpenAI, make: MakeSummarizer
) -> None:
    """A Russian question about an English article shares no word with it: the opening went
    out as "the passages most relevant to the question", and a faithful model answered that
    the document doesn't say."""
    text, _ = long_document_with_needle()
    await make(context_tokens=3000).answer(doc(text), "Сколько кораблекрушений записала она?")
    system = message_text(llm_api.requests[0].messages[0])
    assert "most relevant to the question" not in system
    assert "none of its passages shares words with the question" in system
    assert "could read only part of the document" in system


async def test_a_question_about_the_summary_gets_the_passages_it_drew_on(
    llm_api: FakeOpenAI, make: MakeSummarizer
) -> None:
    """ "Tell me more about the second point" shares no word with a long document: the passages
    closest to the summary the reader replied to go out, with that summary as our first reply,
    instead of the document's opening."""
    text, _ = long_document_with_needle()
    summary = (
        "Keeper's log\nTL;DR: A keeper logged wrecks.\n\n- Ada Quillfeather logged 37 shipwrecks"
    )
    summarizer = make(context_tokens=3000)
    await summarizer.answer(doc(text), "Say more on point one?")
    await summarizer.answer(doc(text), "Say more on point one?", summary=summary)
    without, request = llm_api.requests
    unaided = FENCE.fullmatch(message_text(without.messages[1]))
    assert unaided is not None
    assert NEEDLE not in unaided.group(2), "without the summary: the opening"
    system = message_text(request.messages[0])
    assert "closest to your summary" in system
    assert "summary of the document the reader saw" in system
    sent = FENCE.fullmatch(message_text(request.messages[1]))
    assert sent is not None
    assert NEEDLE in sent.group(2)
    assert (request.messages[2]["role"], message_text(request.messages[2])) == (
        "assistant",
        summary,
    )


async def test_a_question_that_matches_the_document_is_ranked_on_its_own_words(
    llm_api: FakeOpenAI, make: MakeSummarizer
) -> None:
    """The summary only helps a question that shares no word with the document."""
    text, _ = long_document_with_needle()
    summary = "Meadows\nTL;DR: Meadows and lanterns.\n\n- Meadow lantern orchard"
    await make(context_tokens=3000).answer(
        doc(text), "How many shipwrecks did the lighthouse keeper log?", summary=summary
    )
    [request] = llm_api.requests
    assert "most relevant to the question" in message_text(request.messages[0])
    sent = FENCE.fullmatch(message_text(request.messages[1]))
    assert sent is not None
    assert NEEDLE in sent.group(2)


async def test_a_summary_too_big_for_the_budget_is_left_out(
    llm_api: FakeOpenAI, make: MakeSummarizer
) -> None:
    summary = " ".join(FILLER * 60)
    await make(context_tokens=2000).answer(doc(), "Who paid?", summary=summary)
    [request] = llm_api.requests
    assert [m["role"] for m in request.messages] == ["system", "user", "user"]


def test_an_offline_answer_under_a_heading_quotes_what_the_heading_stands_over() -> None:
    """ "What ingredients do I need?" was answered with “Ingredients”, the list never quoted."""
    text = (
        "Tomato soup\n\nA warming soup for cold evenings, ready in forty minutes.\n\n"
        "Ingredients\n\n1 kg ripe tomatoes\n2 onions\n3 cloves of garlic\n\n"
        "Method\n\nRoast the tomatoes for twenty minutes. Blend them with the onions."
    )
    [passage] = relevant_passages(doc(text), "What ingredients do I need?", limit=1)
    assert passage == "Ingredients: 1 kg ripe tomatoes; 2 onions; 3 cloves of garlic"
