#!/usr/bin/env python3
"""Queue benchmark: throughput of the local worker pool and the queue's own overhead.

    python benchmarks/queue_bench.py [--jobs 6] [--size 1280x720] [--seconds 6]

1. The same N jobs rendered one at a time (1 worker) and by 2 workers: wall times and
   the throughput ratio. On a 2-core machine each x264 already uses both cores, so the
   gain comes from overlapping one job's decode/compose/finalise with another's encode.
2. Overhead: with an idle runner (workers already started) jobs are added one by one;
   for each, the time from ``queue add`` committing the job to the worker starting to
   render it (the worker's first log line), and to the runner claiming it.
   Target: at most 0.5 s from add to start of work.
3. Cancel latency: a long job is rendering when another process runs ``queue cancel``.
   The clock starts when that command is started (before its Python starts, so the
   figures include it, as a user's would). From then on the job's record (read straight
   from the job database) and the ffmpeg processes that were encoding it are watched
   together every 5 ms, each on its own: the time to "canceled" and the time until all
   of those ffmpeg processes are gone are both measured from the cancel, neither from the
   moment the other was seen. The command's own run time is reported beside them, and
   both times again from the moment the cancel request was seen in the database (the
   runner's own reaction, without the command's start-up).

Each phase uses its own data folder (SIMVID_DATA_DIR) under a temp dir.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simvid_desktop.jobs.model import JobStatus
from simvid_desktop.jobs.store import Store
from tests.integration.queue_helpers import processes_named

ROOT = Path(__file__).resolve().parent.parent


def make_photos(folder: Path, count: int = 6) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for i in range(count):
        small = rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)
        img = Image.fromarray(small).resize((3000, 2000), Image.Resampling.BICUBIC)
        img.save(folder / f"photo_{i}.jpg", quality=90)


def simvid(env: dict[str, str], *args: str) -> str:
    res = subprocess.run([sys.executable, "-m", "simvid_desktop", *args], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return res.stdout


def jobs(env: dict[str, str]) -> list[dict]:
    return json.loads(simvid(env, "queue", "list", "--json"))


def add_jobs(env: dict[str, str], photos: Path, out: Path, n: int, size: str,
             per_slide: float) -> list[str]:
    return [simvid(env, "queue", "add", str(photos), "-o", str(out / f"job{i}.mp4"),
                   "--resolution", size, "--duration", str(per_slide), "--motion", "auto",
                   "--quality", "standard").split()[0] for i in range(n)]


def phase_folders(base: Path, name: str) -> tuple[dict[str, str], Path, Path]:
    """A phase's environment (its own SIMVID_DATA_DIR), data folder and output folder."""
    data = base / f"data-{name}"
    out = base / f"out-{name}"
    out.mkdir(parents=True)
    return {**os.environ, "SIMVID_DATA_DIR": str(data)}, data, out


def run_phase(base: Path, photos: Path, workers: int, n: int, size: str,
              per_slide: float) -> float:
    env, _, out = phase_folders(base, f"w{workers}")
    add_jobs(env, photos, out, n, size, per_slide)
    t0 = time.monotonic()
    simvid(env, "queue", "run", "--workers", str(workers))
    wall = time.monotonic() - t0
    done = [j for j in jobs(env) if j["status"] == "finished"]
    if len(done) != n:
        raise SystemExit(f"only {len(done)} of {n} jobs finished with {workers} worker(s)")
    return wall


def log_start_time(log: Path) -> float | None:
    for line in log.read_text().splitlines():
        if "rendering" in line:
            stamp = line.split(" INFO ")[0]
            return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
    return None


PERSISTENT_RUNNER = (
    "import signal\n"
    "from simvid_desktop.jobs.local_pool import LocalPool\n"
    "from simvid_desktop.jobs.runner import QueueRunner\n"
    "runner = QueueRunner(LocalPool(1))\n"
    "signal.signal(signal.SIGTERM, lambda *a: runner.stop())\n"
    "runner.run()\n"
)


def wait_job(env: dict[str, str], job_id: str, ready: Callable[[dict], bool]) -> dict:
    """Poll the queue until ``ready(job)``; returns that job record."""
    while True:
        job = next(j for j in jobs(env) if j["id"] == job_id)
        if ready(job):
            return job
        time.sleep(0.05)


def wait_ended(env: dict[str, str], job_id: str) -> dict:
    return wait_job(env, job_id, lambda j: j["status"] in ("finished", "failed", "canceled"))


