#!/usr/bin/env python3
"""Farm failover: how long a job whose worker is killed with ``kill -9`` takes to move.

    python benchmarks/failover_bench.py [--runs 3] [--size 640x360] [--slides 20]

A real Redis server (loopback, private port) and two real ``simvid worker`` processes,
started and stopped here; no desktop is running, so the workers' own lease check is all
that recovers the job (the desktop's runner does the same check, which can only make it
sooner). For each run one show is submitted; once its worker has passed ``--kill-at``
percent, that worker is killed with SIGKILL (no chance to hand the job back), and the
clock runs from the kill until:

* moved: the other worker has started the job (its record names that worker, attempt 2);
* done: the job is finished (it resumes from the finished segments on the shared folder).

The README's "moves to another worker within about N s" comes from the "moved" column.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simvid_desktop.farm.client import FarmClient, FarmJobState
from simvid_desktop.jobs.model import Job, new_job_id
from simvid_desktop.model.project import (
    OutputSettings,
    Project,
    Resolution,
    Slide,
    Transition,
    TransitionKind,
)
from simvid_desktop.model.project_io import project_to_dict
from tests.integration.farm_helpers import RedisServer, Workers
from tests.integration.media import solid

COLOURS = [(220, 30, 30), (30, 200, 40), (30, 60, 220), (230, 220, 40)]
POLL = 0.05  #: seconds between looks at the job's record: the figures' resolution


def wait(client: FarmClient, rq_id: str, ready: Callable[[FarmJobState], bool],
         timeout: float, what: str, *, fatal: bool = True) -> FarmJobState:
    """Poll until ``ready``; an ended job is fatal unless ``fatal`` is off (right after a
    kill, RQ may pass the job through "failed" on its way back to the queue)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.states([rq_id])[rq_id]
        if ready(state):
            return state
        if fatal and state.status in ("failed", "stopped", "canceled"):
            raise SystemExit(f"{what}: the job ended {state.status}: {state.error}")
        time.sleep(POLL)
    raise SystemExit(f"{what}: not within {timeout:.0f} s")


def one_run(root: Path, run: int, project: Project, kill_at: float) -> tuple[float, float]:
    server = RedisServer(root / f"redis-{run}")
    workers = Workers(server.url, [root], root / f"wdata-{run}")
    names = [f"r{run}-a", f"r{run}-b"]
    try:
        for name in names:
            workers.start(name)
        workers.wait_online(names)
        client = FarmClient(server.url)
        job = Job(id=new_job_id(), name=f"failover{run}", project=project_to_dict(project),
                  output=str(root / f"show-{run}.mp4"), duration=project.total_duration,
                  segment_seconds=2.0)
        rq_id, _ = client.submit(job, retries=2)

        def rendering(s: FarmJobState) -> bool:
            return (s.status == "started" and s.progress is not None
                    and s.progress.percent >= kill_at)

        victim = wait(client, rq_id, rendering, 120, "the render to start").worker
        assert victim in names, victim
        survivor = next(n for n in names if n != victim)
        killed = time.monotonic()
        workers.kill9(victim)
        wait(client, rq_id, lambda s: s.worker == survivor and s.attempt >= 2
             and s.status == "started", 300, "the job to move", fatal=False)
        moved = time.monotonic() - killed
        wait(client, rq_id, lambda s: s.status == "finished", 600, "the job to finish")
        done = time.monotonic() - killed
        client.close()
        print(f"run {run + 1}: killed {victim} at {kill_at:.0f} %: moved to {survivor} "
              f"after {moved:.1f} s, finished {done:.1f} s after the kill", flush=True)
        return moved, done
    finally:
        workers.close()
        server.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--slides", type=int, default=20, help="2 s each")
    ap.add_argument("--kill-at", type=float, default=25.0, help="percent rendered")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="simvid-failover-") as tmp:
        root = Path(tmp)
        photos = [solid(root / f"p{i}.jpg", c, size=(1280, 720))
                  for i, c in enumerate(COLOURS)]
        project = Project(
            slides=tuple(Slide(photos[i % len(photos)]) for i in range(args.slides)),
            default_duration=2.0, transition=Transition(TransitionKind.FADE, 0.5),
            output=OutputSettings(resolution=Resolution(args.size), fps=25),
        )
        print(f"show: {args.slides} slides x 2 s at {args.size}, 2 workers, segments of 2 s, "
              f"no desktop; polled every {POLL * 1000:.0f} ms", flush=True)
        results = [one_run(root, run, project, args.kill_at) for run in range(args.runs)]
    moved = [m for m, _ in results]
    done = [d for _, d in results]
    print()
    print("| kill -9 of the rendering worker -> | median | min | max |")
    print("|---|---:|---:|---:|")
    print(f"| another worker has started the job (s) | {statistics.median(moved):.1f} | "
          f"{min(moved):.1f} | {max(moved):.1f} |")
    print(f"| the job is finished (s) | {statistics.median(done):.1f} | {min(done):.1f} | "
          f"{max(done):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
