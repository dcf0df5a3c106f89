"""The one place where job events become Qt signals.

The job layer (store, runner, worker processes) imports no Qt; this module subscribes to it,
the way napari's Qt progress bar subscribes to a Qt-free progress object. Three threads meet:

* the UI thread owns :class:`JobBridge` and receives every public signal;
* the store thread (a ``QThread``) owns its own :class:`Store` connection. It polls
  ``changed_token()`` so that jobs added or cancelled by other processes (``simvid queue add``
  in a terminal) appear, and it performs every write the window asks for: a write may wait
  on SQLite's lock, and that wait must never freeze the window;
* the runner thread (plain Python) runs a :class:`QueueRunner` with a local process pool. Its
  callback only nudges the store thread, so the store stays the single source of truth.

Preflight checks, which open every photo, run on a one-thread pool (one thread keeps
submissions in the order they were asked for).

The threads belong to a plain object (:class:`_Background`), not to the bridge: they are
stopped by the window's close handler, by ``aboutToQuit`` (``QApplication.quit()`` from
elsewhere, a session ending), when the bridge itself is destroyed, or at interpreter exit,
whichever comes first. A running ``QThread`` destroyed with its owner aborts Python.
"""

from __future__ import annotations

import atexit
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QThread, QThreadPool, QTimer, Signal, Slot

from simvid_desktop.errors import Problem, SimvidError
from simvid_desktop.farm.backend import queue_backends
from simvid_desktop.jobs.local_pool import LocalPool
from simvid_desktop.jobs.model import Job, JobStatus
from simvid_desktop.jobs.render_process import refuse_in_bootstrapping_child
from simvid_desktop.jobs.runner import QueueRunner, RunnerEvent, RunnerEventKind
from simvid_desktop.jobs.store import Store
from simvid_desktop.jobs.submit import submit
from simvid_desktop.model.project import Project
from simvid_desktop.model.settings import Settings, load_settings
from simvid_desktop.render.preflight import preflight

logger = logging.getLogger(__name__)

#: How often the store thread looks for changes made by other connections. The UI's
#: throttle: a job's progress reaches the window at most once a poll.
POLL_MS = 250
STOP_WAIT_MS = 40_000  #: longer than SQLite's 30 s busy timeout: a stuck write still ends

StoreOp = Callable[[Store], object]


@dataclass(frozen=True)
class _Request:
    """One video to check and queue; carries a copy of the settings at the time of asking."""

    project: Project
    output: Path
    name: str | None
    priority: int
    settings: Settings

    @property
    def label(self) -> str:
        return self.name or self.output.stem


def _failure_message(failed: list[tuple[_Request, list[Problem]]], total: int) -> str:
    """One message naming every problem, so the user can fix them all before trying again."""
    if total == 1 and len(failed) == 1:
        request, problems = failed[0]
        return f"Could not queue “{request.label}”:\n" + "\n".join(f"• {p}" for p in problems)
    lines = [f"{len(failed)} of {total} videos were not queued:"]
    for request, problems in failed:
        lines.append(f"“{request.label}”:")
        lines += [f"  • {p}" for p in problems]
    return "\n".join(lines)


