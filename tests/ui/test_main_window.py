"""The assembled window: object names, render through the real queue, save/load, recovery."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QDropEvent
from PySide6.QtWidgets import QMessageBox, QTableView
from pytestqt.qtbot import QtBot

from simvid_desktop.jobs.model import JobStatus
from simvid_desktop.jobs.store import Store
from simvid_desktop.model.project import OutputSettings, Quality, Resolution
from simvid_desktop.model.settings import Settings
from simvid_desktop.ui.autosave import Autosave, autosave_dir
from simvid_desktop.ui.main_window import MainWindow


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "photos"
    folder.mkdir()
    paths = []
    for i, color in enumerate([(200, 30, 30), (30, 200, 30), (30, 30, 200)]):
        p = folder / f"p{i}.jpg"
        Image.new("RGB", (64, 48), color).save(p)
        paths.append(p)
    return paths


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    settings = Settings(output_dir=str(tmp_path / "videos"), workers=1)
    w = MainWindow(settings)  # closed here, not by qtbot: it must not ask to save
    yield w
    w.document.undo_stack.setClean()  # no "save changes?" question on close
    w.close()


def test_object_names_for_automation(window: MainWindow) -> None:
    for name in ("actionAddImages", "actionAddAudio", "actionRender", "actionBatchExport",
                 "actionSave"):
        assert window.findChild(QAction, name) is not None, name
    assert window.findChild(QTableView, "jobs") is not None
    assert window.timeline.objectName() == "timeline"


def test_drop_on_window_then_render_through_the_real_queue(
    window: MainWindow, qtbot: QtBot, photos: list[Path], tmp_path: Path
) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photos[0].parent))])
    event = QDropEvent(QPointF(300, 300), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert [s.image.name for s in window.document.project.slides] == ["p0.jpg", "p1.jpg",
                                                                      "p2.jpg"]
    project = window.document.project
    window.document.apply(project.__class__(
        slides=project.slides, default_duration=0.5,
        output=OutputSettings(resolution=Resolution("128x72"), quality=Quality.DRAFT)), "small")
    with qtbot.waitSignal(window.bridge.jobFinished, timeout=90_000) as finished:
        window.findChild(QAction, "actionRender").trigger()
    job = finished.args[0]
    assert job.status is JobStatus.FINISHED
    out = Path(job.output)
    assert out.parent == tmp_path / "videos" and out.stat().st_size > 0
    # The job holds its own snapshot of the project, whatever the window edits later.
    stored = Store().get(job.id)
    assert stored is not None and stored.project["default_duration"] == 0.5


def test_save_and_open_round_trip(window: MainWindow, photos: list[Path], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    window.add_paths(photos)
    target = tmp_path / "show.simvid"
    monkeypatch.setattr("simvid_desktop.ui.main_window.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(target), ""))
    assert window.findChild(QAction, "actionSave") is not None
    window.findChild(QAction, "actionSave").trigger()
    assert target.exists() and not window.document.modified
    before = window.document.project
    window.document.reset(before.__class__(), None)
    assert window.open_path(target)
    assert window.document.project == before
    assert window.windowTitle().startswith("show.simvid")


def test_recovery_prompt_after_a_crash(qtbot: QtBot, photos: list[Path], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    first = MainWindow(Settings(output_dir=str(tmp_path)), start_runner=False)
    first.add_paths(photos)
    with qtbot.waitSignal(first.autosave.saved) as blocker:  # written off the UI thread
        assert first.autosave.save_now()
    assert blocker.args == [True]
    assert Autosave.pending() is not None
    # The process "crashes": the autosave files stay behind (a clean close removes them).
    left = {p: p.read_bytes() for p in autosave_dir().iterdir()}
    first.document.undo_stack.setClean()
    first.close()
    assert Autosave.pending() is None
    for path, data in left.items():
        path.write_bytes(data)

    asked: list[str] = []

    def answer(*args: object, **kwargs: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr("simvid_desktop.ui.main_window.QMessageBox.question", answer)
    second = MainWindow(Settings(output_dir=str(tmp_path)), start_runner=False)
    second.offer_recovery()
    assert asked and "3 slides" in asked[0]
    assert [s.image for s in second.document.project.slides] == photos
    assert second.document.modified
    second.document.undo_stack.setClean()
    second.close()


def test_a_discard_wins_over_an_autosave_in_flight(qtbot: QtBot, photos: list[Path],
                                                    tmp_path: Path) -> None:
    window = MainWindow(Settings(output_dir=str(tmp_path)), start_runner=False)
    qtbot.addWidget(window)
    window.add_paths(photos)
    with qtbot.waitSignal(window.autosave.saved):
        window.autosave.save_now()
        window.autosave.discard()  # the user saved meanwhile: nothing to recover
    # Whichever finished first, the write cannot bring the files back after the discard.
    assert Autosave.pending() is None
    window.document.undo_stack.setClean()
