"""The waveform's two cached pictures, drawn into QImages on a worker thread.

A show of 500 slides means 500 boundary lines, 500 transition spans, hundreds of bars and
labels: drawing that took ~60 ms, far too long for the UI thread. Everything here works
on a frozen :class:`LayerSpec` snapshot and paints into ``QImage`` (which Qt allows off the
GUI thread; ``QPixmap`` it does not), so :class:`LayerBuilder` can run it on a pool thread
while the widget keeps showing the previous pictures. The drawing is also made cheap in
itself, because a Python thread holding the GIL still slows the UI thread: bar heights
are computed with numpy, boundaries closer than a device pixel are drawn once, and slide
numbers and loop labels that would overlap are skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from itertools import pairwise

import numpy as np
from PySide6.QtCore import QLineF, QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen

from simvid_desktop.model.project import Project
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.ui.tasks import FIRST, Pool, TaskChannel

logger = logging.getLogger(__name__)

PITCH, BAR, RULER, PAD = 3.0, 2.0, 16.0, 8.0  #: bar pitch and width, ruler height, margin
ENVELOPE = QColor(240, 160, 40)
_ZONES = ("skip", "show", "beyond", "loop", "silence")  # index = zone code, "none" is -1


def mix(a: QColor, b: QColor, t: float, alpha: int = 255) -> QColor:
    """``a`` moved ``t`` of the way to ``b``: derives every colour from the palette."""
    c = QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t,
                        a.greenF() + (b.greenF() - a.greenF()) * t,
                        a.blueF() + (b.blueF() - a.blueF()) * t)
    c.setAlpha(alpha)
    return c


def lane_rect(width: float, height: float) -> QRectF:
    """Where the bars go inside a widget of that size (the ruler is below it)."""
    r = QRectF(0, 0, width, height).adjusted(PAD, 6, -PAD, -RULER)
    return r if r.width() > 1 else QRectF(0, 0, 1, 1)


def show_axis(has_track: bool, start: float, total: float, track: float) -> tuple[float, float]:
    """Show times at the lane's left and right edges: the show, plus the skipped and
    the unused part of the track when there is one."""
    if not has_track:
        return 0.0, max(total, 1.0)
    return -start, max(total, track - start, 1e-3)


@dataclass(frozen=True, eq=False)
class LayerSpec:
    """Everything the pictures depend on, copied from the widget on the UI thread."""

    width: int
    height: int
    dpr: float
    base: QColor
    text: QColor
    accent: QColor
    window: QColor
    font: QFont
    amp: np.ndarray | None  #: loudness per slice, 0..1 (never mutated once set)
    track: float  #: decoded track length (s)
    total: float  #: show length (s)
    start: float  #: track offset (s)
    fade_in: float
    fade_out: float
    loop: bool
    placeholder: str
    #: Slide changes and transition spans (show times), or None: read them from ``project``
    #: on the worker (a Timeline of 500 slides costs a few ms).
    boundaries: tuple[float, ...] | None
    transitions: tuple[tuple[float, float], ...] | None
    project: Project | None

    @property
    def key(self) -> tuple[int, int, float]:
        return self.width, self.height, self.dpr


@dataclass(frozen=True, eq=False)
class Layers:
    """Finished pictures: everything but the playhead, and the show's bars as played."""

    generation: int  #: which widget state they show (the widget's counter)
    key: tuple[int, int, float]  #: (width, height, dpr) they were drawn for
    static: QImage
    played: QImage
    slides: int  #: how many slides the boundaries divide the show into
    boundaries_drawn: int  #: boundary lines actually drawn (closer than a pixel: one)


