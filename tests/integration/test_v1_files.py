"""Saved format-1 projects: they open unchanged and render what the format-1 renderer made.

The golden frames beside each file were written by ``tests/data/v1/make_goldens.py`` with
the last release that wrote format 1. Today's renderer must match them, both for the file
as read and after it was saved in today's format and read back (the migration).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simvid_desktop.model.project import Project
from simvid_desktop.model.project_io import load_project, project_to_dict, save_project
from simvid_desktop.render.compositor import Compositor
from simvid_desktop.render.yuv import frame_to_rgb
from tests.data.v1.photos import GOLDEN_FRAMES, v1_photos

DATA = Path(__file__).resolve().parents[1] / "data" / "v1"
FILES = sorted(DATA.glob("*.simvid"))


@pytest.fixture
def v1_dir(tmp_path: Path) -> Path:
    for path in FILES:
        shutil.copy(path, tmp_path / path.name)
    v1_photos(tmp_path / "photos")
    return tmp_path


def frames(project: Project) -> np.ndarray:
    with Compositor(project, prefetch=False) as comp:
        return np.concatenate([frame_to_rgb(comp.frame(n)) for n in GOLDEN_FRAMES], 1)


def assert_same_picture(got: np.ndarray, golden: Path) -> None:
    want = np.asarray(Image.open(golden).convert("RGB"))
    assert got.shape == want.shape
    diff = np.abs(got.astype(np.int16) - want.astype(np.int16))
    # Equal up to rounding in another Pillow or FreeType build; a changed transition,
    # motion, fit or caption moves far more pixels by far more than this.
    assert diff.mean() < 0.3 and np.percentile(diff, 99.5) <= 3, (diff.mean(), diff.max())


def test_there_are_saved_v1_files() -> None:
    assert len(FILES) >= 3
    assert all(path.with_suffix(".frames.png").exists() for path in FILES)


@pytest.mark.parametrize("name", [p.name for p in FILES])
def test_a_v1_file_renders_as_it_did(v1_dir: Path, name: str) -> None:
    project = load_project(v1_dir / name)
    assert_same_picture(frames(project), DATA / name.replace(".simvid", ".frames.png"))


@pytest.mark.parametrize("name", [p.name for p in FILES])
def test_a_v1_file_saved_in_todays_format_renders_the_same(v1_dir: Path, name: str) -> None:
    original = load_project(v1_dir / name)
    save_project(original, v1_dir / "migrated.simvid")
    migrated = load_project(v1_dir / "migrated.simvid")
    assert migrated == original
    assert project_to_dict(migrated, v1_dir) == project_to_dict(original, v1_dir)
    assert_same_picture(frames(migrated), DATA / name.replace(".simvid", ".frames.png"))
