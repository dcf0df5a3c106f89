"""Cut on the beat from the window: analyse the playlist's beats off the UI thread, then
move every slide boundary onto one, as one undo step.

The analysis (:func:`render.beats.analyse_beats`, cached per file on disk) takes seconds
for a long song, so each track is analysed in a child process
(:mod:`render.beat_process`: numpy on a thread holds the GIL long enough to make the window
stutter), waited for on the analysis pool, one track after the other, the status bar
counting them; asking again (another cut, other options) cancels the running one, whose
process is killed. What is analysed is kept per file for as long as the
window lives, so a second cut, or a cut after reordering the playlist, only places the
beats again (:func:`model.playlist.beats_on_clock`, which the waveform's beat markers and
the CLI's ``--sync beats`` use too).

The cut itself is :func:`model.beat_sync.sync_to_beats`, worked out on the analysis pool
too (its dynamic programming takes seconds for a long show), on the project as it is when
the analysis ends; an edit made meanwhile starts it again on the edited project, so no edit
is lost. It is applied with ``ProjectDocument.apply``: one undo step.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QStatusBar,
    QVBoxLayout,
    QWidget,
)

from simvid_desktop.errors import AudioUnreadable, RenderCancelled
from simvid_desktop.model.beat_sync import sync_to_beats
from simvid_desktop.model.playlist import beats_on_clock, place_tracks
from simvid_desktop.model.project import AudioBed, Project
from simvid_desktop.render.beat_process import AnalysisFailed, analyse_beats_in_process
from simvid_desktop.render.beats import BeatTrack
from simvid_desktop.ui.document import ProjectDocument
from simvid_desktop.ui.tasks import Pool, TaskChannel
from simvid_desktop.ui.waveform import WaveformWidget

logger = logging.getLogger(__name__)

#: The grids offered: a cut on every beat, every 2nd or every 4th (counted from the first).
EVERY_CHOICES = (1, 2, 4)


@dataclass(frozen=True)
class BeatCutOptions:
    """What the user chose in the dialog."""

    every: int = 1  #: cut on every ``every``-th beat (1, 2 or 4)
    min_duration: float = 1.5  #: no photo or title card shorter than this (s)


# -- placing beats on the show's clock ------------------------------------------------


def show_clock_beats(bed: AudioBed, tracks: Mapping[Path, BeatTrack],
                     until: float) -> list[float]:
    """The playlist's beats up to ``until`` on the show's clock, from each file's analysis
    (its decoded length places the tracks): :func:`model.playlist.beats_on_clock`, as the
    CLI's ``--sync beats`` places them. A file not analysed counts as silent."""
    found = [tracks.get(t.path) for t in bed.tracks]
    placed = place_tracks(bed, [f.duration if f else 0.0 for f in found], until)
    return beats_on_clock(placed, [f.beats if f else () for f in found], until)


