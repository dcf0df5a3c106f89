"""Sub-pixel resampling of YUV planes: Ken Burns frames and the zoom transition.

A fixed 2x2-tap bilinear filter in 8-bit fixed point: a vertical pass over gathered rows,
then a horizontal pass over gathered columns, each rounded to 8 bits. The source position
of every output pixel is kept to 1/256 of a pixel, so the picture glides instead of
stepping. Two taps alias only when shrinking a lot, so a canvas that is much larger than
the view is first reduced (see :func:`mip_levels`): the per-frame shrink stays under
:data:`MAX_SHRINK`.

Where the install built the compiled kernels (:mod:`native`), one C loop does both passes
row by row: 1.0-1.8 ms for a 1080p luma plane on this project's machine
(``benchmarks/kernel_bench.py``). Elsewhere numpy does the same on whole planes, bit for
bit, in 9-11 ms (half of it its gathers). Pillow's C
paths cost more on the same canvas levels: about 22 ms per 1080p frame for
``resize(BILINEAR, box=..., reducing_gap=None)`` (its filter widens when shrinking) and
about 50 ms for ``transform(AFFINE, data, BILINEAR)``.

The output pixel ``j`` samples the source at ``left + (j + 0.5) * scale - 0.5`` (pixel
centres, as Pillow and ffmpeg place them), and the chroma planes use the same box halved,
so luma and chroma stay aligned.
"""

from __future__ import annotations

import math

import numpy as np

from simvid_desktop.render.native import kernels
from simvid_desktop.render.yuv import Frame

MAX_SHRINK = math.sqrt(2.0)  # beyond it two taps skip too much of the source: alias

_ONE = 256  # weight of a whole pixel (8-bit fractions)


def _taps(start: float, scale: float, count: int, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """For ``count`` output pixels: the first source pixel of each pair and the weight of
    the second (0..256)."""
    pos = start + (np.arange(count) + 0.5) * scale - 0.5
    np.clip(pos, 0.0, limit - 1.0, out=pos)
    first = np.minimum(pos.astype(np.intp), max(0, limit - 2))
    weight = np.rint((pos - first) * _ONE).astype(np.uint16)
    return first, weight


class Resampler:
    """Resamples planes into caller-given arrays, reusing its scratch buffers.

    Not thread-safe: one per compositor (which has one caller at a time).
    """

    def __init__(self) -> None:
        self._scratch: dict[str, np.ndarray] = {}

    def _buffer(self, name: str, shape: tuple[int, int], dtype: type[np.generic]) -> np.ndarray:
        size = shape[0] * shape[1]
        buf = self._scratch.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = np.empty(size, dtype)
            self._scratch[name] = buf
        return buf[:size].reshape(shape)

    def plane(self, src: np.ndarray, box: tuple[float, float, float, float],
              out: np.ndarray) -> None:
        """Write into ``out`` (H, W) the part ``box`` (left, top, right, bottom, floats,
        in ``src`` pixels) of ``src``, scaled to fill it."""
        height, width = out.shape
        left, top, right, bottom = box
        rows, wy = _taps(top, (bottom - top) / height, height, src.shape[0])
        self._resample(src, (rows, wy), _taps(left, (right - left) / width, width,
                                              src.shape[1]), out)

    def _resample(self, src: np.ndarray, vertical: tuple[np.ndarray, np.ndarray],
                  horizontal: tuple[np.ndarray, np.ndarray], out: np.ndarray) -> None:
        height, width = out.shape
        rows, wy = vertical
        cols, wx = horizontal
        if kernels is not None and src.flags.c_contiguous and out.flags.c_contiguous:
            kernels.resample(src, src.shape[0], src.shape[1], rows, wy, cols, wx, out,
                             height, width)
            return
        lo = int(cols[0])
        hi = min(src.shape[1], int(cols[-1]) + 2)
        strip = src[:, lo:hi]
        span = (height, hi - lo)
        # Vertical pass on whole rows (row gathers are memory copies).
        upper = self._buffer("upper", span, np.uint8)
        lower = self._buffer("lower", span, np.uint8)
        np.take(strip, rows, axis=0, out=upper, mode="clip")
        np.take(strip, np.minimum(rows + 1, src.shape[0] - 1), axis=0, out=lower, mode="clip")
        mid = self._buffer("mid", span, np.uint16)
        tmp = self._buffer("tmp", span, np.uint16)
        np.multiply(upper, (_ONE - wy)[:, None], out=mid)
        np.multiply(lower, wy[:, None], out=tmp)
        mid += tmp
        mid += _ONE // 2
        np.right_shift(mid, 8, out=upper, casting="unsafe")
        # Horizontal pass: one gather brings both columns of each output pixel, packed as
        # 16-bit pairs (left | right << 8) in an aligned array (numpy gathers unaligned
        # 16-bit views, read at every byte offset, about twice as slowly).
        pairs = self._buffer("tmp", (height, span[1] - 1), np.uint16)
        np.left_shift(upper[:, 1:], 8, out=pairs, dtype=np.uint16)
        np.bitwise_or(pairs, upper[:, :-1], out=pairs)
        cols -= lo
        # The vertical pass's 16-bit buffers are free again: reuse them (memory).
        near = self._buffer("mid", (height, width), np.uint16)
        np.take(pairs, cols, axis=1, out=near, mode="clip")
        far = self._buffer("tmp", (height, width), np.uint16)  # the pairs are done with
        np.right_shift(near, 8, out=far)
        near &= 0xFF
        near *= _ONE - wx
        far *= wx
        near += far
        near += _ONE // 2
        np.right_shift(near, 8, out=out, casting="unsafe")

    def frame(self, luma: np.ndarray, chroma: np.ndarray,
              box: tuple[float, float, float, float], out: Frame) -> None:
        """A YUV 4:2:0 frame from a picture's luma plane and its stacked chroma planes
        (:attr:`Frame.uv`: U above V): ``box`` in luma pixels, halved for chroma."""
        left, top, right, bottom = box
        self.plane(luma, box, out.y)
        height, width = out.height // 2, out.width // 2
        rows, wy = _taps(top / 2, (bottom - top) / 2 / height, height, chroma.shape[0] // 2)
        both = (np.concatenate([rows, rows + chroma.shape[0] // 2]), np.concatenate([wy, wy]))
        cols = _taps(left / 2, (right - left) / 2 / width, width, chroma.shape[1])
        self._resample(chroma, both, cols, out.uv)


def mip_levels(canvas: tuple[int, int], min_scale: float) -> list[float]:
    """Relative sizes (1.0 first, decreasing) of the reduced copies of a canvas to keep
    so that a view needing ``min_scale`` of it (its smallest fraction, e.g. 1 / zoom)
    never shrinks by more than :data:`MAX_SHRINK` from the nearest copy above it."""
    levels = [1.0]
    while levels[-1] / MAX_SHRINK >= min_scale and min(canvas) * levels[-1] / MAX_SHRINK >= 4:
        levels.append(levels[-1] / MAX_SHRINK)
    return levels