@contextlib.contextmanager
def persistent_runner(env: dict[str, str]) -> Iterator[None]:
    """A runner that stays up when the queue is empty (as the window's does), unlike
    `queue run`, which exits when nothing is left."""
    runner = subprocess.Popen([sys.executable, "-c", PERSISTENT_RUNNER], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        runner.terminate()
        runner.wait(30)


def overhead_phase(base: Path, photos: Path, n: int) -> tuple[list[float], list[float]]:
    """Add jobs one at a time to an idle runner whose worker is already warm."""
    env, data, out = phase_folders(base, "overhead")

    def add(name: str) -> str:
        return simvid(env, "queue", "add", str(photos), "-o", str(out / f"{name}.mp4"),
                      "--resolution", "160x90", "--duration", "2", "--quality",
                      "draft").split()[0]

    warmup = add("warmup")  # a first job while the worker process starts
    claim, start = [], []
    with persistent_runner(env):
        wait_ended(env, warmup)
        for i in range(n):
            time.sleep(0.5)  # the runner and its worker are idle now
            job = wait_ended(env, add(f"o{i}"))
            claim.append(job["started_at"] - job["created_at"])
            began = log_start_time(data / "logs" / "jobs" / f"{job['id']}.log")
            if began is not None:
                start.append(began - job["created_at"])
    return claim, start


def alive(pid: int) -> bool:
    """A process that still exists and is not a zombie (Linux /proc)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def cancel_phase(base: Path, photos: Path, n: int) -> dict[str, list[float]]:
    """Cancel a rendering job from another process, ``n`` times. Seconds from starting
    ``queue cancel``: until the job is "canceled", until every ffmpeg that was encoding it
    has exited (Linux /proc; absent elsewhere), until the command returned, and until the
    request was seen in the database."""
    env, data, out = phase_folders(base, "cancel")
    times: dict[str, list[float]] = {"canceled": [], "ffmpeg": [], "command": [],
                                     "recorded": []}
    with persistent_runner(env):
        store = Store(data / "jobs.sqlite3")  # the runner's database, read directly
        for i in range(n):
            job_id = simvid(env, "queue", "add", str(photos), "-o", str(out / f"c{i}.mp4"),
                            "--resolution", "1280x720", "--duration", "10", "--motion",
                            "auto").split()[0]
            wait_job(env, job_id, lambda j: j["status"] == "started" and j["progress"] > 3)
            encoding = processes_named("ffmpeg", str(data)) if Path("/proc").is_dir() else []
            if Path("/proc").is_dir() and not encoding:
                raise SystemExit(f"cancel {i}: no ffmpeg running before the cancel")
            t0 = time.monotonic()
            cancel = subprocess.Popen([sys.executable, "-m", "simvid_desktop", "queue",
                                       "cancel", job_id], env=env, cwd=ROOT,
                                      stdout=subprocess.DEVNULL)
            canceled_at = gone_at = returned_at = recorded_at = None
            while canceled_at is None or returned_at is None or (
                    recorded_at is None) or (
                    encoding and gone_at is None):
                now = time.monotonic() - t0
                if now > 120:
                    raise SystemExit(f"cancel {i}: not done after 120 s")
                if returned_at is None and cancel.poll() is not None:
                    returned_at = now
                    if cancel.returncode != 0:
                        raise SystemExit(f"cancel {i}: queue cancel exited {cancel.returncode}")
                if canceled_at is None:
                    job = store.get(job_id)
                    if recorded_at is None and job is not None and (
                            job.cancel_requested or job.status.ended):
                        recorded_at = now
                    if job is not None and job.status.ended:
                        if job.status is not JobStatus.CANCELED:
                            raise SystemExit(f"cancel {i}: job ended {job.status.value}")
                        canceled_at = now
                if encoding and gone_at is None and not any(map(alive, encoding)):
                    gone_at = now
                time.sleep(0.005)
            times["canceled"].append(canceled_at)
            times["command"].append(returned_at)
            times["recorded"].append(recorded_at)
            if gone_at is not None:
                times["ffmpeg"].append(gone_at)
            print(f"cancel {i + 1}: recorded {recorded_at:.3f} s, canceled {canceled_at:.3f} s, "
                  f"ffmpeg gone {gone_at if gone_at is None else round(gone_at, 3)} s, "
                  f"command returned {returned_at:.3f} s", flush=True)
        store.close()
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=6)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--per-slide", type=float, default=1.5, help="seconds per photo")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="simvid-queue-bench-"))
    try:
        photos = base / "photos"
        make_photos(photos)
        show = 6 * a.per_slide
        print(f"{a.jobs} jobs, each {show:.0f} s of {a.size} video with motion, "
              f"{os.cpu_count()} cores", flush=True)
        one = run_phase(base, photos, 1, a.jobs, a.size, a.per_slide)
        print(f"1 worker : {one:6.1f} s", flush=True)
        two = run_phase(base, photos, 2, a.jobs, a.size, a.per_slide)
        print(f"2 workers: {two:6.1f} s", flush=True)
        claim, start = overhead_phase(base, photos, 5)
        cancel = cancel_phase(base, photos, 3)
        print()
        print("| measure | value |")
        print("|---|---:|")
        print(f"| {a.jobs} jobs, 1 worker (s) | {one:.1f} |")
        print(f"| {a.jobs} jobs, 2 workers (s) | {two:.1f} |")
        print(f"| throughput ratio (2 workers / 1) | {one / two:.2f}x |")
        print(f"| add -> claimed, median / max (s) | {statistics.median(claim):.2f} / "
              f"{max(claim):.2f} |")
        if start:
            print(f"| add -> worker starts rendering, median / max (s) | "
                  f"{statistics.median(start):.2f} / {max(start):.2f} |")
        def row(what: str, values: list[float]) -> None:
            if values:
                print(f"| {what}, median / max (s) | {statistics.median(values):.2f} / "
                      f"{max(values):.2f} |")

        row("`queue cancel` started -> job canceled", cancel["canceled"])
        row("`queue cancel` started -> its ffmpeg gone", cancel["ffmpeg"])
        row("`queue cancel` started -> the command returned", cancel["command"])
        since = [(c - r, f - r) for c, f, r in zip(cancel["canceled"], cancel["ffmpeg"] or
                                                   cancel["canceled"], cancel["recorded"],
                                                   strict=True)]
        row("cancel recorded -> job canceled", [c for c, _ in since])
        if cancel["ffmpeg"]:
            row("cancel recorded -> its ffmpeg gone", [f for _, f in since])
        if start:
            verdict = "PASS" if max(start) <= 0.5 else "FAIL"
            print(f"\ntarget: add -> start of work <= 0.5 s: max {max(start):.2f} s -> {verdict}")
    finally:
        if not a.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
