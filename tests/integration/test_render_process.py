"""The one render-process protocol, driven directly: a request in, the engine's own progress
events and one outcome (saying where the run logged) out; cancel and stop."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from simvid_desktop.jobs.model import JobOutcome, JobProgress, JobStatus
from simvid_desktop.jobs.render_process import (
    Ready,
    RenderProcess,
    RenderRequest,
    RenderTask,
)
from simvid_desktop.model.project import OutputSettings, Project, Quality, Resolution, Slide
from simvid_desktop.render.progress import ProgressEvent, RenderStage
from tests.integration.media import solid


def project(folder: Path, count: int, seconds: float) -> Project:
    folder.mkdir(parents=True, exist_ok=True)
    slides = tuple(Slide(solid(folder / f"p{i}.jpg", (40 * i, 90, 160))) for i in range(count))
    return Project(slides=slides, default_duration=seconds,
                   output=OutputSettings(resolution=Resolution("128x72"), quality=Quality.DRAFT))


def run_until_outcome(process: RenderProcess, timeout: float = 60.0,
                      on_progress: object = None) -> tuple[list[object], JobOutcome]:
    seen: list[object] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in process.receive(0.2):
            seen.append(message)
            if callable(on_progress) and isinstance(message, JobProgress):
                on_progress(message)
            if isinstance(message, JobOutcome):
                return seen, message
    raise AssertionError(f"no outcome within {timeout} s; got {seen[-3:]}")


def test_a_show_reports_the_engines_events_and_where_it_logged(tmp_path: Path) -> None:
    process = RenderProcess()
    try:
        output, log = tmp_path / "show.mp4", tmp_path / "logs" / "j1.log"
        process.start(RenderRequest(
            job_id="j1", project=project(tmp_path / "photos", 2, 0.5), output=str(output),
            work_dir=None, segment_seconds=20.0, log_path=str(log)))
        seen, outcome = run_until_outcome(process)
        assert any(isinstance(m, Ready) for m in seen)
        progress = [m for m in seen if isinstance(m, JobProgress)]
        assert progress and all(p.job_id == "j1" and isinstance(p.event, ProgressEvent)
                                for p in progress)
        # The engine reports every frame; throttling is the receiver's business.
        assert sum(p.event.stage is RenderStage.RENDERING for p in progress) >= 20
        assert outcome.status is JobStatus.FINISHED and output.is_file()
        assert outcome.log is not None
        assert (outcome.log.host, outcome.log.path) == (socket.gethostname(), str(log))
        assert "rendering" in log.read_text(encoding="utf-8")
        assert process.job_id is None  # free for the next request
    finally:
        process.stop()
    assert not process.alive


def test_a_cancelled_request_ends_cancelled_and_the_process_serves_the_next(
        tmp_path: Path) -> None:
    process = RenderProcess()
    try:
        request = RenderRequest(
            job_id="long", project=project(tmp_path / "a", 6, 20.0),
            output=str(tmp_path / "long.mp4"), work_dir=None, segment_seconds=20.0,
            log_path=str(tmp_path / "long.log"))
        process.start(request)
        _, outcome = run_until_outcome(process, on_progress=lambda _p: process.cancel())
        assert outcome.status is JobStatus.CANCELED
        assert not (tmp_path / "long.mp4").exists()
        process.start(RenderRequest(
            job_id="next", project=project(tmp_path / "b", 2, 0.5),
            output=str(tmp_path / "next.mp4"), work_dir=None, segment_seconds=20.0,
            log_path=str(tmp_path / "next.log")))
        _, outcome = run_until_outcome(process)
        assert outcome.status is JobStatus.FINISHED and outcome.job_id == "next"
    finally:
        process.stop()


def test_a_join_without_a_work_folder_fails_with_a_message_not_a_crash(
        tmp_path: Path) -> None:
    process = RenderProcess()
    try:
        process.start(RenderRequest(
            job_id="j", project=project(tmp_path / "p", 2, 0.5),
            output=str(tmp_path / "o.mp4"), work_dir=None, segment_seconds=20.0,
            log_path=str(tmp_path / "j.log"), task=RenderTask.JOIN))
        _, outcome = run_until_outcome(process)
        assert outcome.status is JobStatus.FAILED and "work folder" in (outcome.error or "")
        assert process.alive
    finally:
        process.stop()
