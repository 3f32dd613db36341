"""Built-in extractive summarizer, used when no LLM key is configured.

Pure standard library so the bot can always answer: the summary is made of the document's own
sentences (nothing is invented), chosen by TextRank over a TF-IDF cosine graph.
"""

from __future__ import annotations

import math
import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ExtractiveSummary",
    "rank_sentences",
    "split_sentences",
    "summarize_extractive",
    "terms",
]

# --- sentence splitting -------------------------------------------------------------------------


def _word_set(words: str) -> frozenset[str]:
    """Word lists are kept as text blocks so they stay readable."""
    return frozenset(words.split())


# Full-width and half-width ideographic stops too: "．" ends sentences in Japanese academic and
# official writing.
_CJK_TERMINATORS = "。！？．｡"
# Full stops and question marks of scripts without letter case (Devanagari's danda, Arabic's
# question mark, Urdu's full stop, Khmer's, Burmese's, Armenian's and Ethiopic's stops):
# always a sentence's end, as the CJK ones.
_ALWAYS_TERMINATORS = _CJK_TERMINATORS + "।॥؟۔។။։።"
_CLOSERS = "\"'”’»)]」』）】》"
_OPENERS = "\"'“‘«([「『（【《¿¡"
_TERMINATOR_RE = re.compile(r"[.!?…。！？．｡।॥؟۔។။։።]+[\"'”’»)\]」』）】》]*")
# First visible character of the next sentence, skipping opening quotes and brackets.
_NEXT_RE = re.compile(r"\s*[\"'“‘«(\[「『（【《¿¡]*(\S)")
_LAST_TOKEN_RE = re.compile(r"(\S*)$")
_DOTTED_RE = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")
_HAS_WORD_RE = re.compile(r"[^\W_]")

# Abbreviations that essentially never end a sentence (titles, "e.g.", "т.е."...).
_ABBREV_NEVER = _word_set(
    """
    mr mrs ms dr prof st rev gen col lt sgt capt cmdr adm gov sen rep hon mt ft messrs mme mlle
    e.g i.e cf vs viz approx ca fig figs eq eqs pp vol vols ch sec dept univ
    т.е т.к т.н т.ч им ул просп пер кв см рис стр гл проф акад доц
    """
)
# Abbreviations that may end a sentence: break only when a capitalised word follows.
_ABBREV_AMBIGUOUS = _word_set(
    """
    etc inc ltd co corp jr sr bros al ph.d jan feb mar apr jun jul aug sep sept oct nov dec
    т.д т.п др пр тыс млн млрд руб коп гг
    """
)
# "No. 5" / "№" style numbering is an abbreviation only before a number.
_ABBREV_BEFORE_NUMBER = frozenset({"no", "nos", "nr", "n", "art", "p", "ст"})


def split_sentences(text: str) -> list[str]:
    """Split text into sentences.

    Heuristic rather than model-based so it works for any language without data files: a line
    break ends a sentence unless the next line goes on with a lowercase word (wrapped text),
    a terminator must be followed by whitespace (so decimals, URLs
    and dotted acronyms stay whole) except CJK full stops, and abbreviations, initials and a
    following lowercase word suppress a break. Pieces without any letter or digit are dropped.
    """
    sentences: list[str] = []
    for line in _unwrapped(text.splitlines()):
        start = 0
        for match in _TERMINATOR_RE.finditer(line):
            if _is_boundary(line, match):
                _append_piece(sentences, line[start : match.end()])
                start = match.end()
        _append_piece(sentences, line[start:])
    return sentences


# A line that goes on in the next: no sentence end or colon at its end, and the next line
# starts with a lowercase letter (text wrapped at a width: PDFs, e-mail, plain-text files).
_LINE_END = re.compile(r"[.!?…:;。！？．｡।॥؟۔។။։።\"'”’»)\]」』）】》]\s*$")


def _unwrapped(lines: list[str]) -> list[str]:
    """Lines a text's wrapping cut in the middle of a sentence, joined again."""
    joined: list[str] = []
    for line in lines:
        following = line.lstrip()
        previous = joined[-1] if joined else ""
        if following[:1].islower() and previous.strip() and not _LINE_END.search(previous):
            glue = "" if previous.endswith("-") else " "
            joined[-1] = previous.rstrip() + glue + following
        else:
            joined.append(line)
    return joined


