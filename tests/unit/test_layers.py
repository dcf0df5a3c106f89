"""The import contract: each layer imports only the layers below it, and only the libraries
it is allowed. Worker processes never load Qt.

The layers, lowest first (a folder may import itself and anything below it):

    errors, paths,  the foundation        stdlib, platformdirs
    durable
    model/          project, settings     the foundation
    render/         frames, ffmpeg        model (+ Pillow, numpy, imageio-ffmpeg; moviepy,
                                          optional, in render.moviepy_clip alone)
    jobs/           store, runner, pool   render, model
    farm/           Redis + RQ            jobs, render, model (+ rq, redis)
    cli/ | ui/      the two front ends    everything below; never each other
                                          (ui alone may import PySide6)

Every import counts, a function-level one too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "simvid_desktop"

#: Rank of each layer; a module may import ranks below its own, and its own folder.
RANK = {"foundation": 0, "model": 1, "render": 2, "jobs": 3, "farm": 4, "cli": 5, "ui": 5}
FOUNDATION = {"errors", "paths", "durable", "__init__", "__version__"}
#: Third-party packages and the only layers that may import them.
LIBRARIES: dict[str, set[str]] = {
    "PySide6": {"ui"},
    "shiboken6": {"ui"},
    "rq": {"farm"},
    "redis": {"farm"},
    "moviepy": {"render"},
    "numpy": {"render", "ui"},
    "PIL": {"render", "ui"},
    "imageio_ffmpeg": {"render"},
    "pillow_heif": {"render"},  # photo decoding lives in render/images.py alone
    "pillow_jxl": {"render"},
    "rawpy": {"render"},
    "tifffile": set(),  # tests only
}


def layer_of(module: str) -> str | None:
    """``simvid_desktop.jobs.store`` -> ``jobs``; None outside the package."""
    parts = module.split(".")
    if parts[0] != "simvid_desktop":
        return None
    if len(parts) == 1 or parts[1] in FOUNDATION:
        return "foundation"
    if parts[1] == "__main__":
        return "entry"
    return parts[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "simvid_desktop":  # from simvid_desktop import paths
                names.update(f"simvid_desktop.{a.name}" for a in node.names)
    return names


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(rel.parts)


def violations(modules: dict[str, set[str]]) -> list[str]:
    """Every import that breaks the contract, as "importer imports imported (why)"."""
    found = []
    for importer, imports in sorted(modules.items()):
        own = layer_of(importer)
        if own is None or own == "entry":
            continue
        for name in sorted(imports):
            target = layer_of(name)
            top = name.split(".")[0]
            if target is None:
                allowed = LIBRARIES.get(top)
                if allowed is not None and own not in allowed:
                    found.append(f"{importer} imports {name} (only {sorted(allowed)} may)")
                continue
            if target in (own, "foundation"):
                continue
            if target not in RANK or own not in RANK:
                found.append(f"{importer} imports {name} (unknown layer)")
            elif RANK[target] >= RANK[own]:
                found.append(f"{importer} imports {name} ({own} may not import {target})")
    return found


def package_imports() -> dict[str, set[str]]:
    return {module_name(p): imported_modules(p) for p in PACKAGE.rglob("*.py")}


def test_every_module_lies_in_a_layer() -> None:
    stray = [m for m in package_imports()
             if layer_of(m) not in {*RANK, "foundation", "entry"}]
    assert stray == []


def test_no_layer_imports_upward_or_a_library_it_may_not() -> None:
    assert violations(package_imports()) == []


@pytest.mark.parametrize(("importer", "imported"), [
    ("simvid_desktop.render.engine", "simvid_desktop.jobs.model"),
    ("simvid_desktop.jobs.runner", "simvid_desktop.farm.client"),
    ("simvid_desktop.model.project", "simvid_desktop.render.yuv"),
    ("simvid_desktop.cli.main", "simvid_desktop.ui.app"),
    ("simvid_desktop.ui.job_model", "simvid_desktop.cli.progress_bar"),
    ("simvid_desktop.farm.tasks", "PySide6.QtCore"),
    ("simvid_desktop.cli.farm_commands", "redis.exceptions"),
    ("simvid_desktop.model.timeline", "numpy"),
])
def test_the_contract_catches_an_upward_import(importer: str, imported: str) -> None:
    assert len(violations({importer: {imported}})) == 1


def test_worker_side_imports_load_no_qt() -> None:
    """Everything a worker process, a farm worker or the command line loads is Qt-free."""
    modules = sorted(module_name(p) for p in PACKAGE.rglob("*.py")
                     if "ui" not in p.relative_to(PACKAGE).parts
                     and p.name != "__main__.py")
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


#: The one module that may import moviepy (an optional extra, for scripts): nothing the
#: window, the command line or a worker runs may need it.
MOVIEPY_MODULES = {"simvid_desktop.render.moviepy_clip"}


def test_only_the_moviepy_module_imports_moviepy() -> None:
    importers = {m for m, names in package_imports().items()
                 if any(n.split(".")[0] == "moviepy" for n in names)}
    assert importers == MOVIEPY_MODULES


def test_importing_the_whole_package_loads_no_moviepy() -> None:
    """moviepy is imported when a clip is made, not when a module is imported (the window's
    modules and moviepy_clip itself included), so an install without the extra works."""
    modules = sorted(module_name(p) for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'moviepy']\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, env=env)
