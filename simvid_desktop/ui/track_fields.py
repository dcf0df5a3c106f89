"""The fields of the playlist's selected track: trim in and out, volume, and how it joins
the next track (a crossfade or a gap, and for how long).

A view only, like :mod:`ui.clip_fields`: each change goes to the panel as a function of
the track (``edit("trim in", change, merge)``), which applies it through the document as
one undo step; typing into a spin box merges into one step per field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from simvid_desktop.model.project import MAX_DURATION, MAX_VOLUME, MusicTrack, TrackJoin
from simvid_desktop.model.units import format_duration

#: ``edit(what, change, merge)``: apply ``change`` to the selected track as an undo step
#: named after ``what``; ``merge`` joins it with the previous step of the same field.
TrackEdit = Callable[[str, Callable[[MusicTrack], MusicTrack], bool], None]

#: What the disabled fields show when no track is selected.
_NEW_TRACK = MusicTrack(Path())
MIN_PLAY = 0.1  #: the shortest part of a file a track may play (s)
MAX_JOIN = 30.0  #: the longest crossfade or gap (s)


def seconds_spin(maximum: float, step: float, decimals: int = 1,
                 minimum: float = 0.0) -> QDoubleSpinBox:
    """The music panel's spin box for seconds (typing merges into one undo step)."""
    spin = QDoubleSpinBox()
    spin.setRange(minimum, maximum)
    spin.setDecimals(decimals)
    spin.setSingleStep(step)
    spin.setSuffix(" s")
    spin.setAccelerated(True)
    spin.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
    return spin