class _Painter:
    """Draws one spec; ``x(t)`` maps show time to widget x for this size."""

    def __init__(self, spec: LayerSpec) -> None:
        self.spec = spec
        self.lane = lane_rect(spec.width, spec.height)
        self.a0, a1 = show_axis(spec.amp is not None, spec.start, spec.total, spec.track)
        self.scale = self.lane.width() / (a1 - self.a0)
        if spec.boundaries is not None or spec.project is None or not spec.project.slides:
            self.boundaries = np.asarray(spec.boundaries or (), np.float64)
            self.transitions = np.asarray(spec.transitions or (), np.float64).reshape(-1, 2)
        else:
            # The render's own arithmetic: ~1.5 ms for 500 slides, here on the worker.
            timeline = Timeline(spec.project)
            self.boundaries = np.array([s.start for s in timeline.slides[1:]], np.float64)
            self.transitions = np.array([(t.start, t.end) for t in timeline.transitions],
                                        np.float64).reshape(-1, 2)
        self.boundaries_drawn = 0

    def x(self, t: float) -> float:
        return self.lane.left() + (t - self.a0) * self.scale

    def xs(self, t: np.ndarray) -> np.ndarray:
        return self.lane.left() + (t - self.a0) * self.scale

    def gain(self, t: np.ndarray) -> np.ndarray:
        s = self.spec
        g = np.ones_like(t)
        if s.fade_in > 0:
            g = np.minimum(g, t / min(s.fade_in, s.total or 1))
        if s.fade_out > 0:
            g = np.minimum(g, (s.total - t) / min(s.fade_out, s.total or 1))
        clipped: np.ndarray = np.clip(g, 0.0, 1.0)
        return clipped

    # -- the bars ----------------------------------------------------------------------
    def bar_rects(self) -> dict[str, list[QRectF]]:
        """The bars by zone (skipped, show, beyond the show, looped, silence)."""
        s, lane = self.spec, self.lane
        assert s.amp is not None
        amp, n = s.amp, len(s.amp)
        xs = np.arange(lane.left() + PITCH / 2, lane.right(), PITCH)
        if xs.size == 0:
            return {}
        t = self.a0 + (xs - lane.left()) / self.scale
        dt = PITCH / self.scale / 2
        mt = t + s.start
        inside = mt < s.track
        zone = np.full(t.shape, -1, np.int8)
        zone[inside & (t < 0)] = 0
        zone[inside & (t >= 0) & (t <= s.total)] = 1
        zone[inside & (t > s.total)] = 2
        after = ~inside & (t <= s.total)
        zone[after] = 3 if s.loop else 4
        src = np.where(inside, mt, np.nan)
        if s.loop and s.track > 0:
            src = np.where(after, np.mod(mt - s.track, s.track), src)
        heard = ~np.isnan(src)
        srcv = np.where(heard, src, 0.0)
        # Loudest slice under each bar: a few slices per bar, so a short loop over offsets.
        i0 = np.minimum(n - 1, (np.maximum(0.0, srcv - dt) / s.track * n).astype(np.int64))
        i1 = np.maximum((np.minimum(s.track, srcv + dt) / s.track * n).astype(np.int64) + 1,
                        i0 + 1)
        loud = amp[i0].copy()
        for k in range(1, int((i1 - i0).max())):
            idx = i0 + k
            loud = np.where(idx < i1, np.maximum(loud, amp[np.minimum(idx, n - 1)]), loud)
        loud = np.where(heard, loud, 0.0)
        loud = np.where((zone == 1) | (zone == 3), loud * self.gain(t), loud)
        half = lane.height() / 2 - 4
        h = np.round(np.maximum(BAR, loud * half * 2))
        left = np.round(xs - BAR / 2)
        top = np.round(lane.center().y() - h / 2)
        bars: dict[str, list[QRectF]] = {}
        for code, name in enumerate(_ZONES):
            sel = zone == code
            if sel.any():
                bars[name] = [QRectF(x, y, BAR, hh) for x, y, hh in
                              zip(left[sel].tolist(), top[sel].tolist(), h[sel].tolist(),
                                  strict=True)]
        return bars

    def paint_bars(self, p: QPainter, bars: dict[str, list[QRectF]],
                   *, only_played: bool = False) -> None:
        s = self.spec
        text, base, accent = s.text, s.base, s.accent
        colours = {"played": accent, "show": mix(accent, base, 0.45),
                   "loop": mix(accent, base, 0.45, 120), "skip": mix(text, base, 0.5, 90),
                   "beyond": mix(text, base, 0.5, 90), "silence": mix(text, base, 0.5, 70)}
        if only_played:  # the show's own bars, in the "played" colour
            bars = {"played": bars.get("show", [])}
        # Pixel-aligned plain bars, drawn per colour in one call: antialiased rounded
        # paths cost ~150 ms for a long show.
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(Qt.PenStyle.NoPen)
        for zone, rects in bars.items():
            if rects:
                p.setBrush(colours[zone])
                p.drawRects(rects)
        p.restore()

    # -- the static picture ------------------------------------------------------------
    def paint_static(self, p: QPainter, bars: dict[str, list[QRectF]] | None) -> None:
        s, lane = self.spec, self.lane
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        frame = QRectF(0, 0, s.width, s.height).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(QPen(mix(s.base, s.text, 0.18), 1))
        p.setBrush(mix(s.base, s.window, 0.5))
        p.drawRoundedRect(frame, 8, 8)
        if s.total > 0:
            x0, x1 = self.x(0.0), self.x(s.total)
            p.fillRect(QRectF(x0, lane.top(), x1 - x0, lane.height()),
                       mix(s.base, s.accent, 0.08))
            self._paint_transitions(p)
        if bars is not None:
            self.paint_bars(p, bars)
            self._paint_envelope(p)
        else:
            p.setPen(mix(s.base, s.text, 0.55))
            p.drawText(lane, Qt.AlignmentFlag.AlignCenter, s.placeholder)
        self._paint_marks(p)

    def _device_columns(self, xs: np.ndarray) -> np.ndarray:
        """Pixel-centre x of each distinct device pixel column ``xs`` falls in."""
        dpr = self.spec.dpr
        cols = np.unique(np.floor(xs * dpr))
        return (cols + 0.5) / dpr

    def _paint_transitions(self, p: QPainter) -> None:
        if not len(self.transitions):
            return
        dpr, lane = self.spec.dpr, self.lane
        left = np.floor(self.xs(self.transitions[:, 0]) * dpr)
        right = np.maximum(np.ceil(self.xs(self.transitions[:, 1]) * dpr), left + 1)
        # Spans that touch or overlap at this zoom become one rectangle.
        order = np.argsort(left)
        left, right = left[order], np.maximum.accumulate(right[order])
        starts = np.concatenate([[True], left[1:] > right[:-1]])
        ends = np.concatenate([starts[1:], [True]])
        rects = [QRectF(a / dpr, lane.top(), (b - a) / dpr, lane.height())
                 for a, b in zip(left[starts].tolist(), right[ends].tolist(), strict=True)]
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(mix(self.spec.base, self.spec.text, 0.5, 34))
        p.drawRects(rects)
        p.restore()

    def _paint_envelope(self, p: QPainter) -> None:
        s, lane = self.spec, self.lane
        if s.total <= 0 or (s.fade_in <= 0 and s.fade_out <= 0):
            return
        cy, half = lane.center().y(), lane.height() / 2 - 2
        fi, fo = min(s.fade_in, s.total), min(s.fade_out, s.total)
        times = np.array(sorted({0.0, fi, max(0.0, s.total - fo), s.total}))
        gains = self.gain(times)
        upper = [QPointF(self.x(t), cy - g * half)
                 for t, g in zip(times.tolist(), gains.tolist(), strict=True)]
        lower = [QPointF(pt.x(), 2 * cy - pt.y()) for pt in upper]
        shade, plateau = QColor(ENVELOPE), QColor(ENVELOPE)
        shade.setAlpha(38)
        plateau.setAlpha(90)
        for edge, limit in ((upper, lane.top()), (lower, lane.bottom())):
            area = QPainterPath(QPointF(edge[0].x(), limit))
            for pt in edge:
                area.lineTo(pt)
            area.lineTo(edge[-1].x(), limit)
            p.fillPath(area, shade)
            for a, b in pairwise(edge):  # ramps strong, full volume faint
                p.setPen(QPen(ENVELOPE if a.y() != b.y() else plateau, 1.5))
                p.drawLine(a, b)

    def _vline(self, p: QPainter, x: float, grow: float = 0.0) -> None:
        p.drawLine(QPointF(x, self.lane.top() - grow), QPointF(x, self.lane.bottom() + grow))

    def _paint_marks(self, p: QPainter) -> None:
        s, lane = self.spec, self.lane
        small = QFont(s.font)
        small.setPointSizeF(max(6.5, small.pointSizeF() * 0.78))
        p.setFont(small)
        fm = QFontMetricsF(small)
        bx = self.xs(self.boundaries)
        cols = self._device_columns(bx) if bx.size else bx
        self.boundaries_drawn = int(cols.size)
        p.setPen(QPen(mix(s.base, s.text, 0.45), 1))
        p.drawLines([QLineF(x, lane.top(), x, lane.bottom()) for x in cols.tolist()])
        # Slide numbers where they fit between their boundaries: never overlapping.
        p.setPen(mix(s.base, s.text, 0.6))
        edges = np.concatenate([[self.x(0.0)], bx, [self.x(s.total)]])
        widths = np.diff(edges)
        for i in np.flatnonzero(widths > 16).tolist():
            label = str(i + 1)
            if fm.horizontalAdvance(label) + 6 <= widths[i]:
                p.drawText(QPointF(edges[i] + 4, lane.top() + 11), label)
        track_end = s.track - s.start  # show time where the first pass ends
        if s.amp is not None and s.loop and s.track > 0:
            p.setPen(QPen(mix(s.base, s.text, 0.5), 1, Qt.PenStyle.DashLine))
            label_w = fm.horizontalAdvance("↻ loop") + 8
            last_line = last_label = -1e9
            while 0 < track_end < s.total:
                x = self.x(track_end)
                if x - last_line >= 1:
                    self._vline(p, x)
                    last_line = x
                if x - last_label >= label_w and x + label_w <= lane.right():
                    p.drawText(QPointF(x + 4, lane.bottom() - 4), "↻ loop")
                    last_label = x
                track_end += s.track
        labels = []
        if s.amp is not None and not s.loop and track_end < s.total:
            labels.append((track_end, s.total, "silence"))
        if s.amp is not None and s.start > 0 and self.x(0) - lane.left() > 60:
            labels.append((-s.start, 0.0, "skipped"))
        p.setPen(mix(s.base, s.text, 0.55))
        for a, b, label in labels:
            box = QRectF(self.x(a), lane.top(), self.x(b) - self.x(a), lane.height())
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        self._paint_ruler(p, fm)
        if s.total <= 0:
            return
        p.setPen(QPen(s.text, 1.5))
        xe = self.x(s.total)
        self._vline(p, xe, grow=2)
        w = fm.horizontalAdvance("end") + 8
        box = QRectF(xe - w if xe + w > lane.right() else xe, lane.top(), w, 14)
        p.fillRect(box, s.text)
        p.setPen(s.base)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, "end")

    def _paint_ruler(self, p: QPainter, fm: QFontMetricsF) -> None:
        s, lane = self.spec, self.lane
        span = max(self.a0 + lane.width() / self.scale, s.total) or 1.0
        step = next((st for st in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600)
                     if self.scale * st >= 56), 1200)
        p.setPen(mix(s.base, s.text, 0.55))
        t = 0.0
        while t <= span + 1e-6:
            x = self.x(t)
            if x > lane.right() + 1:
                break
            label = f"{int(t) // 60}:{int(t) % 60:02d}"
            p.drawLine(QPointF(x, lane.bottom() + 1), QPointF(x, lane.bottom() + 4))
            if x + 2 + fm.horizontalAdvance(label) <= s.width - 2:
                p.drawText(QPointF(x + 2, lane.bottom() + 13), label)
            t += step


