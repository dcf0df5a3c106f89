"""Fixtures for the unit tests: tiny real photos (a few bytes of PNG), no ffmpeg."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from simvid_desktop.render import native, resample, transitions


@pytest.fixture
def make_photo() -> Callable[..., Path]:
    """Write a tiny valid image at ``path`` (format from the suffix) and return the path."""

    def make(path: Path, size: tuple[int, int] = (8, 6),
             colour: tuple[int, int, int] = (200, 40, 40)) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", size, colour).save(path)
        return path

    return make


@pytest.fixture(params=["native", "numpy"])
def kernel_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once with the compiled kernels and once with the numpy paths (the two
    must agree bit for bit). Where the install could not build the kernels (no C
    compiler), the "native" run is skipped; CI fails on that skip."""
    if request.param == "native":
        if native.kernels is None:
            pytest.skip("compiled kernels not built (no C compiler at install)")
        return "native"
    monkeypatch.setattr(resample, "kernels", None)
    monkeypatch.setattr(transitions, "kernels", None)
    return "numpy"
