"""The music track drawn under the show: where slides change, where the video ends, the fades.

Decoding a track takes from a fraction of a second to many seconds, so it runs on the
decode pool (:func:`render.waveform.decode_peaks`) and only a small array of peaks comes
back to the UI thread. The length shown is the decoded one: MP3 headers can lie.

The widget's horizontal axis is *show time*, the time the preview and the video use: the
track is drawn shifted left by the start offset (the skipped part at negative times), and
after its end either repeats (ffmpeg's ``-stream_loop`` restarts the whole file, not the
offset) or stays silent, exactly as ``render/audio.py`` plans the audio.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QWidget

from simvid_desktop.errors import AudioUnreadable
from simvid_desktop.model.project import Project
from simvid_desktop.render.waveform import decode_peaks
from simvid_desktop.ui.tasks import FIRST, Pool, TaskChannel
from simvid_desktop.ui.waveform_layers import (
    LayerBuilder,
    Layers,
    LayerSpec,
    lane_rect,
    mix,
    show_axis,
)

logger = logging.getLogger(__name__)

def _decode(path: Path, cancel: threading.Event) -> tuple[np.ndarray, float] | None:
    """Runs on the decode pool; None when cancelled (its ffmpeg is killed at once)."""
    return decode_peaks(path, cancel.is_set)


class WaveformLoader(QObject):
    """Loads one track at a time; asking for another one cancels and forgets the previous."""

    #: The track ``path`` is decoded: ``peaks`` is a float32 array (n, 2) of the min and max
    #: of n equal slices, ``duration`` its decoded length in seconds.
    loaded = Signal(str, object, float)
    #: ``path`` cannot be used; ``reason`` is one user-facing line that names the file.
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = TaskChannel(self, Pool.DECODE, latest=True)
        # A box, not a bound method: on destruction the running decode must stop at once,
        # or it would hold the decode thread (thumbnails, pictures) until the track ends.
        self._cancel_box = [threading.Event()]
        box = self._cancel_box
        self.destroyed.connect(lambda *_: box[0].set())

    def load(self, path: Path) -> None:
        """Decode ``path`` in the background; only the latest request ever reports."""
        self.cancel()
        self._cancel_box[0] = cancel = threading.Event()
        path = Path(path)
        # Ahead of queued thumbnails: one track, and the panel says "Reading…" until done.
        self._tasks.run(partial(_decode, path, cancel), partial(self._on_decoded, path),
                        FIRST)

    def cancel(self) -> None:
        """Stop the running decode (its ffmpeg is killed) and ignore whatever it reports."""
        self._tasks.discard()
        self._cancel_box[0].set()

    def _on_decoded(self, path: Path, result: tuple[np.ndarray, float] | None,
                    error: BaseException | None) -> None:
        if isinstance(error, AudioUnreadable):
            logger.info("cannot decode %s: %s", path, error)
            self.failed.emit(str(path), str(error))
        elif isinstance(error, OSError):  # ffmpeg missing or not executable
            logger.info("cannot decode %s: %s", path, error)
            self.failed.emit(str(path), f"{path.name}: cannot run ffmpeg ({error})")
        elif error is not None:
            logger.error("decoding %s failed", path, exc_info=error)
            self.failed.emit(str(path), f"{path.name}: cannot be decoded ({error})")
        elif result is not None:  # None: cancelled, and then never delivered anyway
            self.loaded.emit(str(path), result[0], result[1])


class WaveformWidget(QWidget):
    """The track, the show's slides over it, the envelope and a playhead; click to seek.

    The track, slides and labels are two pictures drawn off the UI thread
    (:mod:`waveform_layers`); painting only blits them and draws the playhead. After an
    edit the previous pictures stay on screen until the new ones arrive (a few frames).
    """

    #: The user clicked or dragged at show time ``t`` (seconds, within the show).
    seekRequested = Signal(float)
    #: Pictures matching the current state and size are on screen (see :meth:`layers`).
    layersReady = Signal()

    _PLAYHEAD = QColor(229, 72, 77)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(96)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._amp: np.ndarray | None = None  #: loudness per slice, 0..1
        self._boundaries: tuple[float, ...] | None = ()  #: None: read from ``_project``
        self._transitions: tuple[tuple[float, float], ...] | None = ()
        self._project: Project | None = None
        self._track = self._total = self._playhead = 0.0
        self._start = self._fade_in = self._fade_out = 0.0
        self._loop = True
        self._placeholder = "No music"
        self._generation = 0  #: bumped by every change the pictures must show
        self._layers: Layers | None = None  #: the pictures on screen, maybe out of date
        self._requested: tuple[int, tuple[int, int, float]] | None = None
        self._builder = LayerBuilder(self)
        self._builder.built.connect(self._on_built)

    def _invalidate(self) -> None:
        self._generation += 1
        self.update()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange,
                            QEvent.Type.FontChange):
            self._invalidate()
        super().changeEvent(event)

    # -- state -------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(560, 120)

    def set_peaks(self, peaks: np.ndarray | None, duration: float) -> None:
        """Show a decoded track (None clears it); amplitudes are normalised to the loudest."""
        if peaks is None or len(peaks) == 0 or duration <= 0:
            self._amp, self._track = None, 0.0
        else:
            amp = np.abs(np.asarray(peaks, np.float32)).max(axis=1)
            top = float(amp.max())
            self._amp = amp / top if top > 0 else amp
            self._track = float(duration)
        self._invalidate()

    def set_placeholder(self, text: str) -> None:
        """What to say where the waveform would be ("Loading…", "No music")."""
        self._placeholder = text
        self._invalidate()

    def set_slide_times(self, boundaries: Sequence[float],
                        transitions: Sequence[tuple[float, float]], total: float) -> None:
        """Slide changes (show times), transition spans and the show length."""
        self._boundaries = tuple(boundaries)
        self._transitions = tuple(transitions)
        self._project = None
        self._total = max(0.0, total)
        self._invalidate()

    def set_show(self, project: Project) -> None:
        """Read the slide timing and the music settings (offset, fades, loop) of ``project``.

        Where the slides change is worked out with the pictures, off the UI thread.
        """
        self._project = project if project.slides else None
        self._boundaries = self._transitions = None if project.slides else ()
        self._total = project.total_duration if project.slides else 0.0
        a = project.audio
        self._start = a.first.start if a else 0.0
        self._fade_in = a.fade_in if a else 0.0
        self._fade_out = a.fade_out if a else 0.0
        self._loop = a.loop if a else True
        self._invalidate()

    def set_playhead(self, t: float) -> None:
        """Move the playhead to show time ``t`` (the preview's current time)."""
        if t != self._playhead:
            self._playhead = t
            self.update()

    def playhead(self) -> float:
        return self._playhead

    def layers(self) -> Layers | None:
        """The pictures on screen (None before the first ones arrive)."""
        return self._layers

    def layers_current(self) -> bool:
        """Whether the pictures on screen show the current state at the current size."""
        layers = self._layers
        return layers is not None and (layers.generation, layers.key) == (
            self._generation, self._key())

    # -- geometry ----------------------------------------------------------------------
    def _key(self) -> tuple[int, int, float]:
        return self.width(), self.height(), self.devicePixelRatioF()

    def _axis(self) -> tuple[float, float]:
        return show_axis(self._amp is not None, self._start, self._total, self._track)

    def _lane(self) -> QRectF:
        return lane_rect(self.width(), self.height())

    def _x(self, t: float) -> float:
        a0, a1 = self._axis()
        lane = self._lane()
        return lane.left() + (t - a0) / (a1 - a0) * lane.width()

    def _time_at(self, x: float) -> float:
        a0, a1 = self._axis()
        lane = self._lane()
        return a0 + (x - lane.left()) / lane.width() * (a1 - a0)

    # -- painting ----------------------------------------------------------------------
    def _spec(self) -> LayerSpec:
        pal = self.palette()
        width, height, dpr = self._key()
        return LayerSpec(
            width=width, height=height, dpr=dpr,
            base=pal.color(QPalette.ColorRole.Base), text=pal.color(QPalette.ColorRole.Text),
            accent=pal.color(QPalette.ColorRole.Highlight),
            window=pal.color(QPalette.ColorRole.Window), font=QFont(self.font()),
            amp=self._amp, track=self._track, total=self._total, start=self._start,
            fade_in=self._fade_in, fade_out=self._fade_out, loop=self._loop,
            placeholder=self._placeholder, boundaries=self._boundaries,
            transitions=self._transitions, project=self._project)

    def _ensure_layers(self) -> None:
        """Ask for pictures of the current state unless they are on screen or on their way."""
        want = (self._generation, self._key())
        if self.layers_current() or self._requested == want:
            return
        self._requested = want
        self._builder.request(self._spec(), self._generation)

    def _on_built(self, layers: Layers) -> None:
        self._layers = layers  # newer than what is on screen, even if not the latest
        self.update()
        if self.layers_current():
            self.layersReady.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        self._ensure_layers()
        layers = self._layers
        p = QPainter(self)
        if layers is None:  # only until the first pictures arrive
            pal = self.palette()
            base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(QPen(mix(base, text, 0.18), 1))
            p.setBrush(mix(base, pal.color(QPalette.ColorRole.Window), 0.5))
            p.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)
        else:
            p.drawImage(QPointF(0, 0), layers.static)
            if self._amp is not None and self._total > 0:
                x = self._x(max(0.0, min(self._playhead, self._total)))
                p.setClipRect(QRectF(0, 0, x, self.height()))
                p.drawImage(QPointF(0, 0), layers.played)
                p.setClipping(False)
        self._paint_playhead(p)
        p.end()

    def _paint_playhead(self, p: QPainter) -> None:
        if self._total <= 0:
            return
        lane = self._lane()
        x = self._x(max(0.0, min(self._playhead, self._total)))
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(self._PLAYHEAD, 2))
        p.drawLine(QPointF(x, lane.top()), QPointF(x, lane.bottom()))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._PLAYHEAD)
        p.drawEllipse(QPointF(x, lane.top()), 4, 4)

    # -- input -------------------------------------------------------------------------
    def _seek(self, event: QMouseEvent) -> None:
        if self._total <= 0:
            return
        t = max(0.0, min(self._total, self._time_at(event.position().x())))
        self.set_playhead(t)
        self.seekRequested.emit(t)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._seek(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._seek(event)
