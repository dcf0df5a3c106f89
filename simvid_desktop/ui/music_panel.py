"""The music of the show: which track, how loud, fades, offset, and fitting slides to it.

Every change goes through ``ProjectDocument.apply`` so it is one undo step (typing in a spin
box merges into one step per field). The track is checked and decoded off the UI thread by
:class:`WaveformLoader`; a file without sound is reported inline, not in a dialog, because
the user may well be about to pick another one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from simvid_desktop.model.media_types import MUSIC_SUFFIXES, is_music
from simvid_desktop.model.playlist import fit_slides_to_music, playlist_length
from simvid_desktop.model.project import MAX_DURATION, AudioBed, MusicTrack, Project
from simvid_desktop.model.units import format_duration
from simvid_desktop.ui.document import ProjectDocument
from simvid_desktop.ui.waveform import WaveformLoader, WaveformWidget

logger = logging.getLogger(__name__)

__all__ = ["MusicPanel", "fit_slides_to_music"]


def _with_first(bed: AudioBed, change: Callable[[MusicTrack], MusicTrack]) -> AudioBed:
    """The bed with its first track changed (this panel edits one track at a time)."""
    return replace(bed, tracks=(change(bed.first), *bed.tracks[1:]))


def _seconds_spin(maximum: float, step: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.0, maximum)
    spin.setDecimals(1)
    spin.setSingleStep(step)
    spin.setSuffix(" s")
    spin.setAccelerated(True)
    spin.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
    return spin


class MusicPanel(QWidget):
    """Edits ``project.audio`` of one document and shows the track under the show."""

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._track_path: Path | None = None  #: the file the waveform/problem belongs to
        self._track_length: float | None = None  #: decoded length; None: unknown or bad
        self.setAcceptDrops(True)

        self.loader = WaveformLoader(self)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)

        self._icon = QLabel("♪")
        self._icon.setObjectName("musicBadge")
        self._icon.setFixedSize(32, 32)
        self._icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._icon.setStyleSheet(
            "QLabel#musicBadge { background: palette(highlight); color: palette(highlighted-text);"
            " border-radius: 16px; font-size: 16px; font-weight: bold; }")
        self.file_label = QLabel()
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.file_label.font()
        font.setBold(True)
        self.file_label.setFont(font)
        self.detail_label = QLabel()
        self.detail_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.choose_button = QPushButton("Choose…")
        self.choose_button.setToolTip("Pick a music file, or a video whose sound to use")
        self.choose_button.clicked.connect(self._choose)
        self.clear_button = QPushButton("Remove")
        self.clear_button.setToolTip("Make the show silent")
        self.clear_button.clicked.connect(self.clear_music)

        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setObjectName("problem")
        self.problem_label.setStyleSheet(
            "QLabel#problem { color: #c62828; background: rgba(229, 57, 53, 0.10);"
            " border: 1px solid rgba(229, 57, 53, 0.35); border-radius: 6px; padding: 4px 8px; }"
        )
        self.problem_label.hide()

        self.volume = QSpinBox()
        self.volume.setRange(0, 400)
        self.volume.setSingleStep(5)
        self.volume.setSuffix(" %")
        self.volume.setToolTip("100 % plays the track as it is")
        self.fade_in = _seconds_spin(600.0, 0.5)
        self.fade_out = _seconds_spin(600.0, 0.5)
        self.start_offset = _seconds_spin(MAX_DURATION, 1.0)
        self.start_offset.setToolTip("Skip this much of the track's beginning")
        self.loop = QComboBox()
        self.loop.addItem("Loop the track", True)
        self.loop.addItem("Silence", False)
        self.loop.setToolTip("What plays when the track is shorter than the show")

        self.volume.valueChanged.connect(
            lambda v: self._edit("Change music volume", "audio.volume",
                                 lambda a: _with_first(a, lambda t: replace(t, volume=v / 100))))
        self.fade_in.valueChanged.connect(
            lambda v: self._edit("Change music fade-in", "audio.fade_in",
                                 lambda a: replace(a, fade_in=v)))
        self.fade_out.valueChanged.connect(
            lambda v: self._edit("Change music fade-out", "audio.fade_out",
                                 lambda a: replace(a, fade_out=v)))
        self.start_offset.valueChanged.connect(
            lambda v: self._edit("Change music start", "audio.start",
                                 lambda a: _with_first(a, lambda t: replace(t, start=v))))
        self.loop.currentIndexChanged.connect(
            lambda _: self._edit("Change music ending", None,
                                 lambda a: replace(a, loop=bool(self.loop.currentData()))))

        self.waveform = WaveformWidget()
        self.fit_button = QPushButton("Fit slides to music")
        self.fit_button.setToolTip("Change the slide durations so the show ends with the track")
        self.fit_button.clicked.connect(self.fit_to_music)

        header = QHBoxLayout()
        header.addWidget(self._icon)
        names = QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(self.file_label)
        names.addWidget(self.detail_label)
        header.addLayout(names, 1)
        header.addWidget(self.choose_button)
        header.addWidget(self.clear_button)

        controls = QGridLayout()
        controls.setHorizontalSpacing(12)
        controls.setVerticalSpacing(2)
        fields = (("Volume", self.volume), ("Fade in", self.fade_in),
                  ("Fade out", self.fade_out), ("Start at", self.start_offset),
                  ("When the track ends", self.loop))
        for col, (text, widget) in enumerate(fields):
            label = QLabel(text)
            label.setBuddy(widget)
            label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            controls.addWidget(label, 0, col)
            controls.addWidget(widget, 1, col)
        controls.setColumnStretch(len(fields), 1)

        footer = QHBoxLayout()
        self.hint_label = QLabel()
        self.hint_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        footer.addWidget(self.hint_label, 1)
        footer.addWidget(self.fit_button)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.problem_label)
        layout.addLayout(controls)
        layout.addWidget(self.waveform, 1)
        layout.addLayout(footer)

        document.projectChanged.connect(self._sync)
        self._sync(document.project)

    # -- public --------------------------------------------------------------------------
    @property
    def track_length(self) -> float | None:
        """Decoded length of the current track in seconds (None until it is decoded)."""
        return self._track_length

    def set_music(self, path: Path) -> None:
        """Use ``path`` as the music, keeping the volume and fades already chosen."""
        project = self._document.project
        audio = (_with_first(project.audio, lambda t: replace(t, path=path)) if project.audio
                 else AudioBed.single(path))
        self._document.apply(replace(project, audio=audio), "Choose music")

    def clear_music(self) -> None:
        project = self._document.project
        if project.audio is not None:
            self._document.apply(replace(project, audio=None), "Remove music")

    def fit_to_music(self) -> None:
        """Spread the slide durations over the track: one undo step."""
        if self._track_length is None:
            return
        try:
            project = self._document.project
            length = self._track_length
            if project.audio is not None:  # the first track's part, as the hint says
                length = playlist_length(replace(project.audio, tracks=project.audio.tracks[:1]),
                                         [length])
            fitted = fit_slides_to_music(project, length)
        except ValueError as exc:
            self._show_problem(f"Cannot fit the slides: {exc}")
            return
        self._document.apply(fitted, "Fit slides to music")

    # -- document -> widgets ------------------------------------------------------------
    def _sync(self, project: Project) -> None:
        audio = project.audio
        for widget in (self.volume, self.fade_in, self.fade_out, self.start_offset, self.loop,
                       self.clear_button):
            widget.setEnabled(audio is not None)
        if audio is not None:
            # Only touch a spin box whose value differs: re-setting the same value while the
            # user types would reformat the text under the cursor.
            if self.volume.value() != round(audio.first.volume * 100):
                with QSignalBlocker(self.volume):
                    self.volume.setValue(round(audio.first.volume * 100))
            for spin, value in ((self.fade_in, audio.fade_in), (self.fade_out, audio.fade_out),
                                (self.start_offset, audio.first.start)):
                if abs(spin.value() - value) > 1e-9:
                    with QSignalBlocker(spin):
                        spin.setValue(value)
            with QSignalBlocker(self.loop):
                self.loop.setCurrentIndex(0 if audio.loop else 1)
        path = audio.first.path if audio else None
        if path != self._track_path:
            self._track_path, self._track_length = path, None
            self._show_problem(None)
            self.waveform.set_peaks(None, 0.0)
            if path is None:
                self.loader.cancel()
                self.waveform.set_placeholder("No music: drop a track here or choose one")
            else:
                self.waveform.set_placeholder("Reading the track…")
                self.loader.load(path)
        self.file_label.setText(path.name if path else "No music")
        self.file_label.setToolTip(str(path) if path else "")
        self.waveform.set_show(project)
        self._update_hint(project)

    def _update_hint(self, project: Project) -> None:
        length = self._track_length
        show = project.total_duration
        if project.audio is None:
            self.detail_label.setText(f"The show is silent · {format_duration(show)}")
        elif length is None:
            self.detail_label.setText("Reading the track…" if self.problem_label.isHidden()
                                      else "Cannot be used")
        else:
            self.detail_label.setText(
                f"Track {format_duration(length)} · show {format_duration(show)}")
        usable = (None if length is None or project.audio is None
                  else length - project.audio.first.start)
        can_fit = bool(project.slides) and usable is not None and usable > 0
        self.fit_button.setEnabled(can_fit)
        if not can_fit or usable is None:
            self.hint_label.setText("")
        elif abs(usable - show) < 0.05:
            self.hint_label.setText("The show ends with the track.")
        elif usable > show:
            end = "faded out" if project.audio and project.audio.fade_out > 0 else "cut"
            self.hint_label.setText(f"The track plays {format_duration(usable - show)} longer "
                                    f"than the show; it is {end} where the video ends.")
        else:
            ending = "loops" if project.audio and project.audio.loop else "is followed by silence"
            self.hint_label.setText(f"The track is {format_duration(show - usable)} shorter "
                                    f"than the show and {ending}.")

    def _show_problem(self, text: str | None) -> None:
        self.problem_label.setText(f"⚠ {text}" if text else "")
        self.problem_label.setVisible(bool(text))

    # -- loader results ---------------------------------------------------------------
    def _on_loaded(self, path: str, peaks: np.ndarray, duration: float) -> None:
        if self._track_path is None or Path(path) != self._track_path:
            return
        self._track_length = duration
        self.waveform.set_peaks(peaks, duration)
        self._update_hint(self._document.project)

    def _on_failed(self, path: str, reason: str) -> None:
        if self._track_path is None or Path(path) != self._track_path:
            return
        logger.info("music not usable: %s", reason)
        self._track_length = None
        self.waveform.set_placeholder("No sound to show")
        self._show_problem(reason)
        self._update_hint(self._document.project)

    # -- editing ----------------------------------------------------------------------
    def _edit(self, description: str, merge_key: str | None,
              change: Callable[[AudioBed], AudioBed]) -> None:
        project = self._document.project
        if project.audio is not None:
            audio = change(project.audio)
            self._document.apply(replace(project, audio=audio), description, merge_key)

    def _choose(self) -> None:
        patterns = " ".join(f"*{s}" for s in sorted(MUSIC_SUFFIXES))
        start = str(self._track_path.parent) if self._track_path else ""
        name, _ = QFileDialog.getOpenFileName(
            self, "Choose music", start, f"Music and videos ({patterns});;All files (*)")
        if name:
            self.set_music(Path(name))

    @staticmethod
    def _dropped_music(event: QDragEnterEvent | QDropEvent) -> Path | None:
        for url in event.mimeData().urls():
            if url.isLocalFile() and is_music(Path(url.toLocalFile())):
                return Path(url.toLocalFile())
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_music(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_music(event)
        if path is not None:
            event.acceptProposedAction()
            self.set_music(path)
