"""The compiled kernels (render/_kernels.c) against the numpy paths they replace: the same
bytes for every box and weight, and clear errors instead of stray memory reads."""

from __future__ import annotations

import numpy as np
import pytest

from simvid_desktop.render import native, resample, transitions
from simvid_desktop.render.resample import Resampler, _taps
from simvid_desktop.render.transitions import Blender
from simvid_desktop.render.yuv import Frame

pytestmark = pytest.mark.skipif(native.kernels is None,
                                reason="compiled kernels not built (no C compiler at install)")

RNG = np.random.default_rng(7)


def _numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resample, "kernels", None)
    monkeypatch.setattr(transitions, "kernels", None)


def _random_frame(width: int, height: int) -> Frame:
    return Frame(RNG.integers(0, 256, width * height * 3 // 2, dtype=np.uint8), width, height)


BOXES = [  # (source size, output size, box): inside, at the edges, past them, up and down
    ((90, 160), (54, 96), (10.3, 7.7, 130.1, 75.2)),
    ((90, 160), (90, 160), (0.0, 0.0, 160.0, 90.0)),
    ((90, 160), (64, 112), (0.0, 0.0, 160.0, 90.0)),   # shrink by 1.43 (MAX_SHRINK)
    ((90, 160), (180, 320), (-3.0, -2.0, 163.0, 92.0)),  # past every edge, enlarged
    ((90, 160), (40, 70), (150.5, 85.5, 160.0, 90.0)),  # the bottom-right corner, 7x up
    ((37, 53), (20, 30), (1.1, 2.2, 45.9, 31.3)),        # odd sizes
    ((2, 2), (4, 6), (0.0, 0.0, 2.0, 2.0)),
    ((2, 3), (6, 2), (0.2, 0.1, 2.9, 1.8)),
    ((90, 160), (30, 40), (5.5, 4.5, 155.5, 85.5)),      # shrink by 3.75: taps spread wide
]


@pytest.mark.parametrize(("src_shape", "out_shape", "box"), BOXES)
def test_resample_equals_numpy(src_shape: tuple[int, int], out_shape: tuple[int, int],
                               box: tuple[float, float, float, float],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    src = RNG.integers(0, 256, src_shape, dtype=np.uint8)
    fast = np.empty(out_shape, np.uint8)
    Resampler().plane(src, box, fast)
    _numpy(monkeypatch)
    slow = np.empty(out_shape, np.uint8)
    Resampler().plane(src, box, slow)
    assert np.array_equal(fast, slow)


def test_frames_equal_numpy_over_a_ken_burns_move(monkeypatch: pytest.MonkeyPatch) -> None:
    """Luma and the stacked chroma planes, over 30 sub-pixel steps of a push-in."""
    canvas = _random_frame(236, 134)
    boxes = [(0.37 * k, 0.21 * k, 236 - 0.4 * k, 134 - 0.23 * k) for k in range(30)]

    def frames() -> list[np.ndarray]:
        resampler, result = Resampler(), []
        for box in boxes:
            out = Frame.empty(200, 112)
            resampler.frame(canvas.y, canvas.uv, box, out)
            result.append(out.buf)
        return result

    fast = frames()
    _numpy(monkeypatch)
    slow = frames()
    assert all(np.array_equal(f, s) for f, s in zip(fast, slow, strict=True))
    assert not np.array_equal(fast[0], fast[-1])  # the view did move


def test_blend_equals_numpy_at_every_weight(monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = _random_frame(64, 36), _random_frame(64, 36)
    a.buf[:4], b.buf[:4] = [0, 255, 0, 255], [255, 0, 0, 255]  # the extremes
    weights = [k / 128 for k in range(129)] + [-0.5, 0.3333, 1.7]
    fast = [Blender().blend(a, b, w).buf for w in weights]
    _numpy(monkeypatch)
    blender = Blender()  # the numpy path's cached b - a, reused across the weights
    slow = [blender.blend(a, b, w).buf for w in weights]
    assert all(np.array_equal(f, s) for f, s in zip(fast, slow, strict=True))


def _kernel_args(src: np.ndarray, out: np.ndarray) -> list[object]:
    rows, wy = _taps(0.0, src.shape[0] / out.shape[0], out.shape[0], src.shape[0])
    cols, wx = _taps(0.0, src.shape[1] / out.shape[1], out.shape[1], src.shape[1])
    return [src, src.shape[0], src.shape[1], rows, wy, cols, wx, out, *out.shape]


def test_resample_refuses_taps_outside_the_source() -> None:
    assert native.kernels is not None
    src, out = np.zeros((8, 8), np.uint8), np.zeros((4, 4), np.uint8)
    args = _kernel_args(src, out)
    rows = np.array([0, 1, 2, 8], np.intp)  # row 8 of an 8-row plane
    with pytest.raises(ValueError, match="row tap out of range"):
        native.kernels.resample(*args[:3], rows, *args[4:])  # type: ignore[arg-type]
    cols = np.array([0, -1, 2, 3], np.intp)
    with pytest.raises(ValueError, match="column tap out of range"):
        native.kernels.resample(*args[:5], cols, *args[6:])  # type: ignore[arg-type]


def test_resample_refuses_short_buffers() -> None:
    assert native.kernels is not None
    src, out = np.zeros((8, 8), np.uint8), np.zeros((4, 4), np.uint8)
    args = _kernel_args(src, out)
    with pytest.raises(ValueError, match="src"):
        native.kernels.resample(src, 9, 8, *args[3:])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="out"):
        native.kernels.resample(*args[:8], 5, 4)  # type: ignore[arg-type]


def test_kernels_refuse_strided_views() -> None:
    assert native.kernels is not None
    a = np.zeros((8, 8), np.uint8)
    with pytest.raises((ValueError, BufferError)):
        native.kernels.blend(a[:, ::2], a[:, ::2], 64, np.zeros((8, 4), np.uint8))
    with pytest.raises(ValueError, match="weight"):
        native.kernels.blend(a, a, 129, np.zeros_like(a))
    with pytest.raises(ValueError, match="size"):
        native.kernels.blend(a, a[:4], 64, np.zeros_like(a))


def test_resampler_takes_numpy_for_a_strided_source() -> None:
    """A view that is not C-contiguous is still resampled (by the numpy path)."""
    src = RNG.integers(0, 256, (40, 80), dtype=np.uint8)
    out_view, out_copy = np.empty((20, 20), np.uint8), np.empty((20, 20), np.uint8)
    box = (1.5, 2.5, 31.5, 32.5)
    Resampler().plane(src[:, ::2], box, out_view)
    Resampler().plane(np.ascontiguousarray(src[:, ::2]), box, out_copy)
    assert np.array_equal(out_view, out_copy)
