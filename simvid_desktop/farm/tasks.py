"""The functions a farm worker runs (the only ones: see ``protocol.ALLOWED_FUNCTIONS``).

Each runs inside ``simvid worker`` (RQ calls it in the worker's main thread) and renders in
a :class:`~simvid_desktop.jobs.render_process.RenderProcess`, as the local pool does, so
that ffmpeg and the render stop as one process group, and so that it works where ``fork``
does not (Windows, macOS, a frozen app).
While the child renders, the task keeps the job's lease alive (a killed worker is noticed
within seconds, not RQ's minutes), writes progress into the job's meta, and watches for a
cancel request and for the worker being asked to stop (the job is then re-queued, and
resumes from its finished segments on the shared storage).

Outcomes: the return value (JSON) is the render's result. A failure raises after writing
``error`` / ``error_log`` / ``transient`` into the meta; a failure that retrying cannot fix
(bad input, cancel) sets ``retries_left`` to 0 so RQ does not retry it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job as RQJob
from rq.job import get_current_job

from simvid_desktop.errors import (
    FarmJobRefused,
    InvalidInput,
    RenderCancelled,
    RenderFailed,
    SimvidError,
)
from simvid_desktop.farm import protocol
from simvid_desktop.farm.paths import MediaRoots, project_files
from simvid_desktop.jobs.model import (
    JobOutcome,
    JobProgress,
    JobStatus,
    LogLocation,
    project_from_snapshot,
)
from simvid_desktop.jobs.render_process import (
    NextPiece,
    PieceProgress,
    RenderProcess,
    RenderRequest,
    RenderTask,
)
from simvid_desktop.model.project import Project
from simvid_desktop.model.settings import CollisionPolicy
from simvid_desktop.paths import log_dir
from simvid_desktop.render.progress import (
    ProgressEvent,
    ProgressThrottle,
    RenderStage,
    RenderStatus,
)
from simvid_desktop.render.segments import Segment, WorkDir, fingerprint, plan_segments

logger = logging.getLogger(__name__)

META_WRITE_SECONDS = 0.5  #: progress goes to Redis at most twice a second
PIECE_WRITE_SECONDS = 0.25  #: and each piece's frame count four times a second
CANCEL_CHECK_SECONDS = 0.5


class WorkerStopping(SimvidError):
    """The worker was asked to stop: the job goes back to the queue (not a failure)."""

    transient = True

    def __init__(self) -> None:
        super().__init__("the farm worker is stopping; the job was queued again")


@dataclass
class WorkerRuntime:
    """What the running ``simvid worker`` tells its tasks (set by ``FarmWorker``)."""

    name: str
    roots: MediaRoots
    stop_requested: threading.Event = field(default_factory=threading.Event)
    #: RQ ids of jobs whose stop was requested through RQ's own stop-job command.
    stopped: set[str] = field(default_factory=set)
    #: What the worker is doing, for its presence record.
    current: dict[str, Any] = field(default_factory=dict)
    #: Called by a task that stops its job on request (RQ then marks it "stopped").
    mark_stopped: Callable[[str], None] = lambda _rq_id: None


_runtime: WorkerRuntime | None = None


def bind_runtime(runtime: WorkerRuntime | None) -> None:
    global _runtime  # noqa: PLW0603 - one worker per process, set once at start-up
    _runtime = runtime


def _require_runtime() -> WorkerRuntime:
    if _runtime is None:
        raise FarmJobRefused("Simvid farm jobs run only inside `simvid worker`")
    return _runtime


# -- the job functions ----------------------------------------------------------------------
def render_show(payload: dict[str, Any]) -> dict[str, Any]:
    """Render one show (``payload.split`` > 1: with helpers rendering pieces of it)."""
    session = _Session.begin(payload)
    try:
        if session.payload.split > 1:
            return session.run_split()
        return session.run_show()
    finally:
        session.close()


def render_pieces(payload: dict[str, Any]) -> dict[str, Any]:
    """Help render a split show: take pieces from its list until none is left."""
    session = _Session.begin(payload, helper=True)
    try:
        return session.run_pieces()
    finally:
        session.close()


# -- one run of a job -----------------------------------------------------------------------
class _Session:
    def __init__(self, payload: protocol.FarmPayload, project: Project, job: RQJob,
                 runtime: WorkerRuntime, helper: bool) -> None:
        self.payload = payload
        self.project = project  #: parsed once, here; the render process gets it as it is
        self.job = job
        self.runtime = runtime
        self.helper = helper
        self.redis: Redis = job.connection
        self.cancel_requested = False
        self.stopping = False
        self.started = time.monotonic()
        self._meta_throttle = ProgressThrottle(META_WRITE_SECONDS)
        self._meta_written = 0.0
        self._piece_written: dict[int, float] = {}
        self._cancel_checked = 0.0
        self._lease_stop = threading.Event()
        self._leased_pieces: set[int] = set()
        self._lock = threading.Lock()
        self._child: RenderProcess | None = None
        self.log = LogLocation(socket.gethostname(), str(log_dir() / "farm" / f"{job.id}.log"))
        #: (pieces, work folder, frames done before this run) of a split show.
        self._plan: tuple[list[Segment], WorkDir, int] | None = None
        self._lease_thread = threading.Thread(target=self._keep_lease, daemon=True,
                                              name="simvid-lease")

    @classmethod
    def begin(cls, raw: dict[str, Any], helper: bool = False) -> _Session:
        runtime = _require_runtime()
        job = get_current_job()
        if job is None:
            raise FarmJobRefused("not running as an RQ job")
        try:
            # The id names the job's log file: checked before it touches a path.
            if not protocol.is_simvid_rq_id(job.id):
                raise FarmJobRefused("farm job: its id is not a Simvid job id (letters, "
                                     f"digits, '-', '_', at most {protocol.RQ_ID_MAX})")
            payload = protocol.FarmPayload.from_dict(raw)
            if not protocol.rq_id_of_payload(job.id, payload.job_id):
                raise FarmJobRefused(f"farm job {job.id}: not the render of job "
                                     f"{payload.job_id!r} its data names")
            runtime.roots.check([*project_files(payload.project), payload.output,
                                 payload.work_dir])
            project = project_from_snapshot(payload.project, payload.output)
        except SimvidError as exc:
            _record_failure(job, exc, permanent=True)
            raise
        session = cls(payload, project, job, runtime, helper)
        session._start()
        return session

    # -- lifecycle ---------------------------------------------------------------------------
    def _start(self) -> None:
        self.redis.set(protocol.lease_key(self.job.id), self.runtime.name,
                       ex=protocol.LEASE_SECONDS)
        self.job.meta["attempt"] = int(self.job.meta.get("attempt", 0)) + 1
        starting = ProgressEvent(status=RenderStatus.STARTED, stage=RenderStage.PREPARING,
                                 percent=0.0, message="Starting on " + self.runtime.name)
        self.job.meta.update({"worker": self.runtime.name, "progress": starting.to_dict(),
                              "log": self.log.to_dict()})
        for key in ("error", "error_log", "transient", "outcome"):
            self.job.meta.pop(key, None)
        self.job.save_meta()
        self.runtime.current.update({"job": self.job.id, "job_name": self.payload.name,
                                     "job_since": time.time()})
        self._lease_thread.start()
        self._child = RenderProcess("simvid-farm-render")
        logger.info("job %s: rendering %s", self.job.id, self.payload.output)

    def close(self) -> None:
        self._lease_stop.set()
        self._lease_thread.join(5)
        if self._child is not None:
            self._child.stop()
        try:
            pipe = self.redis.pipeline()
            pipe.delete(protocol.lease_key(self.job.id))
            for index in self._leased_pieces:
                pipe.delete(protocol.piece_lease_key(self.payload.job_id, index))
            pipe.execute()
        except RedisError as exc:
            logger.warning("could not release the leases of %s: %s", self.job.id, exc)
        self.runtime.current.clear()

    def _keep_lease(self) -> None:
        """Renew the job's (and its pieces') leases."""
        while not self._lease_stop.wait(protocol.LEASE_RENEW_SECONDS):
            try:
                pipe = self.redis.pipeline()
                pipe.set(protocol.lease_key(self.job.id), self.runtime.name,
                         ex=protocol.LEASE_SECONDS)
                with self._lock:
                    for index in self._leased_pieces:
                        pipe.expire(protocol.piece_lease_key(self.payload.job_id, index),
                                    protocol.LEASE_SECONDS)
                pipe.execute()
            except RedisError as exc:
                logger.warning("lease of %s not renewed: %s", self.job.id, exc)

    # -- talking to the child ------------------------------------------------------------
    def _watch_stop_requests(self, child: RenderProcess) -> None:
        now = time.monotonic()
        if not self.cancel_requested and now - self._cancel_checked >= CANCEL_CHECK_SECONDS:
            self._cancel_checked = now
            try:
                if self.redis.exists(protocol.cancel_key(self.payload.job_id)):
                    self.cancel_requested = True
            except RedisError as exc:
                logger.debug("cancel flag not read: %s", exc)
        if self.job.id in self.runtime.stopped:
            self.cancel_requested = True
        if self.runtime.stop_requested.is_set() and not self.stopping:
            self.stopping = True
        if (self.cancel_requested or self.stopping) and child.cancel_sent is None:
            logger.info("job %s: %s", self.job.id,
                        "cancelled" if self.cancel_requested else "worker stopping")
            child.cancel()
        if child.cancel_overdue and child.alive:
            child.kill()

    def _drive(self, task: RenderTask,
               on_progress: Callable[[ProgressEvent], None] | None = None) -> dict[str, Any]:
        """Have the render process do ``task``; serve it until its outcome arrives."""
        child = self._require_child()
        child.start(RenderRequest(
            job_id=self.payload.job_id, project=self.project, output=self.payload.output,
            work_dir=self.payload.work_dir, segment_seconds=self.payload.segment_seconds,
            log_path=self.log.path, task=task,
            collision=CollisionPolicy(self.payload.collision)))
        while True:
            self._watch_stop_requests(child)
            messages = child.receive(0.2)
            for message in messages:
                if isinstance(message, JobProgress) and on_progress is not None:
                    on_progress(message.event)
                elif isinstance(message, PieceProgress):
                    self._piece_progress(message.index, message.frames)
                elif isinstance(message, NextPiece):
                    child.grant(None if child.cancel_sent else self._take_piece())
                elif isinstance(message, JobOutcome):
                    return self._outcome(message)
            if not messages and not child.alive:
                self._child_died(child)

    def _child_died(self, child: RenderProcess) -> None:
        if child.cancel_sent is not None:
            self._raise_stopped()
        raise RenderFailed(f"the render process on {self.runtime.name} died "
                           f"(exit code {child.process.exitcode})", transient=True)

    def _raise_stopped(self) -> None:
        if self.cancel_requested:
            raise RenderCancelled()
        raise WorkerStopping()

    def _outcome(self, outcome: JobOutcome) -> dict[str, Any]:
        if outcome.status is JobStatus.FINISHED:
            return dict(outcome.result or {})
        if outcome.status is JobStatus.CANCELED:
            self._raise_stopped()
        raise RenderFailed(str(outcome.error), outcome.error_log or "",
                           transient=outcome.transient)

    def _show_progress(self, event: ProgressEvent) -> None:
        """The edge where progress is throttled: a Redis write."""
        if not self._meta_throttle.admit(event):
            return
        self._meta_written = time.monotonic()
        self.job.meta["progress"] = event.to_dict()
        try:
            self.job.save_meta()
        except RedisError as exc:
            logger.warning("progress of %s not saved: %s", self.job.id, exc)
        self.runtime.current["percent"] = event.percent

    # -- the three kinds of run ------------------------------------------------------------
    def run_show(self) -> dict[str, Any]:
        return self._guarded(lambda: self._drive(RenderTask.SHOW, self._show_progress))

    def run_pieces(self) -> dict[str, Any]:
        return self._guarded(lambda: self._drive(RenderTask.PIECES))

    def run_split(self) -> dict[str, Any]:
        return self._guarded(self._split)

    def _guarded(self, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run, and record how a failure should be treated before RQ sees it."""
        try:
            result = run()
        except WorkerStopping:
            # Not the job's fault: give back the retry RQ is about to use, and keep the
            # work folder so the next worker resumes from it.
            if self.job.retries_left is not None:
                self.job.retries_left += 1
            _record_failure(self.job, WorkerStopping(), permanent=False)
            raise
        except RenderCancelled as exc:
            self.runtime.mark_stopped(self.job.id)
            self.job.meta["outcome"] = "canceled"
            _record_failure(self.job, exc, permanent=True)
            if not self.helper:
                WorkDir(Path(self.payload.work_dir)).remove()
            raise
        except SimvidError as exc:
            permanent = not exc.transient
            # RQ retries only a job with retries left: without, this failure is final too.
            final = permanent or not self.job.retries_left
            _record_failure(self.job, exc, permanent=permanent)
            if final and not self.helper:
                WorkDir(Path(self.payload.work_dir)).remove()
            raise
        if not self.helper:
            self._show_progress(ProgressEvent(
                status=RenderStatus.FINISHED, stage=RenderStage.DONE, percent=100.0,
                message="Finished", eta=0.0))
        return result

    # -- a show split over several workers -------------------------------------------------
    def _split(self) -> dict[str, Any]:
        segments = plan_segments(self.project, self.payload.segment_seconds)
        job_id = self.payload.job_id
        work = WorkDir(Path(self.payload.work_dir), self.project.output.format)
        work.prepare(fingerprint(self.project, segments), clear_parts=False)
        todo = [s.index for s in segments if not work.done(s)
                and not self.redis.exists(protocol.piece_lease_key(job_id, s.index))]
        pipe = self.redis.pipeline()
        pipe.delete(protocol.pieces_key(job_id), protocol.piece_progress_key(job_id))
        if todo:
            pipe.rpush(protocol.pieces_key(job_id), *todo)
        pipe.expire(protocol.pieces_key(job_id), protocol.RESULT_TTL)
        pipe.execute()
        self._enqueue_helpers(min(self.payload.split, len(todo)) - 1)
        total = segments[-1].end if segments else 0
        self._plan = (segments, work, sum(s.frames for s in segments if work.done(s)))
        while True:
            self._drive(RenderTask.PIECES)
            # Our list is empty: wait for the pieces others are rendering; take back any
            # whose worker died (its lease expired before the piece was finished).
            while not all(work.done(s) for s in segments):
                self._watch_stop_requests(self._require_child())
                if self.cancel_requested or self.stopping:
                    self._raise_stopped()
                orphans = self._orphans(segments, work)
                if orphans:
                    logger.info("job %s: taking back pieces %s", self.job.id, orphans)
                    self.redis.rpush(protocol.pieces_key(job_id), *orphans)
                    break
                self._split_progress()
                time.sleep(0.5)
            else:
                break
        self._show_progress(ProgressEvent(
            status=RenderStatus.STARTED, stage=RenderStage.FINALIZING,
            percent=100.0 * (total - 1) / max(1, total), message="Joining pieces and music",
            frames_done=total - 1, frames_total=total))
        joining = time.monotonic()
        result = self._drive(RenderTask.JOIN)
        result["join_seconds"] = time.monotonic() - joining
        WorkDir(Path(self.payload.work_dir)).remove()
        self.redis.delete(protocol.pieces_key(job_id), protocol.piece_progress_key(job_id))
        result["split"] = self.payload.split
        result["elapsed"] = time.monotonic() - self.started
        return result

    def _require_child(self) -> RenderProcess:
        assert self._child is not None
        return self._child

    def _enqueue_helpers(self, count: int) -> None:
        queue = Queue(self.job.origin, connection=self.redis, serializer=self.job.serializer)
        for k in range(1, count + 1):
            queue.enqueue(
                protocol.RENDER_PIECES, self.payload.to_dict(),
                job_id=f"{protocol.helper_job_id(self.payload.job_id, k)}-{os.urandom(3).hex()}",
                job_timeout=self.job.timeout, result_ttl=3600, failure_ttl=protocol.FAILURE_TTL,
                description=f"{self.payload.name} (piece helper {k})", at_front=True,
                meta={"parent": self.job.id, "helper": True},
            )

    def _orphans(self, segments: list[Segment], work: WorkDir) -> list[int]:
        job_id = self.payload.job_id
        queued = {int(i) for i in self.redis.lrange(protocol.pieces_key(job_id), 0, -1)}
        return [s.index for s in segments if not work.done(s) and s.index not in queued
                and not self.redis.exists(protocol.piece_lease_key(job_id, s.index))]

    def _split_progress(self) -> None:
        """The whole show's progress: finished pieces plus the ones being rendered."""
        if self._plan is None or time.monotonic() - self._meta_written < META_WRITE_SECONDS:
            return  # not due (checked first: this reads Redis and stats every piece)
        segments, work, first_done = self._plan
        total = segments[-1].end if segments else 0
        partial = self.redis.hgetall(protocol.piece_progress_key(self.payload.job_id))
        done = finished = 0
        for s in segments:
            if work.done(s):
                done += s.frames
                finished += 1
            else:
                done += int(partial.get(str(s.index).encode(), 0))
        elapsed = time.monotonic() - self.started
        fps = (done - first_done) / elapsed if elapsed > 0 else 0.0
        self._show_progress(ProgressEvent(
            status=RenderStatus.STARTED, stage=RenderStage.RENDERING,
            percent=100.0 * done / max(1, total),
            message=f"Rendering pieces: {finished} of {len(segments)} done",
            frames_done=done, frames_total=total, fps=fps,
            eta=(total - done) / fps if fps > 0 else None, elapsed=elapsed))

    def _take_piece(self) -> int | None:
        """Pop the next piece to render and lease it (the previous one is finished)."""
        job_id = self.payload.job_id
        with self._lock:
            finished = list(self._leased_pieces)
            self._leased_pieces.clear()
        pipe = self.redis.pipeline()
        for index in finished:
            pipe.delete(protocol.piece_lease_key(job_id, index))
            pipe.hdel(protocol.piece_progress_key(job_id), str(index))
        pipe.execute()
        value = self.redis.lpop(protocol.pieces_key(job_id))
        if not isinstance(value, (bytes, str)):
            return None
        index = int(value)
        self.redis.set(protocol.piece_lease_key(job_id, index), self.runtime.name,
                       ex=protocol.LEASE_SECONDS)
        with self._lock:
            self._leased_pieces.add(index)
        return index

    def _piece_progress(self, index: int, frames: int) -> None:
        """A piece's frames, from the render process at every frame: written to Redis a
        few times a second (the edge that pays for it)."""
        now = time.monotonic()
        if now - self._piece_written.get(index, 0.0) < PIECE_WRITE_SECONDS:
            return
        self._piece_written[index] = now
        try:
            self.redis.hset(protocol.piece_progress_key(self.payload.job_id), str(index), frames)
        except RedisError as exc:
            logger.debug("piece progress not saved: %s", exc)
        self._split_progress()


def _record_failure(job: RQJob, exc: SimvidError, *, permanent: bool) -> None:
    """Write what went wrong where the desktop reads it; stop RQ retrying hopeless jobs."""
    if permanent:
        job.retries_left = 0
    job.meta.update({"error": str(exc), "error_log": getattr(exc, "log", "") or "",
                     "transient": not permanent, "invalid": isinstance(exc, InvalidInput)})
    try:
        job.save_meta()
    except RedisError as err:
        logger.warning("could not record the failure of %s: %s", job.id, err)
