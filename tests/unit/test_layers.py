"""The layers stay apart: nothing below ui/ imports Qt, so worker processes never load it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "simvid_desktop"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_qt_outside_ui() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "ui" in path.relative_to(PACKAGE).parts:
            continue
        for name in imported_modules(path):
            if name.split(".")[0] in ("PySide6", "shiboken6") or name.startswith(
                "simvid_desktop.ui"
            ):
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_worker_side_imports_load_no_qt() -> None:
    code = (
        "import sys\n"
        "import simvid_desktop.cli, simvid_desktop.queue_cli, simvid_desktop.jobs.worker\n"
        "import simvid_desktop.jobs.runner, simvid_desktop.jobs.local_pool\n"
        "import simvid_desktop.render.engine\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
