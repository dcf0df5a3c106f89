"""Running renders in a child process: the one way the local pool and the farm both do it.

A :class:`RenderProcess` is spawned (so it works frozen and on every OS), runs at low
priority in its own process group (so the render and its ffmpeg stop together), and stops
by itself when its parent dies. Parent and child talk over one pipe in frozen dataclasses:

    parent -> child   RenderRequest (a whole show, pieces handed out one by one, or the
                      join of finished pieces), PieceGrant (the answer to NextPiece), Stop
    child -> parent   Ready, JobProgress (the engine's event and the job id),
                      NextPiece, PieceProgress, JobOutcome (with where the run logged)

Cancel is a shared event the render checks between frames; a child that has not stopped
``CANCEL_GRACE_SECONDS`` after it was asked is killed with its whole process group.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from simvid_desktop.errors import InvalidInput, RenderCancelled, SimvidError
from simvid_desktop.jobs.model import JobOutcome, JobProgress, JobStatus, LogLocation
from simvid_desktop.model.project import Project
from simvid_desktop.model.settings import CollisionPolicy
from simvid_desktop.render.engine import (
    RenderSpec,
    finish_pieces,
    render,
    render_handed_pieces,
)
from simvid_desktop.render.ffmpeg import keep_children_in_my_group
from simvid_desktop.render.progress import CancelToken, ProgressEvent

logger = logging.getLogger(__name__)

CANCEL_GRACE_SECONDS = 3.0  #: a cancelled render that is still running after this is killed
WORKER_NICENESS = 10
PARENT_GONE_EXIT_SECONDS = 10.0

#: Why render processes usually die before they are ready, and what to do about it.
MAIN_GUARD_HINT = (
    "If Simvid is started from your own script, put the code that starts it under "
    '`if __name__ == "__main__":` (each render process imports that script again).')
FROZEN_HINT = ("This build may be incomplete (a module missing from the bundle): "
               "start it from a terminal to see the render process's own error.")


def start_failure_hint() -> str:
    """The likely cause of render processes that die before they are ready, for the user."""
    return FROZEN_HINT if getattr(sys, "frozen", False) else MAIN_GUARD_HINT


def in_bootstrapping_child() -> bool:
    """True while a spawned process is still importing its parent's main script.

    multiprocessing sets this flag around that import; anything that starts the app or a
    queue runner then is a script without a ``__main__`` guard running again in a child.
    """
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def refuse_in_bootstrapping_child(what: str) -> None:
    """Stop a render process that is about to run the app instead of rendering.

    Without this, a script with no ``__main__`` guard would open a second window (or run
    a second queue) in every render process; raising makes the process exit at once, and
    the pool that started it reports why.
    """
    if in_bootstrapping_child():
        raise RuntimeError(
            f"{what} was started again inside a render process that is still starting. "
            + MAIN_GUARD_HINT)


# -- the messages --------------------------------------------------------------------------
class RenderTask(str, Enum):
    SHOW = "show"  #: the whole show (in resumable segments when there is a work folder)
    PIECES = "pieces"  #: the pieces the parent hands out (NextPiece / PieceGrant)
    JOIN = "join"  #: join the finished pieces and the music into the output


@dataclass(frozen=True, kw_only=True)
class RenderRequest:
    job_id: str
    project: Project  #: parsed and checked once, by the parent
    output: str
    work_dir: str | None
    segment_seconds: float
    log_path: str  #: chosen by the parent: it knows where this kind of run logs
    task: RenderTask = RenderTask.SHOW
    #: Applied when the video is done and its name is taken (it is never replaced).
    collision: CollisionPolicy = CollisionPolicy.NUMBER


@dataclass(frozen=True)
class Ready:
    pid: int


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class NextPiece:
    pass


@dataclass(frozen=True)
class PieceGrant:
    index: int | None  #: None: nothing left (or the job is stopping)


@dataclass(frozen=True)
class PieceProgress:
    index: int
    frames: int  #: frames of the piece done so far


ChildMessage = Ready | JobProgress | NextPiece | PieceProgress | JobOutcome


# -- the parent's side ----------------------------------------------------------------------
def kill_group(pid: int) -> None:
    """Kill a render process and everything in its process group (its ffmpeg)."""
    try:
        if sys.platform == "win32":
            os.kill(pid, signal.SIGTERM)
        else:
            os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        logger.debug("render process group %d already gone", pid)


class RenderProcess:
    """One spawned render process and its pipe. Used from one thread."""

    def __init__(self, name: str = "simvid-render") -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child_end = ctx.Pipe(duplex=True)
        self._cancel = ctx.Event()
        self.process = ctx.Process(target=serve, args=(child_end, self._cancel), name=name,
                                   daemon=True)
        self.process.start()
        child_end.close()
        self.started = time.monotonic()
        self.ready = False
        self.job_id: str | None = None  #: the job it is rendering
        self.cancel_sent: float | None = None

    @property
    def sentinel(self) -> int:
        return self.process.sentinel

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def start(self, request: RenderRequest) -> None:
        """Send a request; its outcome arrives as a JobOutcome."""
        self._cancel.clear()
        self.cancel_sent = None
        self.job_id = request.job_id
        self.conn.send(request)

    def grant(self, index: int | None) -> None:
        self.conn.send(PieceGrant(index))

    def cancel(self) -> None:
        """Ask the render to stop (once); it is killed if it has not after the grace time."""
        if self.cancel_sent is None:
            self._cancel.set()
            self.cancel_sent = time.monotonic()

    @property
    def cancel_overdue(self) -> bool:
        return (self.cancel_sent is not None
                and time.monotonic() - self.cancel_sent > CANCEL_GRACE_SECONDS)

    def receive(self, timeout: float = 0.0) -> list[ChildMessage]:
        """The messages waiting (up to ``timeout`` for the first); [] once the pipe broke."""
        messages: list[ChildMessage] = []
        try:
            if not self.conn.poll(timeout):
                return messages
            while True:
                message = self.conn.recv()
                if isinstance(message, Ready):
                    self.ready = True
                elif isinstance(message, JobOutcome) and message.job_id == self.job_id:
                    self.job_id = None
                    self.cancel_sent = None
                messages.append(message)
                if not self.conn.poll():
                    return messages
        except (EOFError, OSError):
            return messages  # dying: its sentinel tells

    def exit_description(self) -> str:
        """How it ended, in words: "exited with code 1", "was killed (signal 9)"."""
        code = self.process.exitcode
        if code is None:
            return "is still running"
        return f"exited with code {code}" if code >= 0 else f"was killed (signal {-code})"

    def death_outcome(self) -> JobOutcome | None:
        """How the job it was rendering ended when the process died (None: it had none)."""
        if self.job_id is None:
            return None
        code = self.process.exitcode
        cancelled = self.cancel_sent is not None
        reason = (f"the render process stopped unexpectedly (exit code {code})"
                  if code is None or code >= 0 else
                  f"the render process was killed (signal {-code})")
        if not cancelled:
            logger.warning("render process %s died with job %s: %s", self.process.pid,
                           self.job_id, reason)
        return JobOutcome(self.job_id, JobStatus.CANCELED if cancelled else JobStatus.FAILED,
                          error=None if cancelled else reason, transient=not cancelled)

    def kill(self) -> None:
        if self.process.pid is not None:
            kill_group(self.process.pid)  # its ffmpeg too
            self.process.kill()  # in case it never got as far as making its group
        self.process.join(2)

    def stop(self, wait: float = CANCEL_GRACE_SECONDS + 2) -> None:
        """Stop it (cancelling what it renders) and release the pipe; kill if it lingers."""
        if self.job_id is not None:
            self.cancel()
        try:
            self.conn.send(Stop())
        except (BrokenPipeError, OSError):
            logger.debug("render process %s already gone", self.process.pid)
        self.process.join(wait)
        if self.process.is_alive():
            self.kill()
        self.conn.close()


# -- the child's side -----------------------------------------------------------------------
def serve(conn: Connection, cancel: Event) -> None:
    """Entry point of a render process: serve requests until told to stop."""
    _prepare(cancel)
    _send(conn, Ready(os.getpid()))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if not isinstance(request, RenderRequest):
            return
        _run(conn, cancel, request)


def _prepare(cancel: Event) -> None:
    """Low priority, its own process group, and stop when the parent dies."""
    _lower_priority()
    if sys.platform != "win32":
        os.setsid()
        keep_children_in_my_group()
    _watch_parent(cancel)


def _lower_priority() -> None:
    """Renders yield the CPU to the user: the window stays responsive on a busy machine."""
    try:
        if sys.platform == "win32":
            import ctypes  # noqa: PLC0415 - Windows only

            below_normal = 0x00004000
            ctypes.windll.kernel32.SetPriorityClass(  # type: ignore[attr-defined]
                ctypes.windll.kernel32.GetCurrentProcess(), below_normal)  # type: ignore[attr-defined]
        else:
            os.nice(WORKER_NICENESS)  # inherited by the ffmpeg children
    except (OSError, AttributeError) as exc:
        logger.debug("could not lower the render process's priority: %s", exc)


def _watch_parent(cancel: Event) -> None:
    """If the parent dies, stop rendering (the job will be recovered and resumed)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def wait() -> None:
        parent.join()  # returns when the parent is gone
        logger.warning("parent process is gone; stopping the render")
        cancel.set()
        threading.Timer(PARENT_GONE_EXIT_SECONDS, os._exit, args=(3,)).start()

    threading.Thread(target=wait, name="parent-watch", daemon=True).start()


