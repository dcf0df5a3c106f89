"""``simvid queue ...``: add, list, run, cancel, retry, pause, move and clear render jobs."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from datetime import datetime
from types import FrameType
from typing import TextIO

from simvid_desktop.cli import farm_commands
from simvid_desktop.cli.project_args import add_render_options, project_from_args
from simvid_desktop.errors import InvalidInput
from simvid_desktop.jobs.model import Job, JobStatus
from simvid_desktop.jobs.store import Store
from simvid_desktop.jobs.submit import submit
from simvid_desktop.model.settings import load_settings
from simvid_desktop.model.units import format_eta

logger = logging.getLogger(__name__)


class QueueCommandError(InvalidInput):
    """A queue command cannot be done (unknown job id, wrong state): exit code 2."""


def _job(store: Store, prefix: str) -> Job:
    job = store.find(prefix)
    if job is None:
        raise QueueCommandError(f"no job with id {prefix!r} (see 'simvid queue list')")
    return job


def cmd_add(args: argparse.Namespace) -> int:
    settings = load_settings()
    url = farm_commands.farm_url(args, settings, settings_default=True)
    pmap = farm_commands.path_map(args, settings)
    split = farm_commands.split_of(args, settings)
    project = project_from_args(args)  # every problem reported before anything is queued
    backend, extra = "local", {}
    client = farm_commands.reachable_client(url, pmap) if url else None
    if client is not None:
        client.close()  # it answered: the runner sends the job
        backend, extra = "farm", {"split": split, "farm_url": url,
                                  "path_map": list(args.path_map)}
    store = Store()
    job = submit(store, project, args.output, settings, priority=args.priority,
                 backend=backend, extra=extra)
    print(job.id)
    if job.output != str(args.output.expanduser().resolve()):
        print(f"simvid: output exists; writing {job.output} instead", file=sys.stderr)
    return 0


def _row(job: Job) -> str:
    created = datetime.fromtimestamp(job.created_at).strftime("%H:%M:%S")
    progress = f"{job.percent:5.1f}%" if job.status is JobStatus.STARTED else "      "
    detail = job.error if job.status is JobStatus.FAILED else job.message
    return (f"{job.id}  {job.status.value:<9} {progress} {job.priority:>3}  {created}  "
            f"{job.name[:28]:<28}  {detail}")


def cmd_list(args: argparse.Namespace) -> int:
    store = Store()
    jobs = store.jobs()
    if args.json:
        print(json.dumps([j.public_dict() for j in jobs], indent=2))
        return 0
    if not jobs:
        print("no jobs")
    else:
        print(f"{'id':<12}  {'status':<9} {'':6} {'pri':>3}  {'added':<8}  {'name':<28}  message")
        for job in jobs:
            print(_row(job))
    if store.queue_paused():
        print("(the queue is paused: 'simvid queue resume' to continue)")
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    store = Store()
    job = _job(store, args.id)
    status = store.cancel(job.id)
    if status is JobStatus.STARTED:
        print(f"{job.id}: stopping")
    elif status is JobStatus.CANCELED:
        print(f"{job.id}: cancelled")
    else:
        raise QueueCommandError(f"job {job.id} is already {job.status.value}")
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    store = Store()
    job = _job(store, args.id)
    if not store.retry(job.id):
        raise QueueCommandError(f"job {job.id} is {job.status.value}; only failed or cancelled "
                                "jobs can be retried")
    print(f"{job.id}: queued again")
    return 0


def cmd_clear(args: argparse.Namespace) -> int:
    statuses = {JobStatus.FINISHED} if args.finished else set()
    if args.failed:
        statuses |= {JobStatus.FAILED, JobStatus.CANCELED}
    if args.all_ended:
        statuses = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED}
    if not statuses:
        raise QueueCommandError("say what to clear: --finished, --failed or --all")
    removed = Store().clear(statuses)
    print(f"removed {len(removed)} job(s)")
    return 0


def _set_paused(args: argparse.Namespace, paused: bool) -> int:
    """Pause/resume one queued job (with an id) or the whole queue (without)."""
    store = Store()
    if args.id:
        job = _job(store, args.id)
        if not store.set_paused(job.id, paused):
            state = "cannot pause it" if paused else "not paused"
            raise QueueCommandError(f"job {job.id} is {job.status.value}; {state}")
    else:
        store.set_queue_paused(paused)
        print("queue paused: running jobs finish, no new ones start" if paused
              else "queue resumed")
    return 0


def cmd_pause(args: argparse.Namespace) -> int:
    return _set_paused(args, True)


def cmd_resume(args: argparse.Namespace) -> int:
    return _set_paused(args, False)


def cmd_move(args: argparse.Namespace) -> int:
    store = Store()
    job = _job(store, args.id)
    if not store.move(job.id, args.steps):
        raise QueueCommandError(f"job {job.id} cannot move there")
    return 0


class _Display:
    """Per-job progress bars on a terminal; plain lines otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.bars: dict[str, Job] = {}
        self.drawn = 0

    def _clear(self) -> None:
        if self.tty and self.drawn:
            self.stream.write(f"\x1b[{self.drawn}F\x1b[J")
            self.drawn = 0

    def _draw(self) -> None:
        if not self.tty:
            return
        for job in self.bars.values():
            filled = round(30 * job.percent / 100)
            self.stream.write(
                f"{job.id[:8]} [{'#' * filled}{'.' * (30 - filled)}] {job.percent:5.1f}% "
                f"{job.message[:30]:<30} {job.fps:5.1f} fps ETA {format_eta(job.eta)}\n")
        self.drawn = len(self.bars)
        self.stream.flush()

    def line(self, text: str) -> None:
        self._clear()
        self.stream.write(text + "\n")
        self._draw()

    def update(self, kind: str, job: Job) -> None:
        if kind == "started":
            self.bars[job.id] = job
            self.line(f"{job.id}: started {job.name} -> {job.output}")
        elif kind == "progress" and job.status is JobStatus.STARTED:
            self.bars[job.id] = job
            self._clear()
            self._draw()
        elif kind in ("ended", "recovered"):
            self.bars.pop(job.id, None)
            if job.status is JobStatus.FINISHED:
                size = (job.result or {}).get("size_bytes", 0) / 1e6
                self.line(f"{job.id}: finished {job.output} ({size:.1f} MB)")
            elif job.status is JobStatus.FAILED:
                self.line(f"{job.id}: failed: {job.error}")
            elif job.status is JobStatus.CANCELED:
                self.line(f"{job.id}: cancelled")
            else:
                self.line(f"{job.id}: {job.message}")


