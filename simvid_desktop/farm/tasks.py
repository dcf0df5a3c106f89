"""The functions a farm worker runs (the only ones: see ``protocol.ALLOWED_FUNCTIONS``).

Each runs inside ``simvid worker`` (RQ calls it in the worker's main thread) and renders in
a spawned child process (``child``), so that ffmpeg and the render can be stopped as one
process group, and so that it works where ``fork`` does not (Windows, macOS, a frozen app).
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
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
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
from simvid_desktop.farm.child import child_main
from simvid_desktop.farm.paths import MediaRoots, project_files
from simvid_desktop.jobs.local_pool import kill_group
from simvid_desktop.jobs.worker import load_project
from simvid_desktop.paths import log_dir
from simvid_desktop.render.segments import Segment, WorkDir, fingerprint, plan_segments

logger = logging.getLogger(__name__)

META_WRITE_SECONDS = 0.5
CANCEL_GRACE_SECONDS = 5.0
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
class _Child:
    """The spawned render process and its pipe."""

    def __init__(self, payload: dict[str, Any], log_path: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child_end = ctx.Pipe(duplex=True)
        self.cancel = ctx.Event()
        self.process = ctx.Process(target=child_main, name="simvid-farm-render",
                                   args=(child_end, self.cancel, payload, log_path),
                                   daemon=True)
        self.process.start()
        child_end.close()
        self.cancel_sent: float | None = None

    def stop(self) -> None:
        try:
            self.conn.send(("stop",))
        except OSError:
            logger.debug("render process already gone")
        self.process.join(3)
        if self.process.is_alive() and self.process.pid is not None:
            kill_group(self.process.pid)
            self.process.join(3)
        self.conn.close()


class _Session:
    def __init__(self, payload: protocol.FarmPayload, job: RQJob, runtime: WorkerRuntime,
                 helper: bool) -> None:
        self.payload = payload
        self.job = job
        self.runtime = runtime
        self.helper = helper
        self.redis: Redis = job.connection
        self.cancel_requested = False
        self.stopping = False
        self.started = time.monotonic()
        self._meta_written = 0.0
        self._cancel_checked = 0.0
        self._lease_stop = threading.Event()
        self._leased_pieces: set[int] = set()
        self._lock = threading.Lock()
        self._child: _Child | None = None
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
            payload = protocol.FarmPayload.from_dict(raw)
            runtime.roots.check([*project_files(payload.project), payload.output,
                                 payload.work_dir])
        except SimvidError as exc:
            _record_failure(job, exc, permanent=True)
            raise
        session = cls(payload, job, runtime, helper)
        session._start()
        return session

    # -- lifecycle ---------------------------------------------------------------------------
    def _start(self) -> None:
        self.redis.set(protocol.lease_key(self.job.id), self.runtime.name,
                       ex=protocol.LEASE_SECONDS)
        self.job.meta["attempt"] = int(self.job.meta.get("attempt", 0)) + 1
        self.job.meta.update({"worker": self.runtime.name, "stage": "preparing",
                              "message": "Starting on " + self.runtime.name, "percent": 0.0})
        for key in ("error", "error_log", "transient", "outcome"):
            self.job.meta.pop(key, None)
        self.job.save_meta()
        self.runtime.current.update({"job": self.job.id, "job_name": self.payload.name,
                                     "job_since": time.time()})
        self._lease_thread.start()
        log_path = log_dir() / "farm" / f"{self.job.id}.log"
        self._child = _Child(self.payload.to_dict(), str(log_path))
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
    def _watch_stop_requests(self, child: _Child) -> None:
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
            child.cancel.set()
            child.cancel_sent = time.monotonic()
        if (child.cancel_sent is not None
                and time.monotonic() - child.cancel_sent > CANCEL_GRACE_SECONDS
                and child.process.is_alive() and child.process.pid is not None):
            kill_group(child.process.pid)

    def _drive(self, request: tuple[Any, ...],
               on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Send one request to the child and serve it until its outcome arrives."""
        child = self._child
        assert child is not None
        child.conn.send(request)
        while True:
            self._watch_stop_requests(child)
            if child.conn.poll(0.2):
                try:
                    message = child.conn.recv()
                except (EOFError, OSError):
                    message = None
                if message is None:
                    self._child_died(child)
                kind = message[0]
                if kind == "progress" and on_progress is not None:
                    on_progress(message[2])
                elif kind == "piece-progress":
                    self._piece_progress(message[1], message[2])
                elif kind == "next":
                    child.conn.send(("piece", None if child.cancel_sent else self._take_piece()))
                elif kind == "done":
                    return self._outcome(message)
            elif not child.process.is_alive():
                self._child_died(child)

    def _child_died(self, child: _Child) -> None:
        if child.cancel_sent is not None:
            self._raise_stopped()
        raise RenderFailed(f"the render process on {self.runtime.name} died "
                           f"(exit code {child.process.exitcode})", transient=True)

    def _raise_stopped(self) -> None:
        if self.cancel_requested:
            raise RenderCancelled()
        raise WorkerStopping()

    def _outcome(self, message: tuple[Any, ...]) -> dict[str, Any]:
        _, _, status, result, error, log, transient = message
        if status == "finished":
            return dict(result or {})
        if status == "canceled":
            self._raise_stopped()
        raise RenderFailed(str(error), str(log or ""), transient=bool(transient))

    def _write_meta(self, values: dict[str, Any], force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._meta_written < META_WRITE_SECONDS:
            return
        self._meta_written = now
        self.job.meta.update(values)
        try:
            self.job.save_meta()
        except RedisError as exc:
            logger.warning("progress of %s not saved: %s", self.job.id, exc)
        self.runtime.current["percent"] = values.get("percent", 0.0)

    def _show_progress(self, event: dict[str, Any]) -> None:
        self._write_meta({k: event.get(k) for k in (
            "stage", "percent", "message", "frames_done", "frames_total", "fps", "eta")})

    # -- the three kinds of run ------------------------------------------------------------
    def run_show(self) -> dict[str, Any]:
        return self._guarded(lambda: self._drive(("show",), self._show_progress))

    def run_pieces(self) -> dict[str, Any]:
        return self._guarded(lambda: self._drive(("pieces",)))

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
            _record_failure(self.job, exc, permanent=permanent)
            if permanent and not self.helper:
                WorkDir(Path(self.payload.work_dir)).remove()
            raise
        if not self.helper:
            self._write_meta({"stage": "done", "percent": 100.0, "message": "Finished",
                              "eta": 0.0}, force=True)
        return result

    # -- a show split over several workers -------------------------------------------------
    def _split(self) -> dict[str, Any]:
        project = load_project(self.payload.project, self.payload.output)
        segments = plan_segments(project, self.payload.segment_seconds)
        job_id = self.payload.job_id
        work = WorkDir(Path(self.payload.work_dir))
        work.prepare(fingerprint(project, segments), clear_parts=False)
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
            self._drive(("pieces",))
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
        self._write_meta({"stage": "finalizing", "message": "Joining pieces and music",
                          "percent": 100.0 * (total - 1) / max(1, total), "eta": None},
                         force=True)
        joining = time.monotonic()
        result = self._drive(("join",))
        result["join_seconds"] = time.monotonic() - joining
        WorkDir(Path(self.payload.work_dir)).remove()
        self.redis.delete(protocol.pieces_key(job_id), protocol.piece_progress_key(job_id))
        result["split"] = self.payload.split
        result["elapsed"] = time.monotonic() - self.started
        return result

    def _require_child(self) -> _Child:
        assert self._child is not None
        return self._child

    def _enqueue_helpers(self, count: int) -> None:
        from rq import Queue  # noqa: PLC0415

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
        self._write_meta({
            "stage": "rendering", "percent": 100.0 * done / max(1, total),
            "message": f"Rendering pieces: {finished} of {len(segments)} done",
            "frames_done": done, "frames_total": total, "fps": fps,
            "eta": (total - done) / fps if fps > 0 else None,
        })

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
                     "transient": not permanent, "invalid": isinstance(exc, InvalidInput),
                     "stage": "done",
                     "message": str(exc)})
    try:
        job.save_meta()
    except RedisError as err:
        logger.warning("could not record the failure of %s: %s", job.id, err)
