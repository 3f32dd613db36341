"""PDFs read as a reader reads them: no running headers, whole words, real titles, and a
clear message for every damaged or undecodable file."""

from __future__ import annotations

import io
import random

import pytest
from pypdf import PdfReader, PdfWriter

from bot.content.document import Document
from bot.content.pdf import (
    extract_pdf,
    garbled,
    reader_title,
    tidy_pdf_text,
    without_running_lines,
)
from bot.errors import ExtractionError
from tests.fakes.web import make_pdf

PAGE = (
    "The Lakeside Rowing Club met on {day}. Membership grew to 412 members and the committee "
    "agreed to buy new boats."
)


def _titled(pdf: bytes, title: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_running_headers_footers_and_page_numbers_are_left_out() -> None:
    days = ["Monday", "Tuesday", "Friday", "Sunday"]
    pages = [
        f"ACME Corp Confidential\n{PAGE.format(day=day)}\nPage {n} of {len(days)}"
        for n, day in enumerate(days, 1)
    ]
    text = extract_pdf(make_pdf(pages), filename="minutes.pdf").text
    assert "ACME" not in text
    assert "Page" not in text
    assert all(day in text for day in days)


def test_two_pages_keep_every_line() -> None:
    """Too few pages to tell a header from a repeated line."""
    pages = ["Club news\nFirst page text here.", "Club news\nSecond page text here."]
    assert without_running_lines(pages) == pages


def test_hyphenated_words_and_ligatures_are_whole_again() -> None:
    assert tidy_pdf_text("a long restor-\nation of the ﬁnancial and signiﬁcant mill") == (
        "a long restoration of the financial and significant mill"
    )
    assert tidy_pdf_text("well-\nKnown names") == "well-\nKnown names", "a capital: a dash"


@pytest.mark.parametrize(
    "title",
    ["Microsoft Word - draft3.docx", "untitled", "C:\\Users\\bob\\Desktop\\report.doc", "   "],
)
def test_a_title_a_tool_wrote_gives_way_to_the_file_name(title: str) -> None:
    pdf = _titled(make_pdf([PAGE.format(day="Tuesday")]), title)
    assert extract_pdf(pdf, filename="Rowing minutes.pdf").title == "Rowing minutes"


def test_a_real_title_is_kept() -> None:
    pdf = _titled(make_pdf([PAGE.format(day="Tuesday")]), "  Rowing Club Minutes  ")
    assert extract_pdf(pdf, filename="x.pdf").title == "Rowing Club Minutes"
    assert reader_title("Annual Report 2025") == "Annual Report 2025"


def test_a_text_layer_of_glyph_numbers_is_refused_not_summarized() -> None:
    """A font without a ToUnicode map: "7KH\\x03FRPPLWWHH" went to the user and the model."""
    assert garbled("7KH\x03FRPPLWWHH\x03UHYLHZHG\x03WKH\x03ILQDQFLDO\x03UHSRUW")
    assert not garbled("The committee reviewed the report.\n\tTabs and lines are fine.")


def test_damaged_pdfs_always_say_damaged_never_crash() -> None:
    """pypdf raised AssertionError, LimitReachedError, AttributeError... on broken files: the
    user got "something went wrong on my side, try again", which never helps."""
    base = make_pdf([PAGE.format(day=day) for day in ("Monday", "Friday")])
    rng = random.Random(7)
    outcomes: set[str] = set()
    for _ in range(300):
        data = bytearray(base)
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(data))
            if rng.random() < 0.5:
                data[at] = rng.randrange(256)
            else:
                data[at:at] = rng.choice([b" 0 R", b"<<", b"/Length 9999999", b"-1", b"obj"])
        try:
            document = extract_pdf(bytes(data), filename="x.pdf")
        except ExtractionError as error:
            outcomes.add(error.key)
        else:
            assert isinstance(document, Document)
            outcomes.add("read")
    assert "err_pdf_damaged" in outcomes
