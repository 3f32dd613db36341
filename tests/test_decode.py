"""Charsets: headers, meta tags, BOMs and detection, never an exception."""

from __future__ import annotations

import io

import pytest

from bot.content.decode import decode_bytes
from bot.content.extract import extract_bytes
from bot.errors import ExtractionError
from tests.fakes.web import make_pdf, read_fixture

PDF_TEXT = (
    "The tide mill on the Brackwater estuary turns again after sixty years. Volunteers spent "
    "six years restoring the wheel, the sluice gates and the millstones, and the council paid "
    "for a visitor centre where the flour is sold on Saturdays."
)

RUSSIAN = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 5


def test_declared_charset_wins() -> None:
    assert decode_bytes(RUSSIAN.encode("cp1251"), "windows-1251") == RUSSIAN


def test_cp1251_detected_without_declaration() -> None:
    assert decode_bytes(RUSSIAN.encode("cp1251")) == RUSSIAN


def test_meta_charset_for_html() -> None:
    page = read_fixture("article_cp1251.html")
    text = decode_bytes(page, None, html=True)
    assert "Книгоход" in text


def test_utf16_with_bom() -> None:
    data = "\ufeff".encode("utf-16-le") + RUSSIAN.encode("utf-16-le")
    assert decode_bytes(data) == RUSSIAN


def test_broken_utf8_decodes_without_exception() -> None:
    data = RUSSIAN.encode("utf-8")[:-1] + b"\xff\xfe\xfa" + b" tail"
    text = decode_bytes(data, "utf-8")
    assert "мягких" in text
    assert text.endswith("tail")


def test_wrong_declared_charset_falls_back() -> None:
    data = RUSSIAN.encode("utf-8")
    assert decode_bytes(data, "nonexistent-charset") == RUSSIAN


def test_cp1251_page_extracts_russian_text() -> None:
    document = extract_bytes(read_fixture("article_cp1251.html"), "text/html")
    assert "Книгоход" in document.text


def test_a_latin1_label_is_read_as_windows_1252_as_browsers_do() -> None:
    page = (
        '<html><head><meta charset="iso-8859-1"></head><body>'
        "<p>Don\x92t say \x93hello\x94 \x96 caf\xe9.</p></body></html>"
    ).encode("latin-1")
    text = decode_bytes(page, None, html=True)
    assert "Don\u2019t say \u201chello\u201d \u2013 caf\u00e9." in text
    assert decode_bytes(b"caf\xe9 \x93x\x94", "ISO-8859-1") == "caf\u00e9 \u201cx\u201d"


def test_a_byte_windows_1252_leaves_undefined_still_decodes_as_latin1() -> None:
    assert decode_bytes(b"caf\xe9 \x81", "latin1") == "caf\u00e9 \x81"


def test_utf8_with_a_stray_bad_byte_stays_utf8_as_in_a_browser() -> None:
    """One bad byte in a page declared UTF-8 (or not declared) replaces that byte only; before,
    the whole page went to detection and every quote and accent came out wrong."""
    page = (
        '<meta charset="utf-8"><p>“It is the sound — café that people remember,” dere'.encode()
        + b"\xa0lict</p>"
    )
    for declared in (None, "utf-8"):
        text = decode_bytes(page, declared, html=True)
        assert "“It is the sound — café that people remember,”" in text
        assert "dere\ufffdlict" in text


def test_a_legacy_page_declared_utf8_is_still_detected() -> None:
    russian = "<p>Привет, мир! Это страница в кодировке windows-1251 с неверным заявлением.</p>"
    page = f'<meta charset="utf-8">{russian}'.encode("cp1251")
    assert russian in decode_bytes(page, html=True)


# Short pages in a legacy code page with no charset declared anywhere: several single-byte
# code pages fit such bytes equally well, and the detector picked one by chance.
UNDECLARED = [
    (
        "cp1252",
        "The £5 ticket • costs more than you’d think — and the café’s "
        "señor said “no”.\u00a0Prices rose again this year, and the council’s "
        "report blamed energy costs.",
    ),
    (
        "cp1252",
        "Le café est très bon aujourd’hui. L’été dernier, nous "
        "étions à Paris où les prix ont augmenté de façon inquiétante.",
    ),
    (
        "cp1252",
        "El señor García dijo que la población española está preocupada por "
        "el aumento de los precios. «Nadie sabe qué pasará mañana», "
        "añadió.",
    ),
    (
        "cp1252",
        "Regeringen föreslår att skatten på bensin sänks nästa år. "
        "Många bilägare är nöjda, men miljöpartiet är kritiskt.",
    ),
    (
        "cp1250",
        "Prezydent Polski spotkał się wczoraj z przedstawicielami związków "
        "zawodowych. Rozmowy dotyczyły podwyżek płac w służbie "
        "zdrowia. " * 4,
    ),
    (
        "cp1250",
        "A kormány szerdán bejelentette, hogy jövőre emelkednek a "
        "nyugdíjak. A miniszter szerint az infláció csökkenése "
        "lehetővé teszi az emelést.",
    ),
    (
        "cp1254",
        "Hükümet, ekonomiye destek için yeni önlemler açıkladı. "
        "Bakanın açıklamasına göre program önümüzdeki ay "
        "başlayacak. " * 3,
    ),
]


