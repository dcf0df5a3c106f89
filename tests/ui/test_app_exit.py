"""The app ends cleanly however it ends, and never with an abort: real processes, offscreen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("app_exit_script.py")


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SIMVID_DATA_DIR": str(tmp_path),
            "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, *args], env=full, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("how", [
    "window",  # the whole window; QApplication.quit() from a timer, no close handler
    "quit",  # a job bridge with its runner; QApplication.quit() from a timer
    "deleted",  # the bridge's window deleted without its close handler, then quit
    "no-loop",  # a script that ends without running the event loop at all
])
def test_quitting_without_the_close_handler_stops_every_thread(how: str, tmp_path: Path) -> None:
    res = run([str(SCRIPT), how], tmp_path)
    assert "Destroyed while thread" not in res.stderr, res.stderr[-2000:]
    assert res.returncode == 0, res.stderr[-2000:]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is Linux's")
def test_qt_failing_to_start_exits_1_with_a_hint_never_a_core_dump(tmp_path: Path) -> None:
    """Past the library check, Qt can still fail (here: no X server at DISPLAY)."""
    code = "from simvid_desktop.ui.app import create_application; create_application()"
    res = run(["-c", code], tmp_path, QT_QPA_PLATFORM="xcb", DISPLAY=":97")
    assert res.returncode == 1, (res.returncode, res.stderr[-2000:])
    assert "QT_DEBUG_PLUGINS=1" in res.stderr
