"""Keyframes at slide boundaries: a player seeking to a slide lands on it exactly."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.engine import RenderSpec, render
from tests.integration.conftest import small_project
from tests.integration.media import FF


def keyframes(path: Path) -> list[int]:
    """The numbers of the video's keyframes (I frames), decoded."""
    log = subprocess.run([FF, "-hide_banner", "-i", str(path), "-vf", "showinfo", "-an",
                          "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    return [int(m[1]) for m in re.finditer(r"n:\s*(\d+) .*?iskey:1", log)]


@pytest.mark.parametrize("segmented", [False, True], ids=["single pass", "segments"])
def test_every_slide_starts_on_a_keyframe(tmp_path: Path, photos: list[Path],
                                          segmented: bool) -> None:
    # 1.3 s slides at 25 fps: boundaries at 32.5 -> 33, 65, 97.5 -> 98 frames; 0.7 s
    # segments cut them elsewhere too.
    project = small_project(photos * 2, default_duration=1.3)
    out = tmp_path / "show.mp4"
    render(RenderSpec(project, out, work_dir=tmp_path / "w" if segmented else None,
                      segment_seconds=0.7))
    starts = Timeline(project).slide_start_frames()
    assert starts[:4] == [0, 32, 65, 98]
    found = set(keyframes(out))
    assert set(starts) <= found, sorted(set(starts) - found)
    # x264's own choices aside, no keyframe on every frame: the holds stay cheap
    assert len(found) < Timeline(project).frame_count / 4
