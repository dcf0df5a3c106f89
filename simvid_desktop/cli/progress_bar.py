"""A one-line progress bar for terminals, fed with :class:`ProgressEvent` records."""

from __future__ import annotations

import shutil
from typing import TextIO

from simvid_desktop.model.units import format_eta
from simvid_desktop.render.progress import ProgressEvent


class ProgressPrinter:
    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._shown = False

    def update(self, event: ProgressEvent) -> None:
        width = shutil.get_terminal_size((80, 20)).columns
        info = (f" {event.percent:5.1f}% {event.message}  {event.fps:5.1f} fps  "
                f"ETA {format_eta(event.eta)}")
        bar_width = max(10, width - len(info) - 3)
        filled = round(bar_width * event.percent / 100)
        line = f"[{'#' * filled}{'.' * (bar_width - filled)}]{info}"
        self._stream.write("\r" + line[: width - 1])
        self._stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()
