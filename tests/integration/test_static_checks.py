"""The whole package type-checks under mypy --strict (ui/ included) and ruff finds nothing:
part of the suite, so that CI enforces them like any other test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_mypy_strict_on_the_whole_package(tmp_path: Path) -> None:
    done = run("mypy", "--cache-dir", str(tmp_path / "mypy-cache"))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout


def test_ruff_finds_nothing() -> None:
    if shutil.which("ruff") is None and run("ruff", "--version").returncode != 0:
        pytest.fail("ruff is not installed: pip install -e '.[dev]'")
    done = run("ruff", "check", "simvid_desktop", "tests", "benchmarks", "tools", "main.py")
    assert done.returncode == 0, done.stdout[-4000:]