def cmd_run(args: argparse.Namespace) -> int:
    # Heavy, and only for `queue run`: rq/redis, and the engine (numpy, Pillow).
    from simvid_desktop.farm.backend import queue_backends  # noqa: PLC0415
    from simvid_desktop.jobs.runner import QueueRunner  # noqa: PLC0415

    settings = load_settings()
    display = _Display(sys.stderr)
    backends = queue_backends(settings, workers=args.workers, farm_url=args.farm)
    runner = QueueRunner(backends, exit_when_idle=True,
                         on_event=lambda e: display.update(e.kind, e.job))

    def stop(signum: int, frame: FrameType | None) -> None:
        display.line("stopping: running jobs will resume on the next 'queue run'")
        runner.stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    try:
        runner.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    store = Store()
    failed = [j for j in store.jobs([JobStatus.FAILED]) if (j.ended_at or 0) >= time.time() - (
        time.monotonic() - started)]
    if store.queue_paused():
        print("the queue is paused", file=sys.stderr)
    print(f"queue empty after {time.monotonic() - started:.1f} s"
          + (f"; {len(failed)} job(s) failed" if failed else ""))
    return 1 if failed else 0


def add_queue_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    queue = sub.add_parser("queue", help="the render queue (shared with the window)")
    qsub = queue.add_subparsers(dest="queue_command", metavar="ACTION", required=True)

    add = qsub.add_parser("add", help="queue a render; prints the job id")
    add_render_options(add)
    add.add_argument("--priority", type=int, default=0, help="higher runs first")
    farm_commands.add_farm_options(add, queue=True)
    add.set_defaults(func=cmd_add)

    ls = qsub.add_parser("list", help="show the jobs")
    ls.add_argument("--json", action="store_true", help="machine-readable list")
    ls.set_defaults(func=cmd_list)

    run = qsub.add_parser("run", help="render queued jobs until none are left")
    run.add_argument("--workers", type=int, default=0, help="worker processes")
    run.add_argument("--farm", metavar="REDIS_URL", default=None,
                     help="also serve farm jobs through this farm (default: the settings')")
    run.set_defaults(func=cmd_run)

    for name, func, helptext in (("cancel", cmd_cancel, "cancel a job"),
                                 ("retry", cmd_retry, "queue a failed/cancelled job again")):
        p = qsub.add_parser(name, help=helptext)
        p.add_argument("id")
        p.set_defaults(func=func)

    for name, func, helptext in (("pause", cmd_pause, "pause the queue or one queued job"),
                                 ("resume", cmd_resume, "resume the queue or one job")):
        p = qsub.add_parser(name, help=helptext)
        p.add_argument("id", nargs="?")
        p.set_defaults(func=func)

    move = qsub.add_parser("move", help="move a waiting job up (-N) or down (+N)")
    move.add_argument("id")
    move.add_argument("steps", type=int)
    move.set_defaults(func=cmd_move)

    clear = qsub.add_parser("clear", help="remove ended jobs from the list")
    clear.add_argument("--finished", action="store_true")
    clear.add_argument("--failed", action="store_true", help="failed and cancelled jobs")
    clear.add_argument("--all", dest="all_ended", action="store_true", help="every ended job")
    clear.set_defaults(func=cmd_clear)
