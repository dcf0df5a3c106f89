"""The job bridge, table model and queue view: real store, real runner, real ffmpeg."""

from __future__ import annotations

import multiprocessing
import multiprocessing.resource_tracker
import multiprocessing.spawn
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QModelIndex, Qt, QThread
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from simvid_desktop.jobs.model import Job, JobProgress, JobStatus, LogLocation
from simvid_desktop.jobs.store import Store
from simvid_desktop.jobs.submit import submit
from simvid_desktop.model.project import (
    Motion,
    MotionMode,
    OutputSettings,
    Project,
    Quality,
    Resolution,
    Slide,
    Transition,
    TransitionKind,
)
from simvid_desktop.model.settings import Settings
from simvid_desktop.render.engine import stale_temp_files
from simvid_desktop.render.progress import ProgressEvent, RenderStage, RenderStatus
from simvid_desktop.ui import job_view
from simvid_desktop.ui.job_bridge import JobBridge, _StoreWorker
from simvid_desktop.ui.job_model import (
    COL_ETA,
    COL_FPS,
    COL_MESSAGE,
    COL_OUTPUT,
    COL_PROGRESS,
    COL_SIZE,
    COL_STATUS,
    JobTableModel,
    ProgressRole,
)
from simvid_desktop.ui.job_view import JobsView

COLORS = [(220, 30, 30), (30, 200, 40), (30, 60, 220), (230, 220, 40), (200, 60, 200)]


