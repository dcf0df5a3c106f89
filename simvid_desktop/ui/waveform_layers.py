"""The waveform's two cached pictures, drawn into QImages on a worker thread.

A show of 500 slides means 500 boundary lines, 500 transition spans, hundreds of bars and
labels: drawing that took ~60 ms, far too long for the UI thread. Everything here works
on a frozen :class:`LayerSpec` snapshot and paints into ``QImage`` (which Qt allows off the
GUI thread; ``QPixmap`` it does not), so :class:`LayerBuilder` can run it on a pool thread
while the widget keeps showing the previous pictures. The drawing is also made cheap in
itself, because a Python thread holding the GIL still slows the UI thread: bar heights
are computed with numpy, boundaries closer than a device pixel are drawn once, and slide
numbers and loop labels that would overlap are skipped.

What is drawn is what is heard: the tracks where :func:`model.playlist.place_tracks` plays
them (the render mixes by the same arithmetic), their beats where
:func:`model.playlist.beats_on_clock` puts them, and the music's gain (the playlist's
fades times the ducking of :mod:`model.ducking`) from the spans the render dips by
(:func:`render.audio.music_duck_spans`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import pairwise
from pathlib import Path

import numpy as np
from PySide6.QtCore import QLineF, QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen

from simvid_desktop.model.beat_sync import beat_grid
from simvid_desktop.model.ducking import duck_gain_db
from simvid_desktop.model.playlist import (
    PlacedTrack,
    beats_on_clock,
    place_tracks,
    playlist_length,
)
from simvid_desktop.model.project import AudioBed, Project
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.audio import music_duck_spans
from simvid_desktop.ui.tasks import FIRST, Pool, TaskChannel

logger = logging.getLogger(__name__)

PITCH, BAR, RULER, PAD = 3.0, 2.0, 16.0, 8.0  #: bar pitch and width, ruler height, margin
ENVELOPE = QColor(240, 160, 40)
DUCK = QColor(126, 87, 194)  #: the dipped regions' tint
BEAT = QColor(216, 27, 96)  #: beat markers
#: Samples of the gain across each ducking ramp: the ramp is linear in dB, so curved in
#: the amplitude drawn; 12 chords keep it within half a pixel on a tall lane.
RAMP_POINTS = 12
#: Bar zones, by code (-1: nothing plays there). Tracks alternate two tones (a, b) so a
#: boundary shows even without its line; repeats of a looping playlist are "loop".
_ZONES = ("a", "b", "loop", "beyond", "silence")


def mix(a: QColor, b: QColor, t: float, alpha: int = 255) -> QColor:
    """``a`` moved ``t`` of the way to ``b``: derives every colour from the palette."""
    c = QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t,
                        a.greenF() + (b.greenF() - a.greenF()) * t,
                        a.blueF() + (b.blueF() - a.blueF()) * t)
    c.setAlpha(alpha)
    return c


def second_tone(accent: QColor) -> QColor:
    """The accent turned a fifth of the way back round the colour wheel (a blue accent
    gives teal): the odd tracks, clear of the red playhead and the pink beat markers."""
    hue = max(accent.hslHueF(), 0.0)  # -1 for a grey accent
    return QColor.fromHslF((hue - 0.2) % 1.0, max(accent.hslSaturationF(), 0.45),
                           accent.lightnessF())


def lane_rect(width: float, height: float) -> QRectF:
    """Where the bars go inside a widget of that size (the ruler is below it)."""
    r = QRectF(0, 0, width, height).adjusted(PAD, 6, -PAD, -RULER)
    return r if r.width() > 1 else QRectF(0, 0, 1, 1)


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
    total: float  #: show length (s)
    placeholder: str  #: said where no music is drawn
    #: Slide changes and transition spans (show times), or None: read them from ``project``
    #: on the worker (a Timeline of 500 slides costs a few ms).
    boundaries: tuple[float, ...] | None
    transitions: tuple[tuple[float, float], ...] | None
    project: Project | None
    bed: AudioBed | None = None  #: the playlist (None: no music)
    #: Per track of ``bed``: loudness per slice (0..1, never mutated once set), or None.
    amps: tuple[np.ndarray | None, ...] = ()
    #: Per track of ``bed``: the file's decoded length; 0.0 when it cannot be used, None
    #: while it is being decoded (nothing is placed until every length is known).
    lengths: tuple[float | None, ...] = ()
    #: Decoded lengths of the narration files (voice-over), by path; missing: unknown.
    narrations: Mapping[Path, float] = field(default_factory=dict)
    sounding: frozenset[Path] = frozenset()  #: clip files that have a sound track
    #: The analysed beats of music files (seconds of the file), by path.
    beats: Mapping[Path, tuple[float, ...]] = field(default_factory=dict)
    beat_every: int = 1  #: every n-th beat is drawn stronger (the cut's grid)

    @property
    def key(self) -> tuple[int, int, float]:
        return self.width, self.height, self.dpr


@dataclass(frozen=True, eq=False)
class Layers:
    """Finished pictures: everything but the playhead, and the show's bars as played.

    Beside the pictures, what they show (in show seconds), for the widget's geometry and
    for tests: what is drawn is checked against the model's own arithmetic."""

    generation: int  #: which widget state they show (the widget's counter)
    key: tuple[int, int, float]  #: (width, height, dpr) they were drawn for
    static: QImage
    played: QImage
    slides: int  #: how many slides the boundaries divide the show into
    boundaries_drawn: int  #: boundary lines actually drawn (closer than a pixel: one)
    axis: tuple[float, float] = (0.0, 1.0)  #: show times at the lane's left and right
    placed: tuple[PlacedTrack, ...] = ()  #: the plays of the tracks drawn
    beats: tuple[float, ...] = ()  #: beat markers drawn (show times)
    strong_beats: tuple[float, ...] = ()  #: those of them on the cut's grid
    duck_spans: tuple[tuple[float, float], ...] = ()  #: where the music is fully down
    #: The music's gain drawn: ``(t, fade, duck_db)`` at each point of the envelope line,
    #: the fade a factor (0..1), the ducking in dB (model.ducking.duck_gain_db).
    envelope: tuple[tuple[float, float, float], ...] = ()


