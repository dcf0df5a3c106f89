"""The queue with real processes: crashes, kills, cancels from elsewhere, several runners."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.media import probe
from tests.integration.queue_helpers import QueueEnv, processes_named, worker_pids


@pytest.fixture
def q(tmp_path: Path) -> Iterator[QueueEnv]:
    env = QueueEnv(tmp_path, segment_seconds=2.0)
    yield env
    env.cleanup()


def valid_video(path: Path, seconds: float) -> None:
    info = probe(path)
    assert info["vcodec"] == "h264" and info["audio"] is not None, info
    assert abs(float(info["duration"]) - seconds) < 0.1, info  # type: ignore[arg-type]


def test_run_until_empty_and_list_json(q: QueueEnv) -> None:
    ids = [q.add_quick(f"v{i}") for i in range(3)]
    res = q.simvid("queue", "run", "--workers", "2")
    assert "queue empty" in res.stdout
    jobs = q.jobs()
    for job_id in ids:
        job = jobs[job_id]
        assert job["status"] == "finished" and job["progress"] == 100 and job["attempts"] == 1
        valid_video(Path(job["output"]), 2.0)
    assert q.stray_files() == []
    assert not list((q.data / "work").glob("*")), "work folders removed"


def test_queue_run_from_a_script_without_a_main_guard_fails_the_job_and_exits_1(
        q: QueueEnv) -> None:
    """Each render process imports the script again and dies before it is ready: the run
    must say why and end, not leave the job queued and respawn processes for ever."""
    job_id = q.add_quick("unguarded")
    script = q.root / "my_render.py"  # no `if __name__ == "__main__":`
    script.write_text("import sys\nfrom simvid_desktop.cli.main import main\n"
                      "sys.exit(main(['queue', 'run', '--workers', '2']))\n")
    root = Path(__file__).resolve().parents[2]
    started = time.monotonic()
    res = subprocess.run([sys.executable, str(script)], cwd=q.root, capture_output=True,
                         text=True, timeout=120, env={**q.env, "PYTHONPATH": str(root)})
    assert res.returncode == 1, res.stderr[-3000:]
    assert time.monotonic() - started < 60
    assert f"{job_id}: failed: Render processes cannot start" in res.stderr, res.stderr[-3000:]
    assert 'if __name__ == "__main__":' in res.stderr
    job = q.jobs()[job_id]
    assert job["status"] == "failed" and "exited with code 1" in job["error"], job
    assert processes_named("spawn_main", str(q.data)) == [], "no render process left behind"


def test_kill_worker_mid_render_retries_and_resumes(q: QueueEnv) -> None:
    job_id = q.add_long("long")
    runner = q.start_runner(workers=1)
    q.wait_for(lambda j: j[job_id]["status"] == "started" and j[job_id]["progress"] > 45,
               what="the job to be half done")
    workers = worker_pids(runner.pid)
    assert len(workers) == 1
    os.kill(workers[0], signal.SIGKILL)
    jobs = q.wait_for(lambda j: j[job_id]["status"] == "finished", timeout=120,
                      what="the retried job to finish")
    job = jobs[job_id]
    assert job["attempts"] == 2
    assert job["result"]["resumed_frames"] > 0, "finished segments must be reused"
    valid_video(Path(job["output"]), 12.5)
    runner.wait(60)
    assert runner.returncode == 0, runner.stderr.read() if runner.stderr else ""
    assert q.stray_files() == []
    assert processes_named("ffmpeg", str(q.data)) == []


def test_kill_runner_mid_render_then_restart(q: QueueEnv) -> None:
    first = q.add_long("first")
    second = q.add_quick("second")
    runner = q.start_runner(workers=1)
    q.wait_for(lambda j: j[first]["status"] == "started" and j[first]["progress"] > 30,
               what="the first job to be under way")
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait(10)
    # Its worker notices, stops rendering and takes its ffmpeg with it.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (
        processes_named("spawn_main", str(q.data)) or processes_named("ffmpeg", str(q.data))
    ):
        time.sleep(0.2)
    assert processes_named("ffmpeg", str(q.data)) == [], "orphan ffmpeg"
    assert processes_named("spawn_main", str(q.data)) == [], "orphan worker"
    assert q.jobs()[first]["status"] == "started"  # until a runner recovers it

    res = q.simvid("queue", "run", "--workers", "1")
    assert "queue empty" in res.stdout
    jobs = q.jobs()
    assert jobs[first]["status"] == jobs[second]["status"] == "finished"
    assert jobs[first]["result"]["resumed_frames"] > 0
    valid_video(Path(jobs[first]["output"]), 12.5)
    valid_video(Path(jobs[second]["output"]), 2.0)
    assert q.stray_files() == []


def test_cancel_queued_and_running_from_another_process(q: QueueEnv) -> None:
    running = q.add_long("running", seconds_per_slide=30)
    waiting = q.add_quick("waiting")
    q.simvid("queue", "pause", waiting)
    runner = q.start_runner(workers=1)
    q.wait_for(lambda j: j[running]["status"] == "started" and j[running]["progress"] > 2,
               what="the long job to run")
    q.simvid("queue", "cancel", waiting)
    q.simvid("queue", "cancel", running)
    # How fast a cancel lands is measured by benchmarks/queue_bench.py, not timed here.
    q.wait_for(lambda j: j[running]["status"] == "canceled", timeout=30, what="cancel")
    assert q.jobs()[running]["progress"] < 100  # stopped mid-render, not left to finish
    assert processes_named("ffmpeg", str(q.data)) == []
    runner.wait(30)
    jobs = q.jobs()
    assert jobs[waiting]["status"] == "canceled" and jobs[waiting]["attempts"] == 0
    assert not (q.out / "running.mp4").exists() and not (q.out / "waiting.mp4").exists()
    assert q.stray_files() == []
    assert not (q.data / "work" / running).exists()


def test_two_runners_never_run_a_job_twice(q: QueueEnv) -> None:
    ids = [q.add_quick(f"v{i}") for i in range(6)]
    a, b = q.start_runner(workers=1), q.start_runner(workers=1)
    a.wait(120)
    b.wait(120)
    jobs = q.jobs()
    runs = {i: (jobs[i]["status"], jobs[i]["attempts"]) for i in ids}
    assert all(run == ("finished", 1) for run in runs.values()), runs
    logs = {p.stem for p in (q.data / "logs" / "jobs").glob("*.log")}
    assert logs == set(ids)
