"""Article-extraction benchmark: Skim's HTML extractor against every single-extractor baseline.

Usage: .venv/bin/python bench/extraction.py [--data DIR ...] [--only NAME ...] [--ablation]

By default both data sets beside the repository run in one go: Zyte's 181 pages in
shared/data/article-extraction and Dragnet's 1,324 in shared/data/article-extraction-dragnet
(AGPLv3: measured from there, never copied here); see each README.md. Dragnet's gold text keeps
headlines and captions and Zyte's does not, so the two pull in opposite directions: each set
gets its own table, 95 % bootstrap intervals, Skim's paired lead over each baseline, and a
verdict on whether Skim is at least as good as every single extractor there, and the same
figures with the set's pages reweighted towards those where readability beats trafilatura's
precision mode (the shift: how the leads would hold on a set like the issue's held-out pages).
The metric is Zyte's:

- texts are split into word tokens with the Unicode regex ``\\w+``;
- each text becomes a multiset of 4-token shingles (a text shorter than four tokens is one
  shingle of all its tokens);
- per page, shingles in both the prediction and the truth are true positives, the extra
  predicted ones false positives, the missing ones false negatives, normalised to sum to 1;
- corpus precision and recall are the means of the per-page precision and recall (an empty
  prediction has precision 0), and F1 is the harmonic mean of those two means;
- accuracy is the share of pages whose token sequence equals the truth exactly.

The metric functions are imported by tests/test_extraction_quality.py, so the test and this
report always agree.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import math
import random
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "article-extraction"
DEFAULT_DATA_SETS = (DEFAULT_DATA, ROOT.parent / "shared" / "data" / "article-extraction-dragnet")
SHINGLE_SIZE = 4

_TOKEN = re.compile(r"\w+")

Extractor = Callable[[str, str], str]


# --- metric ----------------------------------------------------------------------------------


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Multiset of overlapping ``size``-token shingles (one short shingle for a short text)."""
    tokens = tokenize(text)
    if not tokens:
        return Counter()
    return Counter(
        tuple(tokens[start : start + size]) for start in range(max(1, len(tokens) - size + 1))
    )


@dataclass(frozen=True)
class PageScore:
    tp: float
    fp: float
    fn: float
    exact: bool

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0


def score_page(expected: str, predicted: str) -> PageScore:
    """Shingle overlap of one page, normalised so every page weighs the same."""
    truth, guess = shingles(expected), shingles(predicted)
    tp = float(sum((truth & guess).values()))
    fp = float(sum((guess - truth).values()))
    fn = float(sum((truth - guess).values()))
    total = tp + fp + fn
    if total:
        tp, fp, fn = tp / total, fp / total, fn / total
    return PageScore(tp, fp, fn, tokenize(expected) == tokenize(predicted))


@dataclass(frozen=True)
class CorpusScore:
    f1: float
    precision: float
    recall: float
    accuracy: float


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score_corpus(pages: Sequence[PageScore]) -> CorpusScore:
    """Mean per-page precision and recall, their harmonic mean, and the exact-match share."""
    if not pages:
        return CorpusScore(0.0, 0.0, 0.0, 0.0)
    precision = statistics.fmean(page.precision for page in pages)
    recall = statistics.fmean(page.recall for page in pages)
    accuracy = sum(page.exact for page in pages) / len(pages)
    return CorpusScore(_f1(precision, recall), precision, recall, accuracy)


# --- data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    page_id: str
    url: str
    html: str
    expected: str


def load_pages(data_dir: Path) -> list[Page]:
    """The benchmark pages in a stable order; raises FileNotFoundError if the set is missing."""
    truth_file = data_dir / "ground-truth.json"
    if not truth_file.is_file():
        raise FileNotFoundError(f"no ground-truth.json in {data_dir}")
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        with gzip.open(data_dir / "html" / f"{page_id}.html.gz", "rt", encoding="utf-8") as f:
            html = f.read()
        item = truth[page_id]
        pages.append(Page(page_id, item.get("url") or "", html, item.get("articleBody") or ""))
    return pages


# --- extractors ------------------------------------------------------------------------------


def skim_extractor() -> Extractor:
    """Skim's real code path: bot.content.extract.extract_html."""
    from bot.content.extract import extract_html
    from bot.errors import ExtractionError

    def run(html: str, url: str) -> str:
        try:
            return extract_html(html, url or None).text
        except ExtractionError:
            return ""

    return run


