"""Article-extraction benchmark: Skim's HTML extractor against plain library baselines.

Usage: .venv/bin/python bench/extraction.py [--data DIR] [--only NAME ...] [--ablation]

The data set (181 pages with annotated article bodies) lives beside the repository in
shared/data/article-extraction; see its README.md. The metric is the benchmark's own:

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
import random
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "article-extraction"
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


def bootstrap_f1_std(pages: Sequence[PageScore], rounds: int = 1000, seed: int = 0) -> float:
    """Standard deviation of corpus F1 over page resamples."""
    if len(pages) < 2 or rounds < 2:
        return 0.0
    rng = random.Random(seed)
    precisions = [page.precision for page in pages]
    recalls = [page.recall for page in pages]
    n = len(pages)
    values = []
    for _ in range(rounds):
        picks = [rng.randrange(n) for _ in range(n)]
        values.append(
            _f1(sum(precisions[i] for i in picks) / n, sum(recalls[i] for i in picks) / n)
        )
    return statistics.stdev(values)


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
            return extract_html(html, url).text
        except ExtractionError:
            return ""

    return run


def skim_ablation(step: str) -> Extractor:
    """Skim with one pipeline step switched off, to show what that step is worth."""
    from bot.content import html as skim_html

    run_skim = skim_extractor()

    def no_fallback(tree: object, url: str | None) -> tuple[str, str]:
        return skim_html._trafilatura_text(tree, url), "trafilatura"

    def no_tidying(text: str, *args: object, **kwargs: object) -> str:
        return text

    patches = {"fallback": ("_main_text", no_fallback), "tidying": ("tidy_text", no_tidying)}
    name, replacement = patches[step]

    def run(html: str, url: str) -> str:
        original = getattr(skim_html, name)
        setattr(skim_html, name, replacement)
        try:
            return run_skim(html, url)
        finally:
            setattr(skim_html, name, original)

    return run


def trafilatura_extractor(**options: bool) -> Extractor:
    import trafilatura

    def run(html: str, url: str) -> str:
        return trafilatura.extract(html, url=url, **options) or ""

    return run


def readability_extractor() -> Extractor:
    """readability-lxml's summary, rendered to text with one line per block."""
    import lxml.html
    from readability import Document as Readability

    from bot.content.html import render_text

    def run(html: str, url: str) -> str:
        try:
            summary = Readability(html, url=url).summary(html_partial=True)
            return render_text(lxml.html.fragment_fromstring(summary, create_parent="div"))
        except Exception:
            return ""

    return run


def extractors() -> dict[str, Callable[[], Extractor]]:
    """Name -> factory, the baseline first."""
    return {
        "trafilatura (defaults)": trafilatura_extractor,
        "trafilatura (no comments, precision)": lambda: trafilatura_extractor(
            include_comments=False, favor_precision=True
        ),
        "readability-lxml": readability_extractor,
        "skim": skim_extractor,
    }


def ablations() -> dict[str, Callable[[], Extractor]]:
    return {
        "skim without readability fallback": lambda: skim_ablation("fallback"),
        "skim without tidying": lambda: skim_ablation("tidying"),
    }


BASELINE = "trafilatura (defaults)"


# --- running ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    name: str
    score: CorpusScore
    f1_std: float
    median_ms: float
    p90_ms: float
    median_cpu_ms: float
    pages: list[PageScore]


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def predict(
    extract: Extractor, pages: Sequence[Page]
) -> tuple[list[str], list[float], list[float]]:
    """Predicted texts, per-page wall-clock and CPU milliseconds (after an untimed warm-up).

    CPU time is this thread's own, so it stays meaningful when other work shares the cores.
    """
    if pages:
        extract(pages[0].html, pages[0].url)
    texts, wall, cpu = [], [], []
    for page in pages:
        start, start_cpu = time.perf_counter(), time.thread_time()
        text = extract(page.html, page.url)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
        texts.append(text)
    return texts, wall, cpu


def evaluate(name: str, extract: Extractor, pages: Sequence[Page], rounds: int) -> Result:
    texts, times, cpu_times = predict(extract, pages)
    scores = [score_page(page.expected, text) for page, text in zip(pages, texts, strict=True)]
    return Result(
        name=name,
        score=score_corpus(scores),
        f1_std=bootstrap_f1_std(scores, rounds),
        median_ms=statistics.median(times),
        p90_ms=_percentile(times, 0.9),
        median_cpu_ms=statistics.median(cpu_times),
        pages=scores,
    )


def table(results: Sequence[Result]) -> str:
    """Markdown table of the results, with ratios against the baseline when it ran."""
    base = next((result for result in results if result.name == BASELINE), None)
    head = (
        "| extractor | F1 | ± std | precision | recall | accuracy "
        "| median ms | p90 ms | median CPU ms |"
    )
    rule = "|---|---|---|---|---|---|---|---|---|"
    if base:
        head += " ΔF1 vs baseline | time × baseline |"
        rule += "---|---|"
    lines = [head, rule]
    for result in results:
        s = result.score
        line = (
            f"| {result.name} | {s.f1:.3f} | {result.f1_std:.3f} | {s.precision:.3f} | "
            f"{s.recall:.3f} | {s.accuracy:.3f} | {result.median_ms:.1f} | {result.p90_ms:.1f} | "
            f"{result.median_cpu_ms:.1f} |"
        )
        if base:
            line += f" {s.f1 - base.score.f1:+.3f} | {result.median_ms / base.median_ms:.2f} |"
        lines.append(line)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="data set directory")
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="run only this extractor (repeatable)"
    )
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap rounds for F1 std")
    parser.add_argument(
        "--ablation", action="store_true", help="also run Skim with single steps switched off"
    )
    args = parser.parse_args(argv)

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    warnings.simplefilter("ignore")  # library deprecation chatter would drown the table
    try:
        pages = load_pages(args.data)
    except FileNotFoundError as error:
        print(f"article-extraction data set not found: {error}", file=sys.stderr)
        return 2

    chosen = extractors()
    if args.ablation:
        chosen.update(ablations())
    if args.only:
        unknown = [name for name in args.only if name not in chosen]
        if unknown:
            print(f"unknown extractor(s): {unknown}; known: {list(chosen)}", file=sys.stderr)
            return 2
        chosen = {name: factory for name, factory in chosen.items() if name in args.only}

    print(f"{len(pages)} pages from {args.data}", flush=True)
    results = []
    for name, factory in chosen.items():
        result = evaluate(name, factory(), pages, args.bootstrap)
        results.append(result)
        print(
            f"  {name}: F1 {result.score.f1:.3f}, median {result.median_ms:.1f} ms "
            f"({result.median_cpu_ms:.1f} ms CPU)",
            flush=True,
        )
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
