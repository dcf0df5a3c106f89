"""Progress records and cancellation: plain data that crosses threads and processes."""

from __future__ import annotations

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


@dataclass(frozen=True)
class ProgressEvent:
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
        fields = dict(data)
        fields["status"] = RenderStatus(fields["status"])
        fields["stage"] = RenderStage(fields["stage"])
        return cls(**fields)


ProgressCallback = Callable[[ProgressEvent], None]


class _EventLike(Protocol):
    def is_set(self) -> bool: ...

    def set(self) -> None: ...


class CancelToken:
    """Asks a render to stop. Wraps any Event-like object (threading or multiprocessing)."""

    def __init__(self, event: _EventLike | None = None) -> None:
        if event is None:
            import threading  # noqa: PLC0415 - keep module import light for workers

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


class Throttle:
    """Lets an event through at most every ``interval`` seconds (forced ones always pass)."""

    def __init__(self, callback: ProgressCallback | None, interval: float = 0.1) -> None:
        self._callback = callback
        self._interval = interval
        self._last = -1e9

    def __call__(self, event: ProgressEvent, *, force: bool = False) -> None:
        if self._callback is None:
            return
        now = time.monotonic()
        if force or now - self._last >= self._interval:
            self._last = now
            self._callback(event)
