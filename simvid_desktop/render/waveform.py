"""A music track's loudness over time, decoded with the bundled ffmpeg: the waveform's data.

Only a small array of peaks is kept, so a long track costs little memory, and the duration
is the decoded one: MP3 headers can lie (see PITFALLS.md). Qt-free: the window calls it on
a pool thread and draws the result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from simvid_desktop.errors import RenderCancelled
from simvid_desktop.render.pcm import mono_chunks

SAMPLE_RATE = 8000  #: enough for a picture of the loudness; 32 KB of floats per second
PEAK_BINS = 2000  #: min/max pairs kept: more than any waveform is wide in pixels
_BLOCK = 40  #: samples (5 ms) reduced while streaming, so memory stays flat for long tracks


def decode_peaks(
    path: Path, cancelled: Callable[[], bool] = lambda: False, bins: int = PEAK_BINS
) -> tuple[np.ndarray, float] | None:
    """Peaks ``(n, 2)`` float32 (min, max per slice) and the decoded duration of ``path``.

    Returns None when ``cancelled()`` turned true. Raises AudioUnreadable naming the file.
    """
    mins: list[np.ndarray] = []
    maxs: list[np.ndarray] = []
    carry = np.empty(0, np.float32)
    samples = 0
    try:
        for chunk in mono_chunks(path, SAMPLE_RATE, cancelled):
            x = np.concatenate([carry, chunk])
            samples += chunk.size
            full = x.size - x.size % _BLOCK
            carry = x[full:].copy()
            if full:
                blocks = x[:full].reshape(-1, _BLOCK)
                mins.append(blocks.min(axis=1))
                maxs.append(blocks.max(axis=1))
    except RenderCancelled:
        return None
    if carry.size:
        mins.append(carry.min(keepdims=True))
        maxs.append(carry.max(keepdims=True))
    lo, hi = np.concatenate(mins), np.concatenate(maxs)
    if lo.size > bins:
        edges = np.linspace(0, lo.size, bins + 1).astype(np.int64)[:-1]
        lo, hi = np.minimum.reduceat(lo, edges), np.maximum.reduceat(hi, edges)
    peaks = np.stack([lo, hi], axis=1).astype(np.float32)
    return peaks, samples / SAMPLE_RATE
