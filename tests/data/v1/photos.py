"""The photos the saved v1 projects name, generated (no binaries in git)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

#: Frames compared in every v1 project (all of them are at least 60 frames long).
GOLDEN_FRAMES = (0, 7, 15, 22, 30, 37, 45, 59)


def _photo(width: int, height: int, seed: int) -> Image.Image:
    """A deterministic picture with structure everywhere (gradients and a grid of
    blocks), so motion, fit and transitions all show in the pixels."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rng = np.random.default_rng(seed)
    a, b, c = rng.uniform(0.3, 1.0, 3)
    r = 255 * (x / width) * a
    g = 255 * (y / height) * b
    blocks = ((x // (width / 8)).astype(int) + (y // (height / 6)).astype(int)) % 2
    bl = 255 * c * blocks
    rgb = np.stack([r, g, bl], -1).clip(0, 255).astype(np.uint8)
    return Image.fromarray(rgb)


def v1_photos(folder: Path) -> list[Path]:
    """photos/wide.png (landscape), tall.png (portrait), square.png."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, size, seed in (("wide", (480, 270), 1), ("tall", (180, 320), 2),
                             ("square", (240, 240), 3)):
        path = folder / f"{name}.png"
        _photo(*size, seed).save(path)
        out.append(path)
    return out
