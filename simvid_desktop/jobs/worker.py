"""The render worker process: receives jobs over a pipe, renders them, reports back.

Runs in a process started with the *spawn* method (so it works frozen and on every OS).
It never imports Qt. Messages are plain tuples of JSON-able values:

    pool -> worker: ("job", job_id, project_dict, output, work_dir, segment_seconds, log_path)
                    ("stop",)
    worker -> pool: ("progress", job_id, event_dict)
                    ("done", job_id, status, result | None, error | None, log | None, transient)
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import sys
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simvid_desktop.model.project import Project

logger = logging.getLogger(__name__)


def _watch_parent(cancel: Event) -> None:
    """If the process that runs the queue dies, stop rendering (the job will be recovered)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def wait() -> None:
        parent.join()  # returns when the parent is gone
        logger.warning("queue process is gone; stopping the render")
        cancel.set()
        threading.Timer(10.0, os._exit, args=(3,)).start()

    threading.Thread(target=wait, name="parent-watch", daemon=True).start()


def job_logging(log_path: str) -> logging.Handler:
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def send(conn: Connection, message: tuple[Any, ...]) -> None:
    try:
        conn.send(message)
    except (BrokenPipeError, OSError):
        # The queue process is gone; the job is recovered by the next runner.
        logger.warning("queue process gone; could not report %s", message[0])


def run_reported(conn: Connection, job_id: str, log_path: str,
                 action: Callable[[], dict[str, Any]]) -> None:
    """Run ``action`` and send its outcome as a ``("done", ...)`` message.

    Every exception ends as a message, never a crash: the process keeps serving jobs.
    """
    from simvid_desktop.errors import (  # noqa: PLC0415 - imported in the worker only
        InvalidInput,
        RenderCancelled,
        SimvidError,
    )

    handler = job_logging(log_path)
    try:
        result = action()
        send(conn, ("done", job_id, "finished", result, None, None, False))
    except RenderCancelled:
        logger.info("job %s: cancelled", job_id)
        send(conn, ("done", job_id, "canceled", None, None, None, False))
    except SimvidError as exc:
        logger.error("job %s: %s", job_id, exc)
        detail = getattr(exc, "log", "") or ""
        if isinstance(exc, InvalidInput) and hasattr(exc, "lines"):
            detail = "\n".join(exc.lines())
        send(conn, ("done", job_id, "failed", None, str(exc), detail, exc.transient))
    except Exception as exc:  # noqa: BLE001 - a bug must fail the job, not kill the worker
        tb = traceback.format_exc()
        logger.error("job %s: internal error\n%s", job_id, tb)
        send(conn, ("done", job_id, "failed", None, f"internal error: {exc}", tb, False))
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def load_project(project_data: dict[str, Any], output: str) -> Project:
    """The job's project snapshot, checked again (it crossed a process boundary)."""
    from simvid_desktop.errors import ProjectInvalid  # noqa: PLC0415
    from simvid_desktop.model.project_io import parse_project  # noqa: PLC0415

    project, problems = parse_project(json.dumps(project_data), Path(output).parent)
    if problems:
        raise ProjectInvalid(problems)
    return project


def run_job(job_id: str, project_data: dict[str, Any], output: str, work_dir: str | None,
            segment_seconds: float, log_path: str, conn: Connection, cancel: Event) -> None:
    """Render one job and send its progress and outcome over ``conn``."""
    from simvid_desktop.render.engine import RenderSpec, render  # noqa: PLC0415
    from simvid_desktop.render.progress import CancelToken, ProgressEvent  # noqa: PLC0415

    def progress(event: ProgressEvent) -> None:
        send(conn, ("progress", job_id, event.to_dict()))

    def action() -> dict[str, Any]:
        logger.info("job %s: rendering %s", job_id, output)
        spec = RenderSpec(load_project(project_data, output), Path(output),
                          Path(work_dir) if work_dir else None, segment_seconds)
        outcome = render(spec, progress=progress, cancel=CancelToken(cancel))
        logger.info("job %s: finished in %.1f s", job_id, outcome.elapsed)
        return outcome.to_dict()

    run_reported(conn, job_id, log_path, action)


WORKER_NICENESS = 10


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
        logger.debug("could not lower the worker's priority: %s", exc)


def prepare_render_process(cancel: Event) -> None:
    """Set up a freshly spawned render process: low priority, its own process group (so
    it and its ffmpeg can be stopped together), stop when the parent dies, engine loaded."""
    _lower_priority()
    if sys.platform != "win32":
        os.setsid()
        from simvid_desktop.render.ffmpeg import keep_children_in_my_group  # noqa: PLC0415

        keep_children_in_my_group()
    _watch_parent(cancel)
    # Import the engine now, while idle, so a job starts rendering at once.
    import simvid_desktop.render.engine  # noqa: F401, PLC0415


def worker_main(conn: Connection, cancel: Event) -> None:
    """Entry point of a worker process: a loop over jobs until told to stop."""
    prepare_render_process(cancel)
    send(conn, ("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the pool is gone
        if message[0] == "stop":
            return
        _, job_id, project_data, output, work_dir, segment_seconds, log_path = message
        run_job(job_id, project_data, output, work_dir, segment_seconds, log_path, conn, cancel)
