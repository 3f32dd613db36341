"""Word documents: sent to the bot, named to `skim extract`, or linked from a page."""

from __future__ import annotations

import io
import json
import random
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docx import Document as new_docx

from bot.config import Settings
from bot.content.extract import extract_bytes, media_type_for_file
from bot.content.office import DOCX_TYPE, MAX_UNPACKED_BYTES
from bot.errors import ExtractionError
from tests.conftest import run_cli
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.web import FakeWeb
from tests.tg import last_text, wait_summary, wait_text

MINUTES = (
    "The Lakeside Rowing Club met on Tuesday. Membership grew to 412 members, and the committee "
    "agreed to buy two new boats before the spring regatta."
)
# An old Word file (and a password-protected .docx) starts as an OLE compound file; a locked
# .docx holds its package in a stream named EncryptedPackage.
COMPOUND = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
LOCKED = COMPOUND + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64


def make_docx(*, title: str | None = "Minutes of the March meeting") -> bytes:
    """A Word document with a Title paragraph, a heading, lists and a table between paragraphs."""
    word = new_docx()
    word.core_properties.title = title or ""
    word.add_heading("Lakeside Rowing Club", 0)
    word.add_paragraph(MINUTES)
    word.add_heading("Decisions", 1)
    word.add_paragraph("Two new boats", style="List Bullet")
    word.add_paragraph("A safety launch", style="List Bullet")
    word.add_paragraph("Order the boats", style="List Number")
    word.add_paragraph("Repair the roof", style="List Number")
    table = word.add_table(rows=2, cols=2)
    for (row, column), text in {(0, 0): "Item", (0, 1): "Cost", (1, 0): "Boats"}.items():
        table.cell(row, column).text = text
    table.cell(1, 1).text = "9,400 euros"
    word.add_paragraph("The treasurer reported a surplus of 3,200 euros for the year.")
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def test_a_word_document_is_read_in_order_with_its_lists_and_tables() -> None:
    document = extract_bytes(make_docx(), DOCX_TYPE, filename="minutes.docx")
    assert document.title == "Minutes of the March meeting"
    assert document.source_kind == "docx"
    assert document.text.split("\n\n") == [
        "Lakeside Rowing Club",
        MINUTES,
        "Decisions",
        "• Two new boats",
        "• A safety launch",
        "1. Order the boats",
        "2. Repair the roof",
        "Item | Cost",
        "Boats | 9,400 euros",
        "The treasurer reported a surplus of 3,200 euros for the year.",
    ]


def test_an_untitled_word_document_takes_its_title_paragraph() -> None:
    document = extract_bytes(make_docx(title=None), DOCX_TYPE, filename="minutes.docx")
    assert document.title == "Lakeside Rowing Club"


def test_a_word_document_is_known_by_its_name_whatever_type_it_was_sent_as() -> None:
    data = make_docx()
    assert media_type_for_file("Minutes.DOCX", "application/octet-stream", data) == DOCX_TYPE
    assert media_type_for_file("upload", DOCX_TYPE, data) == DOCX_TYPE


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (COMPOUND, "report.doc", "old Word file (.doc)"),
        (COMPOUND, "renamed.docx", "old Word file (.doc)"),
        (LOCKED, "report.docx", "password-protected"),
        (b"PK\x03\x04 not really a package" * 20, "report.docx", "damaged"),
        (make_docx()[:2000], "report.docx", "damaged"),
    ],
)
def test_word_files_that_cannot_be_read_say_why(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ExtractionError) as caught:
        extract_bytes(data, media_type_for_file(name, None, data), filename=name)
    assert message in caught.value.user_message


def test_a_word_document_that_unpacks_to_gigabytes_is_refused_unread() -> None:
    """A zip bomb: 20 MB of compressed zeros can declare gigabytes of XML."""
    package = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(make_docx())) as original,
        zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for part in original.infolist():
            bomb.writestr(part, original.read(part))
        bomb.writestr("word/media/padding.bin", b"\0" * (MAX_UNPACKED_BYTES + 1))
    assert len(package.getvalue()) < 1_000_000
    with pytest.raises(ExtractionError) as caught:
        extract_bytes(package.getvalue(), DOCX_TYPE, filename="bomb.docx")
    assert "unpacks to more than 64 MB" in caught.value.user_message


async def test_skim_extract_reads_a_word_document(tmp_path: Path) -> None:
    path = tmp_path / "minutes.docx"
    path.write_bytes(make_docx())
    code, out, err = await run_cli("extract", "--json", str(path))
    assert code == 0, err
    [line] = out.splitlines()
    read = json.loads(line)
    assert read["title"] == "Minutes of the March meeting"
    assert "• Two new boats" in read["text"]


