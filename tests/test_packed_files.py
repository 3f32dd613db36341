"""Gzip-compressed files are read as the file inside, within a bound on what they unpack to."""

from __future__ import annotations

import gzip

import pytest

from bot.content.packed import unpacked
from bot.content.sources import FileSource
from bot.errors import InvalidSourceError

PAGE = b"<html><body><p>The tide mill turns again.</p></body></html>"


def test_the_file_inside_with_its_own_name_and_no_declared_type() -> None:
    source = FileSource(gzip.compress(PAGE), "Page.HTML.GZ", mime_type="application/gzip")
    inside = unpacked(source)
    assert inside == FileSource(PAGE, "Page.HTML", mime_type=None)


def test_a_file_that_is_not_compressed_is_left_as_it_is() -> None:
    source = FileSource(PAGE, "page.html.gz", mime_type="text/html")
    assert unpacked(source) is source


def test_compressed_data_under_another_name_keeps_the_name() -> None:
    assert unpacked(FileSource(gzip.compress(PAGE), "stdin.txt")).filename == "stdin.txt"


def test_members_one_after_another_are_unpacked_in_turn_and_trailing_bytes_ignored() -> None:
    data = gzip.compress(b"first ") + gzip.compress(b"second") + b"\x00\x00junk"
    assert unpacked(FileSource(data, "two.txt.gz")).data == b"first second"


@pytest.mark.parametrize(
    "data",
    [
        gzip.compress(PAGE)[:-12],  # cut short
        gzip.compress(PAGE)[:10] + b"not deflate at all",
    ],
    ids=["truncated", "garbled"],
)
def test_a_damaged_file_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(InvalidSourceError) as caught:
        unpacked(FileSource(data, "page.html.gz"))
    assert caught.value.key == "err_packed_damaged"
    assert caught.value.user_message == (
        "page.html.gz is gzip-compressed but damaged: it can't be unpacked."
    )


def test_what_a_file_unpacks_to_is_bounded_over_all_its_members() -> None:
    half = gzip.compress(b"x" * 600)
    assert len(unpacked(FileSource(half, "a.txt.gz"), limit=1000).data) == 600
    with pytest.raises(InvalidSourceError) as caught:
        unpacked(FileSource(half + half, "a.txt.gz"), limit=1000)
    assert caught.value.key == "err_packed_too_large"
    assert caught.value.user_message == (
        "a.txt.gz unpacks to more than 0.001 MB, more than I read from one file."
    )
    exactly = gzip.compress(b"x" * 1000)
    assert len(unpacked(FileSource(exactly, "a.txt.gz"), limit=1000).data) == 1000
