"""Background work for the window: run a function off the UI thread, get ``(result, error)``
back on it.

Every background job of the window (thumbnails, waveform peaks and pictures, photo dates,
autosave writes, batch folder scans, farm polls) goes through a :class:`TaskChannel`::

    self._tasks = TaskChannel(self, Pool.DECODE, latest=True)
    self._tasks.run(partial(decode_peaks, path), self._on_peaks)

    def _on_peaks(self, peaks: Peaks | None, error: BaseException | None) -> None: ...

The callback runs on the UI thread with the function's return value, or with the exception
it raised (never lost, never turned into text on the way). Results are dropped, and tasks
not started yet are skipped, when they went stale: after :meth:`TaskChannel.discard`, after
a newer :meth:`TaskChannel.run` on a ``latest`` channel, or once the owner is destroyed.

Safe when the owner is gone: a worker never touches the owner or any of its QObjects. It
posts its outcome through one long-lived relay that lives as long as the application, and
the callback is looked up on the UI thread, where the owner is checked before it is called.
So no ``RuntimeError: Internal C++ object already deleted`` can happen, and none is
swallowed. Functions should be module-level functions of plain values (workers get copies,
never live UI objects); the callback is held by the UI thread only, so a worker never
drops the last reference to a widget.

Pools are few and named by purpose (:class:`Pool`); :func:`shutdown` waits for them at
application exit.
"""

from __future__ import annotations

import itertools
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThreadPool, Signal, Slot

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: ``callback(result, error)``: ``error`` is None on success, else the raised exception.
Callback = Callable[[T | None, BaseException | None], None]

#: A priority ahead of everything queued with a lower one (thumbnails count up from 0 and
#: wrap at 2e9): for single tasks someone is waiting to see, such as the waveform pictures.
FIRST = 2**31 - 1


class Pool(str, Enum):
    """The window's thread pools, one per kind of work."""

    #: Python-heavy work: thumbnails, waveform peaks and pictures, photo dates. One thread:
    #: each decode thread takes turns with the UI thread for the GIL, and two made the
    #: timeline's repaints wait up to 60 ms while adding 500 photos (README, "Window").
    DECODE = "decode"
    #: Files: autosave writes, batch folder scans. Two threads, so a scan of a slow network
    #: folder never holds up the autosave.
    IO = "io"
    #: Farm status polls: a farm that went away takes the client's 3 s timeout to say so.
    FARM = "farm"
    #: Beat analysis: seconds of numpy per song, on its own thread so the waveform's
    #: pictures and the thumbnails (on DECODE) are not held up behind it.
    ANALYSIS = "analysis"


_THREADS = {Pool.DECODE: 1, Pool.IO: 2, Pool.FARM: 2, Pool.ANALYSIS: 1}
_pools: dict[Pool, QThreadPool] = {}


def pool(purpose: Pool) -> QThreadPool:
    """The pool for ``purpose``, created on first use."""
    found = _pools.get(purpose)
    if found is None:
        found = _pools[purpose] = QThreadPool()
        found.setObjectName(f"simvid-{purpose.value}")
        found.setMaxThreadCount(_THREADS[purpose])
    return found


def shutdown(msecs: int = 5000) -> bool:
    """Application exit: drop queued tasks and wait up to ``msecs`` in all for running ones
    (a farm poll may take its 3 s timeout). False if some were still running."""
    deadline = time.monotonic() + msecs / 1000
    for p in _pools.values():
        p.clear()
    done = True
    for purpose, p in _pools.items():
        left = max(0, round((deadline - time.monotonic()) * 1000))
        if not p.waitForDone(left):
            logger.warning("%s tasks still running at exit", purpose.value)
            done = False
    return done


@dataclass(frozen=True)
class _Outcome:
    """What a worker posts back: whose task it was and how it ended."""

    channel: weakref.ref[TaskChannel]
    ticket: int
    result: object
    error: BaseException | None


class _Relay(QObject):
    """Lives on the UI thread as long as the application, so workers can always post to it."""

    posted = Signal(object)  #: an _Outcome, emitted on a pool thread

    def __init__(self) -> None:
        super().__init__()
        self.posted.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _deliver(self, outcome: _Outcome) -> None:
        channel = outcome.channel()
        if channel is not None:
            channel._deliver(outcome)


_relay: _Relay | None = None


def _the_relay() -> _Relay:
    global _relay  # noqa: PLW0603 - one per process, created on the UI thread
    if _relay is None:
        _relay = _Relay()
        app = QCoreApplication.instance()
        if app is not None:
            _relay.moveToThread(app.thread())
    return _relay


class _State:
    """The channel's generation, shared with its queued tasks (read on the pool threads)."""

    def __init__(self) -> None:
        self.generation = 0


class _Task(QRunnable):
    """Runs ``fn`` unless its channel's generation moved on, then posts the outcome.

    Holds a weak reference to the channel only: the callbacks stay on the UI thread.
    """

    def __init__(self, fn: Callable[[], object], state: _State,
                 channel: weakref.ref[TaskChannel], ticket: int, relay: _Relay) -> None:
        super().__init__()
        self._fn: Callable[[], object] | None = fn
        self._state, self._generation = state, state.generation
        self._channel, self._ticket, self._relay = channel, ticket, relay

    def run(self) -> None:
        fn, self._fn = self._fn, None
        if fn is None or self._state.generation != self._generation:
            return  # stale before it started: nobody wants the result
        result: object = None
        error: BaseException | None = None
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 - delivered to the callback, which decides
            error = exc
        self._relay.posted.emit(_Outcome(self._channel, self._ticket, result, error))


class TaskChannel:
    """Runs tasks for one purpose of ``owner`` and calls back on the UI thread.

    With ``latest=True`` only the newest task's result is delivered (each :meth:`run`
    drops what earlier ones would deliver); otherwise every task's result is, until
    :meth:`discard`. Create it, run tasks and discard them on the UI thread, and keep it
    (an attribute of its owner): a channel that is garbage-collected delivers nothing.
    """

    def __init__(self, owner: QObject, purpose: Pool, *, latest: bool = False) -> None:
        self._owner = weakref.ref(owner)
        self._pool = pool(purpose)
        self._relay = _the_relay()
        self._latest = latest
        self._state = _State()
        self._callbacks: dict[int, Callback[Any]] = {}
        self._tickets = itertools.count()
        state, callbacks = self._state, self._callbacks

        def owner_destroyed(*_: object) -> None:  # no reference to self or the owner
            state.generation += 1
            callbacks.clear()

        owner.destroyed.connect(owner_destroyed)

    @property
    def pending(self) -> int:
        """Tasks whose results are still wanted (queued, running, or on their way)."""
        return len(self._callbacks)

    def run(self, fn: Callable[[], T], callback: Callback[T], priority: int = 0) -> None:
        """Run ``fn()`` on the pool; ``callback(result, error)`` follows on the UI thread
        unless the task went stale meanwhile. Higher ``priority`` runs first."""
        if self._latest:
            self.discard()
        ticket = next(self._tickets)
        self._callbacks[ticket] = callback
        self._pool.start(_Task(fn, self._state, weakref.ref(self), ticket, self._relay),
                         priority)

    def discard(self) -> None:
        """Drop the results of every task run so far; those not started yet never start."""
        self._state.generation += 1
        self._callbacks.clear()

    def _deliver(self, outcome: _Outcome) -> None:
        callback = self._callbacks.pop(outcome.ticket, None)
        if callback is None:
            return  # discarded, or superseded by a newer task
        owner = self._owner()
        if owner is None or not shiboken6.isValid(owner):
            self.discard()
            return
        callback(outcome.result, outcome.error)
