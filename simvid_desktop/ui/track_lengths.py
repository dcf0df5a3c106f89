"""The decoded length of every file in the playlist, found off the UI thread.

A playlist's timing (crossfades, "fit slides to music", the hint under the list) needs
each file's real length: MP3 headers can lie, so it is the decoded one. Files are decoded
one after the other by the window's :class:`WaveformLoader` (the decode pool has a single
thread anyway), each once: the result, a length and its peaks or a one-line reason why
the file cannot be used, is kept for as long as the panel lives, so reordering or undoing
never decodes again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from simvid_desktop.ui.waveform import WaveformLoader

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decoded:
    """A readable file: its decoded length and the waveform's peaks."""

    seconds: float
    peaks: np.ndarray


class TrackLengths(QObject):
    """Decodes the files it is asked for, one at a time, and remembers what it found."""

    #: ``path`` was decoded: its length in seconds.
    decoded = Signal(str, float)
    #: ``path`` cannot be used; ``reason`` is one user-facing line that names the file.
    failed = Signal(str, str)
    #: Every file asked for is decoded or failed (emitted after the last one of a batch).
    settled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._found: dict[Path, Decoded | str] = {}
        self._queue: list[Path] = []
        self._current: Path | None = None
        self.loader = WaveformLoader(self)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)

    # -- queries -------------------------------------------------------------------------
    def seconds(self, path: Path) -> float | None:
        """The decoded length of ``path``; None while unknown or when it cannot be used."""
        found = self._found.get(path)
        return found.seconds if isinstance(found, Decoded) else None

    def peaks(self, path: Path) -> np.ndarray | None:
        found = self._found.get(path)
        return found.peaks if isinstance(found, Decoded) else None

    def problem(self, path: Path) -> str | None:
        """Why ``path`` cannot be used (one line naming it), or None."""
        found = self._found.get(path)
        return found if isinstance(found, str) else None

    def pending(self, path: Path) -> bool:
        """Whether ``path`` is still being decoded or waiting for its turn."""
        return path == self._current or path in self._queue

    @property
    def busy(self) -> bool:
        return self._current is not None or bool(self._queue)

    # -- requests ------------------------------------------------------------------------
    def want(self, paths: Iterable[Path]) -> None:
        """Decode those of ``paths`` not known yet, in order; files no longer wanted are
        dropped from the queue, and the one being decoded is stopped (its ffmpeg killed)."""
        wanted = list(dict.fromkeys(Path(p) for p in paths))
        if self._current is not None and self._current not in wanted:
            self.loader.cancel()
            self._current = None
        self._queue = [p for p in wanted if p not in self._found and p != self._current]
        self._next()

    def _next(self) -> None:
        if self._current is not None:
            return
        if not self._queue:
            return
        self._current = self._queue.pop(0)
        self.loader.load(self._current)

    def _finish(self, path: Path, found: Decoded | str) -> bool:
        if path != self._current:
            return False  # a decode the panel stopped wanting
        self._found[path] = found
        self._current = None
        return True

    def _on_loaded(self, path: str, peaks: np.ndarray, seconds: float) -> None:
        if self._finish(Path(path), Decoded(seconds, peaks)):
            self.decoded.emit(path, seconds)
            self._after()

    def _on_failed(self, path: str, reason: str) -> None:
        if self._finish(Path(path), reason):
            logger.info("music not usable: %s", reason)
            self.failed.emit(path, reason)
            self._after()

    def _after(self) -> None:
        self._next()
        if not self.busy:
            self.settled.emit()