class _StoreWorker(QObject):
    """Lives on the store thread: reads the job list, diffs it, and does the UI's writes.

    Its public signals mirror :class:`JobBridge`'s, which re-emits them on the UI thread.
    The ``*Requested`` signals may be emitted from any thread: they reach their slot on
    the store thread (queued), and they outlive the bridge, unlike signals of its own.
    """

    opRequested = Signal(object, str)
    submitRequested = Signal(list)
    refreshRequested = Signal()
    stopRequested = Signal()

    jobsReset = Signal(list)
    jobChanged = Signal(object)
    jobRemoved = Signal(str)
    jobFinished = Signal(object)
    queueIdle = Signal(int, int)
    queuePausedChanged = Signal(bool)
    jobSubmitted = Signal(object)
    submitFailed = Signal(str)
    errorOccurred = Signal(str)

    def __init__(self, store_path: Path | None) -> None:
        super().__init__()
        self._store_path = store_path
        self._store: Store | None = None
        self._timer: QTimer | None = None
        self._token: int | None = None
        self._jobs: dict[str, Job] | None = None  #: the last read, in queue order
        self._announced: set[str] = set()  #: jobs whose jobFinished was emitted
        self._paused: bool | None = None
        self._busy = False
        self._ended = {JobStatus.FINISHED: 0, JobStatus.FAILED: 0, JobStatus.CANCELED: 0}
        self._read_failing = False
        self.opRequested.connect(self.run_op)
        self.submitRequested.connect(self.submit_all)
        self.refreshRequested.connect(self.refresh)
        self.stopRequested.connect(self.stop)

    # -- lifecycle (called through queued signals) ------------------------------------------
    @Slot()
    def start(self) -> None:
        try:
            self._store = Store(self._store_path)
        except (sqlite3.Error, OSError, RuntimeError) as exc:
            logger.error("cannot open the job store: %s", exc)
            self.errorOccurred.emit(f"Cannot open the job list: {exc}")
            return
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self.refresh()

    @Slot()
    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        if self._store is not None:
            self._store.close()
            self._store = None
        app = QCoreApplication.instance()
        thread = self.thread()
        if app is None:  # the application is gone already (interpreter exit)
            thread.quit()
        elif thread is not app.thread():
            self.moveToThread(app.thread())  # so that it is deleted where Python drops it
            thread.quit()

    # -- requests from the UI ---------------------------------------------------------------
    @Slot(object, str)
    def run_op(self, op: StoreOp, what: str) -> None:
        if self._store is None:
            return
        try:
            op(self._store)
        except (sqlite3.Error, SimvidError, ValueError, OSError) as exc:
            logger.warning("could not %s: %s", what, exc)
            self.errorOccurred.emit(f"Could not {what}: {exc}")
        self.refresh()  # our own writes do not change our connection's data_version

    @Slot(list)
    def submit_all(self, requests: list[_Request]) -> None:
        if self._store is None:
            return
        errors: list[str] = []
        for r in requests:
            try:
                job = submit(self._store, r.project, r.output, r.settings,
                             priority=r.priority, name=r.name)
            except SimvidError as exc:  # OutputError: the collision policy refused
                errors.append(str(exc))
                continue
            except (sqlite3.Error, OSError) as exc:
                logger.warning("could not queue %s: %s", r.output, exc)
                errors.append(f"{r.output}: could not be queued ({exc})")
                continue
            self.jobSubmitted.emit(job)
        if errors:
            self.submitFailed.emit("\n".join(errors))
        self.refresh()

    # -- watching ------------------------------------------------------------------------------
    @Slot()
    def _tick(self) -> None:
        if self._store is None:
            return
        try:
            token = self._store.changed_token()
        except sqlite3.Error as exc:
            self._read_failed(exc)
            return
        if token != self._token:
            self.refresh()

    def _read_failed(self, exc: sqlite3.Error) -> None:
        if not self._read_failing:  # once, not four times a second
            logger.warning("cannot read the job list: %s", exc)
            self.errorOccurred.emit(f"Cannot read the job list: {exc}")
        self._read_failing = True

    @Slot()
    def refresh(self) -> None:
        """Read the whole list and emit what changed since the last read."""
        if self._store is None:
            return
        try:
            # The token first: a commit between the two reads is then seen again next tick.
            self._token = self._store.changed_token()
            jobs = self._store.jobs(include_project=False)  # the list never shows it
            paused = self._store.queue_paused()
        except sqlite3.Error as exc:
            self._read_failed(exc)
            return
        self._read_failing = False
        if paused != self._paused:
            self._paused = paused
            self.queuePausedChanged.emit(paused)
        old = self._jobs
        new = {j.id: j for j in jobs}
        self._jobs = new
        if old is None:
            self.jobsReset.emit(jobs)
        else:
            self._emit_differences(old, new, jobs)
            self._note_endings(old, jobs)
        self._note_idle(jobs)

    def _emit_differences(self, old: dict[str, Job], new: dict[str, Job],
                          jobs: list[Job]) -> None:
        for job_id in [i for i in old if i not in new]:
            self.jobRemoved.emit(job_id)
        if [i for i in old if i in new] != list(new):  # added or moved: send the list
            self.jobsReset.emit(jobs)
            return
        for job in jobs:
            if job != old[job.id]:
                self.jobChanged.emit(job)

    def _note_endings(self, old: dict[str, Job], jobs: list[Job]) -> None:
        for job in jobs:
            before = old.get(job.id)
            if not job.status.ended or (before is not None and before.status.ended):
                continue
            self._ended[job.status] += 1
            if job.status is JobStatus.FINISHED and job.id not in self._announced:
                self._announced.add(job.id)
                self.jobFinished.emit(job)

    def _note_idle(self, jobs: list[Job]) -> None:
        pending = any(j.status in (JobStatus.QUEUED, JobStatus.STARTED) for j in jobs)
        if pending:
            self._busy = True
            return
        if self._busy and any(self._ended.values()):
            self.queueIdle.emit(self._ended[JobStatus.FINISHED], self._ended[JobStatus.FAILED])
        self._busy = False
        self._ended = dict.fromkeys(self._ended, 0)


