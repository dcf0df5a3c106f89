"""The open project: one frozen :class:`Project` value, its file, and undo/redo.

Every edit replaces the whole value (``document.apply(new, "Reorder slides")``). Because
projects are immutable, an undo step is just the pair (before, after), and a render job
can take the current value as its snapshot while editing continues.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from simvid_desktop.model.project import Project
from simvid_desktop.model.project_io import load_project, save_project


class _Edit(QUndoCommand):
    def __init__(self, doc: ProjectDocument, before: Project, after: Project, text: str,
                 merge_key: str | None) -> None:
        super().__init__(text)
        self._doc, self._before, self._after = doc, before, after
        self._merge_key = merge_key

    def redo(self) -> None:
        self._doc._set(self._after)

    def undo(self) -> None:
        self._doc._set(self._before)

    def id(self) -> int:
        return hash(self._merge_key) & 0x7FFFFFFF if self._merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _Edit) or other._merge_key != self._merge_key:
            return False
        self._after = other._after  # e.g. typing a caption: one undo step, not one per key
        return True


class ProjectDocument(QObject):
    #: The project value changed (edit, undo, redo, open, new). Carries the new
    #: :class:`Project`.
    projectChanged = Signal(object)
    #: The file the project is saved to changed: a ``Path``, or None (not saved yet).
    pathChanged = Signal(object)
    #: Whether there are unsaved changes.
    modifiedChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._project = Project()
        self._path: Path | None = None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

    def _on_clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)

    @property
    def project(self) -> Project:
        return self._project

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def _set(self, project: Project) -> None:
        self._project = project
        self.projectChanged.emit(project)

    def apply(self, project: Project, description: str, merge_key: str | None = None) -> None:
        """Make an undoable edit. ``merge_key`` merges consecutive edits of one field."""
        if project == self._project:
            return
        self.undo_stack.push(_Edit(self, self._project, project, description, merge_key))

    def reset(self, project: Project, path: Path | None) -> None:
        """A new or opened project: no undo history, nothing unsaved."""
        self.undo_stack.clear()
        self._path = path
        self._set(project)
        self.undo_stack.setClean()
        self.pathChanged.emit(path)
        self.modifiedChanged.emit(False)

    def recover(self, project: Project, path: Path | None) -> None:
        """An autosaved project after a crash: shown as unsaved until the user saves it."""
        self.reset(project, path)
        self.undo_stack.resetClean()

    def open(self, path: Path) -> None:
        """Raises ProjectInvalid with every problem of the file."""
        self.reset(load_project(path), path)

    def save(self, path: Path | None = None) -> Path:
        target = path or self._path
        if target is None:
            raise ValueError("no file name to save to")
        save_project(self._project, target)
        if target != self._path:
            self._path = target
            self.pathChanged.emit(target)
        self.undo_stack.setClean()
        return target
