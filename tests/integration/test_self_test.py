"""``python main.py --self-test`` from source: the real queue, a spawned worker, one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_self_test(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SIMVID_")}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "--self-test", *args],
                          cwd=tmp_path, env={**clean, **env}, capture_output=True, text=True,
                          timeout=240)


def test_self_test_passes_and_keeps_the_video(tmp_path: Path) -> None:
    kept = tmp_path / "kept" / "self-test.mp4"
    result = run_self_test(tmp_path, "--keep", str(kept),
                           SIMVID_DATA_DIR=str(tmp_path / "user-data"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("self-test passed") and result.stdout.count("\n") == 1
    assert kept.stat().st_size > 10_000
    # The user's own queue is left alone: the test ran against a throw-away store.
    assert not (tmp_path / "user-data" / "jobs.sqlite3").exists()


def test_a_broken_installation_fails_in_one_line(tmp_path: Path) -> None:
    result = run_self_test(tmp_path, SIMVID_RESOURCES=str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert result.stdout.startswith("self-test FAILED") and result.stdout.count("\n") == 1
    assert "bundled fonts missing" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_ffmpeg_that_cannot_run_fails_in_one_line(tmp_path: Path) -> None:
    result = run_self_test(tmp_path, SIMVID_FFMPEG=str(tmp_path / "no-ffmpeg"))
    assert result.returncode == 1
    assert result.stdout.startswith("self-test FAILED") and result.stdout.count("\n") == 1
    assert "Traceback" not in result.stdout + result.stderr
