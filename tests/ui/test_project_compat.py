"""The window opening project files from other versions: a newer minor version opens with a
warning naming what it ignores and keeps it on save; a newer major version is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from simvid_desktop.model.settings import Settings
from simvid_desktop.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    w = MainWindow(Settings(output_dir=str(tmp_path / "videos"), workers=1), start_runner=False)
    yield w
    w.document.undo_stack.setClean()  # no "save changes?" question on close
    w.close()


def _write(folder: Path, doc: dict[str, Any]) -> Path:
    for name in ("a.jpg", "b.jpg"):
        Image.new("RGB", (64, 48), (200, 30, 30)).save(folder / name)
    path = folder / "show.simvid"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _shown_messages(window: MainWindow) -> list[str]:
    return [box.text() for box in window.findChildren(QMessageBox) if box.isVisible()]


NEWER = {
    "schema_version": "1.3",
    "chapters": [{"title": "Summer", "at": 0}],
    "slides": [{"image": "a.jpg", "effect": {"name": "sepia"}}, {"image": "b.jpg"}],
    "output": {"resolution": "720p", "fps": 25, "hdr": {"transfer": "pq"}},
}


def test_a_newer_project_opens_with_a_warning_and_keeps_its_fields_on_save(
    window: MainWindow, tmp_path: Path
) -> None:
    path = _write(tmp_path, NEWER)
    assert window.open_path(path)
    (message,) = _shown_messages(window)
    for where in ("chapters", "slides[0].effect", "output.hdr"):
        assert where in message
    assert "kept when you save" in message
    assert "3 unknown field(s) ignored" in window.statusBar().currentMessage()

    project = window.document.project
    window.document.apply(replace(project, slides=project.slides[::-1],
                                  output=replace(project.output, fps=30)), "edit")
    assert window.save()
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["chapters"] == [{"title": "Summer", "at": 0}]
    assert saved["slides"] == [{"image": "b.jpg"},
                               {"image": "a.jpg", "effect": {"name": "sepia"}}]
    assert saved["output"]["hdr"] == {"transfer": "pq"}
    assert saved["output"]["fps"] == 30


def test_a_project_without_unknown_fields_opens_without_a_warning(
    window: MainWindow, tmp_path: Path
) -> None:
    assert window.open_path(_write(tmp_path, {"schema_version": 1,
                                              "slides": [{"image": "a.jpg"}]}))
    assert _shown_messages(window) == []


def test_a_newer_major_version_is_refused_naming_the_format_it_needs(
    window: MainWindow, tmp_path: Path
) -> None:
    before = window.document.project
    doc = {**NEWER, "schema_version": "3.0", "app": {"version": "3.0.1"}}
    assert not window.open_path(_write(tmp_path, doc))
    assert _shown_messages(window) == [
        "schema_version: needs a newer Simvid Desktop, one that reads project format 3 "
        "(this file was saved by Simvid Desktop 3.0.1); this version reads format 2"]
    assert window.document.project is before and window.document.path is None