def _stamp(path: Path) -> tuple[int, int] | None:
    """The file's size and modification time (None: cannot be read)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _analyse(path: Path, cancel: threading.Event) -> BeatTrack | None:
    """Runs on the analysis pool, waiting for a child process that does the work (numpy
    on a thread would hold the GIL from the UI thread); None when cancelled."""
    try:
        return analyse_beats_in_process(path, cancel.is_set)
    except RenderCancelled:
        return None


# -- the analysis and the cut -----------------------------------------------------------


class BeatCutter(QObject):
    """Analyses the beats of every track, then cuts the slides on them (one undo step)."""

    #: Analysis under way: ``done`` of ``total`` tracks analysed, ``name`` the one now.
    progress = Signal(int, int, str)
    #: The beats of the analysed files changed: a ``dict[Path, BeatTrack]``, and the grid
    #: (every n-th beat) of the last cut.
    beatsFound = Signal(object, int)
    #: The cut was applied (or nothing had to move); ``message`` says what happened.
    finished = Signal(str)
    #: Nothing was cut: no music, no slides, no beats, or a file that cannot be read;
    #: ``message`` is one user-facing line that names the file or says what to do.
    failed = Signal(str)

    def __init__(self, document: ProjectDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._tasks = TaskChannel(self, Pool.ANALYSIS, latest=True)
        # A box, not a bound method: once the window is gone the child process must be
        # killed at once, or the application's exit would wait for the analysis.
        self._cancel_box = [threading.Event()]
        box = self._cancel_box
        self.destroyed.connect(lambda *_: box[0].set())
        self._beats: dict[Path, BeatTrack] = {}
        #: (size, mtime) of each analysed file: a file changed on disk is analysed again
        self._stamps: dict[Path, tuple[int, int] | None] = {}
        self._options = BeatCutOptions()
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    @property
    def options(self) -> BeatCutOptions:
        """The options of the latest cut (the dialog starts from them)."""
        return self._options

    def beats(self) -> dict[Path, BeatTrack]:
        """The files analysed so far and their beats."""
        return dict(self._beats)

    def cut(self, options: BeatCutOptions) -> None:
        """Analyse what is not analysed yet, then cut; a running analysis is cancelled."""
        self.cancel()
        self._options = options
        project = self._document.project
        if project.audio is None:
            self.failed.emit("No music to cut on: add a song in the Music panel first.")
            return
        if not project.slides:
            self.failed.emit("No slides to cut: add photos first.")
            return
        self._running = True
        self._next()

    def cancel(self) -> None:
        """Stop the running analysis (its process is killed) and forget what it reports."""
        self._tasks.discard()
        self._cancel_box[0].set()
        self._running = False

    def _next(self) -> None:
        audio = self._document.project.audio
        if audio is None:  # removed meanwhile
            self._running = False
            self.failed.emit("No music to cut on: add a song in the Music panel first.")
            return
        paths = audio.paths
        todo = [p for p in paths
                if p not in self._beats or self._stamps.get(p) != _stamp(p)]
        if not todo:
            self._cut()
            return
        path = todo[0]
        self.progress.emit(len(paths) - len(todo), len(paths), path.name)
        self._cancel_box[0] = cancel = threading.Event()
        self._tasks.run(partial(_analyse, path, cancel),
                        partial(self._on_analysed, path, _stamp(path)))

    def _on_analysed(self, path: Path, stamp: tuple[int, int] | None,
                     track: BeatTrack | None, error: BaseException | None) -> None:
        if isinstance(error, AudioUnreadable):
            self._running = False
            self.failed.emit(str(error))
            return
        if isinstance(error, OSError):
            self._running = False
            self.failed.emit(f"{path.name}: cannot run ffmpeg to find the beats ({error})")
            return
        if isinstance(error, AnalysisFailed):  # its message names the file
            logger.error("beat analysis of %s failed: %s", path, error)
            self._running = False
            self.failed.emit(f"The beats could not be found: {error}")
            return
        if error is not None:
            logger.error("beat analysis of %s failed", path, exc_info=error)
            self._running = False
            self.failed.emit(f"{path.name}: the beats could not be found ({error})")
            return
        if track is None:  # cancelled: whoever cancelled has started something else
            return
        logger.info("%s: %d beats, %.1f BPM", path.name, len(track.beats), track.tempo_bpm)
        self._beats[path] = track
        self._stamps[path] = stamp
        self._next()

    def _cut(self) -> None:
        """Every track analysed: work out the cut off the UI thread (the dynamic programming
        takes ~2 s for 500 slides on 3,800 beats), on the project as it is now."""
        project = self._document.project
        audio = project.audio
        if audio is None or not project.slides:
            self._running = False
            self.failed.emit("No music or no slides to cut on the beat.")
            return
        tracks = {p: self._beats[p] for p in audio.paths}
        self.beatsFound.emit(dict(self._beats), self._options.every)
        self._tasks.run(partial(_cut_project, project, tracks, self._options),
                        partial(self._on_cut, project, tracks))

    def _on_cut(self, before: Project, tracks: dict[Path, BeatTrack], cut: Project | None,
                error: BaseException | None) -> None:
        if error is not None:
            logger.error("cut on the beat failed", exc_info=error)
            self._running = False
            self.failed.emit(f"Cannot cut on the beat: {error}")
            return
        if self._document.project is not before:  # edited meanwhile: cut the new state
            self._next()
            return
        self._running = False
        if cut is None:
            names = ", ".join(p.name for p in tracks)
            self.failed.emit(f"No beats found in {names}: the slides are unchanged.")
            return
        self._document.apply(cut, "Cut on the beat")
        self.finished.emit(_summary(before, cut, tracks, self._options))


def _cut_project(project: Project, tracks: Mapping[Path, BeatTrack],
                 options: BeatCutOptions) -> Project | None:
    """Runs on the analysis pool: the project cut on the playlist's beats, or None when
    the music has no beats."""
    audio = project.audio
    if audio is None:
        return None
    # Far enough for the cut to lengthen the show (minimum durations) and still snap.
    until = 2.0 * project.total_duration + 60.0
    beats = show_clock_beats(audio, tracks, until)
    if not beats:
        return None
    return sync_to_beats(project, beats, every=options.every,
                         min_duration=options.min_duration)


def _summary(before: Project, after: Project, tracks: Mapping[Path, BeatTrack],
             options: BeatCutOptions) -> str:
    tempos = " / ".join(f"{t.tempo_bpm:.0f}" for t in tracks.values() if t.beats)
    moved = sum(1 for i in range(len(before.slides))
                if abs(before.duration_of(i) - after.duration_of(i)) > 1e-6)
    grid = "every beat" if options.every == 1 else f"every {options.every} beats"
    if not moved:
        return f"The slides already change on the beat ({tempos} BPM)."
    return (f"Cut on the beat: {moved} slide{'s' if moved != 1 else ''} retimed, {grid} "
            f"at {tempos} BPM.")


# -- the dialog ------------------------------------------------------------------------


class CutOnBeatDialog(QDialog):
    """The grid and the shortest slide; OK starts the cut."""

    def __init__(self, options: BeatCutOptions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cutOnBeatDialog")
        self.setWindowTitle("Cut on the Beat")
        self.every = QComboBox()
        self.every.setObjectName("beatEvery")
        for n, text in zip(EVERY_CHOICES, ("Every beat", "Every 2nd beat", "Every 4th beat"),
                           strict=True):
            self.every.addItem(text, n)
        self.every.setCurrentIndex(max(0, self.every.findData(options.every)))
        self.min_duration = QDoubleSpinBox()
        self.min_duration.setObjectName("beatMinDuration")
        self.min_duration.setRange(0.2, 60.0)
        self.min_duration.setDecimals(1)
        self.min_duration.setSingleStep(0.5)
        self.min_duration.setSuffix(" s")
        self.min_duration.setValue(options.min_duration)
        self.min_duration.setToolTip("A photo or title card never lasts less than this; "
                                     "it spans several beats when they are close")
        about = QLabel("Every slide change moves to the nearest beat of the music, keeping "
                       "your durations as a guide. Video clips keep their length.")
        about.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Cut on", self.every)
        form.addRow("Shortest slide", self.min_duration)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Cut")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def options(self) -> BeatCutOptions:
        return BeatCutOptions(every=int(self.every.currentData()),
                              min_duration=float(self.min_duration.value()))


# -- the window's part -------------------------------------------------------------------


class CutOnBeat(QObject):
    """The window's "Cut on the Beat…": the dialog, the cut, the status bar and the
    waveform's beat markers."""

    #: Something the user must read (no music, no beats, unreadable file): one line.
    problem = Signal(str)

    def __init__(self, document: ProjectDocument, waveform: WaveformWidget, status: QStatusBar,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self._waveform = waveform
        self._status = status
        self.cutter = BeatCutter(document, self)
        self.bar = QProgressBar()
        self.bar.setObjectName("beatProgress")
        self.bar.setMaximumWidth(160)
        self.bar.setTextVisible(False)
        self.bar.hide()
        status.addPermanentWidget(self.bar)
        self.cutter.progress.connect(self._on_progress)
        self.cutter.beatsFound.connect(self._on_beats)
        self.cutter.finished.connect(self._on_finished)
        self.cutter.failed.connect(self._on_failed)

    def ask(self) -> None:
        """Open the options dialog (not blocking); OK starts the cut."""
        dialog = CutOnBeatDialog(self.cutter.options, self._parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.cutter.cut(dialog.options()))
        dialog.open()

    def _on_progress(self, done: int, total: int, name: str) -> None:
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(done)
        self.bar.show()
        self._status.showMessage(f"Finding the beats of {name} ({done + 1} of {total})…")

    def _on_beats(self, beats: dict[Path, BeatTrack], every: int) -> None:
        self._waveform.set_beats(beats, every)

    def _on_finished(self, message: str) -> None:
        self.bar.hide()
        self._status.showMessage(message, 8000)

    def _on_failed(self, message: str) -> None:
        self.bar.hide()
        self._status.showMessage(message, 8000)
        self.problem.emit(message)
