"""Transcripts: timed text, markers, the cache form, and keeping a model's cited times true."""

from __future__ import annotations

import json

import pytest

from bot.media.transcript import (
    MARKER_RE,
    Segment,
    Transcript,
    anchor_moments,
    format_timestamp,
    from_plain,
    join,
    parse_timestamp,
)


def talk() -> Transcript:
    """Segments every 10 s over 95 s."""
    segments = tuple(Segment(i * 10.0, i * 10.0 + 9.5, f"Sentence {i}.") for i in range(10))
    return Transcript(segments, "en", 95.0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0:00"),
        (5, "0:05"),
        (5.99, "0:05"),
        (760, "12:40"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (3723, "1:02:03"),
        (36000, "10:00:00"),
        (-3, "0:00"),
        (float("nan"), "0:00"),
    ],
)
def test_format_timestamp(seconds: float, text: str) -> None:
    assert format_timestamp(seconds) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0:05", 5),
        ("[1:23]", 83),
        ("12:40", 760),
        ("75:00", 4500),
        ("1:02:03", 3723),
        ("[1:02:03]", 3723),
        ("99:99", None),
        ("1:60", None),
        ("1:60:00", None),
        ("1:2", None),
        ("abc", None),
        ("", None),
        ("1:23:45:67", None),
    ],
)
def test_parse_timestamp(text: str, seconds: int | None) -> None:
    assert parse_timestamp(text) == seconds


def test_text_joins_segments_and_skips_blank_ones() -> None:
    transcript = Transcript((Segment(0, 1, " Hello "), Segment(1, 2, "  "), Segment(2, 3, "world")))
    assert transcript.text == "Hello world"


def test_timed_text_starts_paragraphs_at_segment_boundaries() -> None:
    timed = talk().timed_text(every=30)
    paragraphs = timed.split("\n\n")
    assert paragraphs == [
        "[0:00] Sentence 0. Sentence 1. Sentence 2.",
        "[0:30] Sentence 3. Sentence 4. Sentence 5.",
        "[1:00] Sentence 6. Sentence 7. Sentence 8.",
        "[1:30] Sentence 9.",
    ]
    assert talk().marker_times(every=30) == [0, 30, 60, 90]
    assert [m["time"] for m in MARKER_RE.finditer(timed)] == ["0:00", "0:30", "1:00", "1:30"]


def test_marker_is_the_start_of_the_first_segment_of_its_paragraph() -> None:
    segments = (Segment(2.7, 20, "a"), Segment(20, 40, "b"), Segment(40, 41, "c"))
    transcript = Transcript(segments)
    assert transcript.timed_text(every=30) == "[0:02] a b\n\n[0:40] c"
    assert transcript.marker_times(every=30) == [2, 40]


def test_long_segments_each_get_a_marker_and_hours_show() -> None:
    segments = (Segment(0, 3700, "long"), Segment(3700, 3725, "later"))
    assert Transcript(segments).timed_text() == "[0:00] long\n\n[1:01:40] later"


def test_empty_transcript() -> None:
    empty = Transcript(())
    assert empty.text == ""
    assert empty.timed_text() == ""
    assert empty.marker_times() == []


def test_shifted_and_join() -> None:
    first = Transcript((Segment(0, 5, "one"),), "en", 5.0)
    second = Transcript((Segment(0, 4, "two"), Segment(4, 8, "three")), None, 8.0)
    assert second.shifted(5).segments == (Segment(5, 9, "two"), Segment(9, 13, "three"))
    assert second.shifted(5).duration == 13.0
    whole = join([(0.0, first), (5.0, second)])
    assert whole.text == "one two three"
    assert [s.start for s in whole.segments] == [0, 5, 9]
    assert whole.language == "en"
    assert whole.duration == 13.0
    assert join([(0.0, first), (5.0, second)], duration=12.5).duration == 12.5


