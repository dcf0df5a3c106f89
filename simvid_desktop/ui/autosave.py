"""Autosave and crash recovery: an unsaved project is never lost with the process."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from simvid_desktop.errors import ProjectInvalid
from simvid_desktop.paths import data_dir
from simvid_desktop.project import Project
from simvid_desktop.project_io import read_project, save_project
from simvid_desktop.ui.document import ProjectDocument

logger = logging.getLogger(__name__)

AUTOSAVE_MS = 20_000


def autosave_dir() -> Path:
    path = data_dir() / "autosave"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Autosave(QObject):
    """Writes the open project to the data folder every few seconds while it has changes.

    A clean exit removes the file; finding it at the next start means the app did not
    exit cleanly, and the window offers to recover it.
    """

    def __init__(self, document: ProjectDocument, interval_ms: int = AUTOSAVE_MS) -> None:
        super().__init__(document)
        self._doc = document
        self._project_file = autosave_dir() / "unsaved.simvid"
        self._meta_file = autosave_dir() / "unsaved.json"
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.save_now)
        self._timer.start()
        document.modifiedChanged.connect(self._on_modified)

    def _on_modified(self, modified: bool) -> None:
        if not modified:
            self.discard()  # saved by the user: nothing to recover

    def save_now(self) -> None:
        if not self._doc.modified:
            return
        try:
            save_project(self._doc.project, self._project_file)
            meta = {"original": str(self._doc.path) if self._doc.path else None,
                    "pid": os.getpid()}
            self._meta_file.write_text(json.dumps(meta), encoding="utf-8")
        except OSError as exc:
            logger.warning("autosave failed: %s", exc)

    def discard(self) -> None:
        for path in (self._project_file, self._meta_file):
            path.unlink(missing_ok=True)

    @staticmethod
    def pending() -> tuple[Project, Path | None] | None:
        """An autosaved project left by a crash: (project, its original file), or None."""
        project_file = autosave_dir() / "unsaved.simvid"
        if not project_file.exists():
            return None
        try:
            # Whatever can be read: an unfinished project may not be valid yet (no slides).
            project, problems = read_project(project_file)
        except ProjectInvalid as exc:
            logger.warning("autosaved project unreadable: %s", exc)
            return None
        if problems:
            logger.info("autosaved project: %s", "; ".join(map(str, problems)))
        original = None
        try:
            meta = json.loads((autosave_dir() / "unsaved.json").read_text(encoding="utf-8"))
            original = Path(meta["original"]) if meta.get("original") else None
        except (OSError, ValueError, KeyError):
            logger.debug("no autosave metadata")
        return project, original
