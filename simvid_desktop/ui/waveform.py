"""The music track drawn under the show: where slides change, where the video ends, the fades.

Decoding a track takes from a fraction of a second to many seconds, so it runs on a thread
pool with the bundled ffmpeg and only a small array of peaks comes back to the UI thread.
The length shown is the decoded one: MP3 headers can lie (see PITFALLS.md).

The widget's horizontal axis is *show time*, the time the preview and the video use: the
track is drawn shifted left by the start offset (the skipped part at negative times), and
after its end either repeats (ffmpeg's ``-stream_loop`` restarts the whole file, not the
offset) or stays silent, exactly as ``render/audio.py`` plans the audio.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from functools import partial
from itertools import pairwise
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QObject, QPointF, QRectF, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QWidget

from simvid_desktop.errors import AudioUnreadable
from simvid_desktop.project import Project
from simvid_desktop.render.ffmpeg import FFmpegProcess
from simvid_desktop.render.preflight import audio_problem
from simvid_desktop.render.timeline import Timeline

logger = logging.getLogger(__name__)

SAMPLE_RATE = 8000  #: enough for a picture of the loudness; 32 KB of floats per second
PEAK_BINS = 2000  #: min/max pairs kept: more than any waveform is wide in pixels
_BLOCK = 40  #: samples (5 ms) reduced while streaming, so memory stays flat for long tracks


def decode_peaks(
    path: Path, cancelled: Callable[[], bool] = lambda: False, bins: int = PEAK_BINS
) -> tuple[np.ndarray, float] | None:
    """Peaks ``(n, 2)`` float32 (min, max per slice) and the decoded duration of ``path``.

    Returns None when ``cancelled()`` turned true. Raises AudioUnreadable naming the file.
    """
    problem = audio_problem(path)
    if problem is not None:
        raise AudioUnreadable(path.name, problem.message)
    args = ["-v", "error", "-i", str(path), "-map", "0:a:0", "-vn", "-sn", "-dn",
            "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"]
    mins: list[np.ndarray] = []
    maxs: list[np.ndarray] = []
    carry = np.empty(0, np.float32)
    rest = b""
    samples = 0
    with FFmpegProcess(args, stdout=True) as proc:
        stdout = proc.proc.stdout
        assert stdout is not None
        while chunk := stdout.read(1 << 16):
            if cancelled():
                proc.kill()
                return None
            data = rest + chunk
            usable = len(data) - len(data) % 4
            rest = data[usable:]
            x = np.concatenate([carry, np.frombuffer(data[:usable], np.float32)])
            samples += usable // 4
            full = x.size - x.size % _BLOCK
            carry = x[full:].copy()
            if full:
                blocks = x[:full].reshape(-1, _BLOCK)
                mins.append(blocks.min(axis=1))
                maxs.append(blocks.max(axis=1))
        code = proc.finish()
        tail = proc.log_tail(2)
    if carry.size:
        mins.append(carry.min(keepdims=True))
        maxs.append(carry.max(keepdims=True))
    if code != 0 or samples == 0:
        reason = tail.splitlines()[-1] if tail else "no audio could be decoded"
        raise AudioUnreadable(path.name, reason)
    lo, hi = np.concatenate(mins), np.concatenate(maxs)
    if lo.size > bins:
        edges = np.linspace(0, lo.size, bins + 1).astype(np.int64)[:-1]
        lo, hi = np.minimum.reduceat(lo, edges), np.maximum.reduceat(hi, edges)
    peaks = np.stack([lo, hi], axis=1).astype(np.float32)
    return peaks, samples / SAMPLE_RATE


class _Relay(QObject):
    """Carries a task's outcome to the loader's thread (queued, since emitted off-thread)."""

    done = Signal(int, str, object, float)  #: generation, path, peaks, duration
    error = Signal(int, str, str)  #: generation, path, reason


def _decode_task(relay: _Relay, generation: int, path: Path, cancel: threading.Event) -> None:
    """Runs on the pool; reports through ``relay`` unless cancelled meanwhile."""
    try:
        result = decode_peaks(path, cancel.is_set)
    except (AudioUnreadable, OSError) as exc:  # OSError: ffmpeg missing or not executable
        logger.info("cannot decode %s: %s", path, exc)
        reason = (str(exc) if isinstance(exc, AudioUnreadable)
                  else f"{path.name}: cannot run ffmpeg ({exc})")
        if not cancel.is_set():
            relay.error.emit(generation, str(path), reason)
        return
    if result is not None and not cancel.is_set():
        relay.done.emit(generation, str(path), result[0], result[1])


class WaveformLoader(QObject):
    """Loads one track at a time; asking for another one cancels and forgets the previous."""

    #: The track ``path`` is decoded: ``peaks`` is a float32 array (n, 2) of the min and max
    #: of n equal slices, ``duration`` its decoded length in seconds.
    loaded = Signal(str, object, float)
    #: ``path`` cannot be used; ``reason`` is one user-facing line that names the file.
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Created before the relay, so it is destroyed (waiting for its task) before it.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)
        self._relay.error.connect(self._on_error)
        self._generation = 0
        # A box, not a bound method: on destruction the running decode must stop at once,
        # or the pool's destructor would wait for a long track to finish decoding.
        self._cancel_box = [threading.Event()]
        box = self._cancel_box
        self.destroyed.connect(lambda *_: box[0].set())

    def load(self, path: Path) -> None:
        """Decode ``path`` in the background; only the latest request ever reports."""
        self.cancel()
        self._cancel_box[0] = cancel = threading.Event()
        self._pool.start(partial(_decode_task, self._relay, self._generation, Path(path), cancel))

    def cancel(self) -> None:
        """Stop the running decode (its ffmpeg is killed) and ignore whatever it reports."""
        self._generation += 1
        self._cancel_box[0].set()

    def _on_done(self, generation: int, path: str, peaks: object, duration: float) -> None:
        if generation == self._generation:
            self.loaded.emit(path, peaks, duration)

    def _on_error(self, generation: int, path: str, reason: str) -> None:
        if generation == self._generation:
            self.failed.emit(path, reason)


def _mix(a: QColor, b: QColor, t: float, alpha: int = 255) -> QColor:
    """``a`` moved ``t`` of the way to ``b``: derives every colour from the palette."""
    c = QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t,
                        a.greenF() + (b.greenF() - a.greenF()) * t,
                        a.blueF() + (b.blueF() - a.blueF()) * t)
    c.setAlpha(alpha)
    return c


class WaveformWidget(QWidget):
    """The track, the show's slides over it, the envelope and a playhead; click to seek."""

    #: The user clicked or dragged at show time ``t`` (seconds, within the show).
    seekRequested = Signal(float)

    _PITCH, _BAR, _RULER, _PAD = 3.0, 2.0, 16.0, 8.0
    _ENVELOPE = QColor(240, 160, 40)
    _PLAYHEAD = QColor(229, 72, 77)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._geom: tuple[float, float, float] | None = None  #: time->x during one paint
        self.setMinimumHeight(96)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._amp: np.ndarray | None = None  #: loudness per slice, 0..1
        self._boundaries: list[float] = []
        self._transitions: list[tuple[float, float]] = []
        self._track = self._total = self._playhead = 0.0
        self._start = self._fade_in = self._fade_out = 0.0
        self._loop = True
        self._placeholder = "No music"
        #: (size, dpr) and the two pre-drawn layers: everything but the playhead, and the
        #: bars in the "played" colour. A playhead move then costs two blits, not a redraw.
        self._layers: tuple[tuple[int, int, float], QPixmap, QPixmap] | None = None
        self._bars: dict[str, list[QRectF]] | None = None  #: bar rects of those layers

    def _invalidate(self) -> None:
        self._layers = None
        self.update()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._layers = None
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
        self._boundaries = list(boundaries)
        self._transitions = list(transitions)
        self._total = max(0.0, total)
        self._invalidate()

    def set_show(self, project: Project) -> None:
        """Read the slide timing and the music settings (offset, fades, loop) of ``project``."""
        if project.slides:
            tl = Timeline(project)
            self.set_slide_times([s.start for s in tl.slides[1:]],
                                 [(t.start, t.end) for t in tl.transitions], tl.total)
        else:
            self.set_slide_times([], [], 0.0)
        a = project.audio
        self._start = a.start if a else 0.0
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

    # -- geometry ----------------------------------------------------------------------
    def _axis(self) -> tuple[float, float]:
        if self._amp is None:
            return 0.0, max(self._total, 1.0)
        return -self._start, max(self._total, self._track - self._start, 1e-3)

    def _lane(self) -> QRectF:
        r = QRectF(self.rect()).adjusted(self._PAD, 6, -self._PAD, -self._RULER)
        return r if r.width() > 1 else QRectF(0, 0, 1, 1)

    def _x(self, t: float) -> float:
        geom = self._geom
        if geom is None:  # outside a paint: compute the mapping afresh
            a0, a1 = self._axis()
            lane = self._lane()
            return lane.left() + (t - a0) / (a1 - a0) * lane.width()
        a0, scale, left = geom
        return left + (t - a0) * scale

    def _time_at(self, x: float) -> float:
        a0, a1 = self._axis()
        lane = self._lane()
        return a0 + (x - lane.left()) / lane.width() * (a1 - a0)

    def _gain(self, t: float) -> float:
        g = 1.0
        if self._fade_in > 0:
            g = min(g, t / min(self._fade_in, self._total or 1))
        if self._fade_out > 0:
            g = min(g, (self._total - t) / min(self._fade_out, self._total or 1))
        return max(0.0, min(1.0, g))

    def _source(self, t: float) -> tuple[float | None, str]:
        """Track time heard at show time ``t`` and the zone it belongs to."""
        mt = t + self._start
        if mt < self._track:
            return mt, "skip" if t < 0 else ("beyond" if t > self._total else "show")
        if t > self._total:
            return None, "none"
        return ((mt - self._track) % self._track, "loop") if self._loop else (None, "silence")

    # -- painting ----------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        dpr = self.devicePixelRatioF()
        key = (self.width(), self.height(), dpr)
        if self._layers is None or self._layers[0] != key:
            self._bars = None
            self._layers = (key, self._layer(dpr, played=False), self._layer(dpr, played=True))
        _, static, played = self._layers
        p = QPainter(self)
        p.drawPixmap(0, 0, static)
        if self._amp is not None and self._total > 0:
            x = self._x(max(0.0, min(self._playhead, self._total)))
            p.setClipRect(QRectF(0, 0, x, self.height()))
            p.drawPixmap(0, 0, played)
            p.setClipping(False)
        self._paint_playhead(p)
        p.end()

    def _layer(self, dpr: float, *, played: bool) -> QPixmap:
        pixmap = QPixmap(QSize(max(1, round(self.width() * dpr)),
                               max(1, round(self.height() * dpr))))
        pixmap.setDevicePixelRatio(dpr)
        pixmap.fill(Qt.GlobalColor.transparent)
        # The time->x mapping is fixed for one drawing; computing it once keeps a show of
        # hundreds of slides (hundreds of boundary lines) cheap to draw.
        a0, a1 = self._axis()
        lane0 = self._lane()
        self._geom = (a0, lane0.width() / (a1 - a0), lane0.left())
        p = QPainter(pixmap)
        try:
            if played:
                if self._amp is not None:
                    p.setRenderHint(QPainter.RenderHint.Antialiasing)
                    pal = self.palette()
                    self._paint_bars(p, self._lane(), pal.color(QPalette.ColorRole.Text),
                                     pal.color(QPalette.ColorRole.Highlight), only_played=True)
            else:
                self._paint(p)
        finally:
            p.end()
            self._geom = None
        return pixmap

    def _paint(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        accent = pal.color(QPalette.ColorRole.Highlight)
        frame = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(QPen(_mix(base, text, 0.18), 1))
        p.setBrush(_mix(base, pal.color(QPalette.ColorRole.Window), 0.5))
        p.drawRoundedRect(frame, 8, 8)
        lane = self._lane()
        x0, x1 = self._x(0.0), self._x(self._total)
        if self._total > 0:
            p.fillRect(QRectF(x0, lane.top(), x1 - x0, lane.height()), _mix(base, accent, 0.08))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(_mix(base, text, 0.5, 34))
            p.drawRects([QRectF(self._x(s), lane.top(), self._x(e) - self._x(s), lane.height())
                         for s, e in self._transitions])
        if self._amp is not None:
            self._paint_bars(p, lane, text, accent)
            self._paint_envelope(p, lane)
        else:
            p.setPen(_mix(base, text, 0.55))
            p.drawText(lane, Qt.AlignmentFlag.AlignCenter, self._placeholder)
        self._paint_marks(p, lane, text, base, accent)

    def _bar_rects(self, lane: QRectF) -> dict[str, list[QRectF]]:
        """The waveform's bars by zone, computed once for both cached layers."""
        if self._bars is not None:
            return self._bars
        assert self._amp is not None
        n, half = len(self._amp), lane.height() / 2 - 4
        dt = (self._time_at(lane.left() + self._PITCH) - self._time_at(lane.left())) / 2
        bars: dict[str, list[QRectF]] = {}
        x = lane.left() + self._PITCH / 2
        while x < lane.right():
            t = self._time_at(x)
            src, zone = self._source(t)
            if zone != "none":
                amp = 0.0
                if src is not None:  # loudest slice under the bar
                    i0 = min(n - 1, int(max(0.0, src - dt) / self._track * n))
                    i1 = int(min(self._track, src + dt) / self._track * n) + 1
                    amp = float(self._amp[i0:max(i1, i0 + 1)].max())
                if zone in ("show", "loop"):
                    amp *= self._gain(t)
                h = max(self._BAR, amp * half * 2)
                bars.setdefault(zone, []).append(
                    QRectF(round(x - self._BAR / 2), round(lane.center().y() - h / 2),
                           self._BAR, round(h)))
            x += self._PITCH
        self._bars = bars
        return bars

    def _paint_bars(self, p: QPainter, lane: QRectF, text: QColor, accent: QColor,
                    *, only_played: bool = False) -> None:
        base = self.palette().color(QPalette.ColorRole.Base)
        colours = {"played": accent, "show": _mix(accent, base, 0.45),
                   "loop": _mix(accent, base, 0.45, 120), "skip": _mix(text, base, 0.5, 90),
                   "beyond": _mix(text, base, 0.5, 90), "silence": _mix(text, base, 0.5, 70)}
        bars = self._bar_rects(lane)
        if only_played:  # the show's own bars, in the "played" colour
            bars = {"played": bars.get("show", [])}
        # Pixel-aligned plain bars, drawn per colour in one call: antialiased rounded
        # paths cost ~150 ms for a long show, too long for the UI thread.
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(Qt.PenStyle.NoPen)
        for zone, rects in bars.items():
            p.setBrush(colours[zone])
            p.drawRects(rects)
        p.restore()

    def _paint_envelope(self, p: QPainter, lane: QRectF) -> None:
        if self._total <= 0 or (self._fade_in <= 0 and self._fade_out <= 0):
            return
        cy, half = lane.center().y(), lane.height() / 2 - 2
        fi = min(self._fade_in, self._total)
        fo = min(self._fade_out, self._total)
        times = sorted({0.0, fi, max(0.0, self._total - fo), self._total})
        upper = [QPointF(self._x(t), cy - self._gain(t) * half) for t in times]
        lower = [QPointF(pt.x(), 2 * cy - pt.y()) for pt in upper]
        shade, plateau = QColor(self._ENVELOPE), QColor(self._ENVELOPE)
        shade.setAlpha(38)
        plateau.setAlpha(90)
        for edge, limit in ((upper, lane.top()), (lower, lane.bottom())):
            area = QPainterPath(QPointF(edge[0].x(), limit))
            for pt in edge:
                area.lineTo(pt)
            area.lineTo(edge[-1].x(), limit)
            p.fillPath(area, shade)
            for a, b in pairwise(edge):  # ramps strong, full volume faint
                p.setPen(QPen(self._ENVELOPE if a.y() != b.y() else plateau, 1.5))
                p.drawLine(a, b)

    def _vline(self, p: QPainter, t: float, lane: QRectF, grow: float = 0.0) -> None:
        x = self._x(t)
        p.drawLine(QPointF(x, lane.top() - grow), QPointF(x, lane.bottom() + grow))

    def _paint_marks(self, p: QPainter, lane: QRectF, text: QColor, base: QColor,
                     accent: QColor) -> None:
        small = p.font()
        small.setPointSizeF(max(6.5, small.pointSizeF() * 0.78))
        p.setFont(small)
        p.setPen(QPen(_mix(base, text, 0.45), 1))
        p.drawLines([QLineF(self._x(t), lane.top(), self._x(t), lane.bottom())
                     for t in self._boundaries])
        p.setPen(_mix(base, text, 0.6))
        edges = [self._x(t) for t in (0.0, *self._boundaries, self._total)]
        for i, (xs, xe) in enumerate(pairwise(edges)):
            if xe - xs > 16:
                p.drawText(QPointF(xs + 4, lane.top() + 11), str(i + 1))
        track_end = self._track - self._start  # show time where the first pass ends
        if self._amp is not None and self._loop:
            p.setPen(QPen(_mix(base, text, 0.5), 1, Qt.PenStyle.DashLine))
            while 0 < track_end < self._total:
                self._vline(p, track_end, lane)
                p.drawText(QPointF(self._x(track_end) + 4, lane.bottom() - 4), "↻ loop")
                track_end += self._track
        labels = []
        if self._amp is not None and not self._loop and track_end < self._total:
            labels.append((track_end, self._total, "silence"))
        if self._amp is not None and self._start > 0 and self._x(0) - lane.left() > 60:
            labels.append((-self._start, 0.0, "skipped"))
        p.setPen(_mix(base, text, 0.55))
        for s, e, label in labels:
            box = QRectF(self._x(s), lane.top(), self._x(e) - self._x(s), lane.height())
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        self._paint_ruler(p, lane, text, base)
        if self._total <= 0:
            return
        p.setPen(QPen(text, 1.5))
        self._vline(p, self._total, lane, grow=2)
        xe, w = self._x(self._total), p.fontMetrics().horizontalAdvance("end") + 8
        box = QRectF(xe - w if xe + w > lane.right() else xe, lane.top(), w, 14)
        p.fillRect(box, text)
        p.setPen(base)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, "end")

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

    def _paint_ruler(self, p: QPainter, lane: QRectF, text: QColor, base: QColor) -> None:
        a0, a1 = self._axis()
        span = max(a1, self._total) or 1.0
        step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600)
                     if lane.width() / (a1 - a0) * s >= 56), 1200)
        p.setPen(_mix(base, text, 0.55))
        t = 0.0
        while t <= span + 1e-6:
            x = self._x(t)
            if x > lane.right() + 1:
                break
            label = f"{int(t) // 60}:{int(t) % 60:02d}"
            p.drawLine(QPointF(x, lane.bottom() + 1), QPointF(x, lane.bottom() + 4))
            if x + 2 + p.fontMetrics().horizontalAdvance(label) <= self.width() - 2:
                p.drawText(QPointF(x + 2, lane.bottom() + 13), label)
            t += step

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
