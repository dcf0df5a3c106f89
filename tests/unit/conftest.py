"""Fixtures for the unit tests: tiny real photos (a few bytes of PNG), no ffmpeg."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image


@pytest.fixture
def make_photo() -> Callable[..., Path]:
    """Write a tiny valid image at ``path`` (format from the suffix) and return the path."""

    def make(path: Path, size: tuple[int, int] = (8, 6),
             colour: tuple[int, int, int] = (200, 40, 40)) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", size, colour).save(path)
        return path

    return make
