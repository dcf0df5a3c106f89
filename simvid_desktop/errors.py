"""Every error Simvid raises on purpose, each with a message a user can act on.

The messages name the file or the field at fault, fit on one line and never contain a
traceback. Callers (the command line, the window, the queue) show ``str(error)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class SimvidError(Exception):
    """Base class: ``str(error)`` is the user-facing message."""

    #: Whether retrying the same work later may succeed (disk full, worker crash).
    transient = False


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a project: where (a field path or a file) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class InvalidInput(SimvidError):
    """The input cannot be rendered as it is; retrying will not help."""


class ProjectInvalid(InvalidInput):
    """A project failed validation; ``problems`` lists every problem found at once."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid project"
        more = len(self.problems) - 1
        super().__init__(first if more == 0 else f"{first} (and {more} more problem(s))")

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class MediaError(InvalidInput):
    """A photo or music file cannot be used; the message names the file."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ImageUnreadable(MediaError):
    """Not an image Simvid can decode (unknown format, truncated, corrupt)."""


class ImageTooLarge(MediaError):
    """The image header announces more pixels than Simvid will decode (a decompression bomb)."""


class AudioUnreadable(MediaError):
    """The music file has no decodable audio stream."""


class ClipUnreadable(MediaError):
    """Not a video clip Simvid can decode (missing, no video stream, truncated, corrupt)."""


class OutputError(SimvidError):
    """The output file cannot be written (folder missing, not writable, disk full)."""

    def __init__(self, path: str | Path, reason: str, *, transient: bool = False) -> None:
        self.path = str(path)
        self.transient = transient
        super().__init__(f"{self.path}: {reason}")


class RenderFailed(SimvidError):
    """The encoder failed; ``log`` holds the last lines ffmpeg printed."""

    def __init__(self, message: str, log: str = "", *, transient: bool = False) -> None:
        self.log = log
        self.transient = transient
        super().__init__(message)


class RenderCancelled(SimvidError):
    """The render was cancelled through its cancel token."""

    def __init__(self, message: str = "render cancelled") -> None:
        super().__init__(message)


class FarmUnreachable(SimvidError):
    """The render farm's Redis server does not answer (the URL is shown without password)."""

    transient = True

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(f"render farm {url} is unreachable: {reason}")


class NotShared(InvalidInput):
    """A farm job names a file outside the folders the farm's workers share."""

    def __init__(self, path: str | Path, roots: Iterable[str | Path]) -> None:
        self.path = str(path)
        listed = ", ".join(str(r) for r in roots) or "none configured"
        super().__init__(f"{self.path}: outside the farm's shared media folders ({listed})")


class FarmJobRefused(InvalidInput):
    """A farm worker was handed something other than a Simvid render (refused, not run)."""
