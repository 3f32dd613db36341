"""PowerPoint decks, EPUB e-books and RTF files: sent to the bot, linked, or named to the CLI."""

from __future__ import annotations

import io
import json
import random
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pptx import Presentation
from pptx.util import Inches

from bot.config import Settings
from bot.content.ebook import EPUB_TYPE
from bot.content.extract import extract_bytes, media_type_for_file
from bot.content.office import MAX_UNPACKED_BYTES
from bot.content.slides import PPTX_TYPE
from bot.errors import ExtractionError, UnsupportedContentError
from tests.conftest import run_cli
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.web import FakeWeb
from tests.tg import last_text, wait_summary, wait_text

COMPOUND = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
LOCKED = COMPOUND + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64


def make_pptx(*, title: str = "PowerPoint Presentation", hidden: bool = False) -> bytes:
    """A deck: a title slide, a bullet slide with notes, a table slide, a grouped text box."""
    deck = Presentation()
    deck.core_properties.title = title
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = "Harbour renewal"
    cover.placeholders[1].text = "Council briefing, March 2026"
    points = deck.slides.add_slide(deck.slide_layouts[1])
    points.shapes.title.text = "What changed"
    body = points.placeholders[1].text_frame
    body.text = "The sea wall was rebuilt after the storm"
    detail = body.add_paragraph()
    detail.text = "It cost 2.4 million euros"
    detail.level = 1
    points.notes_slide.notes_text_frame.text = "Stress that the work finished early."
    if hidden:
        points.element.set("show", "0")
    numbers = deck.slides.add_slide(deck.slide_layouts[5])
    numbers.shapes.title.text = "Traffic"
    table = numbers.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    for (row, column), text in {(0, 0): "Year", (0, 1): "Ships", (1, 0): "2025"}.items():
        table.cell(row, column).text = text
    table.cell(1, 1).text = "1,870"
    group = numbers.shapes.add_group_shape()
    box = group.shapes.add_textbox(Inches(1), Inches(4), Inches(4), Inches(1))
    box.text_frame.text = "Ferries run every hour from May."
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def test_a_deck_is_read_slide_by_slide_with_tables_groups_and_notes() -> None:
    document = extract_bytes(make_pptx(), PPTX_TYPE, filename="briefing.pptx")
    assert document.source_kind == "pptx"
    assert document.title == "Harbour renewal", "PowerPoint's default title is no title"
    assert document.text.split("\n\n") == [
        "Slide 1: Harbour renewal\nCouncil briefing, March 2026",
        "Slide 2: What changed\nThe sea wall was rebuilt after the storm\n"
        "It cost 2.4 million euros\nNotes: Stress that the work finished early.",
        "Slide 3: Traffic\nYear | Ships\n2025 | 1,870\nFerries run every hour from May.",
    ]


def test_a_hidden_slide_is_left_out_and_a_declared_title_wins() -> None:
    document = extract_bytes(
        make_pptx(title="Harbour renewal: council briefing", hidden=True), PPTX_TYPE
    )
    assert document.title == "Harbour renewal: council briefing"
    assert "sea wall" not in document.text
    assert "Slide 3: Traffic" in document.text, "the audience's slide numbers are kept"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (COMPOUND, "deck.ppt", "old PowerPoint file (.ppt)"),
        (LOCKED, "deck.pptx", "presentation is password-protected"),
        (b"PK\x03\x04 not really a zip", "deck.pptx", "presentation is damaged"),
    ],
)
def test_decks_that_cannot_be_read_say_why(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ExtractionError) as caught:
        extract_bytes(data, media_type_for_file(name, None, data), filename=name)
    assert message in caught.value.user_message


def test_a_deck_of_pictures_only_says_so() -> None:
    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[6])  # blank
    out = io.BytesIO()
    deck.save(out)
    with pytest.raises(ExtractionError) as caught:
        extract_bytes(out.getvalue(), PPTX_TYPE, filename="photos.pptx")
    assert "no text to read (only pictures?)" in caught.value.user_message


def damaged_outcomes(base: bytes, media_type: str, filename: str, *, seed: int) -> set[str]:
    """What 200 copies of a file with 1 to 4 random bytes changed come to: "read" or an error
    key (any other exception fails the test)."""
    rng = random.Random(seed)
    outcomes: set[str] = set()
    for _ in range(200):
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            extract_bytes(bytes(data), media_type, filename=filename)
        except ExtractionError as error:
            outcomes.add(error.key or "")
        else:
            outcomes.add("read")
    return outcomes


