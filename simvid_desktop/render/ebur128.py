"""ffmpeg's ``ebur128`` meter: BS.1770 integrated loudness and 4x oversampled true peak.

Shared by the loudness of the whole mix (:mod:`simvid_desktop.render.loudness`) and the
level of each voice-over file (:mod:`simvid_desktop.render.audio`); it decodes only the
sound, at hundreds of times real time.
"""

from __future__ import annotations

import functools
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from simvid_desktop.errors import RenderFailed
from simvid_desktop.render.ffmpeg import FFmpegProcess
from simvid_desktop.render.progress import CancelToken

#: ebur128 reports -70 LUFS (its absolute gate) for silence: nothing to bring up.
SILENCE_LUFS = -70.0
_INTEGRATED_RE = re.compile(r"Integrated loudness:\s*I:\s*(-?(?:\d+(?:\.\d+)?|inf)) LUFS")
_PEAK_RE = re.compile(r"True peak:\s*Peak:\s*(-?(?:\d+(?:\.\d+)?|inf)) dBFS")


@dataclass(frozen=True)
class Measurement:
    """What ``ebur128`` measured: integrated loudness (LUFS) and true peak (dBTP)."""

    integrated: float
    true_peak: float

    @property
    def silent(self) -> bool:
        return self.integrated <= SILENCE_LUFS or math.isinf(self.true_peak)


def parse_ebur128(log: str) -> Measurement | None:
    """The summary ``ebur128=peak=true`` prints when its input ends; None if absent."""
    i, tp = _INTEGRATED_RE.search(log), _PEAK_RE.search(log)
    if i is None or tp is None:
        return None
    return Measurement(float(i[1]), float(tp[1]))


def finish(proc: FFmpegProcess, cancel: CancelToken | None) -> int:
    """Wait for ``proc``; a cancelled render stops it at once (the context kills it)."""
    while cancel is not None:
        try:
            return proc.finish(timeout=0.2)
        except subprocess.TimeoutExpired:
            cancel.raise_if_cancelled()
    return proc.finish()


def ebur128(args: list[str], cancel: CancelToken | None = None) -> Measurement:
    """Run ffmpeg with ``args`` (inputs, then a graph or filter ending in ``ebur128``)."""
    with FFmpegProcess(["-nostats", "-loglevel", "info", *args, "-f", "null", "-"]) as proc:
        code = finish(proc, cancel)
        log = proc.log_tail(80)
    found = parse_ebur128(log) if code == 0 else None
    if found is None:
        last = log.splitlines()[-1] if log else "ffmpeg failed"
        raise RenderFailed(f"could not measure the soundtrack's loudness: {last}")
    return found




@functools.lru_cache(maxsize=256)
def _file_loudness(path: Path, size: int, mtime_ns: int) -> Measurement:
    return ebur128(["-vn", "-i", str(path), "-map", "0:a:0",
                    "-af", "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,"
                    "ebur128=peak=true:framelog=quiet"])


def file_loudness(path: Path) -> Measurement:
    """The loudness of the first audio stream of ``path`` (cached while the file is
    unchanged: the loudness rounds of one render plan the mix several times).

    Raises:
        RenderFailed: ffmpeg could not read or measure it.
    """
    try:
        st = path.stat()
    except OSError as exc:
        raise RenderFailed(f"{path}: {exc.strerror or 'cannot be read'}") from None
    return _file_loudness(path, st.st_size, st.st_mtime_ns)
