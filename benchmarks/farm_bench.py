#!/usr/bin/env python3
"""Render-farm benchmark: one long show split over 1, 2 and 4 workers, and submit latency.

    python benchmarks/farm_bench.py [--slides 200] [--slide-seconds 1] [--size 1920x1080]
                                    [--workers 1,2,4] [--latency-jobs 8]

A real Redis server (loopback, private port) and real ``simvid worker`` processes, started
and stopped here. The show cycles through the 40 benchmark photos (real phone and camera
sizes, made by ``fixtures.py``) to make ``--slides`` slides, with music.

1. Split: the same show with ``split = N`` on N workers. All workers share this machine's
   cores, so the wall time cannot drop much here; what is reported is the cost of
   splitting. CPU seconds of every process of the farm (workers, their render processes,
   ffmpeg; sampled from /proc) give ``cpu(N) / cpu(1) - 1``: the work splitting adds,
   whatever the number of cores. The join (concatenating pieces and music without
   re-encoding) is timed on its own. On N machines the wall time would be about
   ``cpu(N) / N`` of the one-worker CPU time plus the join.
2. Latency: with idle workers, tiny jobs submitted one at a time; the time from the
   submit returning to a worker having started the job (its ``started_at``).
   Target: under 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import fixtures
from simvid_desktop.farm.client import FarmClient
from simvid_desktop.jobs.model import Job, new_job_id
from simvid_desktop.model.project import (
    AudioBed,
    FitMode,
    Motion,
    MotionMode,
    OutputSettings,
    Project,
    Quality,
    Resolution,
    Slide,
    Transition,
    TransitionKind,
)
from simvid_desktop.model.project_io import project_to_dict
from tests.integration.farm_helpers import RedisServer, Workers

FIXTURE_SEED = 2024
TICKS = os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds of every process carrying an environment marker (children inherit it)."""

    def __init__(self, marker: str) -> None:
        self.marker = f"SIMVID_BENCH_MARK={marker}".encode()
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                if pid not in self.seen and self.marker not in (entry / "environ").read_bytes():
                    continue
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self.seen[pid] = (int(fields[11]) + int(fields[12])) / TICKS

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self._sample()

    def __enter__(self) -> CpuMeter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sample()
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def show(photos: list[Path], music: Path, slides: int, seconds: float,
         size: str) -> Project:
    return Project(
        slides=tuple(Slide(photos[i % len(photos)]) for i in range(slides)),
        default_duration=seconds,
        transition=Transition(TransitionKind.FADE, min(0.5, seconds / 2)),
        motion=Motion(MotionMode.AUTO), audio=AudioBed.single(music),
        output=OutputSettings(resolution=Resolution(size), fps=30, quality=Quality.STANDARD,
                              fit=FitMode.BLUR),
    )


def run_split(root: Path, project: Project, n: int, out: Path) -> dict[str, float]:
    marker = f"split{n}-{os.getpid()}"
    os.environ["SIMVID_BENCH_MARK"] = marker
    server = RedisServer(root / f"redis-{n}")
    workers = Workers(server.url, [root.parent], root / f"wdata-{n}")
    names = [f"b{n}-{k}" for k in range(n)]
    try:
        with CpuMeter(marker) as cpu:
            for name in names:
                workers.start(name)
            workers.wait_online(names)
            client = FarmClient(server.url)
            job = Job(id=new_job_id(), name=f"split{n}", project=project_to_dict(project),
                      output=str(out), duration=project.total_duration)
            t0 = time.monotonic()
            rq_id, _ = client.submit(job, split=n, retries=0)
            while True:
                state = client.states([rq_id])[rq_id]
                if state.status == "finished":
                    break
                if state.status in ("failed", "stopped", "canceled"):
                    raise RuntimeError(f"{n} workers: {state.status}: {state.error}")
                time.sleep(0.5)
            wall = time.monotonic() - t0
            client.close()
        join = float((state.result or {}).get("join_seconds", 0.0))
        return {"wall": wall, "cpu": cpu.seconds, "join": join}
    finally:
        workers.close()
        server.close()
        os.environ.pop("SIMVID_BENCH_MARK", None)


def run_latency(root: Path, photos: list[Path], jobs: int) -> list[float]:
    server = RedisServer(root / "redis-lat")
    workers = Workers(server.url, [root.parent], root / "wdata-lat")
    try:
        workers.start("lat")
        workers.wait_online(["lat"])
        client = FarmClient(server.url)
        tiny = show(photos[:1], photos[0], 1, 0.5, "160x90")
        tiny = Project(slides=tiny.slides, default_duration=0.5, output=tiny.output)
        latencies = []
        for i in range(jobs):
            job = Job(id=new_job_id(), name=f"lat{i}", project=project_to_dict(tiny),
                      output=str(root / f"lat{i}.mp4"))
            submitted = time.time()
            rq_id, _ = client.submit(job, retries=0)
            while True:
                rq_job = client.queue.fetch_job(rq_id)
                if rq_job is not None and rq_job.started_at is not None:
                    started = rq_job.started_at.replace(tzinfo=timezone.utc).timestamp()
                    latencies.append(started - submitted)
                    break
                time.sleep(0.01)
            while client.states([rq_id])[rq_id].status not in ("finished", "failed"):
                time.sleep(0.05)
        client.close()
        return latencies
    finally:
        workers.close()
        server.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--slides", type=int, default=200)
    ap.add_argument("--slide-seconds", type=float, default=1.0)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--latency-jobs", type=int, default=8)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "simvid-bench")
    args = ap.parse_args()

    manifest = fixtures.ensure_fixtures(args.workdir / "fixtures-40", 40, FIXTURE_SEED, 96.0,
                                        sys.stderr)
    fixdir = args.workdir / "fixtures-40"
    photos = [fixdir / e["file"] for e in manifest["images"]]
    music = fixdir / manifest["audio"]["file"]
    project = show(photos, music, args.slides, args.slide_seconds, args.size)
    seconds = args.slides * args.slide_seconds
    print(f"show: {args.slides} slides x {args.slide_seconds:g} s = {seconds:g} s at "
          f"{args.size}, 30 fps ({int(seconds * 30)} frames); {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory(prefix="farm-bench-", dir=args.workdir) as tmp:
        root = Path(tmp)
        results: dict[int, dict[str, float]] = {}
        for n in [int(x) for x in args.workers.split(",")]:
            out = root / f"show-{n}.mp4"
            print(f"... {n} worker(s)", file=sys.stderr, flush=True)
            results[n] = run_split(root, project, n, out)
            out.unlink()
        base = results[min(results)]
        print(f"\n{'workers':>7} {'wall s':>8} {'cpu s':>8} {'split overhead':>15} "
              f"{'join s':>7}")
        for n, r in results.items():
            overhead = r["cpu"] / base["cpu"] - 1.0
            join = f"{r['join']:>7.2f}" if n > 1 else "     in"
            print(f"{n:>7} {r['wall']:>8.1f} {r['cpu']:>8.1f} {overhead:>14.1%} {join}")
        lat = run_latency(root, photos, args.latency_jobs)
        print(f"\nsubmit -> worker started ({len(lat)} jobs): median "
              f"{statistics.median(lat):.3f} s, max {max(lat):.3f} s (target < 1 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
