"""The beat analysis in a child process, for callers that must stay responsive (the window).

:func:`render.beats.analyse_beats` is numpy and Python: run on a thread, it holds the GIL
in stretches of tens of milliseconds, and a UI thread waiting for it misses frames (a
10 ms timer fired up to 74 ms late while a 5-minute song was analysed on a thread; 9 ms
with the analysis in a process). A spawned process (so it works frozen and on every OS)
shares nothing with the caller: it runs the same function, whose result lands in the
same per-file cache, and sends the :class:`BeatTrack` back over a pipe. Cancelling kills
it (its ffmpeg then stops on the broken pipe).
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from simvid_desktop.errors import AudioUnreadable, RenderCancelled
from simvid_desktop.render.beats import BeatTrack, analyse_beats

logger = logging.getLogger(__name__)

_POLL_SECONDS = 0.05  #: how often the caller looks at ``cancelled()`` while it waits


class AnalysisFailed(RuntimeError):
    """The analysing process failed in an unexpected way (its message says how)."""


def _child(path: str, conn: Connection) -> None:
    """In the child: analyse, and send ``("ok", track)``, ``("unreadable", (path,
    reason))`` or ``("error", message)``: plain values, as exceptions with their own
    constructors do not all survive pickling."""
    try:
        conn.send(("ok", analyse_beats(Path(path))))
    except AudioUnreadable as exc:
        conn.send(("unreadable", (exc.path, exc.reason)))
    except Exception as exc:  # noqa: BLE001 - the parent raises it with its message
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def analyse_beats_in_process(path: Path, cancelled: Callable[[], bool]) -> BeatTrack:
    """:func:`analyse_beats` of ``path`` in a child process; blocks until it is done.

    Raises AudioUnreadable naming the file, RenderCancelled as soon as ``cancelled()``
    turns true (the child is killed), AnalysisFailed when the child dies or fails.
    """
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(str(path), send), name="simvid-beats",
                          daemon=True)
    process.start()
    send.close()  # the child's end: EOF here once the child is gone
    try:
        while True:
            if cancelled():
                raise RenderCancelled("beat analysis cancelled")
            if receive.poll(_POLL_SECONDS):
                try:
                    kind, value = receive.recv()
                except EOFError:
                    raise AnalysisFailed(
                        f"{path.name}: the beat analysis stopped (exit code "
                        f"{process.exitcode})") from None
                break
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        receive.close()
    if kind == "ok":
        assert isinstance(value, BeatTrack)
        return value
    if kind == "unreadable":
        where, reason = value
        raise AudioUnreadable(where, reason)
    raise AnalysisFailed(f"{path.name}: {value}")
