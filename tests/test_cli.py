"""The command line, run as a real process against the web and LLM fakes."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
from collections.abc import Awaitable
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.web import FakeWeb, read_fixture
from tests.helpers.processes import LOOPBACK_FAKES

ROOT = Path(__file__).resolve().parent.parent
ARTICLE_WORDS = ("Brackwater", "Halloran", "quernstone")
BOILERPLATE = ("menuwombat", "cookiegiraffe", "footerlynx", "commentpelican", "relatedotter")


def llm_env(llm_api: FakeOpenAI, **extra: str) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": llm_api.api_key,
        "OPENAI_BASE_URL": llm_api.url,
        "LLM_MODEL": "fake-model",
        **LOOPBACK_FAKES,
        **extra,
    }


@pytest.mark.parametrize("command", [[], ["run"], ["summarize"], ["ask"], ["extract"], ["check"]])
async def test_help_on_every_command(command: list[str]) -> None:
    code, out, _ = await run_cli(*command, "--help")
    assert code == 0
    assert "usage: skim" in out


async def test_extract_local_html_file(tmp_path: object) -> None:
    with open("page.html", "wb") as page:
        page.write(read_fixture("article_en.html"))
    code, out, err = await run_cli("extract", "page.html")
    assert code == 0, err
    title, blank, *body = out.splitlines()
    assert "tide mill" in title
    assert blank == ""
    text = "\n".join(body)
    assert all(word in text for word in ARTICLE_WORDS)
    assert not any(word in text for word in BOILERPLATE)


async def test_summarize_without_key_is_extractive_from_page_sentences() -> None:
    with open("page.html", "wb") as page:
        page.write(read_fixture("article_en.html"))
    code, out, err = await run_cli("summarize", "page.html")
    assert code == 0, err
    assert "[extractive summary (no LLM)]" in out
    _, extract_out, _ = await run_cli("extract", "page.html")
    bullets = [line[2:] for line in out.splitlines() if line.startswith("• ")]
    assert len(bullets) >= 3
    flat = re.sub(r"\s+", " ", extract_out)
    assert all(sentence in flat for sentence in bullets)


@pytest.mark.parametrize("command", [("summarize",), ("ask", "Who restored the mill?")])
async def test_a_terminal_that_cannot_show_bullets_gets_them_replaced(
    command: tuple[str, ...],
) -> None:
    """`LC_ALL=C` without UTF-8 mode, or a Latin-1 PYTHONIOENCODING: "•" and curly quotes ended
    `skim summarize` and `skim ask` with a UnicodeEncodeError traceback."""
    with open("page.html", "wb") as page:
        page.write(read_fixture("article_en.html"))
    code, out, err = await run_cli(
        command[0], "page.html", *command[1:], env={"PYTHONIOENCODING": "ascii"}
    )
    assert code == 0, err
    assert "Traceback" not in err
    assert "?" in out
    assert "•" not in out
    assert "“" not in out


async def test_summarize_url_sends_the_article_body_to_the_llm(
    web: FakeWeb, llm_api: FakeOpenAI
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script("Tide mill restored\nTL;DR: A mill turns again.\n\n- The Halloran family did it")
    code, out, err = await run_cli("summarize", web.url("/story"), env=llm_env(llm_api))
    assert code == 0, err
    assert len(llm_api.requests) == 1
    sent = llm_api.requests[0].user_text
    assert all(word in sent for word in ARTICLE_WORDS)
    assert not any(word in sent for word in BOILERPLATE)
    assert "Tide mill restored" in out
    assert "The Halloran family did it" in out


async def test_summarize_from_stdin(llm_api: FakeOpenAI) -> None:
    text = read_fixture("notes.txt")
    code, out, err = await run_cli("summarize", "-", env=llm_env(llm_api), stdin=text)
    assert code == 0, err
    assert "Summary:" in out  # the fake's computed reply reached the output
    assert len(llm_api.requests) == 1


async def test_ask_sends_document_and_question(web: FakeWeb, llm_api: FakeOpenAI) -> None:
    web.route("/story", read_fixture("article_en.html"))
    llm_api.script("It was built in 1790.")
    code, out, err = await run_cli(
        "ask", web.url("/story"), "When was the mill built?", env=llm_env(llm_api)
    )
    assert code == 0, err
    assert out.strip() == "It was built in 1790."
    request_text = llm_api.requests[0].user_text
    assert "When was the mill built?" in request_text
    assert "Brackwater" in request_text


async def test_unreachable_page_exits_1_with_one_line(web: FakeWeb) -> None:
    web.route("/gone", "missing", status=404)
    code, out, err = await run_cli("summarize", web.url("/gone"), env=LOOPBACK_FAKES)
    assert code == 1
    assert out == ""
    assert err.strip().count("\n") == 0
    assert "doesn't exist" in err


async def test_private_address_refused_by_default(web: FakeWeb) -> None:
    web.route("/inside", "<p>secret</p>")
    code, _, err = await run_cli("extract", web.url("/inside"))
    assert code == 1
    assert "private or local" in err
    assert web.hits("/inside") == 0


async def test_a_directory_to_summarize_is_a_clear_failure(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>a page</p>")
    code, _, err = await run_cli("summarize", str(tmp_path))
    assert (code, err) == (1, f"skim: {tmp_path} is a folder: name one file in it.\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = await run_cli("ask", str(empty), "Why?")
    assert (code, err) == (1, f"skim: {empty} is a folder with no files to read in it.\n")


async def test_missing_file_is_a_clear_failure() -> None:
    code, _, err = await run_cli("extract", "no-such-file.html")
    assert code == 1
    assert "neither a file nor an http(s) link" in err
    assert "Traceback" not in err


async def test_llm_down_prints_the_fallback_and_exits_1(web: FakeWeb, llm_api: FakeOpenAI) -> None:
    """What the bot would send, but the model the operator set up failed: exit 1 with a line
    saying so (it exited 0 in silence: down, a wrong model, an HTML endpoint)."""
    web.route("/story", read_fixture("article_en.html"))
    llm_api.fail_always(500)
    env = llm_env(llm_api, LLM_MAX_RETRIES="2")
    code, out, err = await run_cli("summarize", web.url("/story"), env=env)
    assert code == 1, err
    assert "[extractive summary (no LLM)]" in out
    assert len(llm_api.requests) == 2
    assert "did not answer" in err
    assert "the summary above is the built-in extractive one" in err
    code, out, err = await run_cli("ask", web.url("/story"), "Who restored it?", env=env)
    assert code == 1, err
    assert "the answer above is the built-in extractive one" in err


async def test_without_an_llm_the_extractive_summary_is_the_work_done() -> None:
    with open("page.html", "wb") as page:
        page.write(read_fixture("article_en.html"))
    code, _, err = await run_cli("summarize", "page.html")
    assert code == 0, err
    assert "did not answer" not in err


async def test_refused_key_is_reported(web: FakeWeb, llm_api: FakeOpenAI) -> None:
    web.route("/story", read_fixture("article_en.html"))
    env = llm_env(llm_api, OPENAI_API_KEY="sk-wrong")
    code, _, err = await run_cli("summarize", web.url("/story"), env=env)
    assert code == 1
    assert "the LLM endpoint refused OPENAI_API_KEY: check the key" in err
    assert "operator has been told" not in err, "the operator is the one reading"


async def test_operators_are_told_which_setting_reads_a_local_address(web: FakeWeb) -> None:
    web.route("/story", read_fixture("article_en.html"))
    code, _, err = await run_cli("extract", web.url("/story"))
    assert code == 1
    assert "private or local address" in err
    assert "FETCH_ALLOW_PRIVATE_NETWORKS=true lets Skim read such addresses" in err


async def test_a_language_without_an_llm_is_said_to_need_one() -> None:
    with open("page.html", "wb") as page:
        page.write(read_fixture("article_en.html"))
    code, _, err = await run_cli("summarize", "--lang", "ru", "page.html")
    assert code == 0, err
    assert "--lang ru needs an LLM (OPENAI_API_KEY)" in err


async def test_run_without_token_explains_botfather() -> None:
    code, _, err = await run_cli("run")
    assert code == 2
    assert "@BotFather" in err


async def test_check_reports_each_dependency(llm_api: FakeOpenAI, redis_url: str) -> None:
    code, out, err = await run_cli("check", env={**llm_env(llm_api), "REDIS_URL": redis_url})
    assert code == 1  # no TELEGRAM_BOT_TOKEN
    assert "telegram" in err
    assert re.search(r"redis\s+ok", out)
    assert re.search(r"llm\s+ok", out)
    assert re.search(r"speech\s+ok\s+whisper-1 answers", out)


async def test_misspelled_settings_are_named_with_the_setting_meant() -> None:
    """`OPENAI_APIKEY` in .env was ignored in silence and `skim check` said "settings ok"."""
    with open(".env", "w", encoding="utf-8") as env_file:
        env_file.write("OPENAI_APIKEY=sk-test\nREDIS_URI=redis://127.0.0.1:1/0\nLOG_LEVEL=INFO\n")
    _, out, err = await run_cli("check", env={"FETCH_ALLOW_PRIVATE_NETWORK": "true"})
    said = out + err
    assert (
        "OPENAI_APIKEY in .env is no Skim setting and is ignored (did you mean OPENAI_API_KEY?)"
        in said
    )
    assert "REDIS_URI in .env is no Skim setting and is ignored (did you mean REDIS_URL?)" in said
    assert "FETCH_ALLOW_PRIVATE_NETWORK in the environment" in said
    assert "did you mean FETCH_ALLOW_PRIVATE_NETWORKS?" in said
    assert "LOG_LEVEL" not in said
    assert "sk-test" not in said


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"TRANSCRIBE_MODEL": "whisper-9"}, "does not know this model (TRANSCRIBE_MODEL)"),
        ({"TRANSCRIBE_API_KEY": "sk-wrong"}, "refused the key (TRANSCRIBE_API_KEY)"),
        ({"TRANSCRIBE_BASE_URL": "http://127.0.0.1:9/v1"}, "does not answer"),
    ],
)
async def test_check_says_what_is_wrong_with_the_speech_endpoint(
    llm_api: FakeOpenAI, env: dict[str, str], said: str
) -> None:
    code, _, err = await run_cli("check", env={**llm_env(llm_api), **env})
    assert code == 1
    assert re.search(rf"speech\s+FAILED\s+.*{re.escape(said)}", err), err


async def _shell(
    command: str, cwd: Path, *, interrupt_when: Awaitable[object] | None = None
) -> tuple[int, str]:
    """`python -m bot ...` through a shell (for redirections); (exit code, stderr). With
    `interrupt_when`, Ctrl-C (SIGINT) once it is done."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "OPENAI_"))}
    env.update(LOOPBACK_FAKES)
    process = await asyncio.create_subprocess_shell(
        command.replace("skim ", f"exec {sys.executable} -m bot ", 1),
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    if interrupt_when is not None:
        await asyncio.wait_for(interrupt_when, 60)
        process.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_output_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "story.html").write_bytes(read_fixture("article_en.html"))
    code, err = await _shell("skim extract story.html > /dev/full", tmp_path)
    assert code == 1
    assert err.strip() == "skim: cannot write the output: No space left on device"
    code, err = await _shell("skim extract story.html >&-", tmp_path)
    assert (code, err) == (0, ""), "a closed stdout takes the output, as /dev/null would"
    code, err = await _shell("skim extract - <&-", tmp_path)
    assert (code, err.strip()) == (1, "skim: stdin.txt is empty.")


