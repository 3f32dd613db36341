"""Tests for the built-in extractive summarizer (no LLM key configured)."""

from __future__ import annotations

import random
import time

import pytest

from bot.content.words import reading_words
from bot.llm.extractive import (
    ExtractiveSummary,
    rank_sentences,
    split_sentences,
    summarize_extractive,
    terms,
    truncate_at_word,
)

# A document whose lead is off-topic filler while the article's subject (a solar battery) is
# developed in the middle; the most central sentence sits at index 9.
FILLER_HEAD = [
    "The weather in the northern valley stayed unusually mild throughout the early spring months.",
    "A local bakery introduced a sourdough recipe that quickly sold out every single morning.",
    "Several tourists photographed the old lighthouse standing alone on the rocky western coast.",
    "The city council postponed its vote on parking fees until the following quarterly meeting.",
    "Volunteers repainted the community library and planted tulips along the front walkway.",
]
TOPIC = [
    "Researchers found that the new solar battery stores energy twice as long as older designs.",
    "A jazz quartet performed in the town square, drawing a crowd of curious evening listeners.",
    "The solar battery uses a cheap sodium chemistry instead of scarce lithium, they said.",
    "Engineers expect the solar battery to cut storage costs for homes with rooftop panels.",
    "The new solar battery design combines sodium chemistry, long storage and low costs for homes.",
    "Investors are interested because the battery chemistry relies on cheap and abundant sodium.",
    "Long storage times could let homes use solar energy at night, according to the engineers.",
]
FILLER_TAIL = [
    "A stray cat was adopted by the fire station crew after weeks of sleeping near the garage.",
    "The regional football team won its third consecutive match on a rainy Saturday afternoon.",
    "The museum extended its opening hours for the summer exhibition of medieval maps.",
]
DOCUMENT_SENTENCES = FILLER_HEAD + TOPIC + FILLER_TAIL
DOCUMENT = " ".join(DOCUMENT_SENTENCES)
CENTRAL = (
    "The new solar battery design combines sodium chemistry, long storage and low costs for homes."
)

RUSSIAN = """Центральный банк России сохранил ключевую ставку на уровне шестнадцати процентов.
Погода в Москве на выходных будет солнечной и тёплой, обещают синоптики.
Решение банка о ключевой ставке совпало с ожиданиями большинства аналитиков.
Аналитики считают, что ставка банка останется высокой до конца года.
В столичном зоопарке родился детёныш белого медведя, сообщили сотрудники.
Инфляция замедлилась, и банк может снизить ключевую ставку уже весной.
Футбольный клуб провёл товарищеский матч на стадионе в Сочи."""


