"""The preview: the very frame the render will encode at a given time, and a player around it.

Frames come from the renderer's own :class:`Compositor` at the output size, so what the
user sees is what the MP4 will hold (only the display scaling differs). Composing a frame
takes from a millisecond to a few hundred (4K, motion), so it runs on one background
thread. Requests overwrite each other instead of queueing: while the user scrubs or plays
faster than frames can be made, the thread always renders the newest time and skips the
rest, and the UI never waits.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from dataclasses import dataclass, replace

import numpy as np
import shiboken6
from PIL import Image
from PySide6.QtCore import (
    QCoreApplication,
    QElapsedTimer,
    QRectF,
    QSignalBlocker,
    QSize,
    Qt,
    QThread,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simvid_desktop.errors import SimvidError
from simvid_desktop.model.project import Project, Quality
from simvid_desktop.model.units import format_duration
from simvid_desktop.render.compositor import Compositor
from simvid_desktop.render.yuv import frame_to_rgb

logger = logging.getLogger(__name__)


def picture_of(project: Project) -> Project:
    """The part of a project that decides its pictures: audio and encoder settings dropped.

    Two projects with equal pictures share a compositor and their frames, so changing the
    music volume, a clip's volume or mute, or the quality neither re-decodes photos nor
    flickers the preview.
    """
    out = replace(project.output, quality=Quality.STANDARD, crf=None, x264_preset=None)
    slides = tuple(replace(s, clip=replace(s.clip, volume=1.0, muted=False))
                   if s.clip is not None else s for s in project.slides)
    return replace(project, audio=None, output=out, slides=slides)


@dataclass(frozen=True, eq=False)
class RenderedFrame:
    """A finished preview frame and what it belongs to (so stale ones can be dropped)."""

    picture: Project  #: the :func:`picture_of` the frame was composed from
    t: float  #: the requested time
    index: int  #: the video frame number shown at ``t``
    rgb: np.ndarray  #: (H, W, 3) uint8, as a player would show it
    display: np.ndarray | None = None  #: the same, already scaled for the screen


class _FrameRenderer(QThread):
    """Owns the compositor of the latest project; renders the latest requested time."""

    #: A :class:`RenderedFrame` is ready (emitted on the render thread, delivered queued).
    rendered = Signal(object)
    #: Composing (picture: Project, t: float) failed; the str is a user-facing message.
    failed = Signal(object, float, str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("preview-render")
        self._cond = threading.Condition()
        self._pending: tuple[Project, float, tuple[int, int] | None] | None = None
        self._stopping = False
        self.renders = 0  #: frames actually composed (coalesced requests are not counted)

    def request(self, picture: Project, t: float,
                display: tuple[int, int] | None = None) -> None:
        """Render ``t`` next, replacing any request not started yet. ``display`` is the
        on-screen box: the frame is also scaled to fit it here, off the UI thread."""
        with self._cond:
            if self._stopping:
                return
            self._pending = (picture, t, display)
            self._cond.notify()
        if not self.isRunning():
            self.start()

    def stop(self) -> None:
        """Finish the frame in progress, then end the thread (waits for it)."""
        with self._cond:
            self._stopping = True
            self._pending = None
            self._cond.notify()
        self.wait()

    def _next(self) -> tuple[Project, float, tuple[int, int] | None] | None:
        with self._cond:
            while self._pending is None and not self._stopping:
                self._cond.wait()
            job, self._pending = self._pending, None
            return None if self._stopping else job

    def run(self) -> None:
        comp: Compositor | None = None
        last: tuple[Project, int, np.ndarray] | None = None
        try:
            while (job := self._next()) is not None:
                picture, t, display = job
                try:
                    if comp is None or (comp.project is not picture and comp.project != picture):
                        if comp is not None:
                            comp.close()
                            comp = None
                        comp = Compositor(picture, prefetch=False)
                    index = comp.timeline.frame_at_time(t)
                    if last is None or last[0] is not comp.project or last[1] != index:
                        last = (comp.project, index, frame_to_rgb(comp.frame(index)))
                        self.renders += 1
                    self.rendered.emit(RenderedFrame(picture, t, index, last[2],
                                                     _fit(last[2], display)))
                except SimvidError as exc:
                    self.failed.emit(picture, t, str(exc))
                except Exception as exc:
                    logger.exception("preview frame at %.3f s failed", t)
                    self.failed.emit(picture, t, f"The preview failed: {exc}")
        finally:
            if comp is not None:
                comp.close()


def _fit(rgb: np.ndarray, box: tuple[int, int] | None) -> np.ndarray | None:
    """``rgb`` scaled (Pillow, GIL released) to fit ``box``, keeping its aspect."""
    if box is None or box[0] < 2 or box[1] < 2:
        return None
    h, w = rgb.shape[:2]
    scale = min(box[0] / w, box[1] / h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if size == (w, h):
        return rgb
    image = Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(image)


_LIVE: weakref.WeakSet[_FrameRenderer] = weakref.WeakSet()


def _stop(renderer: _FrameRenderer) -> None:
    # Qt may already have deleted it (interpreter exit); a QThread destroyed while it
    # runs aborts the whole process, so every path that can end one stops it first.
    if shiboken6.isValid(renderer):
        renderer.stop()


@atexit.register
def _stop_all() -> None:
    for renderer in list(_LIVE):
        _stop(renderer)


class _FrameView(QWidget):
    """Paints one frame letterboxed on a dark stage, scaled smoothly (cached per size)."""

    _STAGE = QColor(14, 14, 18)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(240, 135)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._image: QImage | None = None  #: what to paint (usually already screen-sized)
        self._full = QSize()  #: the frame's real size, for the aspect ratio
        self._scaled: QImage | None = None
        self._message = ""

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    def set_image(self, image: QImage | None, full: QSize | None = None) -> None:
        self._image, self._scaled = image, None
        self._full = full if full is not None else (image.size() if image else QSize())
        self.update()

    def display_box(self) -> tuple[int, int]:
        """The device-pixel box a frame is shown in (frames are scaled to it off-thread)."""
        dpr = self.devicePixelRatioF()
        return max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr))

    def message(self) -> str:
        return self._message

    def set_message(self, text: str) -> None:
        if text != self._message:
            self._message = text
            self.update()

    def _target(self) -> QRectF:
        assert self._image is not None
        full = self._full if not self._full.isEmpty() else self._image.size()
        area = QRectF(self.rect())
        scale = min(area.width() / full.width(), area.height() / full.height())
        w, h = full.width() * scale, full.height() * scale
        return QRectF(area.center().x() - w / 2, area.center().y() - h / 2, w, h)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        stage = QPainterPath()
        stage.addRoundedRect(QRectF(self.rect()), 10, 10)
        p.fillPath(stage, self._STAGE)
        p.setClipPath(stage)
        if self._image is not None and not self._image.isNull():
            target = self._target()
            dpr = self.devicePixelRatioF()
            size = QSize(max(1, round(target.width() * dpr)), max(1, round(target.height() * dpr)))
            if self._image.size() == size:
                self._scaled = self._image  # scaled by the render thread already
                self._scaled.setDevicePixelRatio(dpr)
            elif self._scaled is None or self._scaled.size() != size:
                # Only after a resize, until the re-rendered frame arrives.
                self._scaled = self._image.scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio,
                                                  Qt.TransformationMode.FastTransformation)
                self._scaled.setDevicePixelRatio(dpr)
            p.drawImage(target.topLeft(), self._scaled)
        if self._message:
            p.setPen(QColor(220, 220, 228))
            box = QRectF(self.rect()).adjusted(16, 16, -16, -16)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self._message)
        p.end()


def _qimage(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb)
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888).copy()


class PreviewWidget(QWidget):
    """A frame of the show at the current time, a time slider and play/pause."""

    #: The frame of show time ``t`` (seconds) is now on screen.
    frameShown = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._project: Project | None = None
        self._picture: Project | None = None
        self._total = 0.0
        self._time = 0.0
        self._image: QImage | None = None
        self._frame: RenderedFrame | None = None

        self._renderer = _FrameRenderer()
        self._renderer.rendered.connect(self._on_rendered)
        self._renderer.failed.connect(self._on_failed)
        _LIVE.add(self._renderer)
        renderer = self._renderer  # not self: the closure must work while self is destroyed
        self.destroyed.connect(lambda *_: _stop(renderer))
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

        self.view = _FrameView()
        self.play_button = QToolButton()
        self.play_button.setCheckable(True)
        self.play_button.setAutoRaise(True)
        self.play_button.setIconSize(QSize(22, 22))
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.toggled.connect(self._play_toggled)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.valueChanged.connect(lambda ms: self._seek(ms / 1000.0))
        self.time_label = QLabel()
        digits = self.time_label.font()
        digits.setStyleHint(digits.StyleHint.Monospace)
        digits.setFamilies(["DejaVu Sans Mono", "Menlo", "Consolas", "monospace"])
        self.time_label.setFont(digits)
        controls = QHBoxLayout()
        controls.setContentsMargins(4, 0, 4, 0)
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        layout.addWidget(self.view, 1)
        layout.addLayout(controls)

        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()
        self._clock_origin = 0.0
        self._update_controls()

    # -- public --------------------------------------------------------------------------
    def set_project(self, project: Project) -> None:
        """Show ``project`` from now on (the current time is kept, clamped to its length)."""
        self._project = project
        picture = picture_of(project)
        if picture != self._picture:
            self._picture = picture
        self._total = project.total_duration
        self._time = min(self._time, self._total)
        self._update_controls()
        if not project.slides:
            self.pause()
            self._image = self._frame = None
            self.view.set_image(None)
            self.view.set_message("Add photos to see the preview")
            return
        self._request()

    def set_time(self, t: float) -> None:
        """Show the frame at show time ``t`` (seconds); a playing preview continues from it."""
        self._seek(t)

    def current_time(self) -> float:
        return self._time

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._picture is not None and self._picture.slides:
            self._request()  # a sharp frame for the new size, scaled off the UI thread

    def current_image(self) -> QImage | None:
        """The frame on screen at the output size, before display scaling (a copy's owner)."""
        if self._image is None and self._frame is not None:
            self._image = _qimage(self._frame.rgb)
        return self._image

    def message(self) -> str:
        """The text on the stage instead of a frame ("" while a frame is shown)."""
        return self.view.message()

    @property
    def render_count(self) -> int:
        """Frames composed so far (requests superseded before they started don't count)."""
        return self._renderer.renders

    def is_playing(self) -> bool:
        return self._timer.isActive()

    def play(self) -> None:
        self.play_button.setChecked(True)

    def pause(self) -> None:
        self.play_button.setChecked(False)

    def shutdown(self) -> None:
        """Stop playback and the render thread (also done when the widget is destroyed)."""
        self._timer.stop()
        _stop(self._renderer)

    # -- internals -----------------------------------------------------------------------
    def _seek(self, t: float, *, playing: bool = False) -> None:
        self._time = max(0.0, min(float(t), self._total))
        if self.is_playing() and not playing:
            self._clock_origin = self._time
            self._clock.restart()
        self._update_controls()
        self._request()

    def _request(self) -> None:
        if self._picture is not None and self._project is not None and self._project.slides:
            self._renderer.request(self._picture, self._time, self.view.display_box())

    def _update_controls(self) -> None:
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, round(self._total * 1000))
            self.slider.setValue(round(self._time * 1000))
            self.slider.setPageStep(1000)
        has_show = self._total > 0
        self.slider.setEnabled(has_show)
        self.play_button.setEnabled(has_show)
        icon = (QStyle.StandardPixmap.SP_MediaPause if self.is_playing()
                else QStyle.StandardPixmap.SP_MediaPlay)
        self.play_button.setIcon(self.style().standardIcon(icon))
        now, total = (format_duration(t, tenths=True) for t in (self._time, self._total))
        self.time_label.setText(f"{now} / {total}")

    def _play_toggled(self, on: bool) -> None:
        if on and self._total > 0:
            if self._time >= self._total - 1e-6:
                self._time = 0.0  # play from the start when at the end
            fps = self._project.output.fps if self._project else 30
            self._timer.start(max(10, round(1000 / fps)))
            self._clock_origin = self._time
            self._clock.start()
        else:
            self._timer.stop()
            if on:
                with QSignalBlocker(self.play_button):
                    self.play_button.setChecked(False)
        self._update_controls()

    def _tick(self) -> None:
        t = self._clock_origin + self._clock.elapsed() / 1000.0
        if t >= self._total:
            self._seek(self._total, playing=True)
            self.pause()
        else:
            self._seek(t, playing=True)  # the renderer skips what it cannot keep up with

    def _on_rendered(self, frame: RenderedFrame) -> None:
        if frame.picture is not self._picture and frame.picture != self._picture:
            return  # composed for a project that has changed since
        self._frame = frame
        self._image = None  # the full-size QImage is made only if someone asks for it
        shown = frame.display if frame.display is not None else frame.rgb
        h, w = frame.rgb.shape[:2]
        self.view.set_message("")
        self.view.set_image(_qimage(shown), QSize(w, h))
        self.frameShown.emit(frame.t)

    def _on_failed(self, picture: Project, t: float, message: str) -> None:
        if picture is self._picture or picture == self._picture:
            logger.info("preview at %.2f s: %s", t, message)
            self._image = self._frame = None
            self.view.set_image(None)
            self.view.set_message(message)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and self._total > 0:
            self.play_button.toggle()
        else:
            super().keyPressEvent(event)
