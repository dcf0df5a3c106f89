"""The queue runner: claims jobs from the store, hands them to a backend, records what happens.

One runner per process that renders (``simvid queue run`` or the window). Several may
share a store: each claims jobs atomically, heartbeats its liveness, and re-queues jobs
whose runner has died (they resume from their finished segments). The store is where
progress is throttled: a few writes a second per job (every change of stage or slide
still goes through); outcomes are written at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from simvid_desktop.jobs.backend import Backend
from simvid_desktop.jobs.model import (
    Job,
    JobHandoff,
    JobOutcome,
    JobProgress,
    JobStatus,
    JobWaiting,
)
from simvid_desktop.jobs.render_process import refuse_in_bootstrapping_child
from simvid_desktop.jobs.store import Store
from simvid_desktop.render.engine import stale_temp_files
from simvid_desktop.render.progress import ProgressThrottle
from simvid_desktop.render.segments import WorkDir

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0
RECOVER_SECONDS = 2.0
PROGRESS_WRITE_SECONDS = 0.25


class RunnerEventKind(str, Enum):
    STARTED = "started"  #: a job was claimed and handed to a backend
    PROGRESS = "progress"  #: its progress was written to the store
    ENDED = "ended"  #: it finished, failed or was cancelled
    RECOVERED = "recovered"  #: it went back to the queue (interrupted, retried, handed off)


@dataclass(frozen=True)
class RunnerEvent:
    """What the runner did, for a front end to show (the job as the store now has it)."""

    kind: RunnerEventKind
    job: Job


def new_runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def cleanup_after(job: Job) -> None:
    """Remove what an ended or interrupted run left: temp files beside the output, and the
    work folder once the job is over (an interrupted job keeps it to resume)."""
    for tmp in stale_temp_files(Path(job.output)):
        tmp.unlink(missing_ok=True)
    if job.work_dir and job.status.ended:
        WorkDir(Path(job.work_dir)).remove()


class QueueRunner:
    """Runs the store's jobs on one or more backends (each claims the jobs named for it)."""

    def __init__(
        self,
        backend: Backend | Sequence[Backend],
        store_path: Path | None = None,
        *,
        exit_when_idle: bool = False,
        on_event: Callable[[RunnerEvent], None] | None = None,
    ) -> None:
        self.backends: list[Backend] = (
            list(backend) if isinstance(backend, Sequence) else [backend])
        self.store_path = store_path
        self.exit_when_idle = exit_when_idle
        self.on_event = on_event
        self.runner_id = new_runner_id()
        self.stop_event = threading.Event()
        self._throttles: dict[str, ProgressThrottle] = {}
        self._pending: dict[str, JobProgress] = {}

    def stop(self) -> None:
        self.stop_event.set()

    def _emit(self, kind: RunnerEventKind, job: Job | None) -> None:
        if self.on_event is not None and job is not None:
            self.on_event(RunnerEvent(kind, job))

    def run(self) -> None:
        """Run until :meth:`stop` (or, with ``exit_when_idle``, until nothing is left)."""
        # Before the store: a render process running its parent's unguarded script must
        # not claim or recover anyone's jobs.
        refuse_in_bootstrapping_child("The render queue")
        store = Store(self.store_path)
        store.register_runner(self.runner_id)
        for backend in self.backends:
            backend.start()
        try:
            self._recover(store)
            self._loop(store)
        finally:
            for backend in self.backends:
                backend.shutdown()
            # Jobs still running were stopped by the shutdown: hand them back to the queue.
            store.unregister_runner(self.runner_id)
            self._recover(store)
            store.close()

    def _recover(self, store: Store) -> None:
        for job in store.recover():
            logger.info("job %s was interrupted; queued again", job.id)
            current = store.get(job.id)
            if current is None:
                continue
            # A farm job goes on rendering on the farm: its temporary file beside the output
            # may be live, so only ended farm jobs are cleaned up. A job another runner has
            # claimed again meanwhile is live too.
            if current.backend == "local" and current.status is not JobStatus.STARTED:
                cleanup_after(current)
            self._emit(RunnerEventKind.RECOVERED, current)

    def _loop(self, store: Store) -> None:
        last_beat = last_recover = 0.0
        while not self.stop_event.is_set():
            now = time.monotonic()
            if now - last_beat >= HEARTBEAT_SECONDS:
                store.heartbeat(self.runner_id)
                last_beat = now
            if now - last_recover >= RECOVER_SECONDS:
                self._recover(store)
                last_recover = now
            self._start_jobs(store)
            wait = 0.1 / len(self.backends)
            for backend in self.backends:
                for update in backend.poll(wait):
                    if isinstance(update, JobProgress):
                        self._progress(store, update)
                    elif isinstance(update, JobWaiting):
                        store.waiting(self.runner_id, update)
                    elif isinstance(update, JobHandoff):
                        self._handoff(store, update)
                    else:
                        self._finish(store, update)
            self._flush_progress(store)
            for job_id in store.cancel_requests(self.runner_id):
                for backend in self.backends:
                    if job_id in backend.running():
                        backend.cancel_job(job_id)
            if self.exit_when_idle and self._idle(store):
                return

    def _start_jobs(self, store: Store) -> None:
        for backend in self.backends:
            while backend.free_slots() > 0:
                job = store.claim(self.runner_id, backend.name)
                if job is None:
                    break
                logger.info("starting job %s on %s (%s)", job.id, backend.name, job.output)
                backend.start_job(job)
                self._emit(RunnerEventKind.STARTED, job)

    def _handoff(self, store: Store, handoff: JobHandoff) -> None:
        self._pending.pop(handoff.job_id, None)
        job = store.handoff(self.runner_id, handoff.job_id, handoff.backend, handoff.message)
        logger.info("job %s handed to %s: %s", handoff.job_id, handoff.backend, handoff.message)
        self._emit(RunnerEventKind.RECOVERED, job)

    def _progress(self, store: Store, update: JobProgress) -> None:
        """Write now if due, else keep the latest for :meth:`_flush_progress`."""
        throttle = self._throttles.setdefault(
            update.job_id, ProgressThrottle(PROGRESS_WRITE_SECONDS))
        if throttle.admit(update.event):
            self._pending.pop(update.job_id, None)
            self._write_progress(store, update)
        else:
            self._pending[update.job_id] = update

    def _write_progress(self, store: Store, update: JobProgress) -> None:
        store.progress(self.runner_id, update)
        self._emit(RunnerEventKind.PROGRESS, store.get(update.job_id))

    def _flush_progress(self, store: Store) -> None:
        """The latest progress held back, once its job's throttle lets it through."""
        for job_id, update in list(self._pending.items()):
            if self._throttles[job_id].admit(update.event):
                del self._pending[job_id]
                self._write_progress(store, update)

    def _finish(self, store: Store, outcome: JobOutcome) -> None:
        self._pending.pop(outcome.job_id, None)
        self._throttles.pop(outcome.job_id, None)
        job = store.complete(self.runner_id, outcome)
        if job is None:
            return
        logger.info("job %s: %s", job.id, job.status.value)
        cleanup_after(job)
        self._emit(RunnerEventKind.ENDED if job.status.ended else RunnerEventKind.RECOVERED, job)

    def _idle(self, store: Store) -> bool:
        if any(backend.running() for backend in self.backends):
            return False
        if store.queue_paused():
            return True
        names = {backend.name for backend in self.backends}
        return not any(j.backend in names for j in store.jobs([JobStatus.QUEUED]))
