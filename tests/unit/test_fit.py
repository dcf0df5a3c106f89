"""Placing a photo on the canvas; the blurred fill is painted only where the photo is not."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from simvid_desktop.model.project import FitMode
from simvid_desktop.render.fit import _blurred_background, compose_canvas, fitted_size

BOX = (320, 180)


def _photo(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    grid = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    return Image.fromarray(grid).resize((width, height), Image.Resampling.BICUBIC)


@pytest.mark.parametrize("size", [(300, 400), (600, 400), (100, 100), (901, 170), (7, 5)])
def test_blur_fill_bars_equal_the_whole_frame_background(size: tuple[int, int]) -> None:
    photo = _photo(*size)
    placed = np.asarray(compose_canvas(photo, BOX, FitMode.BLUR)).astype(int)
    whole = Image.new("RGB", BOX)
    _blurred_background(photo, whole, (0, 0, 0, 0))  # nothing covered: every pixel
    background = np.asarray(whole).astype(int)
    tw, th = fitted_size(photo.size, BOX, FitMode.BLUR)
    left, top = (BOX[0] - tw) // 2, (BOX[1] - th) // 2
    bars = np.ones(placed.shape[:2], bool)
    bars[top:top + th, left:left + tw] = False
    assert bars.any()
    assert np.abs(placed[bars] - background[bars]).max() <= 2
    # The photo itself, sharp, in the middle, as the letterbox places it.
    boxed = np.asarray(compose_canvas(photo, BOX, FitMode.LETTERBOX)).astype(int)
    assert np.array_equal(placed[~bars], boxed[~bars])
    # Blurred and darkened: no black, calmer than the photo.
    assert placed[bars].min() > 0
    assert np.abs(np.diff(background, axis=1)).max() < 12


def test_a_photo_that_fills_the_frame_has_no_background() -> None:
    photo = _photo(640, 360)
    assert np.array_equal(np.asarray(compose_canvas(photo, BOX, FitMode.BLUR)),
                          np.asarray(compose_canvas(photo, BOX, FitMode.LETTERBOX)))