def skim_ablation(step: str) -> Extractor:
    """Skim with one pipeline step switched off, to show what that step is worth."""
    from bot.content import ensemble
    from bot.content import html as skim_html

    run_skim = skim_extractor()
    original_choose = ensemble.choose

    def precision_only(first: Any, ask: Any) -> Any:
        return ensemble.Choice(first[0], list(first))

    def always_ask(first: Any, ask: Any) -> Any:
        saved = ensemble.VOTER_CONFIRMS, ensemble.MODES_AGREE
        # Never reached: recall mode and readability are asked on every page.
        ensemble.VOTER_CONFIRMS = ensemble.MODES_AGREE = 2.0
        try:
            return original_choose(first, ask)
        finally:
            ensemble.VOTER_CONFIRMS, ensemble.MODES_AGREE = saved

    def no_tidying(text: str, *args: object, **kwargs: object) -> str:
        return text

    patches: dict[str, tuple[Any, str, Any]] = {
        "ensemble": (skim_html, "choose", precision_only),
        "lazy candidates": (skim_html, "choose", always_ask),
        "tidying": (skim_html, "tidy_text", no_tidying),
    }
    module, name, replacement = patches[step]

    def run(html: str, url: str) -> str:
        original = getattr(module, name)
        setattr(module, name, replacement)
        try:
            return run_skim(html, url)
        finally:
            setattr(module, name, original)

    return run


def trafilatura_extractor(**options: bool) -> Extractor:
    import trafilatura

    def run(html: str, url: str) -> str:
        try:
            return trafilatura.extract(html, url=url or None, **options) or ""
        except Exception:
            return ""

    return run


def readability_extractor() -> Extractor:
    """readability-lxml's summary, rendered to text with one line per block."""
    import lxml.html
    from readability import Document as Readability

    from bot.content.render import render_text

    def run(html: str, url: str) -> str:
        try:
            summary = Readability(html, url=url or None).summary(html_partial=True)
            return render_text(lxml.html.document_fromstring(summary))
        except Exception:
            return ""

    return run


def resiliparse_extractor() -> Extractor:
    """resiliparse's main-content text (Bevendorff et al.'s own extractor)."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    def run(html: str, url: str) -> str:
        try:
            return str(extract_plain_text(HTMLTree.parse(html), main_content=True))
        except Exception:
            return ""

    return run


def justext_extractor() -> Extractor:
    """jusText with the English stop list, its paragraphs that are not boilerplate."""
    import justext

    def run(html: str, url: str) -> str:
        try:
            paragraphs = justext.justext(html.encode("utf-8"), justext.get_stoplist("English"))
        except Exception:
            return ""
        return "\n\n".join(p.text for p in paragraphs if not p.is_boilerplate)

    return run


def extractors() -> dict[str, Callable[[], Extractor]]:
    """Name -> factory: the single-extractor baselines first, Skim last."""
    return {
        "trafilatura (defaults)": trafilatura_extractor,
        "trafilatura (precision)": lambda: trafilatura_extractor(
            include_comments=False, favor_precision=True
        ),
        "trafilatura (recall)": lambda: trafilatura_extractor(
            include_comments=False, favor_recall=True
        ),
        "readability-lxml": readability_extractor,
        "resiliparse": resiliparse_extractor,
        "jusText (English)": justext_extractor,
        "skim": skim_extractor,
    }


def ablations() -> dict[str, Callable[[], Extractor]]:
    return {
        "skim without the ensemble (trafilatura precision, fast)": lambda: skim_ablation(
            "ensemble"
        ),
        "skim asking recall mode and readability on every page": lambda: skim_ablation(
            "lazy candidates"
        ),
        "skim without tidying": lambda: skim_ablation("tidying"),
    }


BASELINE = "trafilatura (defaults)"
SKIM = "skim"


# --- running ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    name: str
    score: CorpusScore
    interval: tuple[float, float]
    median_ms: float
    p90_ms: float
    median_cpu_ms: float
    pages: list[PageScore]


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _resamples(n: int, rounds: int, seed: int = 0) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randrange(n) for _ in range(n)] for _ in range(rounds)]


def _f1_of(pages: Sequence[PageScore], picks: Sequence[int]) -> float:
    n = len(picks)
    return _f1(sum(pages[i].precision for i in picks) / n, sum(pages[i].recall for i in picks) / n)


def bootstrap_interval(
    pages: Sequence[PageScore], resamples: Sequence[Sequence[int]]
) -> tuple[float, float]:
    """95 % percentile interval of corpus F1 over page resamples."""
    if len(pages) < 2 or not resamples:
        f1 = score_corpus(pages).f1
        return f1, f1
    values = [_f1_of(pages, picks) for picks in resamples]
    return _percentile(values, 0.025), _percentile(values, 0.975)


def paired_difference(
    ours: Sequence[PageScore], theirs: Sequence[PageScore], resamples: Sequence[Sequence[int]]
) -> tuple[float, float]:
    """95 % interval of (our F1 - their F1), resampling the same pages for both."""
    if len(ours) < 2 or not resamples:
        diff = score_corpus(ours).f1 - score_corpus(theirs).f1
        return diff, diff
    values = [_f1_of(ours, picks) - _f1_of(theirs, picks) for picks in resamples]
    return _percentile(values, 0.025), _percentile(values, 0.975)


@dataclass
class Runs:
    """One extractor's predicted texts and per-page wall-clock and CPU milliseconds."""

    texts: list[str] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def predict(extract: dict[str, Extractor], pages: Sequence[Page]) -> dict[str, Runs]:
    """Every extractor on every page, page by page in turn, after one untimed warm-up call each.

    Taking turns on each page, rather than one extractor over all pages after another, lets a
    machine that speeds up or slows down during the run (a shared VM) weigh on every extractor
    alike, so that the time ratios between them hold. CPU time is this thread's own, so it stays
    meaningful when other work shares the cores.
    """
    runs = {name: Runs() for name in extract}
    if pages:
        for run in extract.values():
            run(pages[0].html, pages[0].url)
    for page in pages:
        for name, run in extract.items():
            start, start_cpu = time.perf_counter(), time.thread_time()
            text = run(page.html, page.url)
            runs[name].cpu.append((time.thread_time() - start_cpu) * 1000)
            runs[name].wall.append((time.perf_counter() - start) * 1000)
            runs[name].texts.append(text)
    return runs


