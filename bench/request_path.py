"""One private link's path through Skim's code, measured as the architecture review did.

Runs `tests/test_private_chat.py::test_link_gets_chat_action_then_summary` under a profile hook
that is on only while python-telegram-bot processes the update carrying the link (from the
update to the saved thread). It counts the functions of ours (`bot/`, `handlers/`) that ran, the
modules they live in, and the call edges between `handlers/` and `bot/` (each distinct caller
and callee pair once), and prints them with the targets of docs/architecture.md.

    .venv/bin/python bench/request_path.py [--list]
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ would come first on the path and its telegram.py shadow the library.
sys.path[:] = [str(ROOT), *(entry for entry in sys.path[1:] if entry != str(ROOT))]

import pytest  # noqa: E402

TEST = "tests/test_private_chat.py::test_link_gets_chat_action_then_summary"
MAX_FUNCTIONS = 60
# cProfile, the review's profiler, sees the thread that enabled it: the event loop. Extraction
# runs in worker threads (asyncio.to_thread); `--threads` counts those functions too.
WORKER_THREADS = False
MAX_CROSSINGS = 8
Function = tuple[str, int, str]  # path relative to the project, first line, name


def _ours(filename: str) -> str | None:
    """'bot' or 'handlers' for a file of ours, else None."""
    path = Path(filename)
    if not path.is_relative_to(ROOT):
        return None
    top = path.relative_to(ROOT).parts[0]
    return top if top in ("bot", "handlers") else None


def _function(frame: FrameType) -> Function:
    code = frame.f_code
    relative = str(Path(code.co_filename).relative_to(ROOT))
    return (relative, code.co_firstlineno, code.co_qualname)


class PathTracer:
    """A pytest plugin: profiles the processing of the one update that carries a link."""

    def __init__(self) -> None:
        self.functions: set[Function] = set()
        self.crossings: set[tuple[Function, Function]] = set()
        self.updates = 0

    def _profile(self, frame: FrameType, event: str, _: object) -> None:
        if event != "call":
            return
        area = _ours(frame.f_code.co_filename)
        if area is None:
            return
        callee = _function(frame)
        self.functions.add(callee)
        caller = frame.f_back
        if caller is None:
            return
        caller_area = _ours(caller.f_code.co_filename)
        if caller_area is not None and caller_area != area:
            self.crossings.add((_function(caller), callee))

    def pytest_sessionstart(self) -> None:
        from telegram.ext import Application

        original = Application.process_update
        tracer = self

        async def traced(app: Application[Any, Any, Any, Any, Any, Any], update: object) -> None:
            message = getattr(update, "message", None)
            text = getattr(message, "text", None) or ""
            if "http" not in text or text.startswith("/"):
                await original(app, update)
                return
            tracer.updates += 1
            sys.setprofile(tracer._profile)
            if WORKER_THREADS:
                threading.setprofile(tracer._profile)
            try:
                await original(app, update)
            finally:
                sys.setprofile(None)
                threading.setprofile(None)  # type: ignore[arg-type]

        patched: Callable[..., Awaitable[None]] = traced
        Application.process_update = patched  # type: ignore[method-assign,assignment]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print every function and crossing")
    parser.add_argument(
        "--threads", action="store_true", help="count worker threads' functions too (extraction)"
    )
    args = parser.parse_args()
    global WORKER_THREADS
    WORKER_THREADS = args.threads
    tracer = PathTracer()
    code = pytest.main(["-q", "-p", "no:cacheprovider", "--no-cov", TEST], plugins=[tracer])
    if code != 0 or tracer.updates != 1:
        print(f"the test failed or saw {tracer.updates} link updates; nothing to report")
        return 1
    modules = {path for path, _, _ in tracer.functions}
    print(f"\nOne private link, update to saved thread ({TEST}):")
    print(f"  functions of ours: {len(tracer.functions)} (target ≤ {MAX_FUNCTIONS})")
    print(f"  modules:           {len(modules)}")
    print(f"  handlers/ <-> bot/ crossings: {len(tracer.crossings)} (target ≤ {MAX_CROSSINGS})")
    if args.list:
        for path, line, name in sorted(tracer.functions):
            print(f"    {path}:{line} {name}")
        print("  crossings:")
        for (a_path, _, a_name), (b_path, _, b_name) in sorted(tracer.crossings):
            print(f"    {a_path} {a_name} -> {b_path} {b_name}")
    met = len(tracer.functions) <= MAX_FUNCTIONS and len(tracer.crossings) <= MAX_CROSSINGS
    print("  verdict:", "within the targets" if met else "over a target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