@pytest.mark.parametrize(("code_page", "text"), UNDECLARED)
def test_an_undeclared_legacy_page_is_read_in_its_languages_code_page(
    code_page: str, text: str
) -> None:
    """English in cp1250 turned "£" into "Ł" and a no-break space into "Ā";
    Spanish "señor" became "seńor"; Turkish came out in a Nordic code page."""
    page = f"<html><head><title>News</title></head><body><p>{text}</p></body></html>"
    assert decode_bytes(page.encode(code_page), html=True) == page


def test_non_ascii_bytes_the_detector_calls_ascii_are_read_as_windows_1252() -> None:
    """The detector reads a page's first 200 kB: on a long page whose only no-break spaces and
    copyright sign come later it answered "ascii", and each of them became a replacement
    character."""
    page = "<p>" + "Text of an old page. " * 10_000 + "\u00a9\u00a02008 The Paper \u00d7 3</p>"
    assert decode_bytes(page.encode("cp1252"), html=True) == page


def _locked_pdf(user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([PDF_TEXT]))))
    writer.encrypt(user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_locked_with_a_password_says_so() -> None:
    with pytest.raises(ExtractionError) as caught:
        extract_bytes(_locked_pdf("secret"), "application/pdf", filename="locked.pdf")
    assert caught.value.key == "err_pdf_password"


def test_a_pdf_locked_only_against_editing_is_read() -> None:
    document = extract_bytes(_locked_pdf(""), "application/pdf", filename="open.pdf")
    assert "tide mill" in document.text


@pytest.mark.parametrize(
    ("label", "code_page", "text"),
    [
        ("iso-8859-9", "cp1254", "Ankara’da “önemli” bir toplantı — ekonomi"),
        ("tis-620", "cp874", "กรุงเทพฯ “ข่าว” — วันนี้"),
        ("iso-8859-11", "cp874", "กรุงเทพฯ “ข่าว” — วันนี้"),
    ],
)
def test_turkish_and_thai_labels_are_read_as_their_windows_code_pages(
    label: str, code_page: str, text: str
) -> None:
    """As browsers read them (WHATWG): the quotes and dashes were lost."""
    page = f'<meta charset="{label}"><p>{text}</p>'
    assert decode_bytes(page.encode(code_page), html=True) == page


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize(
    "text",
    [
        "The Lakeside Rowing Club met on Tuesday; membership grew to 412 members.\r\n" * 4,
        "Клуб гребли собрался во вторник, число членов выросло до 412 человек.\r\n" * 4,
    ],
    ids=["english", "russian"],
)
def test_utf16_text_without_a_byte_order_mark_is_read(encoding: str, text: str) -> None:
    """Windows tools write it: it was refused as "a binary file"."""
    document = extract_bytes(text.encode(encoding), "text/plain", filename="notes.txt")
    assert document.text.split("\n")[0] == text.split("\r\n")[0]


def test_markdown_front_matter_gives_the_title_and_is_not_read() -> None:
    page = (
        "---\ntitle: Spring regatta minutes\nauthor: Ann Smith\ntags: [club, rowing]\n---\n\n"
        '<p align="center"><img src="logo.png"></p>\n\nThe Lakeside Rowing Club met on Tuesday '
        "and agreed to buy two new boats before the spring regatta."
    )
    document = extract_bytes(page.encode(), "text/markdown", filename="minutes.md")
    assert document.title == "Spring regatta minutes"
    assert document.text.startswith("The Lakeside Rowing Club met on Tuesday")
    assert "author:" not in document.text


def test_an_underlined_markdown_heading_and_a_file_name_give_titles() -> None:
    underlined = "Spring Regatta Minutes\n======================\n\nThe club met on Tuesday."
    assert extract_bytes(underlined.encode(), "text/markdown").title == "Spring Regatta Minutes"
    untitled = "the club met on tuesday and agreed to buy two new boats for the spring regatta"
    document = extract_bytes(untitled.encode(), "text/plain", filename="Meeting notes.txt")
    assert document.title == "Meeting notes"
