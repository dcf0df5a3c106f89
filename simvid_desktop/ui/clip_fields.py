"""The inspector's fields for one video clip: trim in/out, frame-accurate, mute and volume.

A view only: it shows the selected clip and hands each change to the inspector as a
function of the slide (``edit("trim in", change, merge)``), which applies it through the
document as one undo step like every other field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from simvid_desktop.model.project import MAX_VOLUME, Clip, Slide

#: ``edit(what, change, merge)``: apply ``change`` to the selected slide as an undo step
#: named after ``what``; ``merge`` joins it with the previous step of the same field.
Edit = Callable[[str, Callable[[Slide], Slide], bool], None]

_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d*)?|[.,]\d+)")
_FRAME = re.compile(r"^\s*(?:f|frame)\s*(\d+)\s*$", re.IGNORECASE)


def frame_of(seconds: float, fps: int) -> int:
    """The frame shown at ``seconds`` (a hair of tolerance: 1.5 s at 30 fps is frame 45)."""
    return math.floor(seconds * fps + 1e-6)


class TimeSpinBox(QDoubleSpinBox):
    """Seconds with the frame number beside them (``1.500 s · frame 45``).

    One step is one frame at the project's frame rate, and values land on frames, so
    trimming is frame-accurate. Typing accepts seconds (``1.5``) or a frame (``f45``).
    """

    def __init__(self, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fps = 30
        self.setDecimals(3)
        self.setKeyboardTracking(False)  # apply on Enter/focus-out, not per keystroke
        self.setAccelerated(True)
        self.setToolTip(tip + " One step is one frame; type seconds or a frame (f45).")
        self.setSingleStep(1 / self._fps)
        self.setMinimumWidth(170)

    @property
    def fps(self) -> int:
        return self._fps

    def set_fps(self, fps: int) -> None:
        self._fps = max(1, fps)
        self.setSingleStep(1 / self._fps)

    def snap(self, seconds: float) -> float:
        """The start of the frame nearest ``seconds``, kept inside the range."""
        snapped = round(seconds * self._fps) / self._fps
        return min(self.maximum(), max(self.minimum(), round(snapped, 3)))

    def textFromValue(self, value: float) -> str:
        return f"{value:.3f} s \u00b7 frame {frame_of(value, self._fps)}"

    def valueFromText(self, text: str) -> float:
        frame = _FRAME.match(text)
        if frame:
            return self.snap(int(frame.group(1)) / self._fps)
        number = _NUMBER.match(text)
        if number is None:
            return self.value()
        return self.snap(float(number.group(1).replace(",", ".")))

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        if _FRAME.match(text) or _NUMBER.match(text):
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos

    def fixup(self, text: str) -> str:
        return self.textFromValue(self.value())

    def stepBy(self, steps: int) -> None:
        frame = round(self.value() * self._fps) + steps
        self.setValue(self.snap(frame / self._fps))


class ClipFields(QWidget):
    """Trim in, trim out, mute and volume of one clip."""

    #: The user finished with a field (Enter, focus out): the next edit is a new undo step.
    editingFinished = Signal()

    def __init__(self, edit: Edit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clipFields")
        self._edit = edit
        self._loading = False
        self._clip: Clip | None = None
        self.trim_in = TimeSpinBox("Where the clip starts playing, in its own time.")
        self.trim_in.setObjectName("trimIn")
        self.trim_out = TimeSpinBox("Where the clip stops, in its own time.")
        self.trim_out.setObjectName("trimOut")
        self.length = QLabel()
        self.length.setObjectName("clipLength")
        self.muted = QCheckBox("Mute")
        self.muted.setObjectName("clipMuted")
        self.muted.setToolTip("Leave the clip's own sound out of the video.")
        self.volume = QSpinBox()
        self.volume.setObjectName("clipVolume")
        self.volume.setRange(0, round(MAX_VOLUME * 100))
        self.volume.setSingleStep(5)
        self.volume.setSuffix(" %")
        self.volume.setKeyboardTracking(False)
        self.volume.setToolTip("How loud the clip's sound is in the video (100 % as recorded).")
        sound = QHBoxLayout()
        sound.setContentsMargins(0, 0, 0, 0)
        sound.addWidget(self.muted)
        sound.addWidget(self.volume, 1)

        form = self.form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Trim in", self.trim_in)
        form.addRow("Trim out", self.trim_out)
        form.addRow("", self.length)
        form.addRow("Sound", sound)

        self.trim_in.valueChanged.connect(self._on_trim_in)
        self.trim_out.valueChanged.connect(self._on_trim_out)
        self.muted.toggled.connect(self._on_muted)
        self.volume.valueChanged.connect(self._on_volume)
        for box in (self.trim_in, self.trim_out, self.volume):
            box.editingFinished.connect(self.editingFinished)

    def show_slide(self, slide: Slide | None, fps: int) -> None:
        """Show ``slide``'s clip (None: nothing, the fields are hidden by the inspector)."""
        clip = slide.clip if slide is not None else None
        self._clip = clip
        if clip is None:
            return
        self._loading = True
        try:
            frame = 1 / max(1, fps)
            for box in (self.trim_in, self.trim_out):
                box.set_fps(fps)
            # in < out <= length, at least one frame apart.
            self.trim_in.setRange(0.0, max(0.0, clip.end - frame))
            self.trim_out.setRange(min(clip.length, clip.trim_in + frame), clip.length)
            self.trim_in.setValue(clip.trim_in)
            self.trim_out.setValue(clip.end)
            frames = frame_of(clip.trimmed_length + 1e-9, fps)
            self.length.setText(f"Plays {clip.trimmed_length:.3f} s ({frames} frames) "
                                f"of {clip.length:.3f} s")
            self.muted.setChecked(clip.muted)
            self.volume.setValue(round(clip.volume * 100))
            self.volume.setEnabled(not clip.muted)
        finally:
            self._loading = False

    # -- edits --------------------------------------------------------------------------
    def _change_clip(self, what: str, merge: bool, **fields: object) -> None:
        if self._loading or self._clip is None:
            return

        def change(slide: Slide) -> Slide:
            if slide.clip is None:
                return slide
            return replace(slide, clip=replace(slide.clip, **fields))  # type: ignore[arg-type]

        self._edit(what, change, merge)

    def _on_trim_in(self, value: float) -> None:
        clip = self._clip
        if clip is None:
            return
        self._change_clip("trim in", True, trim_in=self.trim_in.snap(value))

    def _on_trim_out(self, value: float) -> None:
        clip = self._clip
        if clip is None:
            return
        out = self.trim_out.snap(value)
        # The clip's own end is kept as "its end" (None), so a re-probed length still fits.
        self._change_clip("trim out", True,
                          trim_out=None if abs(out - clip.length) < 5e-4 else out)

    def _on_muted(self, on: bool) -> None:
        self._change_clip("mute", False, muted=on)

    def _on_volume(self, percent: int) -> None:
        self._change_clip("clip volume", True, volume=percent / 100)
