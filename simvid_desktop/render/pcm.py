"""A track's sound as mono float32 samples, streamed from the bundled ffmpeg: what the
waveform and the beat analysis both read (lengths are the decoded ones: MP3 headers can
lie, see PITFALLS.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from simvid_desktop.errors import AudioUnreadable, RenderCancelled
from simvid_desktop.render.ffmpeg import FFmpegProcess
from simvid_desktop.render.preflight import audio_problem


def mono_chunks(path: Path, rate: int, cancelled: Callable[[], bool] = lambda: False,
                chunk_bytes: int = 1 << 16) -> Iterator[np.ndarray]:
    """The first audio stream of ``path``, mono at ``rate`` Hz, in chunks of whole samples.

    Raises:
        AudioUnreadable: naming the file, when it is not audio or nothing decodes (raised
            before the first chunk for a file preflight already refuses, else at the end).
        RenderCancelled: ``cancelled()`` turned true (ffmpeg is stopped).
    """
    problem = audio_problem(path)
    if problem is not None:
        raise AudioUnreadable(path.name, problem.message)
    args = ["-v", "error", "-i", str(path), "-map", "0:a:0", "-vn", "-sn", "-dn",
            "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"]
    rest = b""
    samples = 0
    with FFmpegProcess(args, stdout=True) as proc:
        stdout = proc.proc.stdout
        assert stdout is not None
        while chunk := stdout.read(chunk_bytes):
            if cancelled():
                proc.kill()
                raise RenderCancelled(f"reading {path.name} cancelled")
            data = rest + chunk
            usable = len(data) - len(data) % 4
            rest = data[usable:]
            if usable:
                samples += usable // 4
                yield np.frombuffer(data[:usable], np.float32)
        code = proc.finish()
        tail = proc.log_tail(2)
    if code != 0 or samples == 0:
        reason = tail.splitlines()[-1] if tail else "no audio could be decoded"
        raise AudioUnreadable(path.name, reason)
