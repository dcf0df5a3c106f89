"""The music of the show: a playlist of tracks, how they join, fades, loop or silence,
how the music dips under voices, a voice-over, and fitting the slides to the music.

Every change goes through ``ProjectDocument.apply`` so it is one undo step (typing in a
spin box merges into one step per field). Each file is decoded once, off the UI thread, by
:class:`TrackLengths`: the playlist's timing needs the real lengths. A file without sound
is flagged in its row, not in a dialog, because the user may well be about to remove it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QSignalBlocker, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFont, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from simvid_desktop.model.media_types import MUSIC_SUFFIXES
from simvid_desktop.model.playlist import fit_slides_to_music, playlist_length
from simvid_desktop.model.project import (
    DUCK_DEPTHS,
    AudioBed,
    MusicTrack,
    Narration,
    Project,
)
from simvid_desktop.model.units import format_duration
from simvid_desktop.ui.document import ProjectDocument
from simvid_desktop.ui.narration_fields import NarrationFields
from simvid_desktop.ui.playlist_model import PlaylistModel, dropped_music
from simvid_desktop.ui.playlist_view import PlaylistView
from simvid_desktop.ui.track_fields import TrackFields, field_label, seconds_spin
from simvid_desktop.ui.track_lengths import TrackLengths
from simvid_desktop.ui.waveform import WaveformWidget

logger = logging.getLogger(__name__)

__all__ = ["MusicPanel", "fit_slides_to_music"]

MUSIC_FILTER = (f"Music and videos ({' '.join(f'*{s}' for s in sorted(MUSIC_SUFFIXES))})"
                ";;All files (*)")


#: What the disabled fields show while the show has no music: a new playlist's settings.
_NO_BED = AudioBed(())


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setBold(True)
    label.setFont(font)
    return label


def _fields_grid(fields: Sequence[tuple[str, QWidget]]) -> QGridLayout:
    """Captions above their fields, side by side, the spare width on the right."""
    grid = QGridLayout()
    grid.setHorizontalSpacing(12)
    grid.setVerticalSpacing(2)
    for col, (text, widget) in enumerate(fields):
        grid.addWidget(field_label(text, widget), 0, col)
        grid.addWidget(widget, 1, col)
    grid.setColumnStretch(len(fields), 1)
    return grid


class MusicPanel(QWidget):
    """Edits ``project.audio`` and ``project.voice_over`` of one document."""

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._last_row = 0  #: the row to select again after the list was rebuilt
        self.setAcceptDrops(True)

        self.lengths = TrackLengths(self)
        self.lengths.decoded.connect(self._on_length)
        self.lengths.failed.connect(self._on_length)
        self.model = PlaylistModel(self.lengths, self)
        self.model.moveRequested.connect(self.move_track)
        self.model.filesDropped.connect(self.add_tracks)

        # -- the playlist ---------------------------------------------------------------
        self.summary_label = QLabel()
        self.summary_label.setObjectName("playlistSummary")
        self.summary_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.add_button = QPushButton("Add…")
        self.add_button.setToolTip("Add music files, or videos whose sound to use, at the "
                                   "end of the playlist")
        self.add_button.clicked.connect(self._choose)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Take the selected track out of the playlist")
        self.remove_button.clicked.connect(self._remove_selected)
        self.playlist = PlaylistView()
        self.playlist.setModel(self.model)
        self.playlist.selectionModel().currentRowChanged.connect(self._on_current)
        self.playlist.removeRequested.connect(self.remove_track)
        self.playlist.moveRequested.connect(self.move_track)

        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setObjectName("problem")
        self.problem_label.setStyleSheet(
            "QLabel#problem { color: #c62828; background: rgba(229, 57, 53, 0.10);"
            " border: 1px solid rgba(229, 57, 53, 0.35); border-radius: 6px; padding: 4px 8px; }"
        )
        self.problem_label.hide()

        self.track_fields = TrackFields(self._edit_track)

        # -- the whole playlist, ducking -------------------------------------------------
        self.fade_in = seconds_spin(600.0, 0.5)
        self.fade_in.setToolTip("The music fades in over this long at the show's start")
        self.fade_out = seconds_spin(600.0, 0.5)
        self.fade_out.setToolTip("The music fades out over this long at the show's end")
        self.loop = QComboBox()
        self.loop.addItem("Loop the playlist", True)
        self.loop.addItem("Silence", False)
        self.loop.setToolTip("What plays when the playlist is shorter than the show")
        self.duck_depth = QDoubleSpinBox()
        self.duck_depth.setRange(*DUCK_DEPTHS)
        self.duck_depth.setDecimals(0)
        self.duck_depth.setSingleStep(1.0)
        self.duck_depth.setSuffix(" dB")
        self.duck_depth.setToolTip("How far the music dips under clip sound and the "
                                   "voice-over (0 dB: not at all)")
        self.duck_attack = seconds_spin(10.0, 0.1)
        self.duck_attack.setToolTip("How long the music takes to dip, before the voice starts")
        self.duck_release = seconds_spin(10.0, 0.1)
        self.duck_release.setToolTip("How long the music takes to come back after the voice")

        self.fade_in.valueChanged.connect(
            lambda v: self._edit_bed("Change music fade-in", "audio.fade_in",
                                     lambda a: replace(a, fade_in=v)))
        self.fade_out.valueChanged.connect(
            lambda v: self._edit_bed("Change music fade-out", "audio.fade_out",
                                     lambda a: replace(a, fade_out=v)))
        self.loop.currentIndexChanged.connect(
            lambda _: self._edit_bed("Change music ending", None,
                                     lambda a: replace(a, loop=bool(self.loop.currentData()))))
        for spin, name, words in ((self.duck_depth, "depth_db", "dip depth"),
                                  (self.duck_attack, "attack", "dip attack"),
                                  (self.duck_release, "release", "dip release")):
            spin.valueChanged.connect(
                lambda v, name=name, words=words: self._edit_bed(
                    f"Change music {words}", f"audio.ducking.{name}",
                    lambda a: replace(a, ducking=replace(a.ducking, **{name: v}))))

        # -- voice-over ------------------------------------------------------------------
        self.voice_over = NarrationFields(
            self._edit_voice_over, what="voice-over", start_label="Starts at",
            start_tip="When the voice-over starts, in the show's time")

        # -- waveform and fit ------------------------------------------------------------
        self.waveform = WaveformWidget()
        self.fit_button = QPushButton("Fit slides to music")
        self.fit_button.setToolTip("Change the slide durations so the show ends with the "
                                   "playlist")
        self.fit_button.clicked.connect(self.fit_to_music)
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        self.hint_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self._build_layout()
        document.projectChanged.connect(self._sync)
        self._sync(document.project)

    def _build_layout(self) -> None:
        header = QHBoxLayout()
        names = QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(_heading("Playlist"))
        names.addWidget(self.summary_label)
        header.addLayout(names, 1)
        header.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignBottom)
        header.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignBottom)

        content = QWidget()
        content.setObjectName("musicContent")
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 4, 0)
        column.setSpacing(6)
        column.addLayout(header)
        column.addWidget(self.problem_label)
        column.addWidget(self.playlist, 1)
        column.addWidget(self.track_fields)
        column.addSpacing(4)
        column.addWidget(_heading("Whole playlist"))
        column.addLayout(_fields_grid((("Fade in", self.fade_in), ("Fade out", self.fade_out),
                                       ("When it ends", self.loop))))
        column.addSpacing(4)
        column.addWidget(_heading("Dip under voices and clip sound"))
        column.addLayout(_fields_grid((("Depth", self.duck_depth),
                                       ("Attack", self.duck_attack),
                                       ("Release", self.duck_release))))
        column.addSpacing(4)
        column.addWidget(_heading("Voice-over"))
        column.addWidget(self.voice_over)
        scroll = QScrollArea()
        scroll.setObjectName("musicScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        self.scroll_area = scroll

        footer = QHBoxLayout()
        footer.addWidget(self.hint_label, 1)
        footer.addWidget(self.fit_button, 0, Qt.AlignmentFlag.AlignTop)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(scroll, 3)
        layout.addWidget(self.waveform, 1)
        layout.addLayout(footer)

    # -- public --------------------------------------------------------------------------
    def track_length(self, index: int) -> float | None:
        """Decoded length of track ``index``'s file (None until decoded, or unusable)."""
        tracks = self.model.tracks
        return self.lengths.seconds(tracks[index].path) if 0 <= index < len(tracks) else None

    def lengths_known(self) -> list[float] | None:
        """Every track's decoded length, in play order; None while one is unknown."""
        found = [self.lengths.seconds(t.path) for t in self.model.tracks]
        if not found or any(s is None for s in found):
            return None
        return [s for s in found if s is not None]

    def selected_row(self) -> int | None:
        rows = self.playlist.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.playlist.selectionModel().setCurrentIndex(
                self.model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def add_tracks(self, paths: list[Path], at: int | None = None) -> None:
        """Add ``paths`` to the playlist before track ``at`` (None: at the end), keeping the
        playlist's settings: one undo step."""
        if not paths:
            return
        project = self._document.project
        new = tuple(MusicTrack(Path(p)) for p in paths)
        if project.audio is None:
            audio, row = AudioBed(new), 0
        else:
            tracks = project.audio.tracks
            row = len(tracks) if at is None else max(0, min(at, len(tracks)))
            audio = replace(project.audio, tracks=tracks[:row] + new + tracks[row:])
        text = "Add music" if len(new) == 1 else f"Add {len(new)} music tracks"
        self._document.apply(replace(project, audio=audio), text)
        self.select_row(row)

    def move_track(self, src: int, dst: int) -> None:
        """Move track ``src`` so that it plays at position ``dst``: one undo step."""
        project = self._document.project
        if project.audio is None:
            return
        tracks = list(project.audio.tracks)
        if not (0 <= src < len(tracks) and 0 <= dst < len(tracks)) or src == dst:
            return
        tracks.insert(dst, tracks.pop(src))
        self._document.apply(replace(project, audio=replace(project.audio, tracks=tuple(tracks))),
                             "Move music track")
        self.select_row(dst)

    def remove_track(self, index: int) -> None:
        """Take track ``index`` out; the last one leaves the show silent. One undo step."""
        project = self._document.project
        if project.audio is None or not 0 <= index < len(project.audio.tracks):
            return
        tracks = project.audio.tracks[:index] + project.audio.tracks[index + 1:]
        audio = replace(project.audio, tracks=tracks) if tracks else None
        self._document.apply(replace(project, audio=audio),
                             "Remove music track" if tracks else "Remove music")
        self.select_row(min(index, len(tracks) - 1))

    def clear_music(self) -> None:
        project = self._document.project
        if project.audio is not None:
            self._document.apply(replace(project, audio=None), "Remove music")

    def set_voice_over(self, path: Path | None, start: float = 0.0) -> None:
        """Place ``path`` at ``start`` seconds into the show (None removes the voice-over);
        a replaced voice-over's volume is kept. One undo step."""
        project = self._document.project
        old = project.voice_over
        if path is None:
            narration = None
        elif old is not None:
            narration = replace(old, path=Path(path), start=start)
        else:
            narration = Narration(Path(path), start=start)
        text = "Remove voice-over" if narration is None else "Set voice-over"
        self._document.apply(replace(project, voice_over=narration), text)

    def fit_to_music(self) -> None:
        """Spread the slide durations over the whole playlist: one undo step."""
        project = self._document.project
        lengths = self.lengths_known()
        if project.audio is None or lengths is None:
            return
        try:
            fitted = fit_slides_to_music(project, playlist_length(project.audio, lengths))
        except ValueError as exc:
            self._show_problem(f"Cannot fit the slides: {exc}")
            return
        self._show_problem(None)
        self._document.apply(fitted, "Fit slides to music")

    # -- document -> widgets ------------------------------------------------------------
    def _sync(self, project: Project) -> None:
        audio = project.audio
        before = self.model.rowCount()
        self.model.set_bed(audio)
        if self.model.rowCount() != before and self.selected_row() is None:
            self.select_row(min(self._last_row, self.model.rowCount() - 1))
        voice = project.voice_over
        self.lengths.want([*(audio.paths if audio is not None else []),
                           *([voice.path] if voice is not None else [])])
        for widget in (self.fade_in, self.fade_out, self.loop, self.duck_depth,
                       self.duck_attack, self.duck_release):
            widget.setEnabled(audio is not None)
        shown = audio if audio is not None else _NO_BED  # disabled, with the defaults
        # Only touch a spin box whose value differs: re-setting the same value while the
        # user types would reformat the text under the cursor.
        for spin, value in ((self.fade_in, shown.fade_in), (self.fade_out, shown.fade_out),
                            (self.duck_depth, shown.ducking.depth_db),
                            (self.duck_attack, shown.ducking.attack),
                            (self.duck_release, shown.ducking.release)):
            if abs(spin.value() - value) > 1e-9:
                with QSignalBlocker(spin):
                    spin.setValue(value)
        with QSignalBlocker(self.loop):
            self.loop.setCurrentIndex(0 if shown.loop else 1)
        self.voice_over.show_narration(project.voice_over)
        self._show_voice_status()
        self._show_track()
        self.waveform.set_show(project)
        self._show_waveform()
        self._update_hint(project)

    def _show_track(self) -> None:
        row = self.selected_row()
        tracks = self.model.tracks
        audio = self._document.project.audio
        self.remove_button.setEnabled(row is not None)
        if row is None or audio is None or row >= len(tracks):
            self.track_fields.show_track(None, None, last=False, loop=False)
            return
        self._last_row = row
        self.track_fields.show_track(tracks[row], self.lengths.seconds(tracks[row].path),
                                     last=row == len(tracks) - 1, loop=audio.loop,
                                     alone=len(tracks) == 1)

    def _show_waveform(self) -> None:
        """The first track under the show (the whole playlist is the waveform's to draw)."""
        tracks = self.model.tracks
        if not tracks:
            self.waveform.set_peaks(None, 0.0)
            self.waveform.set_placeholder("No music: drop tracks here or add them")
            return
        first = tracks[0].path
        seconds = self.lengths.seconds(first)
        if seconds is None:
            self.waveform.set_peaks(None, 0.0)
            self.waveform.set_placeholder("No sound to show" if self.lengths.problem(first)
                                          else "Reading the track…")
        else:
            self.waveform.set_peaks(self.lengths.peaks(first), seconds)

    def _update_hint(self, project: Project) -> None:
        audio = project.audio
        show = project.total_duration
        lengths = self.lengths_known()
        total = playlist_length(audio, lengths) if audio is not None and lengths else None
        if audio is None:
            self.summary_label.setText(f"No music: the show is silent · {format_duration(show)}")
        else:
            count = len(audio.tracks)
            tracks = "1 track" if count == 1 else f"{count} tracks"
            bad = sum(1 for p in audio.paths if self.lengths.problem(p))
            if bad:
                state = f"{bad} cannot be used"
            elif total is None:
                state = "reading…"
            else:
                state = format_duration(total)
            self.summary_label.setText(f"{tracks} · {state} · show {format_duration(show)}")
        can_fit = bool(project.slides) and total is not None and total > 0
        self.fit_button.setEnabled(can_fit)
        if not can_fit or total is None or audio is None:
            self.hint_label.setText("")
        elif abs(total - show) < 0.05:
            self.hint_label.setText("The show ends with the playlist.")
        elif total > show:
            end = "faded out" if audio.fade_out > 0 else "cut"
            self.hint_label.setText(f"The playlist plays {format_duration(total - show)} longer "
                                    f"than the show; it is {end} where the video ends.")
        else:
            ending = "loops" if audio.loop else "is followed by silence"
            self.hint_label.setText(f"The playlist is {format_duration(show - total)} shorter "
                                    f"than the show and {ending}.")

    def _show_problem(self, text: str | None) -> None:
        self.problem_label.setText(f"⚠ {text}" if text else "")
        self.problem_label.setVisible(bool(text))

    def _show_voice_status(self) -> None:
        voice = self._document.project.voice_over
        if voice is not None:
            self.voice_over.show_status(self.lengths.seconds(voice.path),
                                        self.lengths.problem(voice.path))

    def _on_length(self, path: str, *_: object) -> None:
        project = self._document.project
        self._show_voice_status()
        self._show_track()
        tracks = self.model.tracks
        if tracks and tracks[0].path == Path(path):
            self._show_waveform()
        self._update_hint(project)

    def _on_current(self, *_: object) -> None:
        self._show_track()

    # -- editing ----------------------------------------------------------------------
    def _edit_bed(self, description: str, merge_key: str | None,
                  change: Callable[[AudioBed], AudioBed]) -> None:
        project = self._document.project
        if project.audio is not None:
            audio = change(project.audio)
            self._document.apply(replace(project, audio=audio), description, merge_key)

    def _edit_track(self, what: str, change: Callable[[MusicTrack], MusicTrack],
                    merge: bool) -> None:
        row = self.selected_row()
        if row is None:
            return

        def bed(a: AudioBed) -> AudioBed:
            if row >= len(a.tracks):
                return a
            tracks = list(a.tracks)
            tracks[row] = change(tracks[row])
            return replace(a, tracks=tuple(tracks))

        self._edit_bed(f"Change {what}", f"audio.tracks[{row}].{what}" if merge else None, bed)

    def _edit_voice_over(self, what: str, change: Callable[[Narration | None], Narration | None],
                         merge: bool) -> None:
        project = self._document.project
        narration = change(project.voice_over)
        text = f"Change {what}" if narration is not None else "Remove voice-over"
        self._document.apply(replace(project, voice_over=narration), text,
                             f"voice_over.{what}" if merge else None)

    def _remove_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.remove_track(row)

    def _choose(self) -> None:
        tracks = self.model.tracks
        start = str(tracks[-1].path.parent) if tracks else ""
        names, _ = QFileDialog.getOpenFileNames(self, "Add music", start, MUSIC_FILTER)
        if names:
            self.add_tracks([Path(n) for n in names])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_music(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_music(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.add_tracks(paths)