def _image(spec: LayerSpec) -> QImage:
    size = QSize(max(1, round(spec.width * spec.dpr)), max(1, round(spec.height * spec.dpr)))
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(spec.dpr)
    image.fill(Qt.GlobalColor.transparent)
    return image


def build_layers(spec: LayerSpec, generation: int = 0) -> Layers:
    """Draw both pictures of ``spec``. Safe on any thread: QImage and plain values only."""
    painter = _Painter(spec)
    bars = painter.bar_rects() if spec.amp is not None else None
    static, played = _image(spec), _image(spec)
    p = QPainter(static)
    try:
        painter.paint_static(p, bars)
    finally:
        p.end()
    if bars is not None:
        p = QPainter(played)
        try:
            painter.paint_bars(p, bars, only_played=True)
        finally:
            p.end()
    return Layers(generation, spec.key, static, played, len(painter.boundaries) + 1
                  if spec.total > 0 else 0, painter.boundaries_drawn)


def _build(spec: LayerSpec, generation: int) -> Layers:
    return build_layers(spec, generation)  # looked up per call: tests wrap build_layers


class LayerBuilder(QObject):
    """Builds one spec at a time on the decode pool; a newer request waits for the running
    one and replaces any request still waiting, so only the latest state is drawn next.
    The running build still reports: its picture is newer than the one on screen."""

    #: A build finished; carries the :class:`Layers`.
    built = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = TaskChannel(self, Pool.DECODE)
        self._running = False
        self._waiting: tuple[LayerSpec, int] | None = None

    @property
    def busy(self) -> bool:
        return self._running or self._waiting is not None

    def request(self, spec: LayerSpec, generation: int) -> None:
        if self._running:
            self._waiting = (spec, generation)
            return
        self._running = True
        # Ahead of queued thumbnails: one picture, and the widget shows a stale one meanwhile.
        self._tasks.run(partial(_build, spec, generation), self._on_built, FIRST)

    def _on_built(self, layers: Layers | None, error: BaseException | None) -> None:
        self._running = False
        if error is not None:  # the next request draws again; this one is only logged
            logger.error("waveform layers could not be drawn", exc_info=error)
        if self._waiting is not None:
            spec, generation = self._waiting
            self._waiting = None
            self.request(spec, generation)
        if layers is not None:
            self.built.emit(layers)