class _Painter:
    """Draws one spec; ``x(t)`` maps show time to widget x for this size."""

    def __init__(self, spec: LayerSpec) -> None:
        self.spec = spec
        self.lane = lane_rect(spec.width, spec.height)
        self.timeline: Timeline | None = None
        if spec.boundaries is not None or spec.project is None or not spec.project.slides:
            self.boundaries = np.asarray(spec.boundaries or (), np.float64)
            self.transitions = np.asarray(spec.transitions or (), np.float64).reshape(-1, 2)
        else:
            # The render's own arithmetic: ~1.5 ms for 500 slides, here on the worker.
            self.timeline = timeline = Timeline(spec.project)
            self.boundaries = np.array([s.start for s in timeline.slides[1:]], np.float64)
            self.transitions = np.array([(t.start, t.end) for t in timeline.transitions],
                                        np.float64).reshape(-1, 2)
        self.boundaries_drawn = 0
        self.placed: list[PlacedTrack] = []
        self.one_pass = 0.0
        bed = spec.bed
        if bed is not None and spec.lengths and all(x is not None for x in spec.lengths):
            lengths = [float(x or 0.0) for x in spec.lengths]
            self.one_pass = playlist_length(bed, lengths)
            # Past the show too, up to the end of the first pass: what the cut leaves out.
            self.placed = place_tracks(bed, lengths, max(spec.total, self.one_pass))
        self.heard = bool(self.placed)
        self.a0 = 0.0
        a1 = max(spec.total, self.one_pass if self.heard else 0.0)
        self.a1 = a1 if a1 > 0 else 1.0
        self.scale = self.lane.width() / (self.a1 - self.a0)
        self.spans = self._duck_spans()
        self.beats, self.strong = self._beats()

    def x(self, t: float) -> float:
        return self.lane.left() + (t - self.a0) * self.scale

    def xs(self, t: np.ndarray) -> np.ndarray:
        return self.lane.left() + (t - self.a0) * self.scale

    # -- what is heard ---------------------------------------------------------------
    def _duck_spans(self) -> list[tuple[float, float]]:
        """Where the music is down: :func:`render.audio.music_duck_spans`, the render's own
        spans, from what the widget found out (clips with sound, narrations' lengths)."""
        s, timeline = self.spec, self.timeline
        if s.bed is None or not self.heard or s.project is None or timeline is None:
            return []
        return music_duck_spans(s.project, timeline,
                                has_audio=lambda path: path in s.sounding,
                                track_length=lambda path: s.narrations.get(path, 0.0))

    def _beats(self) -> tuple[np.ndarray, np.ndarray]:
        s = self.spec
        if s.bed is None or not self.placed or not s.beats:
            return np.empty(0), np.empty(0)
        per_track = [s.beats.get(t.path, ()) for t in s.bed.tracks]
        beats = beats_on_clock(self.placed, per_track, self.a1)
        return (np.asarray(beats, np.float64),
                np.asarray(beat_grid(beats, max(1, s.beat_every)), np.float64))

    def fade(self, t: np.ndarray) -> np.ndarray:
        """The playlist's fade-in and fade-out at show times ``t`` (a factor, 0..1)."""
        s = self.spec
        g = np.ones_like(t)
        bed = s.bed
        if bed is None:
            return g
        if bed.fade_in > 0:
            g = np.minimum(g, t / min(bed.fade_in, s.total or 1))
        if bed.fade_out > 0:
            g = np.minimum(g, (s.total - t) / min(bed.fade_out, s.total or 1))
        clipped: np.ndarray = np.clip(g, 0.0, 1.0)
        return clipped

    def envelope_points(self) -> list[tuple[float, float, float]]:
        """``(t, fade, duck_db)`` where the gain line bends: the fades' corners, and each
        ducking ramp sampled (linear in dB, so a curve in amplitude)."""
        s = self.spec
        if s.total <= 0 or s.bed is None:
            return []
        bed, total = s.bed, s.total
        duck = bed.ducking
        if bed.fade_in <= 0 and bed.fade_out <= 0 and not self.spans:
            return []
        times = {0.0, total, min(bed.fade_in, total), max(0.0, total - bed.fade_out)}
        for a, b in self.spans:
            for k in range(RAMP_POINTS + 1):
                times.add(a - duck.attack * (1 - k / RAMP_POINTS))
                times.add(b + duck.release * k / RAMP_POINTS)
        ts = np.array(sorted(t for t in times if 0.0 <= t <= total))
        fades = self.fade(ts)
        return [(t, f, duck_gain_db(t, self.spans, duck))
                for t, f in zip(ts.tolist(), fades.tolist(), strict=True)]

    def gain(self, t: np.ndarray) -> np.ndarray:
        """The music's amplitude factor at show times ``t``: fades times the ducking."""
        g = self.fade(t)
        if self.spans and self.spec.bed is not None:
            duck = self.spec.bed.ducking
            lo = np.array([a - duck.attack for a, _ in self.spans])
            hi = np.array([b + duck.release for _, b in self.spans])
            hit = np.searchsorted(lo, t, side="right") - 1  # the span whose ramp may cover t
            near = (hit >= 0) & (t < hi[np.maximum(hit, 0)])
            if near.any():
                db = np.array([duck_gain_db(x, self.spans, duck) for x in t[near].tolist()])
                g = g.copy()
                g[near] *= 10.0 ** (db / 20.0)
        return g

    # -- the bars ----------------------------------------------------------------------
    def _plays(self) -> dict[str, np.ndarray]:
        """The plays as arrays (one entry per play), and every track's loudness joined
        end to end (each followed by one 0) with where each starts in it."""
        s = self.spec
        amps = []
        offset, offsets, sizes, usable = 0, [], [], []
        for i in range(len(s.lengths)):
            amp = s.amps[i] if i < len(s.amps) else None
            ok = amp is not None and len(amp) > 0 and (s.lengths[i] or 0.0) > 0
            a = np.asarray(amp, np.float64) if ok and amp is not None else np.zeros(1)
            amps += [a, np.zeros(1)]
            offsets.append(offset)
            sizes.append(a.size)
            usable.append(ok)
            offset += a.size + 1
        plays = self.placed
        index = np.array([p.index for p in plays], np.int64)
        return {
            "joined": np.concatenate(amps) if amps else np.zeros(1),
            "start": np.array([p.show_start for p in plays]),
            "end": np.array([p.show_end for p in plays]),
            "file": np.array([p.file_start for p in plays]),
            "fade_in": np.array([p.fade_in for p in plays]),
            "fade_out": np.array([p.fade_out for p in plays]),
            "volume": np.clip(np.array([p.track.volume for p in plays], np.float64), 0, 1),
            "offset": np.array(offsets, np.int64)[index],
            "size": np.array(sizes, np.int64)[index],
            "length": np.array([s.lengths[i] or 0.0 for i in index.tolist()]),
            "usable": np.array(usable, bool)[index],
        }

    def _loudness(self, t: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """Each bar's loudness and the play it comes from (-1: none), the louder of the
        two plays that may sound at once (a crossfade: never more, see model.playlist);
        all plays at once, so a short song looped under a long show costs no more."""
        loud = np.zeros(t.shape)
        owner = np.full(t.shape, -1, np.int64)
        if not self.placed:
            return loud, owner
        pl = self._plays()
        latest = np.searchsorted(pl["start"], t, side="right") - 1
        for k in (latest, latest - 1):
            kk = np.maximum(k, 0)
            valid = (k >= 0) & (t < pl["end"][kk]) & pl["usable"][kk]
            if not valid.any():
                continue
            length = np.where(valid, pl["length"][kk], 1.0)
            n = pl["size"][kk]
            ft = np.where(valid, pl["file"][kk] + t - pl["start"][kk], 0.0)
            i0 = np.minimum(n - 1, (np.maximum(0.0, ft - dt) / length * n).astype(np.int64))
            i1 = np.minimum(n, np.maximum(
                (np.minimum(length, ft + dt) / length * n).astype(np.int64) + 1, i0 + 1))
            edges = np.empty(2 * t.size, np.int64)  # [i0, i1) of bar j at 2j, 2j+1
            edges[0::2], edges[1::2] = pl["offset"][kk] + i0, pl["offset"][kk] + i1
            here = np.maximum.reduceat(pl["joined"], edges)[0::2]
            g = np.ones_like(t)
            fi, fo = pl["fade_in"][kk], pl["fade_out"][kk]
            g = np.where(fi > 0, np.minimum(g, (t - pl["start"][kk]) / np.maximum(fi, 1e-9)), g)
            g = np.where(fo > 0, np.minimum(g, (pl["end"][kk] - t) / np.maximum(fo, 1e-9)), g)
            here = here * np.clip(g, 0.0, 1.0) * pl["volume"][kk]
            better = valid & ((owner < 0) | (here > loud))
            loud = np.where(better, here, loud)
            owner = np.where(better, kk, owner)
        return loud, owner

    def bar_rects(self) -> dict[str, list[QRectF]]:
        """The bars by zone (the two track tones, repeats, beyond the show, silence)."""
        s, lane = self.spec, self.lane
        xs = np.arange(lane.left() + PITCH / 2, lane.right(), PITCH)
        if xs.size == 0:
            return {}
        t = self.a0 + (xs - lane.left()) / self.scale
        dt = PITCH / self.scale / 2
        loud, owner = self._loudness(t, dt)
        first_pass = self._first_pass()
        parity = np.array([p.index % 2 for p in self.placed] + [0], np.int64)
        zone = np.full(t.shape, -1, np.int8)
        inside = t <= s.total
        played = owner >= 0
        zone[inside & played & (owner < first_pass) & (parity[owner] == 0)] = 0
        zone[inside & played & (owner < first_pass) & (parity[owner] == 1)] = 1
        zone[inside & played & (owner >= first_pass)] = 2
        zone[~inside & played] = 3
        zone[inside & ~played] = 4
        loud = np.where(inside, loud * self.gain(t), loud)
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

    def _first_pass(self) -> int:
        """How many plays the first pass through the playlist makes."""
        seen: set[int] = set()
        for k, play in enumerate(self.placed):
            if play.index in seen:
                return k
            seen.add(play.index)
        return len(self.placed)

    def paint_bars(self, p: QPainter, bars: dict[str, list[QRectF]],
                   *, only_played: bool = False) -> None:
        s = self.spec
        text, base, accent = s.text, s.base, s.accent
        tone_b = second_tone(accent)
        colours = {"played": accent, "played_b": tone_b, "a": mix(accent, base, 0.45),
                   "b": mix(tone_b, base, 0.45), "loop": mix(accent, base, 0.45, 120),
                   "beyond": mix(text, base, 0.5, 90), "silence": mix(text, base, 0.5, 70)}
        if only_played:  # the show's own bars, in full colour: each track keeps its tone
            bars = {"played": bars.get("a", []) + bars.get("loop", []),
                    "played_b": bars.get("b", [])}
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
            self._paint_ducking(p)
            self._paint_joins(p)
            self.paint_bars(p, bars)
            self._paint_envelope(p)
        else:
            p.setPen(mix(s.base, s.text, 0.55))
            p.drawText(lane, Qt.AlignmentFlag.AlignCenter, s.placeholder)
        self._paint_marks(p)
        if bars is not None:
            self._paint_beats(p)
            self._paint_track_names(p)

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

    def _paint_ducking(self, p: QPainter) -> None:
        """The dips tinted: lightly over the ramps, more where the music is fully down."""
        s, lane = self.spec, self.lane
        if not self.spans or s.bed is None:
            return
        duck = s.bed.ducking
        ramp, down = QColor(DUCK), QColor(DUCK)
        ramp.setAlpha(28)
        down.setAlpha(52)
        small = QFont(s.font)
        small.setPointSizeF(max(6.5, small.pointSizeF() * 0.72))
        fm = QFontMetricsF(small)
        label = f"ducked {duck.depth_db:+.0f} dB".replace("-", "−")
        p.save()
        p.setFont(small)
        for a, b in self.spans:
            outer = QRectF(QPointF(self.x(a - duck.attack), lane.top()),
                           QPointF(self.x(b + duck.release), lane.bottom()))
            inner = QRectF(QPointF(self.x(a), lane.top()), QPointF(self.x(b), lane.bottom()))
            p.fillRect(outer, ramp)
            p.fillRect(inner, down)
            if fm.horizontalAdvance(label) + 8 <= inner.width():
                p.setPen(DUCK.darker(140))
                # Low in the dip, where the lowered bars leave room, above the beat ticks.
                p.drawText(QPointF(inner.right() - fm.horizontalAdvance(label) - 4,
                                   lane.bottom() - 13), label)
        p.restore()

    def _paint_joins(self, p: QPainter) -> None:
        """Where one track leads into the next: a crossfade's overlap crossed, a gap shaded."""
        s, lane = self.spec, self.lane
        if len(self.placed) < 2:
            return
        p.save()
        faint = mix(s.base, s.text, 0.5, 110)
        for prev, play in pairwise(self.placed):
            x0, x1 = self.x(play.show_start), self.x(prev.show_end)
            if x1 - x0 >= 1:  # a crossfade: the two fades cross
                p.fillRect(QRectF(x0, lane.top(), x1 - x0, lane.height()),
                           mix(s.base, s.text, 0.5, 26))
                p.setPen(QPen(faint, 1))
                p.drawLine(QPointF(x0, lane.bottom()), QPointF(x1, lane.top()))
                p.drawLine(QPointF(x0, lane.top()), QPointF(x1, lane.bottom()))
            elif x0 - x1 >= 1:  # a gap of silence
                p.fillRect(QRectF(x1, lane.top(), x0 - x1, lane.height()),
                           mix(s.base, s.text, 0.5, 18))
        p.restore()

    def _paint_envelope(self, p: QPainter) -> None:
        lane = self.lane
        points = self.envelope_points()
        if len(points) < 2:
            return
        cy, half = lane.center().y(), lane.height() / 2 - 2
        upper = [QPointF(self.x(t), cy - f * 10.0 ** (db / 20.0) * half)
                 for t, f, db in points]
        lower = [QPointF(pt.x(), 2 * cy - pt.y()) for pt in upper]
        shade, plateau = QColor(ENVELOPE), QColor(ENVELOPE)
        shade.setAlpha(38)
        plateau.setAlpha(90)
        full = cy - half + 0.01
        for edge, limit in ((upper, lane.top()), (lower, lane.bottom())):
            area = QPainterPath(QPointF(edge[0].x(), limit))
            for pt in edge:
                area.lineTo(pt)
            area.lineTo(edge[-1].x(), limit)
            p.fillPath(area, shade)
            for a, b in pairwise(edge):  # ramps and dips strong, full volume faint
                flat_full = a.y() == b.y() and (a.y() <= full or a.y() >= 2 * cy - full)
                p.setPen(QPen(plateau if flat_full else ENVELOPE, 1.5))
                p.drawLine(a, b)

    def _paint_beats(self, p: QPainter) -> None:
        """Ticks along the lane's foot: every beat short, the cut's grid taller."""
        if not self.beats.size:
            return
        lane = self.lane
        weak, strong = QColor(BEAT), QColor(BEAT)
        weak.setAlpha(150)
        foot = lane.bottom()
        inside = (self.beats >= self.a0) & (self.beats <= self.a1)
        strong_set = set(self.strong.tolist())
        grid = np.array([b in strong_set for b in self.beats.tolist()], bool)
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(QPen(weak, 1))
        cols = self._device_columns(self.xs(self.beats[inside & ~grid]))
        p.drawLines([QLineF(x, foot - 5, x, foot) for x in cols.tolist()])
        p.setPen(QPen(strong, 2))
        cols = self._device_columns(self.xs(self.beats[inside & grid]))
        p.drawLines([QLineF(x, foot - 10, x, foot) for x in cols.tolist()])
        p.restore()

    def _paint_track_names(self, p: QPainter) -> None:
        """Each play's file name at its start, when it fits before the next one."""
        s, lane = self.spec, self.lane
        if not self.placed:
            return
        small = QFont(s.font)
        small.setPointSizeF(max(6.5, small.pointSizeF() * 0.78))
        fm = QFontMetricsF(small)
        first_pass = self._first_pass()
        p.save()
        p.setFont(small)
        right_edge = min(lane.right(), self.x(self.a1))
        pill = mix(s.base, s.window, 0.3, 215)
        ink = (mix(s.accent, s.text, 0.45), mix(second_tone(s.accent), s.text, 0.45))
        widths: dict[str, float] = {}
        # Where each name may go: from the middle of its crossfade in to the next one's.
        mids = np.array([q.show_start + q.fade_in / 2 for q in self.placed]
                        + [self.placed[-1].show_end])
        xs = np.minimum(self.xs(mids), right_edge)
        room = np.diff(xs) - 10
        # Only the plays with room: a short song looped under a long show has thousands.
        for k in np.flatnonzero(room >= 36).tolist():
            play, x0 = self.placed[k], float(xs[k])
            name = ("↻ " if k >= first_pass else "") + play.track.path.name
            if name not in widths:  # a looping playlist repeats its names: measure once
                widths[name] = fm.horizontalAdvance(name)
            text, w = name, widths[name]
            if w > room[k] - 8:
                text = fm.elidedText(name, Qt.TextElideMode.ElideMiddle, float(room[k]) - 8)
                w = fm.horizontalAdvance(text)
            box = QRectF(x0 + 3, lane.top() + 14, w + 8, fm.height() + 2)
            p.fillRect(box, pill)  # square: a rounded one costs 10x, times every repeat
            p.setPen(ink[play.index % 2])
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        p.restore()

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
        first_pass = self._first_pass()
        if first_pass < len(self.placed):  # the playlist starts again: a dashed line
            p.setPen(QPen(mix(s.base, s.text, 0.5), 1, Qt.PenStyle.DashLine))
            starts = np.array([q.show_start for q in self.placed[first_pass::first_pass]])
            cols = self._device_columns(self.xs(starts[starts < s.total]))
            p.drawLines([QLineF(x, lane.top(), x, lane.bottom()) for x in cols.tolist()])
        if self.heard and self.placed and s.bed is not None and not s.bed.loop:
            end = max(play.show_end for play in self.placed)
            if end < s.total and self.x(s.total) - self.x(end) > 50:
                box = QRectF(self.x(end), lane.top(), self.x(s.total) - self.x(end),
                             lane.height())
                p.setPen(mix(s.base, s.text, 0.55))
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, "silence")
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
        span = max(self.a1, s.total) or 1.0
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
    bars = painter.bar_rects() if painter.heard else None
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
    return Layers(
        generation, spec.key, static, played,
        len(painter.boundaries) + 1 if spec.total > 0 else 0, painter.boundaries_drawn,
        axis=(painter.a0, painter.a1), placed=tuple(painter.placed),
        beats=tuple(painter.beats.tolist()), strong_beats=tuple(painter.strong.tolist()),
        duck_spans=tuple(painter.spans),
        envelope=tuple(painter.envelope_points()) if bars is not None else ())


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