def _send(conn: Connection, message: ChildMessage) -> None:
    try:
        conn.send(message)
    except (BrokenPipeError, OSError):
        # The parent is gone; the job is recovered by whoever runs the queue next.
        logger.warning("parent process gone; could not report %s", type(message).__name__)


def _run(conn: Connection, cancel: Event, request: RenderRequest) -> None:
    """Run one request and send its outcome. Every exception ends as an outcome, never a
    crash: the process keeps serving."""
    log = LogLocation(socket.gethostname(), request.log_path)
    handler = _log_to(request.log_path)
    job_id = request.job_id

    def outcome(status: JobStatus, **values: Any) -> None:
        _send(conn, JobOutcome(job_id, status, log=log, **values))

    try:
        result = _TASKS[request.task](conn, cancel, request)
        outcome(JobStatus.FINISHED, result=result)
    except RenderCancelled:
        logger.info("job %s: cancelled", job_id)
        outcome(JobStatus.CANCELED)
    except SimvidError as exc:
        logger.error("job %s: %s", job_id, exc)
        detail = getattr(exc, "log", "") or ""
        if isinstance(exc, InvalidInput) and hasattr(exc, "lines"):
            detail = "\n".join(exc.lines())
        outcome(JobStatus.FAILED, error=str(exc), error_log=detail, transient=exc.transient)
    except Exception as exc:  # noqa: BLE001 - a bug must fail the job, not kill the process
        tb = traceback.format_exc()
        logger.error("job %s: internal error\n%s", job_id, tb)
        outcome(JobStatus.FAILED, error=f"internal error: {exc}", error_log=tb)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def _log_to(log_path: str) -> logging.Handler:
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def _show(conn: Connection, cancel: Event, request: RenderRequest) -> dict[str, Any]:
    logger.info("job %s: rendering %s", request.job_id, request.output)

    def progress(event: ProgressEvent) -> None:
        _send(conn, JobProgress(request.job_id, event))

    # Every way of queueing a job runs the preflight first (window, queue add, farm).
    spec = RenderSpec(request.project, Path(request.output),
                      Path(request.work_dir) if request.work_dir else None,
                      request.segment_seconds, checked=True, collision=request.collision)
    outcome = render(spec, progress=progress, cancel=CancelToken(cancel))
    logger.info("job %s: finished in %.1f s", request.job_id, outcome.elapsed)
    return outcome.to_dict()


def _pieces(conn: Connection, cancel: Event, request: RenderRequest) -> dict[str, Any]:
    def next_piece() -> int | None:
        _send(conn, NextPiece())
        reply = conn.recv()
        return reply.index if isinstance(reply, PieceGrant) else None

    def piece_progress(index: int, frames: int) -> None:
        _send(conn, PieceProgress(index, frames))

    work_dir = _require_work_dir(request)
    count = render_handed_pieces(request.project, work_dir, request.segment_seconds,
                                 next_piece, piece_progress, CancelToken(cancel))
    return {"pieces": count}


def _join(conn: Connection, cancel: Event, request: RenderRequest) -> dict[str, Any]:
    return finish_pieces(request.project, Path(request.output), _require_work_dir(request),
                         request.segment_seconds, request.collision).to_dict()


def _require_work_dir(request: RenderRequest) -> Path:
    if not request.work_dir:
        raise InvalidInput(f"{request.task.value}: a work folder is needed")
    return Path(request.work_dir)


_TASKS: dict[RenderTask, Callable[[Connection, Event, RenderRequest], dict[str, Any]]] = {
    RenderTask.SHOW: _show,
    RenderTask.PIECES: _pieces,
    RenderTask.JOIN: _join,
}