def photos(folder: Path, count: int, size: tuple[int, int] = (64, 64)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"p{i:02d}.jpg"
        Image.new("RGB", size, COLORS[i % len(COLORS)]).save(path, "JPEG")
        paths.append(path)
    return paths


def tiny_project(folder: Path, count: int = 2) -> Project:
    """Renders in about a second: two 64x64 photos, 0.5 s each, 128x72, draft quality."""
    return Project(
        slides=tuple(Slide(p) for p in photos(folder, count)), default_duration=0.5,
        transition=Transition(TransitionKind.FADE, 0.2),
        output=OutputSettings(resolution=Resolution("128x72"), quality=Quality.DRAFT),
    )


def long_project(folder: Path) -> Project:
    """Several seconds of work: ten moving 1 s slides at 640x360."""
    return Project(
        slides=tuple(Slide(p) for p in photos(folder, 10, (640, 360))), default_duration=1.0,
        motion=Motion(MotionMode.AUTO), output=OutputSettings(resolution=Resolution("640x360")),
    )


def fake_job(n: int, **values: object) -> Job:
    job = Job(id=f"job{n}", name=f"Video {n}", project={}, output=f"/videos/video-{n}.mp4",
              message="Queued")
    return replace(job, **values)  # type: ignore[arg-type]


@pytest.fixture
def bridge(qtbot: QtBot) -> Iterator[JobBridge]:
    b = JobBridge(Settings(workers=1, retries=0))
    off_thread: list[str] = []  # every public signal must reach receivers on the UI thread
    ui = QThread.currentThread()
    for name in ("jobsReset", "jobChanged", "jobRemoved", "jobFinished", "queueIdle",
                 "queuePausedChanged", "jobSubmitted", "submitFailed", "errorOccurred"):
        getattr(b, name).connect(lambda *_a, n=name: (
            None if QThread.currentThread() is ui else off_thread.append(n)))
    with qtbot.waitSignal(b.jobsReset, timeout=5000):
        pass  # the first read is delivered once the event loop runs, i.e. inside the wait
    yield b
    b.shutdown()
    assert off_thread == []


@pytest.fixture
def view(qtbot: QtBot, bridge: JobBridge) -> JobsView:
    v = JobsView(bridge)
    qtbot.addWidget(v)
    v.resize(1180, 320)
    v.show()
    qtbot.waitExposed(v)
    return v


def queue(qtbot: QtBot, bridge: JobBridge, project: Project, output: Path,
          name: str | None = None) -> Job:
    with qtbot.waitSignal(bridge.jobSubmitted, timeout=15000) as submitted:
        bridge.submit(project, output, name=name)
    job: Job = submitted.args[0]
    return job


def select(view: JobsView, job_id: str) -> None:
    row = view.model.row_of(job_id)
    assert row is not None
    view.table.selectRow(row)


def cell(view: JobsView, job_id: str, column: int) -> str:
    row = view.model.row_of(job_id)
    assert row is not None
    return str(view.model.index(row, column).data())


# -- the bridge ------------------------------------------------------------------------------
def test_watcher_sees_jobs_added_and_cancelled_by_another_process(
        qtbot: QtBot, bridge: JobBridge, tmp_path: Path) -> None:
    store = Store()  # as `simvid queue add` would: its own connection
    try:
        with qtbot.waitSignal(bridge.jobsReset, timeout=5000,
                              check_params_cb=lambda jobs: [j.name for j in jobs] == ["cli"]):
            job = submit(store, tiny_project(tmp_path), tmp_path / "cli.mp4", Settings(),
                         name="cli")
        with qtbot.waitSignal(bridge.jobChanged, timeout=5000, check_params_cb=lambda j: (
                j.id == job.id and j.status is JobStatus.CANCELED)):
            store.cancel(job.id)
        with qtbot.waitSignal(bridge.jobRemoved, timeout=5000) as removed:
            store.remove(job.id)
    finally:
        store.close()
    assert removed.args == [job.id]
    assert bridge.jobs() == []


def test_each_store_read_emits_what_changed_once(qtbot: QtBot, tmp_path: Path) -> None:
    worker = _StoreWorker(None)  # driven by hand on this thread: deterministic timing
    writer = Store()
    try:
        worker.start()
        job = submit(writer, tiny_project(tmp_path), tmp_path / "a.mp4", Settings())
        worker.refresh()
        assert writer.claim("runner-1") is not None
        with qtbot.waitSignal(worker.jobChanged, timeout=1000,
                              check_params_cb=lambda j: j.status is JobStatus.STARTED):
            worker.refresh()  # a status change: at once
        writer.progress("runner-1", JobProgress(job.id, ProgressEvent(
            status=RenderStatus.STARTED, stage=RenderStage.RENDERING, percent=10.0, message="",
            frames_done=1, frames_total=10, fps=5.0, eta=9.0)))
        with qtbot.waitSignal(worker.jobChanged, timeout=1000,
                              check_params_cb=lambda j: j.percent == 10.0):
            worker.refresh()  # the progress the runner wrote
        with qtbot.assertNotEmitted(worker.jobChanged):
            worker.refresh()  # nothing new: nothing sent
    finally:
        writer.close()
        worker.stop()


def test_submit_reports_every_problem_in_one_message(
        qtbot: QtBot, bridge: JobBridge, tmp_path: Path) -> None:
    project = tiny_project(tmp_path)
    missing = tmp_path / "gone.jpg"
    project = project.with_slides([*project.slides, Slide(missing)])
    with qtbot.waitSignal(bridge.submitFailed, timeout=15000) as failed:
        bridge.submit(project, tmp_path / "no-such-folder" / "out.mp4", name="Broken")
    message: str = failed.args[0]
    assert "Broken" in message and "gone.jpg" in message and "no-such-folder" in message


def test_real_render_through_the_queue_finishes(
        qtbot: QtBot, bridge: JobBridge, view: JobsView, tmp_path: Path) -> None:
    out = tmp_path / "tiny.mp4"
    job = queue(qtbot, bridge, tiny_project(tmp_path / "photos"), out, "Tiny")
    order: list[str] = []
    bridge.jobFinished.connect(lambda _job: order.append("finished"))
    bridge.queueIdle.connect(lambda _done, _failed: order.append("idle"))
    with qtbot.waitSignal(bridge.jobFinished, timeout=60000) as done, \
            qtbot.waitSignal(bridge.queueIdle, timeout=60000) as idle:
        bridge.start_runner(workers=1)
    assert order == ["finished", "idle"]
    finished: Job = done.args[0]
    assert finished.id == job.id
    assert idle.args == [1, 0]
    assert out.is_file()
    assert finished.result is not None and finished.result["size_bytes"] == out.stat().st_size
    assert cell(view, job.id, COL_STATUS) == "Finished"
    assert cell(view, job.id, COL_SIZE).endswith(("bytes", "kB", "MB"))
    row = view.model.row_of(job.id)
    assert view.model.index(row or 0, COL_PROGRESS).data(ProgressRole) == 100.0


def test_cancel_from_the_table_stops_a_running_render(
        qtbot: QtBot, bridge: JobBridge, view: JobsView, tmp_path: Path) -> None:
    out = tmp_path / "long.mp4"
    job = queue(qtbot, bridge, long_project(tmp_path / "photos"), out)
    with qtbot.waitSignal(bridge.jobChanged, timeout=60000, check_params_cb=lambda j: (
            j.id == job.id and j.status is JobStatus.STARTED and j.frames_done > 0)):
        bridge.start_runner(workers=1)
    assert cell(view, job.id, COL_STATUS) == "Rendering"
    select(view, job.id)
    assert view.actionCancelJob.isEnabled() and not view.actionRemoveJob.isEnabled()
    with qtbot.waitSignal(bridge.jobChanged, timeout=30000, check_params_cb=lambda j: (
            j.id == job.id and j.status is JobStatus.CANCELED)):
        view.actionCancelJob.trigger()
    assert cell(view, job.id, COL_STATUS) == "Cancelled"
    qtbot.waitUntil(lambda: not stale_temp_files(out), timeout=5000)
    assert not out.exists()
    assert view.actionRemoveJob.isEnabled() and view.actionRetryJob.isEnabled()


def test_a_job_fails_with_the_reason_when_render_processes_cannot_start(
        qtbot: QtBot, bridge: JobBridge, view: JobsView, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Spawned for real with an interpreter that exits at once (as a bundle missing a
    module would): the job fails within seconds, with the reason, not "Queued" forever."""
    job = queue(qtbot, bridge, tiny_project(tmp_path / "photos"), tmp_path / "out.mp4")
    broken = tmp_path / "broken-python"
    broken.write_text("#!/bin/sh\nsleep 0.1\nexit 7\n")
    broken.chmod(0o755)
    multiprocessing.resource_tracker.ensure_running()  # started by the real interpreter
    # Put back after the test, whatever set_executable stores on this OS.
    monkeypatch.setattr(multiprocessing.spawn, "_python_exe", multiprocessing.spawn._python_exe)
    multiprocessing.set_executable(str(broken))
    started = time.monotonic()
    with qtbot.waitSignal(bridge.jobChanged, timeout=20000, check_params_cb=lambda j: (
            j.id == job.id and j.status is JobStatus.FAILED)) as failed:
        bridge.start_runner(workers=2)
    assert time.monotonic() - started < 20
    error = failed.args[0].error
    assert "Render processes cannot start" in error and "exited with code 7" in error, error
    assert 'if __name__ == "__main__":' in error
    assert cell(view, job.id, COL_STATUS) == "Failed"
    assert cell(view, job.id, COL_MESSAGE).startswith("Render processes cannot start")
    bridge.stop_runner()  # before the real interpreter is back: nothing is respawned


def test_retry_requeues_a_job_whose_photo_was_deleted(
        qtbot: QtBot, bridge: JobBridge, view: JobsView, tmp_path: Path) -> None:
    project = tiny_project(tmp_path / "photos")
    job = queue(qtbot, bridge, project, tmp_path / "out.mp4")
    project.slides[1].image.unlink()  # after the preflight passed
    with qtbot.waitSignal(bridge.jobChanged, timeout=60000, check_params_cb=lambda j: (
            j.id == job.id and j.status is JobStatus.FAILED)) as failed:
        bridge.start_runner(workers=1)
    assert "p01.jpg" in (failed.args[0].error or "")
    bridge.stop_runner()  # so that the retried job stays queued while we look at it
    select(view, job.id)
    tooltip = view.model.index(view.model.row_of(job.id) or 0, COL_MESSAGE).data(
        Qt.ItemDataRole.ToolTipRole)
    assert "p01.jpg" in tooltip and "log" in tooltip
    assert cell(view, job.id, COL_STATUS) == "Failed"
    with qtbot.waitSignal(bridge.jobChanged, timeout=5000, check_params_cb=lambda j: (
            j.id == job.id and j.status is JobStatus.QUEUED)) as retried:
        view.actionRetryJob.trigger()
    assert retried.args[0].error is None
    assert cell(view, job.id, COL_STATUS) == "Queued"


def test_delete_key_cancels_then_removes(
        qtbot: QtBot, bridge: JobBridge, view: JobsView, tmp_path: Path) -> None:
    job = queue(qtbot, bridge, tiny_project(tmp_path), tmp_path / "a.mp4")
    qtbot.waitUntil(lambda: view.model.row_of(job.id) is not None)
    view.activateWindow()
    qtbot.waitActive(view)
    view.table.setFocus()
    select(view, job.id)
    with qtbot.waitSignal(bridge.jobChanged, timeout=5000, check_params_cb=lambda j: (
            j.status is JobStatus.CANCELED)):
        QTest.keyClick(view.table, Qt.Key.Key_Delete)
    with qtbot.waitSignal(bridge.jobRemoved, timeout=5000):
        QTest.keyClick(view.table, Qt.Key.Key_Delete)
    assert view.model.rowCount() == 0


def test_move_pause_and_queue_pause_keep_the_selection(
        qtbot: QtBot, bridge: JobBridge, view: JobsView, tmp_path: Path) -> None:
    project = tiny_project(tmp_path)
    jobs = [queue(qtbot, bridge, project, tmp_path / f"{n}.mp4", n) for n in "abc"]
    qtbot.waitUntil(lambda: view.model.rowCount() == 3)
    select(view, jobs[2].id)
    with qtbot.waitSignal(bridge.jobsReset, timeout=5000, check_params_cb=lambda js: (
            [j.name for j in js] == ["a", "c", "b"])):
        view.actionMoveUp.trigger()
    assert [j.id for j in view.selected_jobs()] == [jobs[2].id]  # the selection followed
    with qtbot.waitSignal(bridge.jobChanged, timeout=5000, check_params_cb=lambda j: (
            j.status is JobStatus.PAUSED)):
        view.actionPauseJob.trigger()
    assert view.actionPauseJob.text() == "Resume"
    with qtbot.waitSignal(bridge.queuePausedChanged, timeout=5000) as paused:
        view.actionPauseQueue.trigger()
    assert paused.args == [True] and view.actionPauseQueue.text() == "Resume queue"
    assert "Queue paused" in view.summary.text()


def test_double_click_opens_a_finished_video(
        qtbot: QtBot, bridge: JobBridge, view: JobsView, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    video = tmp_path / "done.mp4"
    video.write_bytes(b"\0" * 10)
    opened: list[str] = []
    monkeypatch.setattr(job_view, "open_url", lambda url: opened.append(url.toLocalFile()))
    bridge.jobsReset.emit([fake_job(1, status=JobStatus.FINISHED, output=str(video),
                                    result={"output": str(video), "size_bytes": 10})])
    index = view.model.index(0, COL_OUTPUT)
    view.table.doubleClicked.emit(index)
    assert opened == [str(video)]


# -- the model -------------------------------------------------------------------------------
def test_data_changed_touches_only_the_changed_row(qtbot: QtBot) -> None:
    model = JobTableModel()
    jobs = [fake_job(n) for n in range(3)]
    model.reset_jobs(jobs)
    seen: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(lambda tl, br, _roles=(): seen.append(
        (tl.row(), br.row(), tl.column(), br.column())))
    model.rowsInserted.connect(lambda *_: pytest.fail("no row may be inserted"))
    with qtbot.waitSignal(model.dataChanged, timeout=1000):
        model.update_job(replace(jobs[1], status=JobStatus.STARTED, percent=40.0, fps=21.5,
                                 eta=12.0, message="Rendering"))
    assert len(seen) == 1
    top, bottom, first, last = seen[0]
    assert (top, bottom) == (1, 1)
    assert first <= COL_STATUS and last >= COL_ETA
    assert model.index(1, COL_FPS).data() == "21.5 fps"
    assert model.index(1, COL_ETA).data() == "0:12"
    seen.clear()
    with qtbot.waitSignal(model.dataChanged, timeout=1000):
        model.update_job(replace(jobs[1], status=JobStatus.STARTED, percent=41.0, fps=21.5,
                                 eta=12.0, message="Rendering"))
    assert seen == [(1, 1, COL_PROGRESS, COL_PROGRESS)]  # one cell: the bar


def test_reset_diffs_instead_of_resetting(qtbot: QtBot) -> None:
    model = JobTableModel()
    a, b, c, d = (fake_job(n) for n in range(4))
    model.reset_jobs([a, b, c])
    model.modelReset.connect(lambda: pytest.fail("the model must not reset"))
    with qtbot.waitSignal(model.rowsRemoved, timeout=1000):
        model.reset_jobs([c, a, d])
    assert [j.id for j in model.jobs()] == [c.id, a.id, d.id]
    assert model.rowCount(QModelIndex()) == 3


def test_status_text_and_sizes() -> None:
    model = JobTableModel()
    model.reset_jobs([
        fake_job(0, status=JobStatus.FINISHED, percent=100.0,
                 result={"size_bytes": 12_400_000, "elapsed": 65.0}),
        fake_job(1, status=JobStatus.STARTED, cancel_requested=True),
        fake_job(2, status=JobStatus.PAUSED, message="Paused"),
    ])
    assert model.index(0, COL_SIZE).data() == "12 MB"
    assert model.index(0, COL_MESSAGE).data() == "Done in 1:05"
    assert model.index(1, COL_STATUS).data() == "Cancelling"
    assert model.index(2, COL_STATUS).data() == "Paused"
    assert model.index(2, COL_MESSAGE).data() == ""


def test_a_failed_jobs_tooltip_names_the_log_where_it_ran() -> None:
    model = JobTableModel()
    here = LogLocation(socket.gethostname(), "/home/me/.local/state/simvid/jobs/a.log")
    farm = LogLocation("render-2", "/srv/simvid/log/farm/simvid-b.log")
    model.reset_jobs([
        fake_job(0, status=JobStatus.FAILED, error="boom", log_host=here.host,
                 log_path=here.path),
        fake_job(1, status=JobStatus.FAILED, error="bang", log_host=farm.host,
                 log_path=farm.path),
        fake_job(2, status=JobStatus.FAILED, error="never started"),
    ])
    tip = Qt.ItemDataRole.ToolTipRole
    assert model.index(0, COL_STATUS).data(tip) == f"boom\n\nThe full log is in {here.path}"
    assert model.index(1, COL_STATUS).data(tip) == (
        f"bang\n\nThe full log is on render-2, in {farm.path}")
    assert model.index(2, COL_STATUS).data(tip) == "never started"


# -- how it looks ------------------------------------------------------------------------------
def test_screenshot_of_the_queue(qtbot: QtBot, bridge: JobBridge, view: JobsView) -> None:
    now = time.time()
    bridge.jobsReset.emit([
        fake_job(1, name="Summer in Lisbon", status=JobStatus.STARTED, percent=40.0,
                 message="Rendering frame 432/1080", fps=24.3, eta=83.0, started_at=now,
                 output="/home/ana/Videos/Simvid/Summer in Lisbon.mp4"),
        fake_job(2, name="Grandma's 80th", status=JobStatus.FINISHED, percent=100.0,
                 message="Finished", output="/home/ana/Videos/Simvid/Grandma's 80th.mp4",
                 result={"size_bytes": 48_200_000, "elapsed": 95.0}),
        fake_job(3, name="Hiking 2024", status=JobStatus.FAILED, message="failed",
                 error="/home/ana/Pictures/hike/IMG_0042.jpg: file not found",
                 output="/home/ana/Videos/Simvid/Hiking 2024.mp4"),
        fake_job(4, name="Holiday (vertical)", output="/home/ana/Videos/Simvid/Holiday.mp4"),
        fake_job(5, name="Holiday (square)", status=JobStatus.PAUSED, message="Paused",
                 output="/home/ana/Videos/Simvid/Holiday-square.mp4"),
    ])
    select(view, "job1")
    view.table.setFocus()
    assert view.actionCancelJob.isEnabled() and not view.actionOpenVideo.isEnabled()
    assert view.summary.text() == "1 rendering  ·  2 waiting  ·  1 done  ·  1 failed"
    # Layouts settle in the event loop, as they would before the window repaints.
    qtbot.waitUntil(lambda: view.summary.width() >= view.summary.sizeHint().width())
    assert view.grab().save("/tmp/ui_jobs.png")