def test_dict_round_trip_through_json() -> None:
    transcript = talk()
    restored = Transcript.from_dict(json.loads(json.dumps(transcript.to_dict())))
    assert restored == transcript


@pytest.mark.parametrize(
    "value",
    [{}, {"segments": [[0, 1]]}, {"segments": "x"}, {"segments": [], "language": 5}],
)
def test_from_dict_refuses_other_shapes(value: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="not a transcript"):
        Transcript.from_dict(value)


def test_from_plain() -> None:
    transcript = from_plain("  Hello there.  ", 12.5, "en")
    assert transcript.segments == (Segment(0.0, 12.5, "Hello there."),)
    assert transcript.timed_text() == "[0:00] Hello there."
    assert from_plain("   ", 3.0).segments == ()


# -- anchor_moments ----------------------------------------------------------------------------

MARKERS = [0, 30, 60, 90]


def test_anchor_keeps_real_markers() -> None:
    text = "Intro [0:00], the plan [0:30]."
    assert anchor_moments(text, MARKERS, 95) == text


def test_anchor_snaps_to_the_marker_at_or_before() -> None:
    assert anchor_moments("Costs [0:47] and risks [1:29].", MARKERS, 95) == (
        "Costs [0:30] and risks [1:00]."
    )


def test_anchor_before_the_first_marker_takes_the_first() -> None:
    assert anchor_moments("Start [0:01].", [2, 40], 50) == "Start [0:02]."


def test_anchor_removes_times_past_the_end() -> None:
    assert anchor_moments("Ending [5:00] here.", MARKERS, 95) == "Ending here."
    assert anchor_moments("[1:40:00] Late.", MARKERS, 95) == "Late."


def test_anchor_removes_impossible_times() -> None:
    assert anchor_moments("Odd [99:99] time.", MARKERS, 95) == "Odd time."
    assert anchor_moments("Odd [1:7] time.", MARKERS, 95) == "Odd time."


def test_anchor_without_markers_removes_every_time() -> None:
    assert anchor_moments("A [0:10] b.", [], 95) == "A b."


def test_anchor_unknown_duration_still_snaps() -> None:
    assert anchor_moments("Late [9:00].", MARKERS, 0) == "Late [1:30]."


def test_anchor_hours() -> None:
    markers = [0, 3600, 3723]
    assert anchor_moments("Then [1:02:30] now.", markers, 4000) == "Then [1:02:03] now."
    assert anchor_moments("At [61:00].", markers, 4000) == "At [1:00:00]."


def test_anchor_links_each_kept_time() -> None:
    def link(seconds: int) -> str:
        return f"https://example.com/v?t={seconds}"

    text = "Plan [0:47], end [9:59]."
    assert anchor_moments(text, MARKERS, 95, link) == (
        "Plan [0:30](https://example.com/v?t=30), end."
    )


def test_anchor_relinks_already_linked_times() -> None:
    def link(seconds: int) -> str:
        return f"https://t.me/c/1/2?t={seconds}"

    text = "See [1:05](https://evil.example/x) and [1:30](https://t.me/c/1/2?t=90)."
    assert anchor_moments(text, MARKERS, 95, link) == (
        "See [1:00](https://t.me/c/1/2?t=60) and [1:30](https://t.me/c/1/2?t=90)."
    )
    assert anchor_moments("Bad [7:00](https://evil.example/x) one.", MARKERS, 95, link) == (
        "Bad one."
    )


def test_anchor_leaves_other_brackets_and_bare_times_alone() -> None:
    text = "A [link](https://x.example), a list [1], 10:30 am, and [note]."
    assert anchor_moments(text, MARKERS, 95) == text


def test_anchor_never_invents_a_time() -> None:
    text = " ".join(f"[{m}:{s:02d}]" for m in range(0, 3) for s in range(0, 60, 7))
    out = anchor_moments(text, MARKERS, 95)
    assert {parse_timestamp(m["time"]) for m in MARKER_RE.finditer(out)} <= set(MARKERS)
