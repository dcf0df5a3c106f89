"""A voice-over's fields: its file (choose, clear), when it starts and how loud it is.

The same fields serve the show's voice-over in the music panel (it starts at a time in the
show) and a slide's narration in the inspector (it starts some seconds after the slide
does, and moves with it). A view only: each change goes to its owner as a function of the
narration (``edit("voice-over volume", change, merge)``), applied as one undo step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from simvid_desktop.model.media_types import MUSIC_SUFFIXES
from simvid_desktop.model.project import MAX_DURATION, Narration
from simvid_desktop.model.units import format_duration
from simvid_desktop.ui.track_fields import field_label, seconds_spin, volume_spin

#: ``edit(what, change, merge)``: ``change`` maps the current narration (or None) to the new
#: one (None removes it).
NarrationEdit = Callable[[str, Callable[[Narration | None], Narration | None], bool], None]

VOICE_FILTER = (f"Voice recordings and videos ({' '.join(f'*{s}' for s in sorted(MUSIC_SUFFIXES))})"
                ";;All files (*)")


class NarrationFields(QWidget):
    """File, start and volume of one narration. ``start_label`` names what the start is
    counted from ("Starts at" in the show, "Starts after" the slide's start)."""

    def __init__(self, edit: NarrationEdit, *, what: str, start_label: str, start_tip: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._edit = edit
        self._what = what
        self._loading = False
        self._narration: Narration | None = None

        self.file_label = QLabel()
        self.file_label.setObjectName("narrationFile")
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.file_label.setMinimumWidth(60)
        self.choose_button = QPushButton("Choose…")
        self.choose_button.setToolTip(f"Pick the {what}'s recording (a sound file, or a "
                                      "video whose sound to use)")
        self.choose_button.clicked.connect(self._choose)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip(f"Remove the {what}")
        self.clear_button.clicked.connect(self.clear)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("narrationProblem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #c62828;")
        self.problem_label.hide()
        self.start = seconds_spin(MAX_DURATION, 0.5)
        self.start.setObjectName("narrationStart")
        self.start.setToolTip(start_tip)
        self.volume = volume_spin("100 % plays the recording as it is; the music dips under it")
        self.volume.setObjectName("narrationVolume")

        file_row = QHBoxLayout()
        file_row.setContentsMargins(0, 0, 0, 0)
        file_row.setSpacing(6)
        file_row.addWidget(self.file_label, 1)
        file_row.addWidget(self.choose_button)
        file_row.addWidget(self.clear_button)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        grid.addLayout(file_row, 0, 0, 1, 3)
        grid.addWidget(self.problem_label, 1, 0, 1, 3)
        grid.addWidget(field_label(start_label, self.start), 2, 0)
        grid.addWidget(field_label("Volume", self.volume), 2, 1)
        grid.addWidget(self.start, 3, 0)
        grid.addWidget(self.volume, 3, 1)
        grid.setColumnStretch(2, 1)

        self.start.valueChanged.connect(
            lambda v: self._change(f"{what} start", True, start=v))
        self.volume.valueChanged.connect(
            lambda v: self._change(f"{what} volume", True, volume=v / 100))
        self.show_narration(None)

    def show_status(self, seconds: float | None, problem: str | None) -> None:
        """What decoding the recording found: its length beside the name, or why it cannot
        be used (one line naming the file) under it."""
        narration = self._narration
        name = narration.path.name if narration is not None else f"No {self._what}"
        length = f" · {format_duration(seconds)}" if narration and seconds is not None else ""
        self.file_label.setText(name + length)
        self.problem_label.setText(f"⚠ {problem}" if problem and narration else "")
        self.problem_label.setVisible(bool(problem and narration))

    def show_narration(self, narration: Narration | None) -> None:
        if narration is None or self._narration is None \
                or narration.path != self._narration.path:
            self.problem_label.hide()  # the new file's status follows from its owner
        self._narration = narration
        self._loading = True
        try:
            has = narration is not None
            for widget in (self.start, self.volume, self.clear_button):
                widget.setEnabled(has)
            if narration is None:
                self.file_label.setText(f"No {self._what}")
                self.file_label.setToolTip("")
                self.file_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
                self.start.setValue(0.0)  # disabled, showing where a new one would start
                self.volume.setValue(100)
                return
            self.file_label.setText(narration.path.name)
            self.file_label.setToolTip(str(narration.path))
            self.file_label.setForegroundRole(QPalette.ColorRole.WindowText)
            if abs(self.start.value() - narration.start) > 1e-9:
                self.start.setValue(narration.start)
            if self.volume.value() != round(narration.volume * 100):
                self.volume.setValue(round(narration.volume * 100))
        finally:
            self._loading = False

    # -- edits --------------------------------------------------------------------------
    def set_file(self, path: Path) -> None:
        """Use ``path`` as the recording, keeping the start and volume already chosen."""
        self._edit(f"{self._what} file",
                   lambda n: replace(n, path=path) if n is not None else Narration(path), False)

    def clear(self) -> None:
        if self._narration is not None:
            self._edit(f"{self._what} removal", lambda _n: None, False)

    def _change(self, what: str, merge: bool, **fields: object) -> None:
        if self._loading or self._narration is None:
            return
        self._edit(what, lambda n: replace(n, **fields) if n is not None else None,  # type: ignore[arg-type]
                   merge)

    def _choose(self) -> None:
        start = str(self._narration.path.parent) if self._narration else ""
        name, _ = QFileDialog.getOpenFileName(self, f"Choose the {self._what}", start,
                                              VOICE_FILTER)
        if name:
            self.set_file(Path(name))
