"""The LLM engine through the command line, as a real process against the OpenAI fake."""

from __future__ import annotations

import re

from tests.conftest import run_cli
from tests.fakes.openai_api import FakeOpenAI, message_text

FENCE = re.compile(r"<<<(DOCUMENT-[0-9a-f]{16})>>>\n(.*)\n<<<END-\1>>>", re.DOTALL)
ARTICLE = (
    "The tide mill at Brackwater turned again on 14 March 2026, after 60 years of silence. "
    "The Halloran family spent 1.2 million euros restoring the wheel.\n\n"
    "“We grind 400 kg of flour a day,” said Maeve Halloran. The mill opens to visitors in May. "
    "Engineers replaced the sluice gates and rebuilt the race with local stone."
)
REPLY = (
    "Мельница снова работает\nTL;DR: Мельницу восстановили.\n\n"
    "Семья Халлоран потратила 1,2 млн евро."
)


def env(llm_api: FakeOpenAI, **extra: str) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": llm_api.api_key,
        "OPENAI_BASE_URL": llm_api.url,
        "LLM_MODEL": "gpt-4o-mini",
        **extra,
    }


async def test_summarize_sends_fenced_article_language_and_max_tokens(
    llm_api: FakeOpenAI,
) -> None:
    llm_api.script(REPLY)
    code, out, err = await run_cli(
        "summarize",
        "-",
        "--length",
        "short",
        "--style",
        "paragraph",
        "--lang",
        "ru",
        env=env(llm_api),
        stdin=ARTICLE.encode(),
    )
    assert code == 0, err
    [request] = llm_api.requests
    assert request.max_tokens == 300
    system = message_text(request.messages[0])
    assert "Russian" in system
    assert "one short paragraph" in system
    match = FENCE.fullmatch(message_text(request.messages[1]))
    assert match is not None
    assert "Halloran" in match.group(2)
    assert "Семья Халлоран потратила 1,2 млн евро." in out


async def test_500_everywhere_prints_a_marked_extractive_summary(llm_api: FakeOpenAI) -> None:
    llm_api.fail_always(500)
    code, out, err = await run_cli("summarize", "-", env=env(llm_api), stdin=ARTICLE.encode())
    assert code == 1, err  # the LLM is down: the work failed, its fallback printed
    assert "[extractive summary (no LLM)]" in out
    assert len(llm_api.requests) == 3