def _check(worker: _StoreWorker, requests: list[_Request]) -> None:
    """Runs on the check pool: preflight opens every photo and probes the music. Reports
    through the worker's signals (queued to their receivers), never the bridge's."""
    ok: list[_Request] = []
    failed: list[tuple[_Request, list[Problem]]] = []
    for r in requests:
        try:
            problems = preflight(r.project, r.output)
        except Exception as exc:  # reported to the user, not lost in a pool
            logger.exception("preflight of %s failed", r.output)
            problems = [Problem(str(r.output), f"could not be checked ({exc})")]
        if problems:
            failed.append((r, problems))
        else:
            ok.append(r)
    if ok:
        worker.submitRequested.emit(ok)
    if failed:
        worker.submitFailed.emit(_failure_message(failed, len(requests)))


class _Background:
    """The bridge's threads: the store thread, the check pool and the runner thread.

    A plain object, so that it can still stop them once the bridge's C++ side is gone.
    Everything it uses to reach the store thread belongs to the worker, not the bridge.
    """

    def __init__(self, store_path: Path | None) -> None:
        self.store_path = store_path
        self.checks = QThreadPool()
        self.checks.setMaxThreadCount(1)
        self.thread = QThread()
        self.thread.setObjectName("simvid-job-store")
        self.worker = _StoreWorker(store_path)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.start)
        self.runner: QueueRunner | None = None
        self.runner_thread: threading.Thread | None = None
        self.closed = False

    def start(self) -> None:
        _LIVE.add(self)
        self.thread.start()

    @property
    def runner_running(self) -> bool:
        return self.runner_thread is not None and self.runner_thread.is_alive()

    def start_runner(self, runner: QueueRunner) -> None:
        self.runner = runner
        self.runner_thread = threading.Thread(target=self._run_runner, args=(runner,),
                                              name="simvid-queue-runner", daemon=True)
        self.runner_thread.start()

    def _run_runner(self, runner: QueueRunner) -> None:
        """The runner thread's body: a crash is reported, never silently lost."""
        try:
            runner.run()
        except Exception as exc:  # a dead runner is reported, never hidden
            logger.exception("the queue runner stopped")
            self.worker.errorOccurred.emit(f"Rendering stopped: {exc}")

    def on_runner_event(self, event: RunnerEvent) -> None:
        """Runs on the runner thread. Progress is seen by the next poll; the rest at once."""
        if event.kind is not RunnerEventKind.PROGRESS:
            self.worker.refreshRequested.emit()

    def stop_runner(self) -> None:
        """Stop rendering and wait for it; running jobs are queued again (they resume)."""
        runner, thread = self.runner, self.runner_thread
        self.runner = self.runner_thread = None
        if runner is None or thread is None:
            return
        runner.stop()
        thread.join(timeout=STOP_WAIT_MS / 1000)
        if thread.is_alive():
            logger.error("the queue runner did not stop within %d s", STOP_WAIT_MS // 1000)

    def shutdown(self) -> None:
        """Stop the runner, finish pending checks and writes, close the store. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self.stop_runner()
        if not self.checks.waitForDone(STOP_WAIT_MS):
            logger.error("preflight checks still running at shutdown")
        self.worker.stopRequested.emit()  # queued after every pending write
        if not self.thread.wait(STOP_WAIT_MS):
            logger.error("the job store thread did not stop")
        _LIVE.discard(self)


#: Bridges' threads started and not yet shut down.
_LIVE: set[_Background] = set()


def shutdown_all() -> None:
    """Stop every bridge's threads, whatever became of the bridges and their windows."""
    for background in list(_LIVE):
        background.shutdown()


atexit.register(shutdown_all)  # the last chance: a script that never ran or quit the app


def _shutdown_at_quit() -> None:
    """``aboutToQuit`` stops every bridge's threads (once connected per application)."""
    app = QCoreApplication.instance()
    if app is not None and not app.property("simvidJobBridgeShutdown"):
        app.setProperty("simvidJobBridgeShutdown", True)
        app.aboutToQuit.connect(shutdown_all)


class JobBridge(QObject):
    """Owns the queue runner and the store watcher; the window talks to jobs only through it.

    Every public signal is emitted on the UI thread and carries data, never display text
    (except the user-facing error messages). The window calls :meth:`shutdown` when it
    closes; the threads are also stopped when the application quits, when the bridge is
    destroyed, or at interpreter exit, whichever comes first.
    """

    #: The whole job list (``list[Job]``) in queue order: at start, and when jobs were
    #: added or reordered. Receivers should diff, not reset, to keep the user's selection.
    jobsReset = Signal(list)
    #: One job (``Job``) changed. Progress arrives at most once a store poll (~4 a second:
    #: the runner writes it no more often); status changes the runner makes are at once.
    jobChanged = Signal(object)
    #: The job with this id is gone from the store (removed or cleared, by anyone).
    jobRemoved = Signal(str)
    #: A job (``Job``) reached "finished"; emitted once per job, for a notification.
    jobFinished = Signal(object)
    #: Nothing is left to render after some work ended: (finished count, failed count).
    queueIdle = Signal(int, int)
    #: The queue was paused (True) or resumed (False), by this window or another process.
    queuePausedChanged = Signal(bool)
    #: A job (``Job``) was queued by :meth:`submit` or :meth:`submit_many`.
    jobSubmitted = Signal(object)
    #: Videos could not be queued; the user-facing message names every problem.
    submitFailed = Signal(str)
    #: A queue operation or the runner failed; user-facing message.
    errorOccurred = Signal(str)

    def __init__(self, settings: Settings | None = None, store_path: Path | None = None,
                 parent: QObject | None = None) -> None:
        refuse_in_bootstrapping_child("The Simvid window")
        super().__init__(parent)
        self._settings = replace(settings) if settings is not None else load_settings()
        self._store_path = store_path
        self._jobs: dict[str, Job] = {}
        self._queue_paused = False

        # Mirror first, so that other receivers of a signal see an up-to-date jobs().
        self.jobsReset.connect(self._mirror_reset)
        self.jobChanged.connect(self._mirror_changed)
        self.jobRemoved.connect(self._mirror_removed)
        self.queuePausedChanged.connect(self._mirror_paused)

        background = _Background(store_path)
        self._background = background
        self._worker = background.worker
        for name in ("jobsReset", "jobChanged", "jobRemoved", "jobFinished", "queueIdle",
                     "queuePausedChanged", "jobSubmitted", "submitFailed", "errorOccurred"):
            getattr(self._worker, name).connect(getattr(self, name))
        # Not a method of self: it must run while self is being destroyed.
        self.destroyed.connect(lambda *_: background.shutdown())
        _shutdown_at_quit()
        background.start()

    # -- state as last seen (UI thread) -------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self._settings

    def set_settings(self, settings: Settings) -> None:
        """New submissions use these; a new worker count applies at the next runner start."""
        self._settings = replace(settings)

    def jobs(self) -> list[Job]:
        """The job list as the last signals described it (for views created later)."""
        return list(self._jobs.values())

    @property
    def queue_paused(self) -> bool:
        return self._queue_paused

    @property
    def runner_running(self) -> bool:
        return self._background.runner_running

    @Slot(list)
    def _mirror_reset(self, jobs: list[Job]) -> None:
        self._jobs = {j.id: j for j in jobs}

    @Slot(object)
    def _mirror_changed(self, job: Job) -> None:
        self._jobs[job.id] = job

    @Slot(str)
    def _mirror_removed(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)

    @Slot(bool)
    def _mirror_paused(self, paused: bool) -> None:
        self._queue_paused = paused

    # -- the runner ----------------------------------------------------------------------------
    def start_runner(self, workers: int | None = None) -> None:
        """Render queued jobs in this process, with ``workers`` (default: settings) processes."""
        if self._background.closed or self.runner_running:
            return
        count = workers if workers is not None else self._settings.worker_count
        try:
            backends = queue_backends(self._settings, workers=count,
                                      store_path=self._store_path)
        except SimvidError as exc:  # a malformed path map: say so, render locally
            self.errorOccurred.emit(str(exc))
            backends = [LocalPool(count)]
        background = self._background
        background.start_runner(
            QueueRunner(backends, self._store_path, on_event=background.on_runner_event))
        logger.info("queue runner started with %d worker(s)", count)

    def stop_runner(self) -> None:
        """Stop rendering and wait for it; running jobs are queued again (they resume)."""
        self._background.stop_runner()

    def shutdown(self) -> None:
        """Stop the runner, finish pending checks and writes, close the store. Idempotent."""
        self._background.shutdown()

    # -- submitting ------------------------------------------------------------------------------
    def submit(self, project: Project, output: Path, priority: int = 0,
               name: str | None = None) -> None:
        """Check, then queue one video; the outcome is jobSubmitted or submitFailed."""
        self._queue([_Request(project, output, name, priority, replace(self._settings))])

    def submit_many(self, items: Iterable[tuple[Project, Path, str]], priority: int = 0) -> None:
        """Check, then queue several videos in order; those with problems are reported
        together in one submitFailed, the others are queued."""
        settings = replace(self._settings)
        self._queue([_Request(p, out, name, priority, settings) for p, out, name in items])

    def _queue(self, requests: list[_Request]) -> None:
        if self._background.closed or not requests:
            return
        worker = self._worker
        self._background.checks.start(lambda: _check(worker, requests))

    # -- editing the queue (all run on the store thread) -----------------------------------------
    def _post(self, op: StoreOp, what: str) -> None:
        if not self._background.closed:
            self._worker.opRequested.emit(op, what)

    def _for_each(self, job_ids: Iterable[str], op: Callable[[Store, str], object],
                  what: str) -> None:
        ids = list(job_ids)  # a snapshot: the caller's iterable may be lazy
        self._post(lambda store: [op(store, i) for i in ids], what)

    def cancel(self, job_ids: Iterable[str]) -> None:
        """Queued and paused jobs end at once; running ones are asked to stop."""
        self._for_each(job_ids, Store.cancel, "cancel the job")

    def retry(self, job_ids: Iterable[str]) -> None:
        self._for_each(job_ids, Store.retry, "retry the job")

    def set_paused(self, job_ids: Iterable[str], paused: bool) -> None:
        self._for_each(job_ids, lambda store, i: store.set_paused(i, paused),
                       "pause the job" if paused else "resume the job")

    def move(self, job_ids: Iterable[str], steps: int) -> None:
        """Move waiting jobs up (negative) or down; several keep their relative order."""
        order = {job_id: row for row, job_id in enumerate(self._jobs)}
        ids = sorted(job_ids, key=lambda i: order.get(i, 0), reverse=steps > 0)
        self._for_each(ids, lambda store, i: store.move(i, steps), "move the job")

    def remove(self, job_ids: Iterable[str]) -> None:
        """Forget ended jobs (their videos stay on disk)."""
        self._for_each(job_ids, Store.remove, "remove the job")

    def clear_finished(self) -> None:
        self._post(lambda s: s.clear([JobStatus.FINISHED]), "clear finished jobs")

    def set_queue_paused(self, paused: bool) -> None:
        what = "pause the queue" if paused else "resume the queue"
        self._post(lambda s: s.set_queue_paused(paused), what)