def _random_document(n: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    vocab = [f"term{i}" for i in range(300)]
    return " ".join(
        "Report on " + " ".join(rng.choice(vocab) for _ in range(rng.randint(6, 16))) + "."
        for _ in range(n)
    )


# --- split_sentences ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One sentence. Two sentences! Three?", ["One sentence.", "Two sentences!", "Three?"]),
        (
            "Dr. Smith met Mr. Jones, e.g. at lunch. They talked.",
            ["Dr. Smith met Mr. Jones, e.g. at lunch.", "They talked."],
        ),
        (
            "The U.S. economy grew by 3.5 percent. Prices rose 2.1% too.",
            ["The U.S. economy grew by 3.5 percent.", "Prices rose 2.1% too."],
        ),
        ("He moved to the U.S. It was cold.", ["He moved to the U.S.", "It was cold."]),
        ("J. R. R. Tolkien wrote books. Many.", ["J. R. R. Tolkien wrote books.", "Many."]),
        (
            "See https://example.com/a.b?x=1 for details. Then stop.",
            ["See https://example.com/a.b?x=1 for details.", "Then stop."],
        ),
        (
            "Wait... what happened? He paused... Then he left.",
            ["Wait... what happened?", "He paused...", "Then he left."],
        ),
        ("It was cheap… not really. Fine.", ["It was cheap… not really.", "Fine."]),
        ('"Stop!" he said. "Why?" She left.', ['"Stop!" he said.', '"Why?"', "She left."]),
        (
            "Привет, мир. Это А. С. Пушкин, т.е. поэт. Конец!",
            ["Привет, мир.", "Это А. С. Пушкин, т.е. поэт.", "Конец!"],
        ),
        (
            "今日は晴れです。明日は雨でしょう！本当？はい。",
            ["今日は晴れです。", "明日は雨でしょう！", "本当？", "はい。"],
        ),
        (
            "Title without a dot\nSecond line\n\n  Third paragraph. Two sentences.  ",
            ["Title without a dot", "Second line", "Third paragraph.", "Two sentences."],
        ),
        # Text wrapped at a width (a PDF's lines): a line going on in lowercase is one sentence.
        (
            "The flood tide reached its\nheight, and the oak water-\nwheel turned.\nNext one.",
            ["The flood tide reached its height, and the oak water-wheel turned.", "Next one."],
        ),
        ("", []),
        ("  \n\n \t ", []),
        ("---\n***\nReal text.", ["Real text."]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_split_sentences_round_trips_the_document() -> None:
    assert split_sentences(DOCUMENT) == DOCUMENT_SENTENCES


# --- rank_sentences -----------------------------------------------------------------------------


def test_rank_sentences_prefers_the_central_sentence() -> None:
    scores = rank_sentences(DOCUMENT_SENTENCES)
    assert len(scores) == len(DOCUMENT_SENTENCES)
    best = max(range(len(scores)), key=scores.__getitem__)
    assert DOCUMENT_SENTENCES[best] == CENTRAL
    # Every on-topic sentence outranks every off-topic one.
    topical = [scores[i] for i, s in enumerate(DOCUMENT_SENTENCES) if "solar" in s]
    unrelated = [scores[DOCUMENT_SENTENCES.index(s)] for s in FILLER_HEAD + FILLER_TAIL]
    assert min(topical) > max(unrelated)
    assert sum(scores) == pytest.approx(1.0)


def test_rank_sentences_edge_cases() -> None:
    assert rank_sentences([]) == []
    assert rank_sentences(["Only one sentence here."]) == [pytest.approx(1.0)]
    # No shared vocabulary: everything is equally (un)important.
    scores = rank_sentences(["Apples grow here.", "Rivers flow fast.", "Clocks tick loudly."])
    assert scores == [pytest.approx(1 / 3)] * 3


# --- summarize_extractive -----------------------------------------------------------------------


def test_summary_picks_central_sentences_not_the_lead() -> None:
    summary = summarize_extractive(DOCUMENT, max_sentences=3)
    assert isinstance(summary, ExtractiveSummary)
    assert len(summary.sentences) == 3
    assert CENTRAL in summary.sentences
    assert summary.sentences != DOCUMENT_SENTENCES[:3]
    assert not set(summary.sentences) & set(FILLER_HEAD)
    assert all("battery" in s or "solar" in s for s in summary.sentences)


def test_summary_sentences_are_verbatim_and_in_document_order() -> None:
    summary = summarize_extractive(DOCUMENT, max_sentences=4)
    positions = [DOCUMENT_SENTENCES.index(s) for s in summary.sentences]
    assert positions == sorted(positions)
    assert summary.text == " ".join(summary.sentences)
    for sentence in summary.sentences:
        assert sentence in DOCUMENT


def test_summary_skips_near_duplicates() -> None:
    repeated = CENTRAL.replace("The new", "This new")
    text = " ".join([*DOCUMENT_SENTENCES[:10], repeated, CENTRAL, *DOCUMENT_SENTENCES[10:]])
    summary = summarize_extractive(text, max_sentences=4)
    assert not (repeated in summary.sentences and CENTRAL in summary.sentences)
    assert sum(s.endswith("low costs for homes.") for s in summary.sentences) == 1
    exact = summarize_extractive(" ".join([CENTRAL] * 8 + FILLER_TAIL), max_sentences=4)
    assert exact.sentences.count(CENTRAL) == 1


@pytest.mark.parametrize("max_chars", [120, 200, 300, 900])
def test_summary_respects_max_chars(max_chars: int) -> None:
    summary = summarize_extractive(DOCUMENT, max_sentences=5, max_chars=max_chars)
    assert summary.sentences
    assert len(summary.text) <= max_chars


def test_single_overlong_sentence_is_truncated_at_a_word_boundary() -> None:
    summary = summarize_extractive(DOCUMENT, max_chars=40)
    assert len(summary.sentences) == 1
    text = summary.text
    assert len(text) <= 40
    assert text.endswith("…")
    head = text[:-1]
    assert any(s.startswith(head + " ") for s in DOCUMENT_SENTENCES)


def test_summary_is_deterministic() -> None:
    first = summarize_extractive(DOCUMENT, max_sentences=3, title="Solar battery")
    for _ in range(3):
        assert summarize_extractive(DOCUMENT, max_sentences=3, title="Solar battery") == first
    assert rank_sentences(DOCUMENT_SENTENCES) == rank_sentences(DOCUMENT_SENTENCES)


def test_title_biases_the_choice() -> None:
    metro = [
        "The city opened a new metro line connecting the airport with the central station.",
        "Metro trains on the new line run every four minutes during rush hour.",
        "The metro line cost two billion dollars and took six years to build.",
        "Commuters praised the metro line for cutting airport trips to twenty minutes.",
    ]
    zoo = [
        "The city zoo welcomed a baby elephant born to its oldest female elephant.",
        "Zoo keepers say the baby elephant weighs over one hundred kilograms.",
        "The elephant calf will meet zoo visitors after a month of quiet care.",
        "Visitors lined up at the zoo hoping to see the elephant calf and its mother.",
    ]
    text = " ".join(s for pair in zip(metro, zoo, strict=True) for s in pair)
    about_zoo = summarize_extractive(text, max_sentences=2, title="Baby elephant born at the zoo")
    assert all(s in zoo for s in about_zoo.sentences)
    about_metro = summarize_extractive(text, max_sentences=2, title="New metro line opens")
    assert all(s in metro for s in about_metro.sentences)


def test_too_short_and_too_long_sentences_are_avoided() -> None:
    short = "Yes indeed."
    long = "The solar battery " + " ".join(["sodium storage energy"] * 25) + "."
    text = " ".join([short, *DOCUMENT_SENTENCES, long, short.replace("Yes", "No")])
    summary = summarize_extractive(text, max_sentences=5, max_chars=5000)
    assert short not in summary.sentences
    assert long not in summary.sentences
    # ...but they are used when nothing else is left.
    only_short = "Go. Stop now. Wait here. Run fast. Sit down. Come back. Look up."
    assert summarize_extractive(only_short, max_sentences=2).sentences


def test_empty_and_tiny_inputs() -> None:
    assert summarize_extractive("") == ExtractiveSummary([])
    assert summarize_extractive("   \n\n ").text == ""
    assert summarize_extractive("Hi.").sentences == ["Hi."]
    tiny = "First short line.\nSecond one! Third?"
    assert summarize_extractive(tiny).sentences == ["First short line.", "Second one!", "Third?"]
    assert summarize_extractive(tiny, max_sentences=3).sentences == split_sentences(tiny)


def test_invalid_limits_are_rejected() -> None:
    with pytest.raises(ValueError, match="positive"):
        summarize_extractive(DOCUMENT, max_sentences=0)
    with pytest.raises(ValueError, match="positive"):
        summarize_extractive(DOCUMENT, max_chars=0)


def test_russian_text() -> None:
    summary = summarize_extractive(RUSSIAN, max_sentences=2)
    assert len(summary.sentences) == 2
    assert all("ставк" in s for s in summary.sentences)
    lines = RUSSIAN.splitlines()
    assert all(s in lines for s in summary.sentences)


def test_japanese_text() -> None:
    text = (
        "人工知能の研究が急速に進んでいます。人工知能は医療の分野でも使われています。"
        "今日の天気は晴れです。医療における人工知能の研究は重要です。猫が庭で寝ています。"
        "人工知能を使った新しい医療機器が開発されました。"
    )
    summary = summarize_extractive(text, max_sentences=2)
    assert len(summary.sentences) == 2
    assert all("人工知能" in s for s in summary.sentences)
    assert summary.text == "".join(summary.sentences)


def test_long_document_finishes_quickly() -> None:
    text = _random_document(2000)
    assert len(split_sentences(text)) == 2000
    started = time.perf_counter()
    summary = summarize_extractive(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 5.0
    assert 1 <= len(summary.sentences) <= 5
    assert len(summary.text) <= 900
    sentences = split_sentences(text)
    assert all(s in sentences for s in summary.sentences)
    scores = rank_sentences(sentences)
    assert len(scores) == 2000
    assert sum(score > 0 for score in scores) == 300  # only the shortlist enters the graph


def test_hindi_and_arabic_sentences_end_at_their_own_marks() -> None:
    """Nine Hindi sentences were one, and the summary the first 450 characters cut short."""
    text = "यह पहला वाक्य है। यह दूसरा वाक्य है। क्या यह तीसरा है؟ نعم هذا رابع؟ وهذا خامس."
    assert split_sentences(text) == [
        "यह पहला वाक्य है।",
        "यह दूसरा वाक्य है।",
        "क्या यह तीसरा है؟",
        "نعم هذا رابع؟",
        "وهذا خامس.",
    ]


# --- scripts other than the Latin and Cyrillic alphabets (2026-12-07, an audit) -----------------


def test_full_width_and_other_scripts_stops_end_sentences() -> None:
    """Japanese official writing ends sentences with "．"; Khmer, Burmese and Armenian have
    stops of their own: each text was one giant sentence."""
    assert split_sentences("研究の目的を述べる．次に方法を説明する．最後に結果を示す．") == [
        "研究の目的を述べる．",
        "次に方法を説明する．",
        "最後に結果を示す．",
    ]
    assert len(split_sentences("ប្រយោគទីមួយ។ ប្រយោគទីពីរ។")) == 2
    assert len(split_sentences("ပထမဝါကျ။ ဒုတိယဝါကျ။")) == 2
    assert len(split_sentences("Առաջին նախադասություն։ Երկրորդ նախադասություն։")) == 2


def test_text_without_spaces_is_cut_between_characters_not_at_an_earlier_latin_space() -> None:
    """The whole summary of a Chinese article was "据 BBC…": the cut went back to the last
    ASCII space."""
    sentence = (
        "据 BBC 报道，潮汐磨坊在经过三年的修复后于周六重新向公众开放，"
        "排队的人群一直排到了街道的尽头"
    )
    cut = truncate_at_word(sentence, 40)
    assert len(cut) <= 40
    assert len(cut) > 20
    assert cut.endswith("…")
    assert truncate_at_word("The mill at Brackwater turned again", 20) == "The mill at…"


def test_key_points_are_no_headings_titles_table_rows_or_credit_lines() -> None:
    lines = [
        "# Annual Water Quality Report 2024",
        "The utility tested 1,200 samples from the river intake and found every one within the "
        "federal limits for lead and nitrates.",
        "Sampling results",
        "Chlorine levels averaged 1.1 milligrams per litre, below the 4.0 allowed, and the "
        "treatment plant ran without an outage.",
        "6 Ryan Blaney 2339 1 1 11 18",
        "— The Riverside Council (@RiversideGov) October 9, 2024",
        "Customers can ask for a free lead test of their taps by calling the utility before "
        "the end of March.",
        "Annual Water Quality Report 2024",
        "The report also lists the plant's energy use, which fell by a tenth after new pumps "
        "were fitted in the spring.",
    ]
    result = summarize_extractive(
        "\n\n".join(lines), max_sentences=4, title="Annual Water Quality Report 2024"
    )
    assert result.sentences
    for sentence in result.sentences:
        assert sentence.endswith("."), sentence


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("İstanbul tersanesi", "istanbul tersanesi"),
        ("Πού βρέθηκαν μυλόπετρες", "Που βρεθηκαν μυλοπετρες"),
        ("مَرْحَبًا بِالْعَالَمِ", "مرحبا بالعالم"),
        ("שָׁלוֹם עוֹלָם", "שלום עולם"),
        ("Ça coûte cher", "ca coute cher"),
    ],
)
def test_terms_meet_whatever_the_case_accents_and_vowel_marks(written: str, typed: str) -> None:
    """An offline answer found nothing for "istanbul" in a text with "İstanbul", for Greek
    typed without accents or for Arabic without harakat."""
    assert terms(written) == terms(typed)


def test_an_indic_word_is_one_term_and_one_word() -> None:
    """Python's `\\w` does not match Devanagari vowel signs: "धन्यवाद" was three pieces."""
    assert len(terms("धन्यवाद")) == 1
    assert reading_words("धन्यवाद चक्की फिर से चलने लगी।") == 6


def test_thai_sentences_end_at_the_space_between_them() -> None:
    """Thai has no full stop: a sentence ends with a space. A Thai summary was whole
    paragraphs, or only the lead."""
    text = (
        "โรงสีน้ำขึ้นน้ำลงเปิดให้ประชาชนเข้าชมอีกครั้งในวันเสาร์หลังการบูรณะสามปี "
        "ผู้คนต่อแถวยาวไปจนสุดถนนก่อนเก้าโมงเช้า "
        "อาสาสมัครกล่าวว่าเงินส่วนใหญ่มาจากการบริจาคเล็กๆ น้อยๆ"
    )
    assert split_sentences(text) == [
        "โรงสีน้ำขึ้นน้ำลงเปิดให้ประชาชนเข้าชมอีกครั้งในวันเสาร์หลังการบูรณะสามปี",
        "ผู้คนต่อแถวยาวไปจนสุดถนนก่อนเก้าโมงเช้า",
        "อาสาสมัครกล่าวว่าเงินส่วนใหญ่มาจากการบริจาคเล็กๆ น้อยๆ",
    ], "ๆ repeats the word before it: no end there"
