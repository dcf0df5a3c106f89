"""Render processes that cannot start: the local pool gives up after a few, says why, and
fails the jobs it is given, instead of respawning for ever while jobs wait."""

from __future__ import annotations

import multiprocessing
import multiprocessing.resource_tracker
import multiprocessing.spawn
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simvid_desktop.jobs import local_pool
from simvid_desktop.jobs.local_pool import START_FAILURE_LIMIT, LocalPool
from simvid_desktop.jobs.model import Job, JobOutcome, JobStatus, JobUpdate

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a shell script interpreter")


@pytest.fixture
def broken_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Makes spawn start ``tmp_path/broken-python`` (a shell script the test writes) instead
    of Python; each start is logged in ``tmp_path/starts``."""
    multiprocessing.resource_tracker.ensure_running()  # by the real interpreter
    monkeypatch.setattr(multiprocessing.spawn, "_python_exe", multiprocessing.spawn._python_exe)
    exe = tmp_path / "broken-python"
    multiprocessing.set_executable(str(exe))
    yield exe


def script(exe: Path, body: str) -> None:
    exe.write_text(f"#!/bin/sh\necho $$ >> {exe.parent / 'starts'}\n{body}\n")
    exe.chmod(0o755)


def started(exe: Path) -> list[int]:
    """The process ids of the starts so far."""
    log = exe.parent / "starts"
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def poll_until_given_up(pool: LocalPool, seconds: float) -> list[JobUpdate]:
    updates: list[JobUpdate] = []
    deadline = time.monotonic() + seconds
    while pool.start_error is None and time.monotonic() < deadline:
        updates += pool.poll(0.1)
    assert pool.start_error is not None, "the pool never gave up"
    return updates


def test_processes_dying_before_ready_are_not_respawned_for_ever(broken_python: Path) -> None:
    script(broken_python, "sleep 0.1\nexit 5")
    pool = LocalPool(2)
    pool.start()
    try:
        assert poll_until_given_up(pool, 20) == []
        time.sleep(0.5)
        pool.poll(0.1)
        assert START_FAILURE_LIMIT <= len(started(broken_python)) <= START_FAILURE_LIMIT + 1
        assert "exited with code 5 before it was ready" in (pool.start_error or "")
        assert pool.free_slots() == 1  # to take each job and fail it
        pool.start_job(Job(id="j1", name="j1", project={}, output="/nowhere/j1.mp4"))
        outcomes = [u for u in pool.poll(0.1) if isinstance(u, JobOutcome)]
        assert [(o.job_id, o.status, o.transient) for o in outcomes] == [
            ("j1", JobStatus.FAILED, False)]
        assert outcomes[0].error == pool.start_error
        assert pool.running() == set()
    finally:
        pool.shutdown()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_process_never_ready_is_killed_and_counted(
        broken_python: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script(broken_python, "exec sleep 60")
    monkeypatch.setattr(local_pool, "READY_TIMEOUT_SECONDS", 0.5)
    pool = LocalPool(1)
    pool.start()
    try:
        began = time.monotonic()
        poll_until_given_up(pool, 20)
        assert time.monotonic() - began < 5 * START_FAILURE_LIMIT * 0.5 + 2
        assert "was not ready after" in (pool.start_error or "")
        pids = started(broken_python)
        assert len(pids) == START_FAILURE_LIMIT
        assert not [pid for pid in pids if alive(pid)], "a process never ready was left running"
    finally:
        pool.shutdown()
