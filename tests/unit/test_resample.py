"""The 2x2-tap resampler behind Ken Burns frames, and the smoothness of the motion it gives."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simvid_desktop.model.project import (
    FitMode,
    Motion,
    MotionMode,
    OutputSettings,
    Project,
    Resolution,
    Slide,
    Transition,
    TransitionKind,
    View,
)
from simvid_desktop.render.compositor import Compositor
from simvid_desktop.render.resample import MAX_SHRINK, Resampler, mip_levels


@pytest.fixture(autouse=True)
def _both_backends(kernel_backend: str) -> str:
    """Every test here runs with the compiled kernels and with numpy."""
    return kernel_backend


def _smooth(height: int, width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    grid = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    return np.asarray(Image.fromarray(grid).resize((width, height), Image.Resampling.BICUBIC))


def test_constant_plane_stays_constant() -> None:
    src = np.full((40, 60), 77, np.uint8)
    out = np.empty((20, 30), np.uint8)
    Resampler().plane(src, (3.3, 1.7, 50.1, 33.9), out)
    assert (out == 77).all()


def test_whole_plane_at_its_own_size_is_unchanged() -> None:
    src = _smooth(24, 36)
    out = np.empty_like(src)
    Resampler().plane(src, (0.0, 0.0, 36.0, 24.0), out)
    assert np.array_equal(out, src)


def test_half_pixel_shift_is_the_rounded_mean_of_neighbours() -> None:
    src = np.tile(np.array([0, 100, 200, 50, 51, 0, 0, 0], np.uint8), (4, 1))
    out = np.empty((4, 6), np.uint8)
    Resampler().plane(src, (0.5, 0.0, 6.5, 4.0), out)
    assert out[0].tolist() == [50, 150, 125, 51, 26, 0]


@pytest.mark.parametrize("box", [(2.25, 1.5, 30.25, 19.5), (0.0, 0.0, 24.0, 16.0),
                                 (5.1, 3.7, 27.3, 18.1)])
def test_upsampling_matches_pillow_bilinear_within_one(box: tuple[float, ...]) -> None:
    src = _smooth(24, 36, seed=3)
    out = np.empty((30, 40), np.uint8)
    left, top, right, bottom = box
    Resampler().plane(src, (left, top, right, bottom), out)
    ref = np.asarray(Image.fromarray(src).resize((40, 30), Image.Resampling.BILINEAR, box=box))
    assert np.abs(out.astype(int) - ref).max() <= 1


def test_scratch_buffers_are_reused_across_sizes() -> None:
    r = Resampler()
    src = _smooth(50, 80)
    small, big = np.empty((10, 16), np.uint8), np.empty((40, 64), np.uint8)
    r.plane(src, (0.0, 0.0, 80.0, 50.0), big)
    r.plane(src, (0.0, 0.0, 80.0, 50.0), small)
    again = np.empty_like(big)
    r.plane(src, (0.0, 0.0, 80.0, 50.0), again)
    assert np.array_equal(big, again)


def test_mip_levels_keep_the_shrink_under_the_limit() -> None:
    assert mip_levels((1920, 1080), 1 / 1.18) == [1.0]
    levels = mip_levels((3840, 2160), 0.5)
    assert levels[0] == 1.0 and levels[-1] >= 0.5
    assert levels[-1] / MAX_SHRINK < 0.5  # the last one is needed
    assert all(a / b == pytest.approx(MAX_SHRINK) for a, b in pairwise(levels))


# -- smooth motion: a marker tracked through rendered Ken Burns frames --------------------------
_SIZE = (192, 108)


def _marker_photo(path: Path) -> Path:
    """Grey, with one soft bright spot (a Gaussian of 3 px) at 40 %, 45 % of the picture."""
    w, h = 960, 540
    yy, xx = np.mgrid[0:h, 0:w]
    spot = np.exp(-(((xx - 0.4 * w) ** 2 + (yy - 0.45 * h) ** 2) / (2 * 9.0**2)))
    img = (60 + 180 * spot).astype(np.uint8)
    Image.fromarray(np.stack([img] * 3, axis=-1)).save(path)
    return path


def _centroid(luma: np.ndarray) -> tuple[float, float]:
    weight = np.clip(luma.astype(np.float64) - 80.0, 0.0, None)
    yy, xx = np.mgrid[0 : luma.shape[0], 0 : luma.shape[1]]
    total = weight.sum()
    return float((weight * xx).sum() / total), float((weight * yy).sum() / total)


@pytest.mark.parametrize("fps", [30, 60])
@pytest.mark.parametrize("motion", [
    Motion(MotionMode.CUSTOM, View(1.0, 0.5, 0.5), View(1.9, 0.42, 0.47)),  # zoom past a level
    Motion(MotionMode.CUSTOM, View(1.2, 0.45, 0.5), View(1.2, 0.55, 0.5)),  # a pure pan
])
def test_ken_burns_moves_a_marker_smoothly(tmp_path: Path, fps: int, motion: Motion) -> None:
    """The marker's sub-pixel centre follows a smooth curve: no frame snaps to whole
    pixels or jumps when the resampler changes canvas copy."""
    photo = _marker_photo(tmp_path / "marker.png")
    project = Project(
        slides=(Slide.photo(photo),), default_duration=2.0, motion=motion,
        transition=Transition(TransitionKind.NONE, 0.0),
        output=OutputSettings(resolution=Resolution(f"{_SIZE[0]}x{_SIZE[1]}"), fps=fps,
                              fit=FitMode.CROP),
    )
    with Compositor(project, prefetch=False) as comp:
        centres = np.array([_centroid(comp.frame(n).y) for n in range(comp.timeline.frame_count)])
    t = np.linspace(0.0, 1.0, len(centres))
    for axis in (0, 1):
        fit = np.polynomial.Polynomial.fit(t, centres[:, axis], 5)
        residual = np.abs(centres[:, axis] - fit(t))
        assert residual.max() < 0.25, (axis, residual.max())
    travelled = np.abs(centres[-1] - centres[0]).max()
    assert travelled > 5  # it did move
