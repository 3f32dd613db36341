"""`skim extract` over several sources: text and JSON lines, per-source failures, --explain."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bot import cli_actions
from bot.content.packed import MAX_UNPACKED_BYTES
from bot.content.reader import ContentReader
from bot.content.sources import FileSource
from bot.errors import SkimError
from tests.conftest import make_settings, run_cli
from tests.fakes.web import FakeWeb, make_pdf, read_fixture
from tests.helpers.processes import LOOPBACK_FAKES

ARTICLE_WORDS = ("Brackwater", "Halloran", "quernstone")
DOCUMENT_KEYS = {"source", "title", "author", "date", "site", "language", "text"}
PRIVATE_OK = LOOPBACK_FAKES
NOTHING_TO_READ = b"<html><head><title>Empty</title></head><body><nav>Home</nav></body></html>"


def write(name: str, data: bytes) -> str:
    Path(name).write_bytes(data)
    return name


def json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


async def test_several_local_files_in_one_call() -> None:
    page = write("page.html", read_fixture("article_en.html"))
    notes = write("notes.txt", read_fixture("notes.txt"))
    code, out, err = await run_cli("extract", page, notes)
    assert code == 0, err
    assert err == ""
    first, second = out.split("\n\n==> notes.txt <==\n")
    assert first.startswith("==> page.html <==\nThe last tide mill")
    assert all(word in first for word in ARTICLE_WORDS)
    assert "Brackwater" not in second
    assert second.strip()


async def test_json_prints_one_object_per_source_and_line() -> None:
    english = write("en.html", read_fixture("article_en.html"))
    russian = write("ru.html", read_fixture("article_ru.html"))
    notes = write("notes.md", read_fixture("notes.md"))
    code, out, err = await run_cli("extract", "--json", english, russian, notes)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 3
    objects = [json.loads(line) for line in lines]
    assert [obj["source"] for obj in objects] == [english, russian, notes]
    assert all(set(obj) == DOCUMENT_KEYS for obj in objects)
    assert "tide mill" in objects[0]["title"]
    assert objects[0]["language"] == "en"
    assert all(word in objects[0]["text"] for word in ARTICLE_WORDS)
    assert objects[1]["language"] == "ru"
    # Not \u-escaped: Cyrillic is written as it is.
    assert objects[1]["title"] in lines[1]
    assert objects[2]["author"] is None


async def test_a_missing_file_fails_alone_and_the_run_exits_1() -> None:
    page = write("page.html", read_fixture("article_en.html"))
    notes = write("notes.txt", read_fixture("notes.txt"))
    code, out, err = await run_cli("extract", "--json", page, "missing.html", notes)
    assert code == 1
    assert err == ""
    good, missing, other = json_lines(out)
    assert set(good) == set(other) == DOCUMENT_KEYS
    assert missing["source"] == "missing.html"
    assert missing["error"] == "missing.html is neither a file nor an http(s) link."
    assert missing["error_code"] == "err_source_unknown"
    assert "text" not in missing

    code, out, err = await run_cli("extract", page, "missing.html", notes)
    assert code == 1
    assert err == "skim: missing.html: missing.html is neither a file nor an http(s) link.\n"
    assert "==> page.html <==" in out
    assert "==> notes.txt <==" in out
    assert "missing.html" not in out


async def test_gzip_compressed_pages_are_read_as_the_pages_inside() -> None:
    html = read_fixture("article_en.html")
    plain = write("page.html", html)
    packed = write("page.html.gz", gzip.compress(html))
    code, out, err = await run_cli("extract", "--json", plain, packed)
    assert code == 0, err
    first, second = json_lines(out)
    assert second.pop("source") == packed
    assert first.pop("source") == plain
    assert second == first
    assert all(word in second["text"] for word in ARTICLE_WORDS)


async def test_a_directory_stands_for_every_file_under_it_in_name_order() -> None:
    Path("pages/more").mkdir(parents=True)
    Path("pages/.cache").mkdir()
    page = write("pages/b.html", read_fixture("article_en.html"))
    notes = write("pages/a.txt", read_fixture("notes.txt"))
    packed = write("pages/more/c.html.gz", gzip.compress(read_fixture("article_ru.html")))
    write("pages/.hidden.html", b"<p>not a page of the set</p>")
    write("pages/.cache/d.html", b"<p>nor this</p>")
    Path("empty").mkdir()
    code, out, err = await run_cli("extract", "--json", "pages", "empty")
    assert code == 1, err
    objects = json_lines(out)
    assert [obj["source"] for obj in objects] == [notes, page, packed, "empty"]
    assert all(word in objects[1]["text"] for word in ARTICLE_WORDS)
    assert objects[2]["language"] == "ru"
    assert objects[3]["error_code"] == "err_source_empty_directory"
    assert "no files" in objects[3]["error"]


async def test_a_link_to_nothing_in_a_directory_is_reported_not_skipped() -> None:
    """`Path.rglob` and `is_file()` left a broken link out in silence, and the run exited 0."""
    Path("pages").mkdir()
    page = write("pages/b.html", read_fixture("article_en.html"))
    Path("pages/a.html").symlink_to("/nonexistent/page.html")
    code, out, err = await run_cli("extract", "--json", "pages")
    assert code == 1, err
    broken, read = json_lines(out)
    assert broken == {
        "source": "pages/a.html",
        "error": "Can't read pages/a.html: a link to nothing.",
        "error_code": "err_source_unreadable",
    }
    assert read["source"] == page


async def test_a_gzip_compressed_page_on_stdin_is_unpacked() -> None:
    packed = gzip.compress(read_fixture("article_en.html"))
    code, out, err = await run_cli("extract", "--json", "-", stdin=packed)
    assert code == 0, err
    (document,) = json_lines(out)
    assert all(word in document["text"] for word in ARTICLE_WORDS)


async def test_damaged_or_oversized_gzip_files_fail_alone_with_a_clear_error() -> None:
    whole = gzip.compress(read_fixture("article_en.html"))
    cut = write("cut.html.gz", whole[: len(whole) // 2])
    # A few kilobytes that would unpack past the bound.
    bomb = write("bomb.html.gz", gzip.compress(b" " * (MAX_UNPACKED_BYTES + 1), compresslevel=1))
    page = write("page.html", read_fixture("article_en.html"))
    code, out, err = await run_cli("extract", "--json", cut, bomb, page)
    assert code == 1
    assert err == ""
    damaged, big, good = json_lines(out)
    assert damaged["error_code"] == "err_packed_damaged"
    assert damaged["error"] == "cut.html.gz is gzip-compressed but damaged: it can't be unpacked."
    assert big["error_code"] == "err_packed_too_large"
    assert (
        big["error"] == "bomb.html.gz unpacks to more than 20 MB, more than I read from one file."
    )
    assert set(good) == DOCUMENT_KEYS


async def test_html_without_a_name_that_says_so_is_read_as_html() -> None:
    article = read_fixture("article_en.html")
    scripted = write("saved-page", b"<script>var blog = 'x';</script>\n" + article)
    xhtml = b'<?xml version="1.0" encoding="utf-8"?>\n' + article
    code, out, err = await run_cli("extract", "--json", scripted)
    assert code == 0, err
    code, piped, err = await run_cli("extract", "--json", "-", stdin=xhtml)
    assert code == 0, err
    for document in json_lines(out + piped):
        assert "tide mill" in document["title"]
        assert all(word in document["text"] for word in ARTICLE_WORDS)
        assert "<" not in document["text"]


async def test_one_failing_source_keeps_the_single_line_error() -> None:
    code, out, err = await run_cli("extract", "no-such-file.html")
    assert code == 1
    assert out == ""
    assert err == "skim: no-such-file.html is neither a file nor an http(s) link.\n"


async def test_url_from_the_web(web: FakeWeb) -> None:
    web.route("/story", read_fixture("article_en.html"))
    code, out, err = await run_cli("extract", "--json", web.url("/story"), env=PRIVATE_OK)
    assert code == 0, err
    (story,) = json_lines(out)
    assert story["source"] == web.url("/story")
    assert "tide mill" in story["title"]
    assert all(word in story["text"] for word in ARTICLE_WORDS)
    assert web.hits("/story") == 1


async def test_a_port_list_that_is_set_holds_with_private_networks_allowed(web: FakeWeb) -> None:
    web.route("/story", read_fixture("article_en.html"))
    env = {**PRIVATE_OK, "FETCH_ALLOWED_PORTS": "80,443"}
    code, out, _ = await run_cli("extract", "--json", web.url("/story"), env=env)
    assert code == 1
    (refused,) = json_lines(out)
    assert refused["error_code"] == "err_port"
    assert web.hits("/story") == 0


async def test_unreachable_and_private_links_are_error_objects(web: FakeWeb) -> None:
    web.route("/gone", "missing", status=404)
    web.route("/inside", read_fixture("article_en.html"))
    page = write("page.html", read_fixture("article_en.html"))
    code, out, err = await run_cli("extract", "--json", web.url("/inside"), page)
    assert code == 1
    assert err == ""  # with --json the errors are in the objects
    private, good = json_lines(out)
    assert "private or local" in private["error"]
    assert web.hits("/inside") == 0
    assert "Brackwater" in good["text"]

    code, out, _ = await run_cli("extract", "--json", web.url("/gone"), page, env=PRIVATE_OK)
    assert code == 1
    gone, good = json_lines(out)
    assert "doesn't exist" in gone["error"]
    assert gone["error_code"] == "err_http_missing"
    assert "Brackwater" in good["text"]


async def test_a_page_with_nothing_to_extract_is_a_clear_error() -> None:
    empty = write("empty.html", NOTHING_TO_READ)
    page = write("page.html", read_fixture("article_en.html"))
    code, out, err = await run_cli("extract", "--json", empty, page)
    assert code == 1
    assert "Traceback" not in err
    nothing, good = json_lines(out)
    assert set(nothing) == {"source", "error", "error_code"}
    assert nothing["error_code"] in ("err_no_article", "err_no_text_page")
    assert nothing["error"].startswith("I couldn't find")
    assert "Brackwater" in good["text"]


def explanation(out: str) -> list[str]:
    return [line.removeprefix("# explain: ") for line in out.splitlines() if line.startswith("#")]


async def test_explain_follows_the_document() -> None:
    page = write("page.html", read_fixture("article_en.html"))
    notes = write("notes.txt", read_fixture("notes.txt"))
    pdf = write("paper.pdf", make_pdf(["Tide mills turn twice a day on the ebb."]))
    code, out, err = await run_cli("extract", "--explain", page)
    assert code == 0, err
    body, after = out.split("\n\n# explain: ", 1)
    assert "quernstone" in body
    assert all(line.startswith("# explain: ") for line in f"# explain: {after}".splitlines())
    lines = explanation(out)
    assert lines[0] == "source kind: html"
    # The HTML extractor itself says something beyond this layer's own lines.
    assert any(not line.startswith(("source kind:", "result:")) for line in lines)

    code, out, err = await run_cli("extract", "--explain", notes, pdf)
    assert code == 0, err
    assert explanation(out) == [
        "source kind: text (no HTML candidates)",
        "source kind: pdf (no HTML candidates)",
    ]


async def test_json_explain_is_a_list_in_each_object() -> None:
    page = write("page.html", read_fixture("article_en.html"))
    empty = write("empty.html", NOTHING_TO_READ)
    code, out, _ = await run_cli("extract", "--json", "--explain", page, empty)
    assert code == 1
    good, nothing = json_lines(out)
    assert set(good) == {*DOCUMENT_KEYS, "explain"}
    assert good["explain"][0] == "source kind: html"
    assert all(isinstance(line, str) for line in good["explain"])
    assert "error" in nothing
    assert nothing["explain"][0] == "source kind: html"
    assert len(nothing["explain"]) >= 2  # why there was nothing


async def test_explain_bypasses_the_document_cache(
    web: FakeWeb, redis_url: str, redis_prefix: str
) -> None:
    web.route("/story", read_fixture("article_en.html"))
    env = {**PRIVATE_OK, "REDIS_URL": redis_url, "REDIS_PREFIX": redis_prefix}
    for _ in range(2):
        code, _, err = await run_cli("extract", web.url("/story"), env=env)
        assert code == 0, err
    assert web.hits("/story") == 1  # the second run read the cached document
    code, out, err = await run_cli("extract", "--explain", web.url("/story"), env=env)
    assert code == 0, err
    assert web.hits("/story") == 2
    assert explanation(out)[0] == "source kind: html"


async def test_an_unexpected_error_is_one_source_s_failure(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    write("page.html", read_fixture("article_en.html"))
    write("broken.html", read_fixture("article_en.html"))
    real_read_file = ContentReader.read_file

    async def read_file(self: ContentReader, source: FileSource, **options: Any) -> Any:
        if source.filename == "broken.html":
            raise RuntimeError("a bug in some library")
        return await real_read_file(self, source, **options)

    monkeypatch.setattr(ContentReader, "read_file", read_file)
    settings = make_settings()
    with caplog.at_level(logging.ERROR, logger="bot.cli_actions"):
        code = await cli_actions.extract(settings, ["broken.html", "page.html"], as_json=True)
    assert code == 1
    out, err = capsys.readouterr()
    broken, good = json_lines(out)
    assert broken["error"] == SkimError(key="err_unexpected", kind="RuntimeError").user_message
    assert broken["error_code"] == "err_unexpected"
    assert "Brackwater" in good["text"]
    assert "Traceback" not in err
    assert any("RuntimeError" in record.getMessage() for record in caplog.records)

    code = await cli_actions.extract(settings, ["broken.html"])
    assert code == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "skim: I couldn't read that: an unexpected error (RuntimeError).\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
async def test_html_saved_as_utf16_is_read_as_html_when_piped(encoding: str) -> None:
    """Windows tools save HTML in UTF-16 with a BOM; piped in (no .html name) it was taken for
    text, and its markup came out as the document."""
    page = read_fixture("article_en.html").decode().replace('charset="utf-8"', "")
    code, out, err = await run_cli("extract", "--json", "-", stdin=page.encode(encoding))
    assert code == 0, err
    found = json.loads(out)
    assert "Brackwater" in found["text"]
    assert "<" not in found["text"]
    assert found["title"]