async def test_ctrl_c_stops_a_command_quietly(tmp_path: Path) -> None:
    """A page that never answers, and the user presses Ctrl-C: exit 130, no traceback."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    silent.setblocking(False)
    connected: list[socket.socket] = []

    async def fetching() -> None:  # the command is past its start-up, waiting for the page
        connection, _ = await asyncio.get_running_loop().sock_accept(silent)
        connected.append(connection)

    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/story"
        code, err = await _shell(f"skim extract {url}", tmp_path, interrupt_when=fetching())
    finally:
        for connection in connected:
            connection.close()
        silent.close()
    assert code == 130, err
    assert err == ""


async def test_an_empty_source_is_not_the_current_directory(tmp_path: Path) -> None:
    code, out, _ = await run_cli("extract", "--json", "")
    assert code == 1
    assert json.loads(out)["error_code"] == "err_source_unknown"


async def test_a_dotenv_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes("LOG_LEVEL=INFO\n".encode("utf-16"))
    code, err = await _shell("skim extract -", tmp_path)
    assert code == 2
    assert err.startswith("skim: .env is not UTF-8 text")
    assert len(err.strip().splitlines()) == 1


async def test_an_empty_question_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "story.html").write_bytes(read_fixture("article_en.html"))
    code, _, err = await run_cli("ask", str(tmp_path / "story.html"), "  ")
    assert code == 2
    assert err.strip() == "skim: QUESTION is empty: ask something about the document"
