"""A render at the tuned ``standard`` preset is plain, playable H.264 made with its options."""

from __future__ import annotations

import re
from pathlib import Path

from simvid_desktop.model.project import QUALITY_PRESETS, OutputSettings, Quality, Resolution
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.engine import RenderSpec, render
from tests.integration.conftest import small_project
from tests.integration.media import frames_rgb, probe


def x264_options(path: Path) -> dict[str, str]:
    """The options x264 wrote into the stream (its SEI message, plain text)."""
    found = re.search(rb"options: ([ -~]+)", path.read_bytes())
    assert found, "no x264 options in the stream"
    return dict(item.split("=", 1) for item in found[1].decode().split() if "=" in item)


def test_standard_render_is_h264_with_the_tuned_options(tmp_path: Path,
                                                        photos: list[Path]) -> None:
    project = small_project(photos, output=OutputSettings(
        resolution=Resolution("128x72"), fps=25, quality=Quality.STANDARD))
    out = tmp_path / "show.mp4"
    render(RenderSpec(project, out))
    info = probe(out)
    assert (info["vcodec"], info["pix_fmt"]) == ("h264", "yuv420p")
    assert len(frames_rgb(out, 128, 72)) == Timeline(project).frame_count
    options = x264_options(out)
    preset = QUALITY_PRESETS[Quality.STANDARD]
    assert float(options["crf"]) == preset.crf
    for item in preset.x264_params.split(":"):
        key, value = item.split("=")
        if key in options:  # x264 spells a few of its options differently in the SEI
            assert options[key] == value, (key, options[key], value)
