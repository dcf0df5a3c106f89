"""Progress records and cancellation: plain data that crosses threads and processes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any, Protocol

from simvid_desktop.errors import RenderCancelled


class RenderStatus(str, Enum):
    """RQ's vocabulary, so a render's events map straight onto job statuses."""

    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELED = "canceled"


class RenderStage(str, Enum):
    PREPARING = "preparing"  #: checking inputs, decoding the first photos
    RENDERING = "rendering"  #: composing and encoding frames
    FINALIZING = "finalizing"  #: ffmpeg writing the index (+faststart), renaming
    DONE = "done"


@dataclass(frozen=True, kw_only=True)
class ProgressEvent:
    """What a render is doing now. Built by the engine, carried as it is to the queue, the
    farm (as JSON) and the front ends."""

    status: RenderStatus
    stage: RenderStage
    percent: float  #: 0..100
    message: str  #: e.g. "Processing image 5/10"
    frames_done: int = 0
    frames_total: int = 0
    fps: float = 0.0  #: frames per second, averaged since rendering started
    eta: float | None = None  #: seconds left, None while unknown
    elapsed: float = 0.0
    slide: int = 0  #: 1-based index of the slide being processed
    slides: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status.value
        d["stage"] = self.stage.value
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProgressEvent:
        """The event :meth:`to_dict` wrote (it may have crossed Redis: every field is
        converted, unknown ones ignored).

        Raises:
            KeyError, TypeError, ValueError: not an event.
        """
        eta = data.get("eta")
        return cls(
            status=RenderStatus(data["status"]), stage=RenderStage(data["stage"]),
            percent=float(data["percent"]), message=str(data["message"]),
            frames_done=int(data.get("frames_done", 0)),
            frames_total=int(data.get("frames_total", 0)), fps=float(data.get("fps", 0.0)),
            eta=None if eta is None else float(eta), elapsed=float(data.get("elapsed", 0.0)),
            slide=int(data.get("slide", 0)), slides=int(data.get("slides", 0)),
        )


ProgressCallback = Callable[[ProgressEvent], None]


class _EventLike(Protocol):
    def is_set(self) -> bool: ...

    def set(self) -> None: ...


class CancelToken:
    """Asks a render to stop. Wraps any Event-like object (threading or multiprocessing)."""

    def __init__(self, event: _EventLike | None = None) -> None:
        if event is None:
            event = threading.Event()
        self._event = event

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise RenderCancelled()


class ProgressThrottle:
    """Decides which progress events an edge passes on (a store or Redis write, a terminal
    line): at most one every ``interval`` seconds, and always a change of status, stage or
    slide, so that every "Processing image k/N" is seen at least once.

    The engine reports every frame; only the edges that pay for an event throttle it.
    """

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._last = -1e9
        self._key: tuple[RenderStatus, RenderStage, int] | None = None

    def admit(self, event: ProgressEvent) -> bool:
        now = time.monotonic()
        key = (event.status, event.stage, event.slide)
        if key != self._key or now - self._last >= self._interval:
            self._key, self._last = key, now
            return True
        return False