def evaluate(
    name: str, runs: Runs, pages: Sequence[Page], resamples: Sequence[Sequence[int]]
) -> Result:
    scores = [score_page(page.expected, text) for page, text in zip(pages, runs.texts, strict=True)]
    return Result(
        name=name,
        score=score_corpus(scores),
        interval=bootstrap_interval(scores, resamples),
        median_ms=statistics.median(runs.wall),
        p90_ms=_percentile(runs.wall, 0.9),
        median_cpu_ms=statistics.median(runs.cpu),
        pages=scores,
    )


def table(results: Sequence[Result], resamples: Sequence[Sequence[int]]) -> str:
    """Markdown table: each extractor, its 95 % interval, Skim's paired lead over it, times."""
    base = next((result for result in results if result.name == BASELINE), None)
    skim = next((result for result in results if result.name == SKIM), None)
    head = "| extractor | F1 | 95 % interval | precision | recall | accuracy | median ms | p90 ms |"
    rule = "|---|---|---|---|---|---|---|---|"
    if skim:
        head += " skim − this (95 % interval) |"
        rule += "---|"
    if base:
        head += " time × baseline |"
        rule += "---|"
    lines = [head, rule]
    for result in results:
        s = result.score
        low, high = result.interval
        line = (
            f"| {result.name} | {s.f1:.4f} | {low:.3f}–{high:.3f} | {s.precision:.3f} | "
            f"{s.recall:.3f} | {s.accuracy:.3f} | {result.median_ms:.1f} | {result.p90_ms:.1f} |"
        )
        if skim:
            if result is skim:
                line += " |"
            else:
                d_low, d_high = paired_difference(skim.pages, result.pages, resamples)
                diff = skim.score.f1 - s.f1
                line += f" {diff:+.4f} ({d_low:+.3f} to {d_high:+.3f}) |"
        if base:
            line += f" {result.median_ms / base.median_ms:.2f} |"
        lines.append(line)
    return "\n".join(lines)


# --- shift: pages unlike this set's --------------------------------------------------------

FAVOURED = "readability-lxml"
DISFAVOURED = "trafilatura (precision)"
# readability's lead over precision mode on the reweighted pages, in F1; the held-out
# pages give it about 0.03 (0.935 against 0.906), Zyte's and Dragnet's about -0.01 and 0.
GAPS = (0.0, 0.03, 0.05)


def _weighted_f1(pages: Sequence[PageScore], weights: Sequence[float]) -> float:
    total = sum(weights)
    precision = sum(w * page.precision for w, page in zip(weights, pages, strict=True)) / total
    recall = sum(w * page.recall for w, page in zip(weights, pages, strict=True)) / total
    return _f1(precision, recall)


def _page_f1(page: PageScore) -> float:
    return _f1(page.precision, page.recall)


def _tilt(favoured: Result, disfavoured: Result, strength: float) -> list[float]:
    return [
        math.exp(strength * (_page_f1(good) - _page_f1(bad)))
        for good, bad in zip(favoured.pages, disfavoured.pages, strict=True)
    ]


