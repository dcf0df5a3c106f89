from __future__ import annotations

from pathlib import Path

import pytest

from simvid_desktop.model.project import (
    OutputSettings,
    Project,
    Resolution,
    Slide,
    Transition,
    TransitionKind,
)
from tests.integration.media import ffmpeg_children, solid

COLORS = [(220, 30, 30), (30, 200, 40), (30, 60, 220), (230, 220, 40)]


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    return [solid(tmp_path / f"p{i}.jpg", c) for i, c in enumerate(COLORS)]


def small_project(images: list[Path], **kw: object) -> Project:
    """A tiny, fast show: 1 s slides, 0.4 s fades, 128x72 at 25 fps."""
    out = OutputSettings(resolution=Resolution("128x72"), fps=25, crf=18, x264_preset="veryfast")
    args: dict[str, object] = {
        "slides": tuple(Slide(p) for p in images), "default_duration": 1.0,
        "transition": Transition(TransitionKind.FADE, 0.4), "output": out,
    }
    args.update(kw)
    return Project(**args)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def no_leaked_ffmpeg():
    yield
    assert ffmpeg_children() == [], "an ffmpeg child process was left running"
