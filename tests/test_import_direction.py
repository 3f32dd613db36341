"""Import direction: handlers → bot, never back, except in the one composition root."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPOSITION_ROOT = ROOT / "bot" / "app.py"


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def test_the_core_imports_handlers_only_in_the_composition_root() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if path != COMPOSITION_ROOT
        for module in _imported_modules(path)
        if module == "handlers" or module.startswith("handlers.")
    ]
    assert not offenders, offenders


def test_handlers_import_nothing_from_the_composition_root() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / "handlers").rglob("*.py"))
        for module in _imported_modules(path)
        if module == "bot.app"
    ]
    assert not offenders, offenders
