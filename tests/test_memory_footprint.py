"""What a running bot keeps in memory: rarely used libraries load on first use, not at start."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# About 7 MB of a running bot's resident memory, for PDFs only.
RARELY_USED = ("pypdf",)

CHILD = """
import json, sys
import bot.cli, bot.serve, handlers
from bot.warmup import warm_extraction
warm_extraction()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[1:])))
"""


def test_start_and_warm_up_leave_rarely_used_libraries_unloaded() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *RARELY_USED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(out) == []


def test_a_pdf_still_loads_its_library() -> None:
    from bot.content.extract import extract_pdf
    from tests.fakes.web import make_pdf

    document = extract_pdf(make_pdf(["Tide mills of the Brackwater estuary, a report. " * 5]))
    assert "Tide mills" in document.text
