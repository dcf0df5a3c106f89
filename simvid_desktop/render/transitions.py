"""Transitions between two frames, computed on YUV 4:2:0 planes.

Each function takes the outgoing frame ``a``, the incoming frame ``b`` and the progress
``p`` in (0, 1) and returns a new frame. Moves are eased (smoothstep) and kept to even
pixel offsets so luma and half-resolution chroma stay aligned.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simvid_desktop.model.project import TransitionKind
from simvid_desktop.render.native import kernels
from simvid_desktop.render.resample import Resampler
from simvid_desktop.render.yuv import Frame


def ease(p: float) -> float:
    p = min(1.0, max(0.0, p))
    return p * p * (3.0 - 2.0 * p)


class Blender:
    """Cross-fades in 1/128 steps: ``a + floor(((b - a) * w + 64) / 128)`` per byte.

    The compiled kernel (:mod:`native`) does it in one pass over ``a`` and ``b``. The numpy
    path works in 16-bit integers and reuses ``b - a`` across a whole fade: between two
    still slides the same pair is blended for every frame, so the difference is computed
    once and each frame then costs one multiply-add pass.
    """

    STEPS = 128  # weight resolution; |b - a| * 128 still fits in int16

    def __init__(self, resampler: Resampler | None = None) -> None:
        #: for the zoom transition's enlarging (shares the compositor's scratch buffers)
        self.resampler = resampler or Resampler()
        # The frames themselves, not their id(): a freed frame's id can be reused.
        self._key: tuple[Frame, Frame] | None = None
        self._base: np.ndarray | None = None
        self._diff: np.ndarray | None = None
        self._tmp: np.ndarray | None = None

    def blend(self, a: Frame, b: Frame, weight: float) -> Frame:
        """``a * (1 - weight) + b * weight``, rounded."""
        if kernels is not None:  # one pass over a and b: nothing to keep between frames
            out = Frame.empty(a.width, a.height)
            kernels.blend(a.buf, b.buf, self._steps(weight), out.buf)
            return out
        key = (a, b)
        if (
            self._key is None or self._key[0] is not a or self._key[1] is not b
            or self._diff is None or self._base is None
        ):
            self._base = a.buf.astype(np.int16)
            self._diff = b.buf.astype(np.int16)
            self._diff -= self._base
            self._tmp = np.empty_like(self._diff)
            self._key = key
        assert self._tmp is not None
        w = self._steps(weight)
        out = Frame.empty(a.width, a.height)
        if w == 0:
            out.buf[:] = a.buf
            return out
        if w == self.STEPS:
            out.buf[:] = b.buf
            return out
        tmp = self._tmp
        np.multiply(self._diff, w, out=tmp)
        tmp += self.STEPS // 2
        np.right_shift(tmp, 7, out=tmp)  # floor division by 128, also for negatives
        tmp += self._base
        out.buf[:] = tmp
        return out

    def _steps(self, weight: float) -> int:
        return round(min(1.0, max(0.0, weight)) * self.STEPS)

    def forget(self) -> None:
        self._key = self._base = self._diff = self._tmp = None


def _even(value: float) -> int:
    return 2 * round(value / 2)


def _push(a: Frame, b: Frame, p: float, axis: int, forward: bool) -> Frame:
    """Slide: ``b`` pushes ``a`` out. axis 1 = horizontal, 0 = vertical."""
    out = Frame.empty(a.width, a.height)
    size = a.width if axis == 1 else a.height
    off = min(size, max(0, _even(ease(p) * size)))
    for po, pa, pb, scale in zip(out.planes(), a.planes(), b.planes(), (1, 2, 2), strict=True):
        n = size // scale
        k = off // scale
        oa = np.moveaxis(po, axis, 0)
        aa = np.moveaxis(pa, axis, 0)
        bb = np.moveaxis(pb, axis, 0)
        if forward:  # content moves towards lower coordinates (left / up)
            oa[: n - k] = aa[k:]
            oa[n - k :] = bb[:k]
        else:
            oa[k:] = aa[: n - k]
            oa[:k] = bb[n - k :]
    return out


def _wipe(a: Frame, b: Frame, p: float, axis: int, forward: bool) -> Frame:
    """Wipe: a soft edge sweeps across, revealing ``b`` behind it.

    Only the feathered band is blended (in float); either side of it is a plain copy.
    """
    out = Frame.empty(a.width, a.height)
    size = a.width if axis == 1 else a.height
    feather = max(4, _even(size / 40))
    edge = ease(p) * (size + feather)  # distance travelled by the leading edge
    for po, pa, pb, scale in zip(out.planes(), a.planes(), b.planes(), (1, 2, 2), strict=True):
        n = size // scale
        coord = np.arange(n, dtype=np.float32) * scale + scale / 2
        pos = (size - coord) if forward else coord  # distance from where the wipe starts
        w = np.clip((edge - pos) / feather, 0.0, 1.0)
        oa, aa, bb = (np.moveaxis(x, axis, 0) for x in (po, pa, pb))
        # w is monotonic along the axis: each region is one contiguous run.
        for src, where in ((aa, w <= 0.0), (bb, w >= 1.0)):
            run = np.flatnonzero(where)
            if run.size:
                oa[run[0] : run[-1] + 1] = src[run[0] : run[-1] + 1]
        band = np.flatnonzero((w > 0.0) & (w < 1.0))
        if band.size:
            lo, hi = int(band[0]), int(band[-1]) + 1
            wb = w[lo:hi].reshape(-1, 1)
            part = aa[lo:hi]
            mixed = part + (bb[lo:hi].astype(np.float32) - part) * wb
            oa[lo:hi] = (mixed + 0.5).astype(np.uint8)
    return out


def _scaled(frame: Frame, zoom: float, resampler: Resampler) -> Frame:
    """The centre of ``frame`` enlarged by ``zoom`` (sub-pixel, no stepping)."""
    out = Frame.empty(frame.width, frame.height)
    w, h = frame.width, frame.height
    bw, bh = w / zoom, h / zoom
    box = ((w - bw) / 2, (h - bh) / 2, (w + bw) / 2, (h + bh) / 2)
    resampler.frame(frame.y, frame.uv, box, out)
    return out


def render_transition(
    kind: TransitionKind, a: Frame, b: Frame, p: float, blender: Blender
) -> Frame:
    if kind is TransitionKind.FADE:
        return blender.blend(a, b, p)
    if kind is TransitionKind.FADE_BLACK:
        black = Frame.blank(a.width, a.height)
        return Blender().blend(a, black, 2 * p) if p < 0.5 else Blender().blend(
            black, b, 2 * p - 1
        )
    if kind is TransitionKind.ZOOM:
        e = ease(p)
        return Blender().blend(_scaled(a, 1.0 + 0.4 * e, blender.resampler), b, e)
    moves: dict[TransitionKind, tuple[Callable[..., Frame], int, bool]] = {
        TransitionKind.SLIDE_LEFT: (_push, 1, True),
        TransitionKind.SLIDE_RIGHT: (_push, 1, False),
        TransitionKind.SLIDE_UP: (_push, 0, True),
        TransitionKind.SLIDE_DOWN: (_push, 0, False),
        TransitionKind.WIPE_LEFT: (_wipe, 1, True),
        TransitionKind.WIPE_RIGHT: (_wipe, 1, False),
        TransitionKind.WIPE_UP: (_wipe, 0, True),
        TransitionKind.WIPE_DOWN: (_wipe, 0, False),
    }
    if kind in moves:
        fn, axis, forward = moves[kind]
        return fn(a, b, p, axis, forward)
    # NONE (a cut) or anything unforeseen: cut at the boundary.
    return a if p < 0.5 else b