def test_damaged_decks_always_say_damaged_never_crash() -> None:
    outcomes = damaged_outcomes(make_pptx(), PPTX_TYPE, "x.pptx", seed=5)
    assert "err_pptx_damaged" in outcomes
    assert outcomes <= {"read", "err_pptx_damaged", "err_no_text_pptx"}


# --- e-books -------------------------------------------------------------------------------

CONTAINER = (
    '<?xml version="1.0"?><container version="1.0" '
    'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
    '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
    "</rootfiles></container>"
)


def _chapter(title: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (
        '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
        f"<head><title>{title}</title><style>p {{ margin: 0 }}</style></head>"
        f"<body><h1>{title}</h1>{body}</body></html>"
    )


def make_epub(*, encryption: str | None = None, padding: int = 0) -> bytes:
    """An EPUB 3 book: two chapters in spine order (listed the other way in the manifest), a
    cover page outside the reading order, and a navigation document."""
    opf = (
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:title>The Tide Mill</dc:title><dc:creator>Ada Quillfeather</dc:creator>"
        "<dc:language>en-GB</dc:language></metadata><manifest>"
        '<item id="two" href="text/chapter%202.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="one" href="text/one.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="cover" href="cover.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
        '<item id="css" href="style.css" media-type="text/css"/>'
        '</manifest><spine><itemref idref="cover" linear="no"/><itemref idref="one"/>'
        '<itemref idref="two"/></spine></package>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("mimetype", EPUB_TYPE, compress_type=zipfile.ZIP_STORED)
        book.writestr("META-INF/container.xml", CONTAINER)
        book.writestr("OEBPS/content.opf", opf)
        book.writestr(
            "OEBPS/text/one.xhtml",
            _chapter("The wheel", "The Halloran family replaced the oak wheel in 2025."),
        )
        book.writestr(
            "OEBPS/text/chapter 2.xhtml",
            _chapter("The flour", "The mill grinds 400 kg of flour a day.", "It sells out."),
        )
        book.writestr("OEBPS/cover.xhtml", _chapter("Cover"))
        book.writestr("OEBPS/nav.xhtml", _chapter("Contents", "The wheel", "The flour"))
        book.writestr("OEBPS/style.css", "p { margin: 0 }")
        if encryption is not None:
            book.writestr("META-INF/encryption.xml", encryption)
        if padding:
            book.writestr("OEBPS/padding.bin", b"\0" * padding)
    return out.getvalue()


def _encryption(algorithm: str) -> str:
    return (
        '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
        f'<enc:EncryptionMethod Algorithm="{algorithm}"/>'
        '<enc:CipherData><enc:CipherReference URI="OEBPS/text/one.xhtml"/></enc:CipherData>'
        "</enc:EncryptedData></encryption>"
    )


def test_an_ebook_is_read_in_spine_order_with_its_metadata() -> None:
    document = extract_bytes(make_epub(), media_type_for_file("mill.epub", None, make_epub()))
    assert (document.source_kind, document.title, document.author, document.language) == (
        "epub",
        "The Tide Mill",
        "Ada Quillfeather",
        "en",
    )
    assert document.text.split("\n\n") == [
        "The wheel",
        "The Halloran family replaced the oak wheel in 2025.",
        "The flour",
        "The mill grinds 400 kg of flour a day.",
        "It sells out.",
    ], "linear chapters in spine order; no cover, no contents page, no style sheet"


def test_an_ebook_with_obfuscated_fonts_is_read_and_one_with_drm_is_named() -> None:
    fonts = make_epub(encryption=_encryption("http://www.idpf.org/2008/embedding"))
    assert "oak wheel" in extract_bytes(fonts, EPUB_TYPE).text
    locked = make_epub(encryption=_encryption("http://www.w3.org/2001/04/xmlenc#aes128-cbc"))
    with pytest.raises(ExtractionError) as caught:
        extract_bytes(locked, EPUB_TYPE)
    assert "copy-protected (DRM)" in caught.value.user_message


def test_an_ebook_that_unpacks_to_gigabytes_is_refused_unread() -> None:
    with pytest.raises(ExtractionError) as caught:
        extract_bytes(make_epub(padding=MAX_UNPACKED_BYTES + 1), EPUB_TYPE)
    assert "e-book unpacks to more than 64 MB" in caught.value.user_message


def test_damaged_ebooks_always_say_damaged_never_crash() -> None:
    outcomes = damaged_outcomes(make_epub(), EPUB_TYPE, "x.epub", seed=7)
    assert "err_epub_damaged" in outcomes
    assert outcomes <= {"read", "err_epub_damaged", "err_no_text_epub", "err_epub_too_big"}
    with pytest.raises(ExtractionError) as caught:
        extract_bytes(b"not a zip at all", EPUB_TYPE, filename="x.epub")
    assert "e-book (EPUB) is damaged" in caught.value.user_message


# --- RTF --------------------------------------------------------------------------------------

RTF = (
    rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}{\colortbl;\red0\green0\blue0;}"
    rb"\f0 The Lakeside Rowing Club met on Tuesday.\par "
    rb"The caf\'e9 will open in May \u8212? said the chair.\par}"
)


def test_an_rtf_file_is_read_without_its_control_words() -> None:
    document = extract_bytes(
        RTF, media_type_for_file("news.rtf", "text/rtf", RTF), filename="news.rtf"
    )
    assert (document.source_kind, document.title) == ("rtf", "news")
    assert document.text == (
        "The Lakeside Rowing Club met on Tuesday.\nThe café will open in May — said the chair."
    )


# --- end to end -----------------------------------------------------------------------------


async def test_skim_extract_reads_a_deck_a_book_and_an_rtf_file(tmp_path: Path) -> None:
    paths = []
    for name, data in (("briefing.pptx", make_pptx()), ("mill.epub", make_epub()), ("n.rtf", RTF)):
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    code, out, err = await run_cli("extract", "--json", *paths)
    assert code == 0, err
    titles = [json.loads(line)["title"] for line in out.splitlines()]
    assert titles == ["Harbour renewal", "The Tide Mill", "n"]


async def test_a_deck_and_a_book_sent_to_the_bot_are_summarized(
    bot_api: FakeBotAPI, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    async with start_bot(settings_for()):
        bot_api.send_document(make_pptx(), file_name="briefing.pptx", mime_type=PPTX_TYPE)
        await wait_summary(bot_api)
        assert "Harbour renewal" in last_text(bot_api)
        bot_api.send_document(make_epub(), file_name="mill.epub", mime_type=EPUB_TYPE)
        await wait_text(bot_api, "The Tide Mill")
    assert "oak wheel" in last_text(bot_api) or "400 kg" in last_text(bot_api)


async def test_links_to_a_deck_and_an_rtf_file_are_summarized(
    bot_api: FakeBotAPI, web: FakeWeb, settings_for: Callable[..., Settings], start_bot: Any
) -> None:
    web.route("/briefing.pptx", make_pptx(), content_type=PPTX_TYPE)
    web.route("/news.rtf", RTF * 3, content_type="application/rtf")
    async with start_bot(settings_for()):
        bot_api.send_private_message(web.url("/briefing.pptx"))
        await wait_summary(bot_api)
        assert "Harbour renewal" in last_text(bot_api)
        bot_api.send_private_message(web.url("/news.rtf"))
        await wait_text(bot_api, "Lakeside Rowing Club")


def _lying(package: bytes, part: str, inflated: int, declared: int) -> bytes:
    """`package` with `part` added: `inflated` bytes of zeros whose directory entries claim
    `declared` (a small upload that inflates to far more than it says)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(package)) as original,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as rebuilt,
    ):
        for info in original.infolist():
            rebuilt.writestr(info, original.read(info))
        rebuilt.writestr(part, b"\0" * inflated)
    data = bytearray(out.getvalue())
    name = part.encode()
    local = data.find(b"PK\x03\x04" + bytes(26)[:0])
    while local >= 0:
        name_length = int.from_bytes(data[local + 26 : local + 28], "little")
        if data[local + 30 : local + 30 + name_length] == name:
            data[local + 22 : local + 26] = declared.to_bytes(4, "little")
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_length = int.from_bytes(data[central + 28 : central + 30], "little")
        if data[central + 46 : central + 46 + name_length] == name:
            data[central + 24 : central + 28] = declared.to_bytes(4, "little")
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


@pytest.mark.parametrize(
    ("make", "media_type", "part"),
    [
        (make_pptx, PPTX_TYPE, "ppt/media/padding.bin"),
        (make_epub, EPUB_TYPE, "OEBPS/padding.bin"),
    ],
)
def test_a_part_that_inflates_past_its_declared_size_takes_no_more_memory(
    make: Callable[[], bytes], media_type: str, part: str
) -> None:
    """zipfile's read() inflates a part whole before cutting it to its declared size: a 1.5 MB
    upload took 2.2 GB. Parts are read in bounded steps, and the lie is "damaged"."""
    bomb = _lying(make(), part, inflated=200 * 2**20, declared=20_000)
    assert len(bomb) < 2**20
    tracemalloc.start()
    try:
        with pytest.raises(ExtractionError) as caught:
            extract_bytes(bomb, media_type)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "damaged" in caught.value.user_message
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MB"


def test_a_slide_show_and_a_template_are_read_as_decks() -> None:
    """python-pptx refuses a .ppsx's content type: every slide show was "damaged"."""
    main = b"application/vnd.openxmlformats-officedocument.presentationml."
    for kind in (b"slideshow", b"template"):
        out = io.BytesIO()
        with (
            zipfile.ZipFile(io.BytesIO(make_pptx())) as deck,
            zipfile.ZipFile(out, "w") as show,
        ):
            for info in deck.infolist():
                body = deck.read(info)
                if info.filename == "[Content_Types].xml":
                    body = body.replace(main + b"presentation.main+xml", main + kind + b".main+xml")
                show.writestr(info, body)
        name = "briefing.ppsx" if kind == b"slideshow" else "briefing.potx"
        document = extract_bytes(out.getvalue(), PPTX_TYPE, filename=name)
        assert document.title == "Harbour renewal"


@pytest.mark.parametrize(
    "title",
    ["Презентация PowerPoint", "PowerPoint-Präsentation", "Présentation PowerPoint"],
)
def test_powerpoints_default_title_in_other_languages_is_no_title(title: str) -> None:
    assert extract_bytes(make_pptx(title=title), PPTX_TYPE).title == "Harbour renewal"


def test_an_ebook_skips_a_missing_chapter_its_contents_page_and_its_note_markers() -> None:
    """One missing chapter made the whole book "damaged"; the EPUB 3 contents page opened the
    text; note numbers stuck to words ("6:40 p.m.1") and pop-up notes sat mid-paragraph."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(make_epub())) as book, zipfile.ZipFile(out, "w") as edited:
        for info in book.infolist():
            body = book.read(info)
            if info.filename == "OEBPS/content.opf":
                body = body.replace(b'<itemref idref="one"/>', b'<itemref idref="nav"/>').replace(
                    b'<itemref idref="two"/>', b'<itemref idref="one"/><itemref idref="two"/>'
                )
            elif info.filename == "OEBPS/text/one.xhtml":
                body = body.replace(
                    b"in 2025.</p>",
                    b'in 2025.<a epub:type="noteref" href="#n1">1</a></p>'
                    b'<aside epub:type="footnote" id="n1">A note on oak.</aside>',
                )
            elif info.filename == "OEBPS/text/chapter 2.xhtml":
                continue  # missing
            edited.writestr(info, body)
    document = extract_bytes(out.getvalue(), EPUB_TYPE)
    assert document.text.split("\n\n") == [
        "The wheel",
        "The Halloran family replaced the oak wheel in 2025.",
    ]


def test_an_rtf_file_is_titled_by_its_info_and_a_file_named_rtf_read_as_what_it_is() -> None:
    """The document's own title was ignored for its file name; a text file, a binary file or
    an RTF with a byte-order mark named .rtf came out as junk or lost its lines."""
    info = (
        rb"{\rtf1\ansi{\info{\title Quarterly Safety Report}{\author Maria Keller}}"
        rb"\f0 The plant had no incidents in March.\par}"
    )
    document = extract_bytes(b"\xef\xbb\xbf" + info, media_type_for_file("w.rtf", None, info))
    assert (document.title, document.author, document.text) == (
        "Quarterly Safety Report",
        "Maria Keller",
        "The plant had no incidents in March.",
    )
    notes = b"Meeting notes\nWe decided to rebuild the wall.\nNext meeting in May."
    read = extract_bytes(notes, media_type_for_file("notes.rtf", None, notes), filename="notes.rtf")
    assert read.text == notes.decode()
    rng = random.Random(1)
    binary = bytes(rng.randrange(256) for _ in range(4000))
    with pytest.raises(UnsupportedContentError):
        extract_bytes(binary, media_type_for_file("x.rtf", "application/rtf", binary))
    japanese = "".join(f"\\u{ord(c)}?" for c in "東京の会議は来週です。").encode()
    japanese = rb"{\rtf1\ansi " + japanese + b"}"
    assert extract_bytes(japanese, "application/rtf").text == "東京の会議は来週です。"
