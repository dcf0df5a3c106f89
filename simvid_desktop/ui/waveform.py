"""The music drawn under the show: every track of the playlist where it plays, where slides
change, where the video ends, the fades, the dips under clip sound and voice-over, and the
beats once they are analysed.

Decoding a track takes from a fraction of a second to many seconds, so it runs on the
decode pool (:func:`render.waveform.decode_peaks`) and only a small array of peaks comes
back to the UI thread. The lengths used are the decoded ones: MP3 headers can lie. Each
file is decoded once: the results are kept by path (and size and modification time) for
every loader and widget of the window, so the Music panel's list and the waveform never
decode the same song twice, and reordering or undoing decodes nothing.

The widget's horizontal axis is *show time*, the time the preview and the video use. Where
each track plays is :func:`model.playlist.place_tracks`, the arithmetic the render mixes
by: trims, crossfades, gaps, and the repeats of a looping playlist, exactly as heard.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QWidget

from simvid_desktop.errors import AudioUnreadable
from simvid_desktop.model.project import AudioBed, Project
from simvid_desktop.render.beats import BeatTrack
from simvid_desktop.render.ffmpeg import probe_media
from simvid_desktop.render.waveform import decode_peaks
from simvid_desktop.ui.tasks import FIRST, Pool, TaskChannel
from simvid_desktop.ui.waveform_layers import (
    LayerBuilder,
    Layers,
    LayerSpec,
    lane_rect,
    mix,
)

logger = logging.getLogger(__name__)

Peaks = tuple[np.ndarray, float]  #: (n, 2) float32 min and max per slice, decoded seconds

_CACHE_SIZE = 64  #: files kept (16 KB of peaks each)
_cache: OrderedDict[tuple[str, int, int], Peaks] = OrderedDict()
_cache_lock = threading.Lock()  # decodes run on the pool, lookups on the UI thread


def _file_key(path: Path) -> tuple[str, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None  # the decoder reports the missing file
    return str(path.resolve()), st.st_size, st.st_mtime_ns


def cached_peaks(path: Path) -> Peaks | None:
    """The peaks of ``path`` if it was decoded before and has not changed since."""
    key = _file_key(Path(path))
    with _cache_lock:
        found = _cache.get(key) if key is not None else None
        if found is not None and key is not None:
            _cache.move_to_end(key)
        return found


def _decode(path: Path, cancel: threading.Event) -> Peaks | None:
    """Runs on the decode pool; None when cancelled (its ffmpeg is killed at once)."""
    found = cached_peaks(path)
    if found is not None:
        return found
    key = _file_key(path)
    result = decode_peaks(path, cancel.is_set)
    if result is not None and key is not None:
        with _cache_lock:
            _cache[key] = result
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return result


def _has_sound(path: Path) -> bool:
    """Runs on the decode pool: whether a clip has an audio stream (the music dips under
    it); a file ffmpeg cannot open has none, as the render decides."""
    info = probe_media(path)
    return info is not None and info.has_audio


def _reason(path: Path, error: BaseException) -> str:
    """One user-facing line naming ``path`` for a decode that failed."""
    if isinstance(error, AudioUnreadable):
        logger.info("cannot decode %s: %s", path, error)
        return str(error)
    if isinstance(error, OSError):  # ffmpeg missing or not executable
        logger.info("cannot decode %s: %s", path, error)
        return f"{path.name}: cannot run ffmpeg ({error})"
    logger.error("decoding %s failed", path, exc_info=error)
    return f"{path.name}: cannot be decoded ({error})"


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

    def _on_decoded(self, path: Path, result: Peaks | None,
                    error: BaseException | None) -> None:
        if error is not None:
            self.failed.emit(str(path), _reason(path, error))
        elif result is not None:  # None: cancelled, and then never delivered anyway
            self.loaded.emit(str(path), result[0], result[1])


def loudness(peaks: np.ndarray) -> np.ndarray:
    """Loudness per slice (0..1, the loudest slice 1) from min/max peaks."""
    amp = np.abs(np.asarray(peaks, np.float32)).max(axis=1)
    top = float(amp.max()) if amp.size else 0.0
    result: np.ndarray = amp / top if top > 0 else amp
    return result


class SoundFiles(QObject):
    """What the waveform must know of the show's files, found off the UI thread, each once:
    every music and narration file's peaks and decoded length (or why it cannot be used),
    and whether each clip has sound."""

    #: Something new is known (a decode or a probe finished).
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = TaskChannel(self, Pool.DECODE)
        self._decoded: dict[Path, tuple[np.ndarray, float] | str] = {}  # amp, or a reason
        self._sounding: dict[Path, bool] = {}
        self._pending: set[tuple[str, Path]] = set()
        self._cancel = threading.Event()
        cancel = self._cancel
        self.destroyed.connect(lambda *_: cancel.set())  # stop a running ffmpeg at once

    def want(self, decode: Iterable[Path], probe: Iterable[Path] = ()) -> None:
        """Decode the files of ``decode`` and probe those of ``probe`` not known yet."""
        for path in dict.fromkeys(Path(p) for p in decode):
            if path in self._decoded or ("decode", path) in self._pending:
                continue
            found = cached_peaks(path)
            if found is not None:
                self.put(path, *found)
                continue
            self._pending.add(("decode", path))
            self._tasks.run(partial(_decode, path, self._cancel),
                            partial(self._on_decoded, path), FIRST - 1)
        for path in dict.fromkeys(Path(p) for p in probe):
            if path in self._sounding or ("probe", path) in self._pending:
                continue
            self._pending.add(("probe", path))
            self._tasks.run(partial(_has_sound, path), partial(self._on_probed, path),
                            FIRST - 1)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def put(self, path: Path, peaks: np.ndarray, seconds: float) -> None:
        """Peaks decoded elsewhere (the Music panel's loader): kept unless known already
        (the panel hands them over again at every edit)."""
        path = Path(path)
        if isinstance(self._decoded.get(path), tuple):
            return
        self._decoded[path] = (loudness(peaks), float(seconds))
        self.changed.emit()

    def loudness(self, path: Path) -> np.ndarray | None:
        found = self._decoded.get(path)
        return found[0] if isinstance(found, tuple) else None

    def length(self, path: Path) -> float | None:
        """Decoded seconds; 0.0 when the file cannot be used; None while unknown."""
        found = self._decoded.get(path)
        if found is None:
            return None
        return found[1] if isinstance(found, tuple) else 0.0

    def problem(self, path: Path) -> str | None:
        found = self._decoded.get(path)
        return found if isinstance(found, str) else None

    def sounding(self) -> frozenset[Path]:
        return frozenset(p for p, yes in self._sounding.items() if yes)

    def _on_decoded(self, path: Path, result: Peaks | None,
                    error: BaseException | None) -> None:
        self._pending.discard(("decode", path))
        if isinstance(self._decoded.get(path), tuple):
            return  # put() meanwhile: the panel's own decode came first
        if error is not None:
            self._decoded[path] = _reason(path, error)
        elif result is not None:
            self._decoded[path] = (loudness(result[0]), result[1])
        else:
            return
        self.changed.emit()

    def _on_probed(self, path: Path, result: bool | None,
                   error: BaseException | None) -> None:
        self._pending.discard(("probe", path))
        if error is not None:
            logger.info("cannot probe %s: %s", path, error)
        self._sounding[path] = bool(result) and error is None
        self.changed.emit()


class WaveformWidget(QWidget):
    """The playlist, the show's slides over it, the gain envelope, the beats and a playhead;
    click to seek.

    Give it the project (:meth:`set_show`): it decodes what it needs itself (each file
    once, see :class:`SoundFiles`). The tracks, slides and labels are two pictures drawn
    off the UI thread (:mod:`waveform_layers`); painting only blits them and draws the
    playhead. After an edit the previous pictures stay on screen until the new ones arrive
    (a few frames).
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
        self.files = SoundFiles(self)
        self.files.changed.connect(self._invalidate)
        self._boundaries: tuple[float, ...] | None = ()  #: None: read from ``_project``
        self._transitions: tuple[tuple[float, float], ...] | None = ()
        self._project: Project | None = None
        self._bed: AudioBed | None = None
        self._narrations: tuple[Path, ...] = ()
        self._total = self._playhead = 0.0
        self._beats: dict[Path, tuple[float, ...]] = {}
        self._beat_every = 1
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

    def set_track_peaks(self, path: Path, peaks: np.ndarray, duration: float) -> None:
        """Peaks of ``path`` decoded elsewhere: spares the widget its own decode."""
        if len(peaks) and duration > 0:
            self.files.put(Path(path), peaks, duration)

    def set_peaks(self, peaks: np.ndarray | None, duration: float) -> None:
        """The first track's peaks, decoded elsewhere (None: nothing to add). Kept for
        callers of the single-track days; :meth:`set_track_peaks` names the file."""
        if peaks is not None and self._bed is not None:
            self.set_track_peaks(self._bed.tracks[0].path, peaks, duration)

    def set_placeholder(self, text: str) -> None:
        """What to say where the waveform would be when there is no music ("No music")."""
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
        """Show ``project``: its slides, its playlist, and what the music dips under.

        Where the slides change and where the tracks play is worked out with the pictures,
        off the UI thread; files not decoded yet are decoded in the background.
        """
        self._project = project if project.slides else None
        self._boundaries = self._transitions = None if project.slides else ()
        self._total = project.total_duration if project.slides else 0.0
        self._bed = project.audio
        # Only the files here: where they start needs a Timeline, worked out with the
        # pictures (placed_narrations there), not on the UI thread.
        voices = [project.voice_over] + [s.narration for s in project.slides]
        self._narrations = tuple(dict.fromkeys(n.path for n in voices if n is not None))
        clips = [c.path for _, c in project.clips if c.audible]
        music = self._bed.paths if self._bed is not None else []
        self.files.want([*music, *self._narrations], clips)
        self._invalidate()

    def set_beats(self, beats: Mapping[Path, BeatTrack], every: int = 1) -> None:
        """The analysed beats of music files (by path), drawn where their tracks play;
        every ``every``-th beat (the grid a cut uses) drawn stronger."""
        self._beats = {Path(p): tuple(t.beats) for p, t in beats.items()}
        self._beat_every = max(1, int(every))
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
        """The show times at the lane's ends, as on the pictures shown."""
        if self._layers is not None:
            return self._layers.axis
        return 0.0, max(self._total, 1.0)

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
        bed, files = self._bed, self.files
        tracks = bed.tracks if bed is not None else ()
        lengths = tuple(files.length(t.path) for t in tracks)
        if bed is None:
            placeholder = self._placeholder
        elif any(x is None for x in lengths):
            placeholder = "Reading the music…"
        else:
            placeholder = "No sound to show"
        narrations = {p: x for p in self._narrations
                      if (x := files.length(p)) is not None}
        return LayerSpec(
            width=width, height=height, dpr=dpr,
            base=pal.color(QPalette.ColorRole.Base), text=pal.color(QPalette.ColorRole.Text),
            accent=pal.color(QPalette.ColorRole.Highlight),
            window=pal.color(QPalette.ColorRole.Window), font=QFont(self.font()),
            total=self._total, placeholder=placeholder, boundaries=self._boundaries,
            transitions=self._transitions, project=self._project, bed=bed,
            amps=tuple(files.loudness(t.path) for t in tracks), lengths=lengths,
            narrations=narrations, sounding=files.sounding(), beats=dict(self._beats),
            beat_every=self._beat_every)

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
            if layers.placed and self._total > 0:
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
