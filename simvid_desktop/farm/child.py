"""The render process a farm worker starts for each job (spawned, so it works frozen and on
every OS). It never talks to Redis: the worker's task does, and feeds it over a pipe.

    task -> child: ("show",)            render the whole show (resumable segments)
                   ("pieces",)          render pieces the task hands out, until none is left
                   ("piece", i | None)  the answer to the child's ("next",)
                   ("join",)            join the finished pieces and the music
                   ("stop",)
    child -> task: ("progress", job_id, event_dict)
                   ("piece-progress", index, frames)
                   ("next",)
                   ("done", job_id, status, result, error, log, transient)
"""

from __future__ import annotations

import logging
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from simvid_desktop.jobs.worker import (
    load_project,
    prepare_render_process,
    run_job,
    run_reported,
    send,
)

logger = logging.getLogger(__name__)


def child_main(conn: Connection, cancel: Event, payload: dict[str, Any], log_path: str) -> None:
    """Entry point of the render process: serve the task's requests until it says stop."""
    from simvid_desktop.render.engine import finish_pieces, render_pieces  # noqa: PLC0415
    from simvid_desktop.render.progress import CancelToken  # noqa: PLC0415

    prepare_render_process(cancel)
    job_id, output = payload["job_id"], payload["output"]
    work_dir, seconds = Path(payload["work_dir"]), float(payload["segment_seconds"])

    def next_piece() -> int | None:
        send(conn, ("next",))
        reply = conn.recv()
        return reply[1] if reply[0] == "piece" else None

    def piece_progress(index: int, frames: int) -> None:
        send(conn, ("piece-progress", index, frames))

    def pieces() -> dict[str, Any]:
        project = load_project(payload["project"], output)
        n = render_pieces(project, work_dir, seconds, next_piece, piece_progress,
                          CancelToken(cancel))
        return {"pieces": n}

    def join() -> dict[str, Any]:
        project = load_project(payload["project"], output)
        return finish_pieces(project, Path(output), work_dir, seconds).to_dict()

    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return  # the task is gone
        if request[0] == "show":
            run_job(job_id, payload["project"], output, str(work_dir), seconds, log_path,
                    conn, cancel)
        elif request[0] == "pieces":
            run_reported(conn, job_id, log_path, pieces)
        elif request[0] == "join":
            run_reported(conn, job_id, log_path, join)
        else:
            return
