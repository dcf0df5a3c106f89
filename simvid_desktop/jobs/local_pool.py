"""The local backend: a pool of long-lived worker processes (spawn), one job each at a time.

Workers are started ahead of time and reused, so a job starts rendering within a fraction
of a second of being claimed. Each worker talks over its own pipe (a killed worker can
only break its own channel, never a shared queue). A worker that dies mid-job fails that
job as a transient failure (it will be retried and resume from its segments) and is
replaced; one that does not stop within a few seconds of a cancel is killed with its
ffmpeg.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event
from pathlib import Path

from simvid_desktop.jobs.backend import Update
from simvid_desktop.jobs.model import Job, JobOutcome, JobProgress, JobStatus
from simvid_desktop.jobs.worker import worker_main
from simvid_desktop.paths import log_dir

logger = logging.getLogger(__name__)

CANCEL_GRACE_SECONDS = 3.0



@dataclass(eq=False)
class _Worker:
    process: SpawnProcess
    conn: Connection
    cancel: Event
    ready: bool = False
    job_id: str | None = None
    cancel_sent: float | None = None


def job_log_path(job_id: str) -> Path:
    return log_dir() / "jobs" / f"{job_id}.log"


def kill_group(pid: int) -> None:
    """Kill a worker and everything in its process group (its ffmpeg)."""
    try:
        if sys.platform == "win32":
            os.kill(pid, signal.SIGTERM)
        else:
            os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        logger.debug("worker group %d already gone", pid)


class LocalPool:
    """Implements the backend interface with worker processes on this machine."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self._ctx = multiprocessing.get_context("spawn")
        self._size = max(1, workers)
        self._workers: list[_Worker] = []

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        while len(self._workers) < self._size:
            self._workers.append(self._spawn())

    def _spawn(self) -> _Worker:
        parent_end, child_end = self._ctx.Pipe(duplex=True)
        cancel = self._ctx.Event()
        process = self._ctx.Process(target=worker_main, args=(child_end, cancel),
                                    name="simvid-worker", daemon=True)
        process.start()
        child_end.close()
        return _Worker(process, parent_end, cancel)

    def shutdown(self) -> None:
        for w in self._workers:
            if w.job_id is not None:
                w.cancel.set()
            try:
                w.conn.send(("stop",))
            except (BrokenPipeError, OSError):
                logger.debug("worker %s already gone", w.process.pid)
        deadline = time.monotonic() + CANCEL_GRACE_SECONDS + 2
        for w in self._workers:
            w.process.join(max(0.0, deadline - time.monotonic()))
            if w.process.is_alive() and w.process.pid is not None:
                kill_group(w.process.pid)
                w.process.join(2)
            w.conn.close()
        self._workers.clear()

    # -- the backend interface -------------------------------------------------------------
    def free_slots(self) -> int:
        return sum(1 for w in self._workers if w.ready and w.job_id is None)

    def running(self) -> set[str]:
        return {w.job_id for w in self._workers if w.job_id is not None}

    def start_job(self, job: Job) -> None:
        worker = next(w for w in self._workers if w.ready and w.job_id is None)
        worker.cancel.clear()
        worker.job_id = job.id
        worker.cancel_sent = None
        worker.conn.send(("job", job.id, job.project, job.output, job.work_dir,
                          float(job.extra.get("segment_seconds", 20.0)),
                          str(job_log_path(job.id))))

    def cancel_job(self, job_id: str) -> None:
        for w in self._workers:
            if w.job_id == job_id and w.cancel_sent is None:
                w.cancel.set()
                w.cancel_sent = time.monotonic()

    def poll(self, timeout: float) -> list[Update]:
        """Progress and outcomes since the last call; waits up to ``timeout`` for the first."""
        updates: list[Update] = []
        conns = {w.conn: w for w in self._workers}
        sentinels = {w.process.sentinel: w for w in self._workers}
        ready = wait([*conns, *sentinels], timeout)
        for obj in ready:
            if obj in conns:
                self._drain(conns[obj], updates)
        for obj in ready:
            if obj in sentinels:
                self._worker_died(sentinels[obj], updates)
        self._enforce_cancels(updates)
        return updates

    # -- internals -----------------------------------------------------------------------
    def _drain(self, w: _Worker, updates: list[Update]) -> None:
        while True:
            try:
                if not w.conn.poll():
                    return
                msg = w.conn.recv()
            except (EOFError, OSError):
                return  # dying; the sentinel reports it
            kind = msg[0]
            if kind == "ready":
                w.ready = True
            elif kind == "progress" and msg[1] == w.job_id:
                e = msg[2]
                updates.append(JobProgress(
                    msg[1], e["stage"], e["percent"], e["message"], e["frames_done"],
                    e["frames_total"], e["fps"], e["eta"],
                ))
            elif kind == "done" and msg[1] == w.job_id:
                _, job_id, status, result, error, log, transient = msg
                updates.append(JobOutcome(job_id, JobStatus(status), result, error, log,
                                          transient))
                w.job_id = None
                w.cancel_sent = None

    def _worker_died(self, w: _Worker, updates: list[Update]) -> None:
        self._drain(w, updates)  # an outcome sent just before exiting still counts
        code = w.process.exitcode
        pid = w.process.pid
        if pid is not None:
            kill_group(pid)  # its ffmpeg, if it was killed mid-render
        w.process.join(1)
        if w.job_id is not None:
            cancelled = w.cancel_sent is not None
            reason = (f"the render process stopped unexpectedly (exit code {code})"
                      if code is None or code >= 0 else
                      f"the render process was killed (signal {-code})")
            logger.warning("worker %s died with job %s: %s", pid, w.job_id, reason)
            updates.append(JobOutcome(
                w.job_id, JobStatus.CANCELED if cancelled else JobStatus.FAILED,
                error=None if cancelled else reason, transient=not cancelled,
            ))
        w.conn.close()
        self._workers.remove(w)
        self._workers.append(self._spawn())

    def _enforce_cancels(self, updates: list[Update]) -> None:
        now = time.monotonic()
        for w in list(self._workers):
            if w.cancel_sent is not None and now - w.cancel_sent > CANCEL_GRACE_SECONDS:
                logger.warning("worker %s ignored cancel; killing it", w.process.pid)
                if w.process.pid is not None:
                    kill_group(w.process.pid)
                w.process.join(2)
                self._worker_died(w, updates)
