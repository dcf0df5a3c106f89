"""The local backend: a pool of long-lived render processes, one job each at a time.

Processes are started ahead of time and reused, so a job starts rendering within a
fraction of a second of being claimed. Each talks over its own pipe (a killed process can
only break its own channel, never a shared queue). A process that dies mid-job fails that
job as a transient failure (it will be retried and resume from its segments) and is
replaced; one that does not stop within a few seconds of a cancel is killed with its
ffmpeg.
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
    RenderProcess,
    RenderRequest,
)
from simvid_desktop.paths import log_dir

logger = logging.getLogger(__name__)


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

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        while len(self._processes) < self._size:
            self._processes.append(RenderProcess("simvid-worker"))

    def shutdown(self) -> None:
        deadline = time.monotonic() + CANCEL_GRACE_SECONDS + 2
        for p in self._processes:
            p.stop(max(0.0, deadline - time.monotonic()))
        self._processes.clear()

    # -- the backend interface -------------------------------------------------------------
    def free_slots(self) -> int:
        return sum(1 for p in self._processes if p.ready and p.job_id is None)

    def running(self) -> set[str]:
        return {p.job_id for p in self._processes if p.job_id is not None}

    def start_job(self, job: Job) -> None:
        try:
            project = project_from_snapshot(job.project, job.output)
        except ProjectInvalid as exc:  # a store edited by hand, or a newer version's job
            self._updates.append(JobOutcome(job.id, JobStatus.FAILED, error=str(exc),
                                            error_log="\n".join(exc.lines())))
            return
        process = next(p for p in self._processes if p.ready and p.job_id is None)
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
        for p in list(self._processes):
            if p.cancel_overdue:
                logger.warning("render process %s ignored cancel; killing it", p.process.pid)
                p.kill()
                self._replace(p, updates)
        return updates

    # -- internals -----------------------------------------------------------------------
    @staticmethod
    def _received(p: RenderProcess) -> list[JobUpdate]:
        return [m for m in p.receive() if isinstance(m, (JobProgress, JobOutcome))]

    def _replace(self, p: RenderProcess, updates: list[JobUpdate]) -> None:
        """A process died: report its job (an outcome sent just before still counts)."""
        updates += self._received(p)
        p.kill()  # its ffmpeg, if it was killed mid-render
        outcome = p.death_outcome()
        if outcome is not None:
            updates.append(outcome)
        p.conn.close()
        self._processes.remove(p)
        self._processes.append(RenderProcess("simvid-worker"))
