"""Trimming what extractors commonly keep around an article: a comment section, a repeated
headline, share and subscribe lines, "Related:" links (step 5 of ``bot.content.html``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from bot.content.ensemble import shingle_set
from bot.content.words import count_words, line_tokens

_BLANK_RUNS = re.compile(r"\n{3,}")
_TAIL_BOILERPLATE = re.compile(
    r"\b(?:follow (?:us|\w+) on|sign up|subscribe|newsletters?|all rights reserved|copyright"
    r"|contributed (?:to )?(?:this )?report(?:ing)?|reporting by|editing by|share (?:it|this)"
    r"|you may also like|read more|related (?:stories|articles)|click here)\b|©"
    r"|^\W*(?:\d+\s+)?comments?\W*$"
    r"|^\W*(?:tags?|tagged(?: with)?|filed under|categor(?:y|ies)|теги|метки|рубрик[аи]"
    r"|schlagw(?:ö|oe)rter|etiquetas|palavras-chave)\s*:",
    re.IGNORECASE,
)
_LINK_LINE = re.compile(
    r"^\W*(?:related(?: (?:posts?|stories|story|articles?|reading|coverage|content))?"
    r"|read (?:more|also|next)|see also|also read|more|also on \S+|recommended|watch|listen)"
    r"\s*[:|\u2013\u2014-]",
    re.IGNORECASE,
)
# The heading a comment section starts with, on a line of its own: "Comments", "23 Comments",
# "4 Responses to “...”", "12 thoughts on “...”", "Leave a Reply", "Post a comment",
# "Reader comments". Extractors keep the comments below it when the page marks them up like
# the article (Dragnet's gold text is cut there). Plural or counted only: "Comment" alone is
# as often an article's section heading or a share button.
_COMMENTS_HEADING = re.compile(
    r"^\W*(?:(?:\d+\s+)?(?:comments|responses|replies)|\d+\s+(?:comment|response|reply)"
    r"|(?:reader|user)s?'?\s+comments|trackbacks?|trackback pings|pingbacks?)"
    r"(?:\s+(?:to|on|for)\b.{0,150})?\W*(?:\(\d+\))?\W*$"
    r"|^\W*(?:\d+\s+)?(?:thoughts? on|responses? to|comments? (?:on|to))\s+\W.{0,150}$"
    r"|^\W*(?:leave|post|add|write|submit)\s+(?:a|your)\s+(?:comment|reply|response)\W*$"
    r"|^\W*(?:join the (?:discussion|conversation)|what do you think|be the first to comment)\W*$",
    re.IGNORECASE,
)
# A comment heading counts only after this much text: above it sits the article's own meta bar
# ("5 Comments" beside the byline), not the comments.
_COMMENTS_MIN_WORDS_BEFORE = 40
_COMMENTS_HEADING_MAX_WORDS = 25
# How much of the winner's text above a comment section another extractor must hold above its
# comment heading for that heading to mark where the winner's comments start.
_COMMENTS_SEEN_SHARE = 0.8
_COMMENT_LINE_MIN_WORDS = 3
_EDGE_LINES = 3
_MAX_HEADINGS = 5
_BOILERPLATE_MAX_WORDS = 40
_LINK_LINE_MAX_WORDS = 25


def is_comment_heading(line: str) -> bool:
    """Whether a short line reads as the heading a comment section starts with."""
    return count_words(line) <= _COMMENTS_HEADING_MAX_WORDS and bool(_COMMENTS_HEADING.search(line))


def _is_headline(line: str, headlines: list[list[str]]) -> bool:
    tokens = line_tokens(line)
    return bool(tokens) and tokens in headlines


def _comment_heading(lines: Sequence[str]) -> int | None:
    """The index of the line a comment section starts with, when it follows the article's
    first words."""
    seen = 0
    for index, line in enumerate(lines):
        if seen >= _COMMENTS_MIN_WORDS_BEFORE and is_comment_heading(line):
            return index
        seen += count_words(line)
    return None


def _where_comments_start(lines: list[str], other: str) -> int | None:
    """Where ``lines`` reach the comments another extractor's text puts under its heading.

    trafilatura's precision mode drops a short heading line such as "Comments" or "TrackBack"
    while keeping the comments below it; another extractor often kept the heading. The first
    line of three words or more after it (a comment, not a lone name) marks the
    start in ``lines`` too, if the other text holds most of what comes before that line here
    (it read the same article above the heading).
    """
    theirs = other.split("\n")
    heading = _comment_heading(theirs)
    if heading is None:
        return None
    following = next(
        (
            tokens
            for tokens in map(line_tokens, theirs[heading + 1 :])
            if len(tokens) >= _COMMENT_LINE_MIN_WORDS
        ),
        None,
    )
    if following is None:
        return None
    start = next((i for i, line in enumerate(lines) if line_tokens(line) == following), None)
    if start is None or sum(map(count_words, lines[:start])) < _COMMENTS_MIN_WORDS_BEFORE:
        return None
    above = shingle_set("\n".join(lines[:start]))
    seen_above = shingle_set("\n".join(theirs[:heading]))
    return start if len(above & seen_above) >= _COMMENTS_SEEN_SHARE * len(above) else None


def cut_comments(text: str, others: Iterable[str] = ()) -> str:
    """The text above a comment section's heading, when one follows the article's first words;
    else above where ``others`` (other extractors' texts of the page) put comments under such
    a heading; otherwise the text unchanged."""
    lines = text.split("\n")
    end = _comment_heading(lines)
    if end is None:
        starts = (_where_comments_start(lines, other) for other in others)
        end = next((start for start in starts if start is not None), None)
    return text if end is None else "\n".join(lines[:end]).strip()


def tidy_text(text: str, headlines: Iterable[str | None] = (), others: Iterable[str] = ()) -> str:
    """Trim what extractors commonly keep around an article.

    First everything from a comment section's heading on (``cut_comments``; when the text
    lost the heading, from where the ``others``, other extractors' texts, put it); then at the top,
    up to three lines that repeat a headline (the title is shown on its own; a byline or a
    dateline stays, as in Dragnet's gold text); at the bottom, sharing, subscription, credit,
    copyright, tag and comment-count lines; anywhere, "Related: ..." and "Read more: ..." link
    lines. A text is never trimmed to nothing.
    """
    text = cut_comments(text, others)
    wanted = [tokens for tokens in (line_tokens(h) for h in headlines if h) if tokens]
    lines = text.split("\n")
    filled = [index for index, line in enumerate(lines) if line.strip()]
    drop: set[int] = set()
    for index in filled[:_EDGE_LINES]:
        line = lines[index]
        if not _is_headline(line, wanted):
            break
        drop.add(index)
    for index in reversed(filled):
        line = lines[index]
        if index in drop or not (
            count_words(line) <= _BOILERPLATE_MAX_WORDS and _TAIL_BOILERPLATE.search(line)
        ):
            break
        drop.add(index)
    for index in filled:
        line = lines[index]
        if _LINK_LINE.search(line) and count_words(line) <= _LINK_LINE_MAX_WORDS:
            drop.add(index)
    if not drop or len(drop) >= len(filled):
        return text
    kept = "\n".join(line for index, line in enumerate(lines) if index not in drop)
    return _BLANK_RUNS.sub("\n\n", kept).strip()


def headline_candidates(tree: Any) -> list[str]:
    """Every way the page states its headline: <title>, og/twitter titles and <h1>s."""
    found: list[str] = []
    title = tree.find(".//title")
    if title is not None:
        found.append(title.text_content())
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        if key in ("og:title", "twitter:title"):
            found.append(meta.get("content") or "")
    for index, heading in enumerate(tree.iter("h1")):
        if index >= _MAX_HEADINGS:
            break
        found.append(heading.text_content())
    return [text for text in found if text.strip()]
