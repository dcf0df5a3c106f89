"""The local backend: a pool of long-lived render processes, one job each at a time.

Processes are started ahead of time and reused, so a job starts rendering within a
fraction of a second of being claimed. Each talks over its own pipe (a killed process can
only break its own channel, never a shared queue). A process that dies mid-job fails that
job as a transient failure (it will be retried and resume from its segments) and is
replaced; one that does not stop within a few seconds of a cancel is killed with its
ffmpeg.

A process that dies before it is ready (a script without a ``__main__`` guard, a bundle
missing a module) or cannot be spawned at all is not replaced in a tight loop: after
``START_FAILURE_LIMIT`` such failures in a row the pool gives up, and each job it claims
fails at once with the reason, so the user sees it instead of jobs queued forever.
"""

from __future__ import annotations

import logging
import time
from multiprocessing.connection import wait
from pathlib import Path

from simvid_desktop.errors import ProjectInvalid
from simvid_desktop.jobs.model import (
    Job,
    JobOutcome,
    JobProgress,
    JobStatus,
    JobUpdate,
    project_from_snapshot,
)
from simvid_desktop.jobs.render_process import (
    CANCEL_GRACE_SECONDS,
    Ready,
    RenderProcess,
    RenderRequest,
    start_failure_hint,
)
from simvid_desktop.paths import log_dir

logger = logging.getLogger(__name__)

START_FAILURE_LIMIT = 3  #: render processes failing to start in a row before the pool gives up
#: A render process is ready in about a second; one still silent after this never will be.
READY_TIMEOUT_SECONDS = 30.0


def local_log_path(job_id: str) -> Path:
    """Where a job rendered on this computer logs."""
    return log_dir() / "jobs" / f"{job_id}.log"


class LocalPool:
    """Implements the backend interface with render processes on this machine."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self._size = max(1, workers)
        self._processes: list[RenderProcess] = []
        self._updates: list[JobUpdate] = []
        self._start_failures = 0  #: in a row: a process that gets ready resets it
        #: Why render processes cannot start, once the pool has given up on them.
        self.start_error: str | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        self._fill()

    def _fill(self) -> None:
        while self.start_error is None and len(self._processes) < self._size:
            try:
                self._processes.append(RenderProcess("simvid-worker"))
            except Exception as exc:  # noqa: BLE001 - whatever stops a spawn is shown on the jobs
                self._start_failed(f"could not be started ({exc})")

    def shutdown(self) -> None:
        deadline = time.monotonic() + CANCEL_GRACE_SECONDS + 2
        for p in self._processes:
            p.stop(max(0.0, deadline - time.monotonic()))
        self._processes.clear()

    # -- the backend interface -------------------------------------------------------------
    def free_slots(self) -> int:
        free = sum(1 for p in self._processes if p.ready and p.job_id is None)
        if free == 0 and self.start_error is not None and not self._processes:
            return 1  # nothing will ever render here: take each job to fail it with the reason
        return free

    def running(self) -> set[str]:
        return {p.job_id for p in self._processes if p.job_id is not None}

    def start_job(self, job: Job) -> None:
        process = next((p for p in self._processes if p.ready and p.job_id is None), None)
        if process is None:  # the pool gave up (free_slots() offers a slot only then)
            self._updates.append(JobOutcome(
                job.id, JobStatus.FAILED, error=self.start_error or "no render process is ready"))
            return
        try:
            project = project_from_snapshot(job.project, job.output)
        except ProjectInvalid as exc:  # a store edited by hand, or a newer version's job
            self._updates.append(JobOutcome(job.id, JobStatus.FAILED, error=str(exc),
                                            error_log="\n".join(exc.lines())))
            return
        process.start(RenderRequest(
            job_id=job.id, project=project, output=job.output, work_dir=job.work_dir,
            segment_seconds=job.segment_seconds, log_path=str(local_log_path(job.id)),
            collision=job.collision))

    def cancel_job(self, job_id: str) -> None:
        for p in self._processes:
            if p.job_id == job_id:
                p.cancel()

    def poll(self, timeout: float) -> list[JobUpdate]:
        """Progress and outcomes since the last call; waits up to ``timeout`` for the first."""
        updates, self._updates = self._updates, []
        conns = {p.conn: p for p in self._processes}
        sentinels = {p.sentinel: p for p in self._processes}
        ready = wait([*conns, *sentinels], 0.0 if updates else timeout)
        for obj in ready:
            if obj in conns:
                updates += self._received(conns[obj])
        for obj in ready:
            if obj in sentinels:
                self._replace(sentinels[obj], updates)
        now = time.monotonic()
        for p in list(self._processes):
            if p.cancel_overdue:
                logger.warning("render process %s ignored cancel; killing it", p.process.pid)
                self._replace(p, updates)  # kills it, with its ffmpeg
            elif not p.ready and now - p.started > READY_TIMEOUT_SECONDS:
                self._replace(p, updates, f"was not ready after {READY_TIMEOUT_SECONDS:.0f} s")
        if len(self._processes) < self._size:
            self._fill()  # a late Ready cleared the start error: back to full strength
        return updates

    # -- internals -----------------------------------------------------------------------
    def _received(self, p: RenderProcess) -> list[JobUpdate]:
        messages = p.receive()
        if any(isinstance(m, Ready) for m in messages):
            self._start_failures = 0  # spawning works (again)
            self.start_error = None
        return [m for m in messages if isinstance(m, (JobProgress, JobOutcome))]

    def _replace(self, p: RenderProcess, updates: list[JobUpdate],
                 start_failure: str | None = None) -> None:
        """A process died (or is put down here): report its job (an outcome sent just before
        still counts), and start another unless processes keep dying before ready."""
        updates += self._received(p)
        p.kill()  # its ffmpeg, if it was killed mid-render
        outcome = p.death_outcome()
        if outcome is not None:
            updates.append(outcome)
        p.conn.close()
        self._processes.remove(p)
        if not p.ready:
            self._start_failed(start_failure or f"{p.exit_description()} before it was ready")
        self._fill()

    def _start_failed(self, what: str) -> None:
        self._start_failures += 1
        logger.error("render process %d of %d in a row failed to start: it %s",
                     self._start_failures, START_FAILURE_LIMIT, what)
        if self._start_failures >= START_FAILURE_LIMIT:
            self.start_error = (
                f"Render processes cannot start: {self._start_failures} in a row failed "
                f"(the last {what}). {start_failure_hint()}")
            logger.error("%s", self.start_error)