# Thai (and Lao, Khmer) write words together and mark a sentence's end with a space, having
# no full stop: a long piece of such text is split at its spaces between two letters.
# (not after "ๆ", which repeats the word before it: "เล็กๆ น้อยๆ" is one phrase)
_SPACED_SENTENCES = re.compile(
    r"(?<=[\u0e00-\u0e45\u0e47-\u0eff\u1780-\u17ff]) +(?=[\u0e00-\u0eff\u1780-\u17ff])"
)
_SPACED_SENTENCES_MIN = 120


def _append_piece(sentences: list[str], piece: str) -> None:
    piece = piece.strip()
    if not piece or not _HAS_WORD_RE.search(piece):
        return
    if len(piece) >= _SPACED_SENTENCES_MIN and _SPACED_SENTENCES.search(piece):
        sentences.extend(part for part in _SPACED_SENTENCES.split(piece) if part.strip())
        return
    sentences.append(piece)


def _is_boundary(line: str, match: re.Match[str]) -> bool:
    """Decide whether a run of terminators (plus closing quotes) ends a sentence."""
    run = match.group()
    punct = run.rstrip(_CLOSERS)
    if any(c in _ALWAYS_TERMINATORS for c in punct):
        return True
    end = match.end()
    if end < len(line) and not line[end].isspace():
        return False  # "3.5", "example.com", "U.S", "?q=1"
    following = _NEXT_RE.match(line, end)
    if following is None:
        return True  # end of the line
    nxt = following.group(1)
    if "!" in punct or "?" in punct:
        # '"Stop!" he said.' continues; a plain "Really? Yes." breaks.
        return not (nxt.islower() and len(punct) < len(run))
    if "…" in punct or len(punct) > 1:
        return not nxt.islower()  # "Wait... what?" is one sentence
    token_match = _LAST_TOKEN_RE.search(line, max(0, match.start() - 32), match.start())
    token = token_match.group(1).lstrip(_OPENERS) if token_match else ""
    lowered = token.lower().replace("ё", "е")
    if lowered in _ABBREV_NEVER:
        return False
    if lowered in _ABBREV_BEFORE_NUMBER and nxt.isdigit():
        return False
    if nxt.islower():
        return False
    if lowered in _ABBREV_AMBIGUOUS or _DOTTED_RE.fullmatch(lowered):
        return nxt.isupper()  # "in the U.S. It was" breaks, "U.S. 2024" does not
    # A single letter is an initial: "J. R. R. Tolkien", "А. С. Пушкин".
    return not (len(token) == 1 and token.isalpha())


# --- tokens and TF-IDF --------------------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W_]+")
# Scripts written without spaces between words: Han, kana, Hangul, Thai, Lao, Khmer, Myanmar.
_CJK_CLASS = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
)
_CJK_RE = re.compile(f"[{_CJK_CLASS}]")
_CJK_SPLIT_RE = re.compile(f"([{_CJK_CLASS}]+)")
_RU_VOWELS = frozenset("аеиоуыэюяйь")
_LONG_UNSPACED_WORD = 16


