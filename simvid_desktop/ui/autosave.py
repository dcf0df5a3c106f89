"""Autosave and crash recovery: an unsaved project is never lost with the process."""

from __future__ import annotations

import json
import logging
import os
import threading
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from simvid_desktop.durable import write_atomic
from simvid_desktop.errors import ProjectInvalid
from simvid_desktop.model.project import Project
from simvid_desktop.model.project_io import project_to_json, read_project
from simvid_desktop.paths import data_dir
from simvid_desktop.ui.document import ProjectDocument
from simvid_desktop.ui.tasks import Pool, TaskChannel

logger = logging.getLogger(__name__)

AUTOSAVE_MS = 20_000


def autosave_dir() -> Path:
    path = data_dir() / "autosave"
    path.mkdir(parents=True, exist_ok=True)
    return path


class _Files:
    """The autosave files and what guards them between the UI and the writing threads."""

    def __init__(self, folder: Path) -> None:
        self.project = folder / "unsaved.simvid"
        self.meta = folder / "unsaved.json"
        self.lock = threading.Lock()
        #: Bumped by every save and by discard(): only the newest save writes, so neither
        #: an older save finishing last nor a save discarded meanwhile ever lands on disk.
        self.generation = 0


def _write(files: _Files, generation: int, project: Project, original: Path | None) -> bool:
    """Runs on the I/O pool: serialising 500 slides takes ~40 ms, too long for the UI
    thread. True if the files were written."""
    try:
        text = project_to_json(project, files.project.resolve().parent)
        meta = json.dumps({"original": str(original) if original else None,
                           "pid": os.getpid()})
        with files.lock:  # discard() takes it too: a discarded save never reappears
            if files.generation != generation:
                return False
            # Durable: after a power cut is when the recovery file is needed.
            write_atomic(files.project, text.encode("utf-8"))
            files.meta.write_text(meta, encoding="utf-8")
            return True
    except (OSError, ValueError) as exc:  # ValueError: a NaN json refuses to write
        logger.warning("autosave failed: %s", exc)
        return False


class Autosave(QObject):
    """Writes the open project to the data folder every few seconds while it has changes.

    A clean exit removes the file; finding it at the next start means the app did not
    exit cleanly, and the window offers to recover it. The project value is immutable,
    so it is serialised and written on the I/O pool while editing goes on.
    """

    #: A save started by :meth:`save_now` is over; True if the files were written.
    saved = Signal(bool)

    def __init__(self, document: ProjectDocument, interval_ms: int = AUTOSAVE_MS) -> None:
        super().__init__(document)
        self._doc = document
        self._files = _Files(autosave_dir())
        # Every save reports, a discarded one too (False): discard() guards the files.
        self._tasks = TaskChannel(self, Pool.IO)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.save_now)
        self._timer.start()
        document.modifiedChanged.connect(self._on_modified)

    def _on_modified(self, modified: bool) -> None:
        if not modified:
            self.discard()  # saved by the user: nothing to recover

    def save_now(self) -> bool:
        """Start writing the project if it has changes; :attr:`saved` tells when done."""
        if not self._doc.modified:
            return False
        self._files.generation += 1  # only this thread changes it; writers read it locked
        generation = self._files.generation
        self._tasks.run(partial(_write, self._files, generation, self._doc.project,
                                self._doc.path), self._on_written)
        return True

    def _on_written(self, written: bool | None, error: BaseException | None) -> None:
        if error is not None:
            logger.error("autosave failed", exc_info=error)
        self.saved.emit(bool(written))

    def discard(self) -> None:
        with self._files.lock:
            self._files.generation += 1
            for path in (self._files.project, self._files.meta):
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
