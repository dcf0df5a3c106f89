"""Running the ffmpeg binary that imageio-ffmpeg ships: locate, start, stop, always reap.

Every child runs in its own process group (POSIX session / Windows process group, no
console window), its stderr is drained by a thread into a bounded tail (so a chatty
ffmpeg never blocks on a full pipe) and it is always waited for, whatever happens.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import IO

logger = logging.getLogger(__name__)


@cache
def ffmpeg_exe() -> str:
    """Path of the bundled ffmpeg (``SIMVID_FFMPEG`` overrides it, e.g. for a frozen app)."""
    override = os.environ.get("SIMVID_FFMPEG")
    if override:
        return override
    import imageio_ffmpeg  # noqa: PLC0415 - not needed when overridden (frozen builds)

    return str(imageio_ffmpeg.get_ffmpeg_exe())


_OWN_GROUP = True
#: Option values longer than this go to ffmpeg through a file (see FFmpegProcess._spilled).
LONG_ARGUMENT = 8000


def keep_children_in_my_group() -> None:
    """Start ffmpeg inside this process's group instead of a session of its own.

    A queue worker calls this after making itself a group leader, so that killing the
    worker's group (when it hangs or must stop at once) takes its ffmpeg along.
    """
    global _OWN_GROUP  # noqa: PLW0603 - a process-wide policy, set once at worker start
    _OWN_GROUP = False


def _popen_kwargs() -> dict[str, object]:
    if sys.platform == "win32":
        flags = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW
        return {"creationflags": flags}
    return {"start_new_session": _OWN_GROUP}


class FFmpegProcess:
    """One ffmpeg child. Use as a context manager: leaving the block always reaps it.

    On a normal exit of the block the caller has already called :meth:`finish`; on an
    exception the process group is killed first, so no ffmpeg outlives its job.
    """

    def __init__(self, args: Sequence[str], *, stdin: bool = False, stdout: bool = False) -> None:
        self._spill: Path | None = None
        self.args = [ffmpeg_exe(), "-hide_banner", *self._spilled(args)]
        logger.debug("ffmpeg %s", subprocess.list2cmdline(self.args[1:]))
        self._tail: collections.deque[str] = collections.deque(maxlen=80)
        self.proc: subprocess.Popen[bytes] = subprocess.Popen(
            self.args,
            bufsize=0,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            **_popen_kwargs(),  # type: ignore[call-overload]
        )
        self._drain = threading.Thread(target=self._read_stderr, name="ffmpeg-stderr", daemon=True)
        self._drain.start()

    def _spilled(self, args: Sequence[str]) -> list[str]:
        """``args`` with each over-long option value moved into a file ffmpeg reads
        (``-/filter_complex FILE``): Windows limits a whole command line to 32,767
        characters and Linux one argument to 128 KiB, and the filter graph of a show with
        many clips with sound is longer than that."""
        out = list(args)
        for i in range(1, len(out)):
            if len(out[i]) > LONG_ARGUMENT and out[i - 1].startswith("-") and len(out[i - 1]) > 1:
                if self._spill is None:
                    self._spill = Path(tempfile.mkdtemp(prefix="simvid-ffmpeg-"))
                value = self._spill / f"arg{i}.txt"
                value.write_text(out[i], encoding="utf-8")
                out[i - 1], out[i] = "-/" + out[i - 1][1:], str(value)
        return out

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self._tail.append(line)

    @property
    def stdin(self) -> IO[bytes]:
        assert self.proc.stdin is not None
        return self.proc.stdin

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(list(self._tail)[-lines:])

    def finish(self, timeout: float | None = None) -> int:
        """Close stdin (end of input) and wait for ffmpeg to finish writing."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            # BrokenPipeError: ffmpeg already exited; its return code tells why.
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
        rc = self.proc.wait(timeout)
        self._drain.join(timeout=5)
        return rc

    def kill(self) -> None:
        """Stop ffmpeg and anything it started, at once."""
        if self.proc.poll() is not None:
            return
        try:
            if sys.platform == "win32" or not _OWN_GROUP:
                self.proc.kill()
            else:
                os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # exited between poll() and the signal

    def __enter__(self) -> FFmpegProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.kill()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None and not stream.closed:
                try:
                    stream.close()
                except BrokenPipeError:
                    logger.debug("ffmpeg pipe already closed")
        self.proc.wait()
        self._drain.join(timeout=5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        if self._spill is not None:
            shutil.rmtree(self._spill, ignore_errors=True)


def run_ffmpeg(args: Sequence[str], timeout: float = 120) -> tuple[int, bytes, str]:
    """Run ffmpeg to completion; return (code, stdout bytes, stderr tail text)."""
    with FFmpegProcess(args, stdout=True) as proc:
        assert proc.proc.stdout is not None
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            out = proc.proc.stdout.read()  # stderr is drained by the process's own thread
            code = proc.finish()
        finally:
            timer.cancel()
        return code, out, proc.log_tail(60)


@dataclass(frozen=True)
class MediaInfo:
    """What ``ffmpeg -i`` says about a file (header values: durations may be wrong)."""

    has_audio: bool
    has_video: bool
    duration: float | None


_DURATION_RE = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")


def duration_in(ffmpeg_log: str) -> float | None:
    """The "Duration: H:MM:SS.ss" that ``ffmpeg -i FILE`` prints, in seconds."""
    m = _DURATION_RE.search(ffmpeg_log)
    return int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3]) if m else None


def probe_media(path: str | Path) -> MediaInfo | None:
    """Probe a media file; None when ffmpeg cannot open it at all."""
    _, _, err = run_ffmpeg(["-i", str(path)], timeout=60)
    # ffmpeg exits 1 ("At least one output file must be specified") even on success.
    if "Invalid data found" in err or "No such file" in err or "Stream #" not in err:
        return None
    duration = duration_in(err)
    streams = [line for line in err.splitlines() if "Stream #" in line]
    return MediaInfo(
        has_audio=any(": Audio:" in s for s in streams),
        has_video=any(": Video:" in s for s in streams),
        duration=duration,
    )


def decoded_audio_duration(path: str | Path) -> float | None:
    """Length of the first audio stream, by decoding it (MP3 headers can be wrong)."""
    code, _, err = run_ffmpeg(["-i", str(path), "-map", "0:a:0", "-f", "null", "-"], timeout=300)
    times = re.findall(r"time=(\d+):(\d+):(\d+(?:\.\d+)?)", err)
    if code != 0 or not times:
        return None
    h, m, s = times[-1]
    return int(h) * 3600 + int(m) * 60 + float(s)