def _without_marks(text: str) -> str:
    """Case-folded, without accents, vowel signs and points: "İstanbul" meets "istanbul",
    Greek typed without its accents and Arabic without its harakat meet the written text, and
    a Devanagari word is one token (its vowel signs are no word characters to `re`)."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    kept = "".join(c for c in unicodedata.normalize("NFKD", folded) if not _is_mark(c))
    return unicodedata.normalize("NFC", kept)  # Hangul syllables whole again


def _is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


_STOP_WORDS_WRITTEN = _word_set(
    """
    a an the and or but if then else of to in on at by for with from as is are was were be been
    being it its this that these those he she they we you me my our your their his her them us
    not no do does did done have has had will would can could should may might must shall so
    than too very just also about into over after before more most such only own same other
    some any all each both few there here what which who whom whose when where why how up out
    off again once because while during until against between through under above below said
    says
    и в во не что он на я с со как а то все всё она так его но да ты к у же вы за бы по только
    ее её мне было вот от меня еще ещё нет о из ему теперь когда даже ну ли если уже или ни быть
    был него до вас опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней
    для мы тебя их чем была сам чтоб без чего раз тоже себе под будет ж тогда кто этот того
    потому этого какой ним здесь этом почти мой тем чтобы нее сейчас были куда зачем всех можно
    при об хоть после над больше тот через эти нас про всего них какая много эту моя свою этой
    перед том такой им более всегда между это также который которые которая которых которой
    """
)
# Compared after _without_marks: "её" is "ее", "мой" is "мои".
_STOP_WORDS = frozenset(_without_marks(word) for word in _STOP_WORDS_WRITTEN)

_Vector = dict[str, float]


def _fold(word: str) -> str:
    """Crude suffix folding so that plurals and Russian inflections share a token."""
    if "\u0400" <= word[0] <= "\u04ff":
        stem = word
        while len(stem) > 3 and stem[-1] in _RU_VOWELS:
            stem = stem[:-1]
        return stem[:7]
    if len(word) > 3 and word.isascii() and word[-1] == "s":
        if word.endswith("ies") and len(word) > 4:
            return word[:-3] + "y"
        if not word.endswith(("ss", "us", "is")):
            return word[:-1]
    return word


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _tokens(sentence: str) -> list[str]:
    """Folded word tokens; character bigrams for scripts written without spaces."""
    lowered = _without_marks(sentence)
    unspaced = not any(c.isspace() for c in lowered)
    tokens: list[str] = []
    for word in _WORD_RE.findall(lowered):
        if _CJK_RE.search(word):
            for k, part in enumerate(_CJK_SPLIT_RE.split(word)):
                if k % 2:
                    tokens.extend(_bigrams(part))
                elif len(part) >= 2 and part not in _STOP_WORDS:
                    tokens.append(_fold(part))
        elif unspaced and len(word) >= _LONG_UNSPACED_WORD:
            tokens.extend(_bigrams(word))
        elif len(word) >= 2 and word not in _STOP_WORDS:
            tokens.append(_fold(word))
    return tokens


def terms(text: str) -> list[str]:
    """The index terms of a text, as used for ranking (stop words out, light folding)."""
    return _tokens(text)


def _tfidf(token_lists: Sequence[Sequence[str]]) -> tuple[list[_Vector], dict[str, float]]:
    """Unit-length TF-IDF vectors (sublinear tf, smoothed idf) and the idf table."""
    n = len(token_lists)
    df: Counter[str] = Counter()
    for tokens in token_lists:
        df.update(set(tokens))
    # Smoothed idf stays positive, so a topic word present in every sentence still links them.
    idf = {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}
    vectors = [_vectorize(tokens, idf, n) for tokens in token_lists]
    return vectors, idf


def _vectorize(tokens: Iterable[str], idf: dict[str, float], n: int) -> _Vector:
    unseen = math.log(1 + n) + 1.0
    vector = {t: (1.0 + math.log(c)) * idf.get(t, unseen) for t, c in Counter(tokens).items()}
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {t: w / norm for t, w in vector.items()} if norm else {}


def _cosine(a: _Vector, b: _Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


# --- ranking ------------------------------------------------------------------------------------

_DAMPING = 0.85
_TOLERANCE = 1e-6
_MAX_ITERATIONS = 100
_GRAPH_LIMIT = 300


def rank_sentences(sentences: list[str]) -> list[float]:
    """Score each sentence by TextRank centrality (higher = more central).

    Long inputs are first cut to the most central ~300 sentences by TF-IDF centroid similarity to
    keep the quadratic graph cheap; sentences outside that shortlist score 0.
    """
    vectors, _ = _tfidf([_tokens(s) for s in sentences])
    return _rank(vectors, None)


def _rank(vectors: Sequence[_Vector], prior: Sequence[float] | None) -> list[float]:
    """PageRank over the cosine graph; `prior` biases the teleport distribution."""
    keep = _shortlist(vectors, _GRAPH_LIMIT)
    scores = [0.0] * len(vectors)
    if not keep:
        return scores
    teleport = [prior[i] for i in keep] if prior is not None else [1.0] * len(keep)
    total = sum(teleport)
    teleport = [p / total for p in teleport]
    ranked = _pagerank(_similarity_matrix([vectors[i] for i in keep]), teleport)
    for i, score in zip(keep, ranked, strict=True):
        scores[i] = score
    return scores


def _shortlist(vectors: Sequence[_Vector], limit: int) -> list[int]:
    """Indices (in document order) of the `limit` sentences closest to the TF-IDF centroid."""
    if len(vectors) <= limit:
        return list(range(len(vectors)))
    centroid: _Vector = {}
    for vector in vectors:
        for t, w in vector.items():
            centroid[t] = centroid.get(t, 0.0) + w
    # Subtract the self-similarity (1 for any non-empty unit vector).
    scores = [
        sum(w * centroid[t] for t, w in vector.items()) - (1.0 if vector else 0.0)
        for vector in vectors
    ]
    best = sorted(range(len(vectors)), key=lambda i: (-scores[i], i))[:limit]
    return sorted(best)


def _similarity_matrix(vectors: Sequence[_Vector]) -> list[list[float]]:
    """Dense symmetric cosine matrix with a zero diagonal, built from an inverted index.

    Only pairs that share a token are touched, which is far cheaper than all-pairs dot products.
    """
    n = len(vectors)
    postings: dict[str, list[tuple[int, float]]] = {}
    for i, vector in enumerate(vectors):
        for t, w in vector.items():
            postings.setdefault(t, []).append((i, w))
    sims = [[0.0] * n for _ in range(n)]
    for plist in postings.values():
        for a in range(len(plist) - 1):
            i, wi = plist[a]
            row = sims[i]
            for j, wj in plist[a + 1 :]:
                row[j] += wi * wj
    for i in range(n):
        row = sims[i]
        for j in range(i + 1, n):
            sims[j][i] = row[j]
    return sims


def _pagerank(sims: list[list[float]], teleport: list[float]) -> list[float]:
    """Weighted PageRank by power iteration; dangling nodes teleport."""
    n = len(sims)
    inverse = [_DAMPING / s if s > 0 else 0.0 for s in map(sum, sims)]
    dangling = [i for i, inv in enumerate(inverse) if inv == 0.0]
    # The matrix is symmetric, so row j scaled by 1/rowsum(i) is column j of the transition.
    incoming = [list(map(operator.mul, row, inverse)) for row in sims]
    scores = [1.0 / n] * n
    for _ in range(_MAX_ITERATIONS):
        jump = 1.0 - _DAMPING + _DAMPING * sum(scores[i] for i in dangling)
        updated = [
            jump * p + sum(map(operator.mul, col, scores))
            for p, col in zip(teleport, incoming, strict=True)
        ]
        delta = sum(abs(a - b) for a, b in zip(updated, scores, strict=True))
        scores = updated
        if delta < _TOLERANCE:
            break
    return scores


# --- selection ----------------------------------------------------------------------------------

_DUPLICATE_SIMILARITY = 0.7
_MIN_WORDS = 5
_MIN_CHARS = 20
_MAX_WORDS = 60
_POSITION_WEIGHT = 0.5
_TITLE_WEIGHT = 3.0
_ELLIPSIS = "…"


@dataclass(frozen=True)
class ExtractiveSummary:
    """The chosen sentences, in document order."""

    sentences: list[str]

    @property
    def text(self) -> str:
        """The sentences joined into one paragraph."""
        return _join(self.sentences)


def summarize_extractive(
    text: str,
    *,
    max_sentences: int = 5,
    max_chars: int = 900,
    title: str | None = None,
) -> ExtractiveSummary:
    """Pick the most central sentences of `text`, verbatim and in document order.

    Sentences similar to `title` and, slightly, early ones are favoured through the PageRank
    teleport vector. Near-duplicates and very short or very long sentences are skipped (the
    latter two only while anything else is available). The joined text never exceeds
    `max_chars`, except that a lone sentence that is too long is cut at a word boundary with "…".
    A text of at most `max_sentences` sentences that fits is returned unchanged.
    """
    if max_sentences < 1 or max_chars < 1:
        raise ValueError("max_sentences and max_chars must be positive")
    sentences = split_sentences(text)
    if not sentences:
        return ExtractiveSummary([])
    if len(sentences) <= max_sentences and len(_join(sentences)) <= max_chars:
        return ExtractiveSummary(sentences)

    vectors, idf = _tfidf([_tokens(s) for s in sentences])
    prior = [1.0 + _POSITION_WEIGHT / (1 + i) for i in range(len(sentences))]
    if title:
        title_vector = _vectorize(_tokens(title), idf, len(sentences))
        prior = [
            p + _TITLE_WEIGHT * _cosine(title_vector, v)
            for p, v in zip(prior, vectors, strict=True)
        ]
    scores = _rank(vectors, prior)
    order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    title_key = _line_key(title or "")
    preferred = [i for i in order if _quotable(sentences[i], title_key)]

    chosen = _pick(preferred, sentences, vectors, max_sentences, max_chars)
    if not chosen:
        chosen = _pick(order, sentences, vectors, max_sentences, max_chars)
    if not chosen:
        best = preferred[0] if preferred else order[0]
        return ExtractiveSummary([truncate_at_word(sentences[best], max_chars)])
    return ExtractiveSummary([sentences[i] for i in sorted(chosen)])


def _pick(
    candidates: Sequence[int],
    sentences: Sequence[str],
    vectors: Sequence[_Vector],
    max_sentences: int,
    max_chars: int,
) -> list[int]:
    """Greedy selection in rank order under the count, length and novelty constraints."""
    chosen: list[int] = []
    seen: set[str] = set()
    for i in candidates:
        if len(chosen) >= max_sentences:
            break
        key = " ".join(sentences[i].casefold().split())
        if key in seen:
            continue
        if any(_cosine(vectors[i], vectors[j]) > _DUPLICATE_SIMILARITY for j in chosen):
            continue
        trial = sorted([*chosen, i])
        if len(_join([sentences[k] for k in trial])) > max_chars:
            continue
        chosen.append(i)
        seen.add(key)
    return chosen


_SENTENCE_END = re.compile(r"[.!?…。！？．｡।॥؟۔។။։።][\"'”’»)\]」』）】》]*$")
_HEADING_WORDS = 12
_MARKDOWN_HEADING = re.compile(r"#{1,6}\s")
_ATTRIBUTION = ("—", "―", "--")  # a quote's or an embedded post's credit line
_NUMBER = re.compile(r"[\d.,:%/+-]+")


def looks_like_heading(line: str, max_words: int = _HEADING_WORDS) -> bool:
    """A short line without a sentence end: a heading ("Sampling results", "Ingredients")."""
    stripped = line.strip()
    return len(stripped.split()) < max_words and not _SENTENCE_END.search(stripped)


def _line_key(text: str) -> str:
    return " ".join(_WORD_RE.findall(_without_marks(text)))


def _quotable(sentence: str, title_key: str) -> bool:
    """A sentence worth quoting as a key point: of a reasonable length, and no heading (the
    title again, a Markdown heading, a short line without a sentence end), credit line
    ("— The Senate (@NGRSenate) October 9, 2018") or table row ("6 Ryan Blaney 2339 1 1 11")."""
    if not _reasonable_length(sentence):
        return False
    stripped = sentence.strip()
    if _MARKDOWN_HEADING.match(stripped) or stripped.startswith(_ATTRIBUTION):
        return False
    if title_key and _line_key(stripped) == title_key:
        return False
    if looks_like_heading(stripped):
        return False
    words = stripped.split()
    return sum(1 for word in words if _NUMBER.fullmatch(word)) * 2 < len(words)


def _reasonable_length(sentence: str) -> bool:
    """Between 5 and 60 words and at least 20 characters; CJK characters count double."""
    cjk = len(_CJK_RE.findall(sentence))
    words = len(_CJK_RE.sub(" ", sentence).split()) + (cjk + 1) // 2
    return _MIN_WORDS <= words <= _MAX_WORDS and len(sentence) + cjk >= _MIN_CHARS


def _join(sentences: Sequence[str]) -> str:
    """Join with spaces, except after CJK text, which is written without them."""
    parts: list[str] = []
    for k, sentence in enumerate(sentences):
        if k:
            last = sentences[k - 1][-1]
            if not (last in _CJK_TERMINATORS or last in "」』）】》" or _CJK_RE.match(last)):
                parts.append(" ")
        parts.append(sentence)
    return "".join(parts)


# Where a cut in text written without spaces may fall: after a comma or enumeration mark.
_CJK_PAUSES = "，、；：,"


def truncate_at_word(sentence: str, limit: int) -> str:
    """Cut to at most `limit` characters at a word boundary, marking the cut with "…".

    Text written without spaces (Chinese, Japanese, Thai) is cut after its last comma in the
    last third, else between two characters: backing up to an ASCII space there left a
    Chinese sentence as its opening Latin word.
    """
    if len(sentence) <= limit:
        return sentence
    head = sentence[: limit - 1]
    if not sentence[limit - 1].isspace():
        if _CJK_RE.match(sentence[limit - 2]) or _CJK_RE.match(sentence[limit - 1]):
            pause = max(head.rfind(mark) for mark in _CJK_PAUSES)
            head = head[: pause + 1] if pause >= len(head) * 2 // 3 else head
        else:
            cut = max(head.rfind(" "), head.rfind("\t"))
            if cut > 0:
                head = head[:cut]
    head = head.rstrip(" \t,;:—–-，、；：") or sentence[: limit - 1]
    return head + _ELLIPSIS