async def test_a_word_document_sent_to_the_bot_is_summarized(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_document(make_docx(), file_name="minutes.docx", mime_type=DOCX_TYPE)
        await wait_summary(bot_api)
    text = last_text(bot_api)
    assert "Minutes of the March meeting" in text
    assert "412 members" in text or "surplus" in text


async def test_an_old_word_file_sent_to_the_bot_gets_a_way_forward(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_document(COMPOUND, file_name="minutes.doc", mime_type="application/msword")
        await wait_text(bot_api, "old Word file (.doc)")
    assert "Save it as .docx or PDF" in last_text(bot_api)


async def test_a_link_to_a_word_document_is_summarized(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/minutes.docx", make_docx(), content_type=DOCX_TYPE)
    async with start_bot(settings_for()):
        bot_api.send_private_message(web.url("/minutes.docx"))
        await wait_summary(bot_api)
    assert "Minutes of the March meeting" in last_text(bot_api)


def _with_body(body: str) -> bytes:
    """A Word document whose body is ``body`` (WordprocessingML inside <w:body>)."""
    package = io.BytesIO(make_docx())
    out = io.BytesIO()
    with zipfile.ZipFile(package) as original, zipfile.ZipFile(out, "w") as rebuilt:
        for part in original.infolist():
            data = original.read(part)
            if part.filename == "word/document.xml":
                head, _, rest = data.decode().partition("<w:body>")
                _, _, tail = rest.partition("</w:body>")
                data = f"{head}<w:body>{body}</w:body>{tail}".encode()
            rebuilt.writestr(part, data)
    return out.getvalue()


def _control(content: str) -> str:
    return f"<w:sdt><w:sdtContent>{content}</w:sdtContent></w:sdt>"


def _p(*runs: str) -> str:
    return "<w:p>" + "".join(runs) + "</w:p>"


def _r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def test_tracked_insertions_controls_fields_text_boxes_and_nested_tables_are_read() -> None:
    """python-docx's paragraphs and tables leave all of these out: the model got "The committee
    agreed to buy before the regatta" and "chaired by  on  at the boathouse"."""
    body = "".join(
        [
            _p(
                _r("The committee agreed to buy "),
                f'<w:ins w:id="1" w:author="A">{_r("two boats ")}</w:ins>',
                '<w:del w:id="2" w:author="A"><w:r><w:delText>one canoe </w:delText></w:r></w:del>',
                _r("before the regatta."),
            ),
            _control(_p(_r("A paragraph inside a content control."))),
            _p(
                _r("Chaired by "),
                _control(_r("Miriam Ostrander")),
                _r(" on "),
                f'<w:fldSimple w:instr="DATE">{_r("4 March 2025")}</w:fldSimple>',
                _r("."),
            ),
            _p(
                _r("Results below."),
                '<w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml">'
                f"<v:textbox><w:txbxContent>{_p(_r('Key result: 412 members.'))}</w:txbxContent>"
                "</v:textbox></v:shape></w:pict></w:r>",
            ),
            "<w:tbl><w:tr><w:tc>"
            + _p(_r("Boats"))
            + "</w:tc><w:tc><w:tbl><w:tr><w:tc>"
            + _p(_r("Racing eight"))
            + "</w:tc><w:tc>"
            + _p(_r("9,400 euros"))
            + "</w:tc></w:tr></w:tbl>"
            + _p("")
            + "</w:tc></w:tr></w:tbl>",
        ]
    )
    text = extract_bytes(_with_body(body), DOCX_TYPE, filename="minutes.docx").text
    assert "The committee agreed to buy two boats before the regatta." in text
    assert "one canoe" not in text, "deleted text stays deleted"
    assert "A paragraph inside a content control." in text
    assert "Chaired by Miriam Ostrander on 4 March 2025." in text
    assert "Results below.\n\nKey result: 412 members." in text
    assert "Boats | Racing eight | 9,400 euros" in text


def test_damaged_word_documents_always_say_damaged_never_crash() -> None:
    """zlib errors, XML syntax errors, EOFError... reached the user as "something went wrong on
    my side, try again"."""
    base = make_docx()
    rng = random.Random(3)
    outcomes: set[str] = set()
    for _ in range(300):
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            extract_bytes(bytes(data), DOCX_TYPE, filename="x.docx")
        except ExtractionError as error:
            outcomes.add(error.key)
        else:
            outcomes.add("read")
    assert "err_docx_damaged" in outcomes


def test_a_word_file_that_is_really_html_or_rtf_is_read() -> None:
    """What "export to Word" buttons save: it was "That Word document is damaged"."""
    page = (
        "<html><head><title>Regatta news</title></head><body><p>"
        + "The Lakeside Rowing Club met on Tuesday and agreed to buy two new boats. " * 3
        + "</p></body></html>"
    ).encode()
    media_type = media_type_for_file("news.doc", "application/msword", page)
    assert "two new boats" in extract_bytes(page, media_type, filename="news.doc").text
    rtf = rb"{\rtf1\ansi The Lakeside Rowing Club met on Tuesday.}"
    document = extract_bytes(rtf, media_type_for_file("news.doc", None, rtf), filename="news.doc")
    assert (document.source_kind, document.text) == (
        "rtf",
        "The Lakeside Rowing Club met on Tuesday.",
    )


def test_a_short_chinese_word_document_is_read() -> None:
    """Its words were counted by spaces: one sentence of Han characters was "no text"."""
    word = new_docx()
    word.add_paragraph("潮汐磨坊在经过三年的修复后于周六重新向公众开放。")
    out = io.BytesIO()
    word.save(out)
    document = extract_bytes(out.getvalue(), DOCX_TYPE, filename="磨坊.docx")
    assert document.text == "潮汐磨坊在经过三年的修复后于周六重新向公众开放。"