def _gap(favoured: Result, disfavoured: Result, weights: Sequence[float]) -> float:
    return _weighted_f1(favoured.pages, weights) - _weighted_f1(disfavoured.pages, weights)


def shifted(results: Sequence[Result]) -> str:
    """Each extractor's F1 with this set's pages reweighted towards those where readability
    beats trafilatura's precision mode, until readability leads it by each of ``GAPS``.

    A held-out set may hold more pages of the kind one extractor is good at: exponential
    tilting by the per-page F1 difference is the smallest change of weights that shifts the
    two extractors' gap by a given amount, so it shows how a lead would hold on such a set.
    """
    by_name = {result.name: result for result in results}
    favoured, disfavoured = by_name.get(FAVOURED), by_name.get(DISFAVOURED)
    if favoured is None or disfavoured is None:
        return f"(the shift needs both {FAVOURED} and {DISFAVOURED} in the run)"
    head = "| readability − precision mode | tilt | " + " | ".join(r.name for r in results) + " |"
    lines = [head, "|---|---|" + "---|" * len(results)]
    own = _gap(favoured, disfavoured, [1.0] * len(favoured.pages))
    for target in (own, *(gap for gap in GAPS if gap > own + 0.001)):
        low, high = 0.0, 50.0
        for _ in range(40):  # bisection: the gap grows with the tilt's strength
            middle = (low + high) / 2
            if _gap(favoured, disfavoured, _tilt(favoured, disfavoured, middle)) < target:
                low = middle
            else:
                high = middle
        strength = 0.0 if target == own else (low + high) / 2
        weights = _tilt(favoured, disfavoured, strength)
        cells = " | ".join(f"{_weighted_f1(r.pages, weights):.4f}" for r in results)
        gap = _gap(favoured, disfavoured, weights)
        lines.append(f"| {gap:+.3f} | {strength:.2f} | {cells} |")
    return "\n".join(lines)


def verdict(results: Sequence[Result]) -> str:
    """Whether Skim is at least as good as every single extractor that ran (point F1)."""
    skim = next((result for result in results if result.name == SKIM), None)
    if skim is None:
        return "skim did not run"
    singles = [r for r in results if r is not skim and not r.name.startswith("skim")]
    behind = [r.name for r in singles if r.score.f1 > skim.score.f1]
    if behind:
        return f"skim is BELOW {', '.join(behind)} on this set"
    best = max(singles, key=lambda r: r.score.f1, default=None)
    if best is None:
        return "no baseline ran"
    return (
        f"skim is at least as good as every single extractor on this set "
        f"(best single: {best.name}, {best.score.f1:.4f}; skim {skim.score.f1:.4f})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        help="a data set directory (repeatable; default: both sets in ../shared/data)",
    )
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="run only this extractor (repeatable)"
    )
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument(
        "--ablation", action="store_true", help="also run Skim with single steps switched off"
    )
    args = parser.parse_args(argv)

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    warnings.simplefilter("ignore")  # library deprecation chatter would drown the table
    logging.disable(logging.CRITICAL)  # extractor failures are counted, not logged, here
    chosen = extractors()
    if args.ablation:
        chosen.update(ablations())
    if args.only:
        unknown = [name for name in args.only if name not in chosen]
        if unknown:
            print(f"unknown extractor(s): {unknown}; known: {list(chosen)}", file=sys.stderr)
            return 2
        chosen = {name: factory for name, factory in chosen.items() if name in args.only}

    data_sets = args.data or list(DEFAULT_DATA_SETS)
    for data_dir in data_sets:
        try:
            pages = load_pages(data_dir)
        except FileNotFoundError as error:
            print(f"article-extraction data set not found: {error}", file=sys.stderr)
            return 2
        resamples = _resamples(len(pages), args.bootstrap)
        print(f"## {data_dir.name}: {len(pages)} pages from {data_dir}", flush=True)
        results = []
        runs = predict({name: factory() for name, factory in chosen.items()}, pages)
        for name, extractor_runs in runs.items():
            result = evaluate(name, extractor_runs, pages, resamples)
            results.append(result)
            print(
                f"  {name}: F1 {result.score.f1:.4f}, median {result.median_ms:.1f} ms "
                f"({result.median_cpu_ms:.1f} ms CPU)",
                flush=True,
            )
        print()
        print(table(results, resamples))
        print()
        print(f"verdict ({data_dir.name}): {verdict(results)}")
        print()
        print(f"shift ({data_dir.name}): pages reweighted towards those readability wins")
        print(shifted(results))
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