def volume_spin(tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(0, round(MAX_VOLUME * 100))
    spin.setSingleStep(5)
    spin.setSuffix(" %")
    spin.setToolTip(tip)
    return spin


def field_label(text: str, buddy: QWidget) -> QLabel:
    """A quiet caption above a field, as the music panel's fields have."""
    label = QLabel(text)
    label.setBuddy(buddy)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


class TrackFields(QWidget):
    """Trim, volume and join of one track; hidden fields never exist, disabled ones wait
    for the file's decoded length (the trim out needs it)."""

    def __init__(self, edit: TrackEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trackFields")
        self._edit = edit
        self._loading = False
        self._track: MusicTrack | None = None
        self._length: float | None = None

        self.trim_in = seconds_spin(MAX_DURATION, 0.5, decimals=2)
        self.trim_in.setObjectName("trackTrimIn")
        self.trim_in.setToolTip("Skip this much of the file's beginning")
        self.trim_out = seconds_spin(MAX_DURATION, 0.5, decimals=2)
        self.trim_out.setObjectName("trackTrimOut")
        self.trim_out.setToolTip("Where the track stops, in the file's own time")
        self.volume = volume_spin("100 % plays the track as it is")
        self.volume.setObjectName("trackVolume")
        self.join = QComboBox()
        self.join.setObjectName("trackJoin")
        self.join.addItem("Crossfade", TrackJoin.CROSSFADE.value)
        self.join.addItem("Gap", TrackJoin.GAP.value)
        self.join.setToolTip("How this track leads into the next: the two overlap, fading "
                             "into each other, or a silence lies between them")
        self.join_seconds = seconds_spin(MAX_JOIN, 0.5)
        self.join_seconds.setObjectName("trackJoinSeconds")
        self.join_seconds.setToolTip("How long the crossfade or the gap lasts")
        self.plays = QLabel()
        self.plays.setObjectName("trackPlays")
        self.plays.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        join_row = QHBoxLayout()
        join_row.setContentsMargins(0, 0, 0, 0)
        join_row.setSpacing(4)
        join_row.addWidget(self.join, 1)
        join_row.addWidget(self.join_seconds)
        self.join_label = field_label("Into the next track", self.join)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        for col, (text, widget) in enumerate((("Trim in", self.trim_in),
                                              ("Trim out", self.trim_out),
                                              ("Volume", self.volume))):
            grid.addWidget(field_label(text, widget), 0, col)
            grid.addWidget(widget, 1, col)
        grid.addWidget(self.join_label, 0, 3)
        grid.addLayout(join_row, 1, 3)
        grid.addWidget(self.plays, 2, 0, 1, 4)
        grid.setColumnStretch(3, 1)

        self.trim_in.valueChanged.connect(self._on_trim_in)
        self.trim_out.valueChanged.connect(self._on_trim_out)
        self.volume.valueChanged.connect(
            lambda v: self._change("track volume", True, volume=v / 100))
        self.join.currentIndexChanged.connect(self._on_join)
        self.join_seconds.valueChanged.connect(
            lambda v: self._change("join length", True, join_seconds=v))

    def show_track(self, track: MusicTrack | None, length: float | None, *, last: bool,
                   loop: bool, alone: bool = False) -> None:
        """Show ``track`` (None: nothing selected, the fields are disabled). ``length`` is
        its file's decoded length; ``last``, ``loop`` and ``alone`` (the only track) say
        what it leads into."""
        self._track, self._length = track, length
        self.setEnabled(track is not None)
        self._loading = True
        try:
            if track is None:  # disabled, showing a new track's settings
                self.plays.setText("Select a track to trim it or change how it joins the next")
                track, last, loop = _NEW_TRACK, False, True
            top = length if length is not None else MAX_DURATION
            end = min(track.end, top) if track.end is not None else top
            self.trim_in.setRange(0.0, max(0.0, end - MIN_PLAY))
            if length is None and track.end is None:
                # "The file's end" needs its length: until it is decoded, say so, disabled.
                self.trim_out.setSpecialValueText("file's end")
                self.trim_out.setRange(0.0, 0.0)
            else:
                self.trim_out.setSpecialValueText("")
                self.trim_out.setRange(min(top, track.start + MIN_PLAY), top)
                self._set(self.trim_out, end)
            self.trim_out.setEnabled(length is not None)
            self._set(self.trim_in, track.start)
            if self.volume.value() != round(track.volume * 100):
                self.volume.setValue(round(track.volume * 100))
            self.join.setCurrentIndex(self.join.findData(track.join.value))
            self._set(self.join_seconds, track.join_seconds)
            ends = last and not loop
            self.join.setEnabled(not ends)
            self.join_seconds.setEnabled(not ends)
            self.join_label.setText("Before it repeats" if alone else
                                    "Into the first track" if last else "Into the next track")
            if self._track is not None and length is None:
                self.plays.setText("Reading the track…")
            elif self._track is not None and length is not None:
                self.plays.setText(f"Plays {format_duration(end - track.start, tenths=True)} "
                                   f"of {format_duration(length, tenths=True)}"
                                   + (" · the playlist ends here" if ends else ""))
        finally:
            self._loading = False

    @staticmethod
    def _set(spin: QDoubleSpinBox, value: float) -> None:
        # Only a value that differs: re-setting it while the user types would reformat the
        # text under the cursor.
        if abs(spin.value() - value) > 1e-9:
            spin.setValue(value)

    # -- edits --------------------------------------------------------------------------
    def _change(self, what: str, merge: bool, **fields: object) -> None:
        if self._loading or self._track is None:
            return
        self._edit(what, lambda t: replace(t, **fields), merge)  # type: ignore[arg-type]

    def _on_trim_in(self, value: float) -> None:
        self._change("trim in", True, start=value)

    def _on_trim_out(self, value: float) -> None:
        length = self._length
        # The file's own end is kept as "its end" (None), so a re-decoded length still fits.
        end = None if length is None or abs(value - length) < 5e-3 else value
        self._change("trim out", True, end=end)

    def _on_join(self, index: int) -> None:
        if index >= 0:
            self._change("join", False, join=TrackJoin(self.join.itemData(index)))
